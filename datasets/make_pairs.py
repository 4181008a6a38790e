#!/usr/bin/env python3
"""Writes datasets/sample/pairs-{train,dev}.tsv: a small MRPC-style sentence-pair set written for txf.

Each row is two reviews built from the phrase lists of make_sample.py; the label says whether
both recommend the film (1: both positive; 0: at least one negative). Half the rows are 1 and
the other half split evenly over (positive, negative), (negative, positive) and (negative,
negative), so the label is a relation of the two segments: either sentence alone reaches at
most 83% (a negative one decides, a positive one leaves it open). Regenerates byte for byte:
`python3 datasets/make_pairs.py`. Columns follow GLUE MRPC as Hugging Face's datasets write it
(`sentence1<TAB>sentence2<TAB>label`, lowercase text).
"""
import random
from pathlib import Path

from make_sample import sentence

restatements = ["", "", "in short , ", "put simply , ", "in other words , ", "to be fair , "]


def row(rng: random.Random) -> str:
    label = rng.randint(0, 1)
    first, second = (1, 1) if label else rng.choice([(1, 0), (0, 1), (0, 0)])
    a = sentence(rng, first)
    b = rng.choice(restatements) + sentence(rng, second)
    return f"{a}\t{b}\t{label}"


def write(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    lines = ["sentence1\tsentence2\tlabel"] + [row(rng) for _ in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    out = Path(__file__).resolve().parent / "sample"
    out.mkdir(exist_ok=True)
    write(out / "pairs-train.tsv", 3000, seed=11)
    write(out / "pairs-dev.tsv", 300, seed=12)
