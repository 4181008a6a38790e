#!/usr/bin/env python3
"""Every scalar's pre-tokens under the Rust `tokenizers` BERT normalizer and pre-tokenizer, for
DifferentialTests: what `BertPreTokenizer` makes of `BertNormalizer("a" + c + "b")`.

    python3 hf_scalars.py TOKENIZER_JSON

Scalars: all of planes 0 and 1 and of U+E0000-U+E0FFF (tags, variation selectors), every 17th of
planes 2 and 3 plus the ends of their CJK ranges, every 1009th elsewhere (surrogates excluded);
~141,000. Writes JSON to stdout:
{"scalars": [...], "uncased": {"<scalar>": [[piece scalars], ...]}, "cased": {...}}, where a
scalar is listed under a casing only when its result is not the one piece "a" + c + "b".
Exits 3 when `tokenizers` cannot be imported.
"""
import json
import sys

from tokenizers import PreTokenizedString

import hf_fast

CJK_ENDS = [0x20000, 0x2A6DF, 0x2A700, 0x2B73F, 0x2B740, 0x2B81F, 0x2B820, 0x2B91F, 0x2B920,
            0x2CEAF, 0x2F800, 0x2FA1F]


def selected():
    picked = set()
    for c in range(0x110000):
        if 0xD800 <= c < 0xE000:
            continue
        plane = c >> 16
        if plane in (0, 1) or 0xE0000 <= c < 0xE1000 or (plane in (2, 3) and c % 17 == 0) or c % 1009 == 0:
            picked.add(c)
    for end in CJK_ENDS:
        picked.update((end - 1, end, end + 1))
    return sorted(picked)


def pieces(tok, scalars):
    """Scalar -> its pieces, for scalars whose result is not the single piece "a" + c + "b"."""
    out = {}
    for k in range(0, len(scalars), 256):
        chunk = scalars[k:k + 256]
        # Each probe is 4 characters ("a", c, "b", "\n"): a split's original offset names its probe.
        pts = PreTokenizedString("".join("a" + chr(c) + "b\n" for c in chunk))
        pts.normalize(lambda n: tok.normalizer.normalize(n))
        tok.pre_tokenizer.pre_tokenize(pts)
        groups = {}
        for text, (start, _), _ in pts.get_splits(offset_referential="original", offset_type="char"):
            groups.setdefault(chunk[start // 4], []).append(text)
        for c in chunk:
            got = groups.get(c, [])
            if got != ["a" + chr(c) + "b"]:
                out[str(c)] = [[ord(x) for x in p] for p in got]
    return out


def main():
    tokenizer_json = sys.argv[1]
    scalars = selected()
    json.dump({"scalars": scalars,
               "uncased": pieces(hf_fast.load(tokenizer_json, lowercase=True), scalars),
               "cased": pieces(hf_fast.load(tokenizer_json, lowercase=False), scalars)},
              sys.stdout, separators=(",", ":"))


if __name__ == "__main__":
    main()
