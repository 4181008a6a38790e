#!/usr/bin/env python3
"""Counts where Hugging Face's Python BERT tokenizer (BertTokenizerLegacy in transformers >= 5,
BertTokenizer before) and the Rust `tokenizers` one txf follows give different ids, on the
differential tests' corpora: all of SST-2 (train + dev) and the 2,000 seeded random texts of
hf_fuzz.py, uncased and cased. Each differing text is cut down to a shortest substring that still
differs, and those are grouped by cause.

    python3 legacy_vs_fast.py [SST2_DIR] [MINILM_DIR]

SST2_DIR defaults to $TXF_SST2_DIR or ../shared/datasets/sst2 from the repository root;
MINILM_DIR to $TXF_MINILM_DIR or ~/.cache/txf/minilm. Needs transformers and tokenizers.
"""
import collections
import os
import sys
import unicodedata

from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy as SlowBert

import hf_fast
import hf_fuzz

here = os.path.dirname(os.path.abspath(__file__))


def sentences(path):
    lines = hf_fast.read_lines(path)
    column = lines[0].split("\t").index("sentence")
    return [line.split("\t")[column] for line in lines[1:]]


def shortest(text, differs):
    """Drops characters one at a time while the two tokenizers still differ."""
    shrunk = True
    while shrunk:
        shrunk = False
        for i in range(len(text)):
            if differs(text[:i] + text[i + 1:]):
                text, shrunk = text[:i] + text[i + 1:], True
                break
    return text


def cause(core, lowercase):
    if lowercase and "\u03a3" in core and "\u03c2" in core.lower():
        return "final sigma: Python's lower() gives ς at a word's end, tokenizers σ"
    if len(core) == 1 and unicodedata.category(core) == "Cn":
        return (f"unassigned in Python's Unicode {unicodedata.unidata_version}: Python drops it as a "
                "control character, tokenizers keeps it ([UNK])")
    if not lowercase and unicodedata.normalize("NFC", core) != core:
        return "NFC: Python composes the text first (a singleton decomposition when cased), tokenizers does not"
    return "other"


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(here)))
    sst2 = sys.argv[1] if len(sys.argv) > 1 else (
        os.environ.get("TXF_SST2_DIR") or os.path.join(os.path.dirname(root), "shared/datasets/sst2"))
    base = sys.argv[2] if len(sys.argv) > 2 else (
        os.environ.get("TXF_MINILM_DIR") or os.path.expanduser("~/.cache/txf/minilm"))
    tokenizer_json, vocab = os.path.join(base, "tokenizer.json"), os.path.join(base, "vocab.txt")
    corpora = [("SST-2 train + dev", sentences(os.path.join(sst2, "train.tsv")) + sentences(os.path.join(sst2, "dev.tsv")), (True,)),
               ("hf_fuzz.py 2024 2000", hf_fuzz.texts(2024, 2000), (True, False))]
    for name, texts, casings in corpora:
        for lowercase in casings:
            fast = hf_fast.load(tokenizer_json, lowercase=lowercase)
            slow = SlowBert(vocab, do_lower_case=lowercase)
            fast_ids = [e.ids for e in fast.encode_batch(texts)]
            differing = [t for t, f in zip(texts, fast_ids) if slow.encode(t) != f]
            label = "uncased" if lowercase else "cased"
            print(f"{name}, {label}: {len(differing)} of {len(texts)} rows differ")
            causes = collections.defaultdict(list)
            for text in differing:
                core = shortest(text, lambda s: slow.encode(s) != fast.encode(s).ids)
                causes[cause(core, lowercase)].append(core)
            for reason, cores in sorted(causes.items(), key=lambda kv: -len(kv[1])):
                example = cores[0]
                print(f"  {len(cores):4d}  {reason}; e.g. {ascii(example)}: Python {slow.encode(example)}, "
                      f"tokenizers {fast.encode(example).ids}")


if __name__ == "__main__":
    main()
