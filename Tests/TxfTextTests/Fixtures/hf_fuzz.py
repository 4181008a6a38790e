#!/usr/bin/env python3
"""Random adversarial texts and the Rust `tokenizers` ids for them, for DifferentialTests.

    python3 hf_fuzz.py TOKENIZER_JSON SEED COUNT

Writes JSON to stdout: {"cases": [{"text", "uncased", "cased", "decoded"}, ...]} (`decoded`: the
uncased ids decoded). Texts mix ASCII, controls and every kind of Unicode whitespace, format
characters, Latin, combining marks, Greek (capital sigma), Cyrillic, CJK (all of HF's ranges,
compatibility ideographs, unassigned extensions), Hangul syllables and jamo, kana, emoji with
joiners, full-width forms, private use, scripts with spacing marks, fragments of special tokens,
words over 100 characters. `texts(SEED, COUNT)` is the same list whoever calls it.
Exits 3 when `tokenizers` cannot be imported.
"""
import json
import random
import sys


def r(a, b):
    return [chr(c) for c in range(a, b)]


POOLS = [
    r(0x20, 0x7F) * 3,
    list("\t\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2007\u200a\u2028\u2029\u202f\u205f\u3000"
         "\u180e\u200b\u200c\u200d\u2060\ufeff\xad\x00\x07\x7f\ufffd"),
    r(0xA0, 0x250),
    r(0x300, 0x370),
    r(0x370, 0x400) + list("ΣΣΣσς"),
    r(0x400, 0x530),
    r(0x4E00, 0x4E80) + r(0xF900, 0xF930) + [chr(0x20000 + i) for i in range(20)]
    + [chr(c) for c in (0x2A6D6, 0x2B738, 0x2B739, 0x2CEAF, 0x2F800, 0x30000, 0x2EBF0)],
    r(0xAC00, 0xAC40) + r(0x1100, 0x1120) + r(0x1161, 0x1170) + r(0x11A8, 0x11B0),
    r(0x3040, 0x3100),
    r(0x1F600, 0x1F650) + r(0x1FAE0, 0x1FB00) + ["\u200d", "\ufe0f", "\U0001f3fd"],
    r(0x2000, 0x2070) + r(0x3000, 0x3040) + r(0xFF00, 0xFF70),
    r(0xE000, 0xE010) + [chr(c) for c in (0xF0000, 0x10FFFD, 0xE0001, 0xE0041)],
    r(0x900, 0x980) + r(0xE00, 0xE60) + r(0x600, 0x700) + r(0x1E00, 0x2000),
    ["[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]", "[cls]", "[CLS", "CLS]", "[[", "İ", "ǅ", "ß", "ﬁ",
     "ŉ", "ΐ", "K", "Å", "Ω"],
    [" "] * 5,
    ["the", "movie", "film", "good", "bad", "un", "##", "'s", "n't", "a", "and"],
]


def texts(seed, count):
    """`count` random texts drawn from POOLS with a generator seeded by `seed`."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        space = 0.0 if i % 2 == 0 else 0.4
        text = "".join(rng.choice(rng.choice(POOLS)) + (" " if rng.random() < space else "")
                       for _ in range(rng.randint(0, 40)))
        if rng.random() < 0.05:
            text += " " + "x" * rng.randint(95, 105)
        out.append(text)
    return out


def main():
    import hf_fast

    tokenizer_json, seed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    cases = texts(seed, count)
    uncased = hf_fast.load(tokenizer_json, lowercase=True)
    cased = hf_fast.load(tokenizer_json, lowercase=False)
    u = [e.ids for e in uncased.encode_batch(cases)]
    c = [e.ids for e in cased.encode_batch(cases)]
    out = [{"text": t, "uncased": ui, "cased": ci, "decoded": uncased.decode(ui, skip_special_tokens=False)}
           for t, ui, ci in zip(cases, u, c)]
    json.dump({"cases": out}, sys.stdout, ensure_ascii=True)


if __name__ == "__main__":
    main()
