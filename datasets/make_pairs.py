#!/usr/bin/env python3
"""Writes datasets/sample/pairs-{train,dev}.tsv: a small MRPC-style sentence-pair set written for txf.

Each row is two reviews built from the phrase lists of make_sample.py; the label says whether the
second restates the first's verdict (1: the same sentiment, said in other words, about the same or
another part of the film; 0: the opposite verdict). Neither sentence alone tells the label: a
model must read both segments, as for GLUE's MRPC, QQP or MNLI. Regenerates byte for byte:
`python3 datasets/make_pairs.py`. Columns follow GLUE MRPC's TSV as Hugging Face's datasets write
it (`sentence1<TAB>sentence2<TAB>label`, lowercase text).
"""
import random
from pathlib import Path

from make_sample import sentence

restatements = ["", "", "in short , ", "put simply , ", "in other words , ", "to be fair , "]


def row(rng: random.Random) -> str:
    first = rng.randint(0, 1)
    label = rng.randint(0, 1)
    second = first if label else 1 - first
    a = sentence(rng, first)
    b = rng.choice(restatements) + sentence(rng, second)
    while b == a:
        b = sentence(rng, second)
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
