#!/usr/bin/env python3
"""Prints Hugging Face BertTokenizer ids for each line of a file, for the differential tests.

    python3 hf_encode.py VOCAB LINES_FILE [cased]

Line 1 of the output is Python's unicodedata version; then one line of space-separated ids
(with [CLS] and [SEP]) per input line. Lines are split at \\n only, as `txf tokenize` does.
Exits 3 when transformers cannot be imported (the test then skips).
"""
import sys
import unicodedata

try:
    from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy as SlowBert
except ImportError:
    try:
        from transformers import BertTokenizer as SlowBert  # transformers 4: the Python tokenizer
    except ImportError:
        sys.exit(3)

vocab, path = sys.argv[1], sys.argv[2]
lower = not (len(sys.argv) > 3 and sys.argv[3] == "cased")
tok = SlowBert(vocab, do_lower_case=lower)
with open(path, encoding="utf-8", newline="\n") as f:
    lines = f.read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
out = [unicodedata.unidata_version]
out.extend(" ".join(map(str, tok.encode(line))) for line in lines)
sys.stdout.write("\n".join(out) + "\n")
