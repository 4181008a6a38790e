#!/usr/bin/env python3
"""Writes datasets/sample/{train,dev}.tsv: a small SST-2-style sentiment set written for txf,
and datasets/sample/reviews.{csv,jsonl}: the same phrases as star-rated reviews, the README's
example of your own data.

Sentences are assembled from hand-written phrase lists (below), so the sample is the project's
own and regenerates byte for byte: `python3 datasets/make_sample.py`. Header and columns follow
GLUE SST-2 (`sentence<TAB>label`, 1 = positive, 0 = negative, lowercase text). The reviews have
a `review` text column and `stars` 1-5 (CSV with RFC 4180 quoting; JSON Lines with the same
fields, stars as integers).
"""
import csv
import io
import json
import random
from pathlib import Path

subjects = [
    "the film", "this movie", "the script", "the cast", "the lead performance", "the director's latest",
    "the soundtrack", "the second half", "the dialogue", "this thriller", "the comedy", "the animation",
    "the ending", "this documentary", "the story", "the camera work", "the pacing", "this sequel",
    "the screenplay", "the ensemble", "its central romance", "the villain", "the whole production",
]
positive = [
    "is a gorgeous , witty delight", "never loses its nerve", "is funny , moving and smart",
    "rewards patient viewers", "feels fresh and alive", "is beautifully acted",
    "earns every one of its tears", "is the best thing on screen this year", "crackles with energy",
    "is warm without being sentimental", "holds you from the first frame", "is a quiet triumph",
    "sparkles with invention", "lands every joke", "is tender and true", "is sharp and assured",
    "makes the familiar feel new", "is a joy to watch", "stays with you for days", "is clever and kind",
]
negative = [
    "drags on far too long", "is a tedious mess", "never finds its footing", "wastes a fine cast",
    "is dull and lifeless", "falls apart in the last act", "feels like a chore", "is loud and empty",
    "is painfully predictable", "has nothing new to say", "is clumsy and confused", "bores more than it thrills",
    "is flat from start to finish", "squanders a good premise", "is sloppy and forgettable",
    "mistakes noise for wit", "is a cynical cash grab", "tries hard and fails", "is stale and joyless",
    "leaves no impression at all",
]
openers = ["", "", "", "frankly , ", "in the end , ", "sadly , ", "happily , ", "by any measure , ", "honestly , "]
closers = ["", "", "", " .", " , and it shows", " , even on a second viewing", " despite its budget", " ."]
turns_pos = ["for all its flaws , ", "though it starts slowly , ", "against the odds , "]
turns_neg = ["for all its polish , ", "though it starts well , ", "despite a promising cast , "]


def sentence(rng: random.Random, label: int) -> str:
    subject = rng.choice(subjects)
    predicate = rng.choice(positive if label else negative)
    opener = rng.choice(openers)
    if opener in ("sadly , ", "happily , "):  # keep openers consistent with the sentiment
        opener = "happily , " if label else "sadly , "
    if rng.random() < 0.15:
        opener = rng.choice(turns_pos if label else turns_neg)
    text = f"{opener}{subject} {predicate}{rng.choice(closers)}"
    return text.replace("  ", " ").strip()


def write(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    lines = ["sentence\tlabel"]
    for _ in range(rows):
        label = rng.randint(0, 1)
        lines.append(f"{sentence(rng, label)}\t{label}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def review(rng: random.Random, stars: int) -> str:
    """Two clauses: both positive for 5 stars, both negative for 1, mixed with "but" between."""
    first, second = {5: (positive, positive), 4: (positive, negative), 3: (positive, negative),
                      2: (negative, positive), 1: (negative, negative)}[stars]
    joiner = " and " if stars in (1, 5) else " but "
    if stars == 3 and rng.random() < 0.5:
        first, second = second, first
    text = f"{rng.choice(subjects)} {rng.choice(first)}{joiner}{rng.choice(subjects)} {rng.choice(second)}"
    if stars in (2, 4):  # the first clause sets the tone; the second is the smaller part
        text += rng.choice([" , mostly", " , on the whole", ""])
    return text


def write_reviews(directory: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    records = []
    for _ in range(rows):
        stars = rng.randint(1, 5)
        records.append({"review": review(rng, stars), "stars": stars})
    buffer = io.StringIO()
    table = csv.writer(buffer, lineterminator="\n")
    table.writerow(["review", "stars"])
    table.writerows([r["review"], r["stars"]] for r in records)
    (directory / "reviews.csv").write_text(buffer.getvalue(), encoding="utf-8")
    lines = [json.dumps(r) for r in records]
    (directory / "reviews.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    out = Path(__file__).resolve().parent / "sample"
    out.mkdir(exist_ok=True)
    write(out / "train.tsv", 4000, seed=1)
    write(out / "dev.tsv", 400, seed=2)
    write_reviews(out, 300, seed=3)
