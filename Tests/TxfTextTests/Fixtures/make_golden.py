#!/usr/bin/env python3
"""Regenerates golden.json: the Rust `tokenizers` output on edge_cases.txt.

    python3 Tests/TxfTextTests/Fixtures/make_golden.py [MINILM_DIR]

MINILM_DIR (tokenizer.json, vocab.txt) defaults to $TXF_MINILM_DIR or ~/.cache/txf/minilm
(all-MiniLM-L6-v2; launch/fetch-minilm.sh fetches it).

edge_cases.txt holds one case per line (an empty line is a case). Invisible or line-breaking
characters are written as escapes: \\u{HEX} for any code point, \\t, \\r, and \\\\ for a backslash.

The reference is `Tokenizer.from_file(tokenizer.json)` (see hf_fast.py), what `AutoTokenizer`
runs. For each case golden.json records:
  uncased      encode(text).ids (MiniLM's tokenizer.json, lowercasing)
  cased        the same with the normalizer of BertTokenizer(do_lower_case=False)
  truncated8   uncased, with truncation to max_length 8
  tokens       uncased encode(text).tokens without [CLS] and [SEP]
  decoded      decode(uncased, skip_special_tokens=False)
  legacy       the Python tokenizer's uncased ids (BertTokenizerLegacy in transformers >= 5,
               BertTokenizer before), only where they differ and transformers is installed
"""
import hashlib
import json
import os
import re
import sys

import tokenizers

import hf_fast

try:
    from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy as SlowBert
except ImportError:
    try:
        from transformers import BertTokenizer as SlowBert  # transformers 4: the Python one
    except ImportError:
        SlowBert = None

here = os.path.dirname(os.path.abspath(__file__))


def unescape(line):
    def repl(m):
        s = m.group(0)
        if s == "\\\\":
            return "\\"
        if s == "\\t":
            return "\t"
        if s == "\\r":
            return "\r"
        return chr(int(m.group(1), 16))

    return re.sub(r"\\u\{([0-9A-Fa-f]+)\}|\\\\|\\t|\\r", repl, line)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else (
        os.environ.get("TXF_MINILM_DIR") or os.path.expanduser("~/.cache/txf/minilm"))
    tokenizer_json, vocab = os.path.join(base, "tokenizer.json"), os.path.join(base, "vocab.txt")
    uncased = hf_fast.load(tokenizer_json, lowercase=True)
    cased = hf_fast.load(tokenizer_json, lowercase=False)
    truncating = hf_fast.load(tokenizer_json, lowercase=True)
    truncating.enable_truncation(8)
    legacy = SlowBert(vocab, do_lower_case=True) if SlowBert is not None else None
    cases = []
    for line in hf_fast.read_lines(os.path.join(here, "edge_cases.txt")):
        text = unescape(line)
        encoding = uncased.encode(text)
        case = {
            "text": text,
            "uncased": encoding.ids,
            "cased": cased.encode(text).ids,
            "truncated8": truncating.encode(text).ids,
            "tokens": encoding.tokens[1:-1],
            "decoded": uncased.decode(encoding.ids, skip_special_tokens=False),
        }
        if legacy is not None and legacy.encode(text) != encoding.ids:
            case["legacy"] = legacy.encode(text)
        cases.append(case)
    out = {
        "reference": "tokenizers.Tokenizer.from_file(tokenizer.json)",
        "tokenizers": tokenizers.__version__,
        "tokenizer_json_sha256": sha256(tokenizer_json),
        "vocab_sha256": sha256(vocab),
        "cases": cases,
    }
    with open(os.path.join(here, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=True, indent=1)
        f.write("\n")
    differing = sum(1 for c in cases if "legacy" in c)
    print(f"golden.json: {len(cases)} cases, the legacy Python tokenizer differs on {differing}", file=sys.stderr)


if __name__ == "__main__":
    main()
