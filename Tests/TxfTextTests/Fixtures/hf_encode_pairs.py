#!/usr/bin/env python3
"""Prints the Rust `tokenizers` pair encodings for the pair differential test.

    python3 hf_encode_pairs.py TOKENIZER_JSON PAIRS.json

PAIRS.json is a list of [a, b, max_length or null]. For each, `encode(a, b)` with
`enable_truncation(max_length)` (strategy longest_first, the tokenizer.json default) or no
truncation; prints one JSON line [ids, type_ids]. Exits 3 when `tokenizers` cannot be imported.
"""
import json
import sys

import hf_fast

tok = hf_fast.load(sys.argv[1])
with open(sys.argv[2], encoding="utf-8") as f:
    pairs = json.load(f)
out = []
for a, b, max_length in pairs:
    if max_length is None:
        tok.no_truncation()
    else:
        tok.enable_truncation(max_length=max_length, strategy="longest_first")
    e = tok.encode(a, b)
    out.append(json.dumps([e.ids, e.type_ids]) + "\n")
sys.stdout.write("".join(out))
