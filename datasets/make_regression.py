#!/usr/bin/env python3
"""Writes datasets/sample/scores-{train,dev}.tsv: a small STS-B-style regression set made for txf.

Each row is one sentence and a real-valued score in [0, 5] (`sentence<TAB>score`), built from the
sentiment sample's phrase lists (make_sample.py): how positive the sentence is. A plain positive
predicate scores about 4, a negative one about 1; an intensifier pushes the score toward 5 or 0,
a hedge toward the middle, and a sentence with a positive and a negative half lands near 2.5,
leaning to the half after "but". Scores are rounded to 0.2, as STS-B's averaged ratings often are.
A small model learns the ordering within a few dozen steps. Deterministic:
`python3 datasets/make_regression.py` regenerates both files byte for byte.
"""
import random
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # importing make_sample leaves no __pycache__ in datasets/
from make_sample import negative, positive, subjects

intensifiers = ["truly ", "utterly ", "without question "]
hedges = ["in places ", "at times ", "now and then "]


def clause(rng: random.Random, polarity: int) -> tuple[str, float]:
    """A subject and predicate of `polarity` (+1 or -1) and its distance from the middle, 2.5."""
    predicate = rng.choice(positive if polarity > 0 else negative)
    roll = rng.random()
    if roll < 0.25:
        modifier, strength = rng.choice(intensifiers), 2.3
    elif roll < 0.5:
        modifier, strength = rng.choice(hedges), 0.8
    else:
        modifier, strength = "", 1.5
    return f"{rng.choice(subjects)} {modifier}{predicate}", strength


def row(rng: random.Random) -> tuple[str, float]:
    first = rng.choice((1, -1))
    text, strength = clause(rng, first)
    score = 2.5 + first * strength
    if rng.random() < 0.2:  # mixed: the half after "but" leans the score its way
        second, _ = clause(rng, -first)
        text = f"{text} , but {second}"
        score = 2.5 - first * 0.6
    score += rng.uniform(-0.3, 0.3)
    score = min(5.0, max(0.0, round(score * 5) / 5))
    return text, score


def write(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    lines = ["sentence\tscore"]
    for _ in range(rows):
        text, score = row(rng)
        lines.append(f"{text}\t{score:.1f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    out = Path(__file__).resolve().parent / "sample"
    out.mkdir(exist_ok=True)
    write(out / "scores-train.tsv", 2000, seed=11)
    write(out / "scores-dev.tsv", 300, seed=12)
