#!/usr/bin/env python3
"""Regenerates golden.json: Hugging Face BertTokenizer's output on edge_cases.txt.

    python3 Tests/TxfTextTests/Fixtures/make_golden.py [VOCAB]

VOCAB defaults to $TXF_MINILM_DIR/vocab.txt or ~/.cache/txf/minilm/vocab.txt (all-MiniLM-L6-v2).

edge_cases.txt holds one case per line (an empty line is a case). Invisible or line-breaking
characters are written as escapes: \\u{HEX} for any code point, \\t, \\r, and \\\\ for a backslash.

The reference is the Python ("slow") tokenizer: BertTokenizerLegacy in transformers >= 5,
BertTokenizer before. For each case golden.json records:
  uncased      encode(text) with do_lower_case=True (MiniLM's setting)
  cased        encode(text) with do_lower_case=False (same vocab; exercises the cased path)
  truncated8   encode(text, truncation=True, max_length=8), uncased
  tokens       tokenize(text), uncased
  decoded      decode(uncased)
  fast         the Rust-backed fast tokenizer's uncased ids, only where they differ
"""
import hashlib
import json
import os
import re
import sys
import unicodedata

import transformers

try:
    from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy as SlowBert
except ImportError:  # transformers 4: BertTokenizer is the Python one
    from transformers import BertTokenizer as SlowBert
try:
    from transformers import BertTokenizerFast as FastBert
except ImportError:
    FastBert = None

here = os.path.dirname(os.path.abspath(__file__))


def default_vocab():
    base = os.environ.get("TXF_MINILM_DIR") or os.path.expanduser("~/.cache/txf/minilm")
    return os.path.join(base, "vocab.txt")


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


def main():
    vocab = sys.argv[1] if len(sys.argv) > 1 else default_vocab()
    uncased = SlowBert(vocab, do_lower_case=True)
    cased = SlowBert(vocab, do_lower_case=False)
    fast = FastBert(vocab, do_lower_case=True) if FastBert is not None else None
    with open(os.path.join(here, "edge_cases.txt"), encoding="utf-8", newline="\n") as f:
        raw = f.read().split("\n")
    if raw and raw[-1] == "":
        raw.pop()
    cases = []
    for line in raw:
        text = unescape(line)
        ids = uncased.encode(text)
        case = {
            "text": text,
            "uncased": ids,
            "cased": cased.encode(text),
            "truncated8": uncased.encode(text, truncation=True, max_length=8),
            "tokens": uncased.tokenize(text),
            "decoded": uncased.decode(ids),
        }
        if fast is not None:
            fast_ids = fast.encode(text)
            if fast_ids != ids:
                case["fast"] = fast_ids
        cases.append(case)
    with open(vocab, "rb") as f:
        vocab_sha = hashlib.sha256(f.read()).hexdigest()
    out = {
        "reference": SlowBert.__name__,
        "transformers": transformers.__version__,
        "python_unicode": unicodedata.unidata_version,
        "vocab_sha256": vocab_sha,
        "cases": cases,
    }
    with open(os.path.join(here, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=True, indent=1)
        f.write("\n")
    differing = sum(1 for c in cases if "fast" in c)
    print(f"golden.json: {len(cases)} cases, fast tokenizer differs on {differing}", file=sys.stderr)


if __name__ == "__main__":
    main()
