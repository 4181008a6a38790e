#!/usr/bin/env python3
"""Prints the Rust `tokenizers` ids for each line of a file, for the differential tests.

    python3 hf_encode.py TOKENIZER_JSON LINES_FILE [cased]

One line of space-separated ids (with [CLS] and [SEP]) per input line. Lines are split at \\n
only, as `txf tokenize` does. Exits 3 when `tokenizers` cannot be imported (the test then skips).
"""
import sys

import hf_fast

tokenizer_json, path = sys.argv[1], sys.argv[2]
lower = not (len(sys.argv) > 3 and sys.argv[3] == "cased")
tok = hf_fast.load(tokenizer_json, lowercase=lower)
encodings = tok.encode_batch(hf_fast.read_lines(path))
sys.stdout.write("".join(" ".join(map(str, e.ids)) + "\n" for e in encodings))
