"""The reference the differential tests hold txf to: Hugging Face's Rust `tokenizers` BERT
pipeline (BertNormalizer, BertPreTokenizer, WordPiece), as `Tokenizer.from_file(tokenizer.json)`
loads it and as `AutoTokenizer` / transformers 5's `BertTokenizer` run it.

Importing this module exits with status 3 when `tokenizers` is missing (the tests then skip).
"""
import sys

try:
    from tokenizers import Tokenizer, normalizers
except ImportError:
    sys.exit(3)


def load(tokenizer_json, lowercase=True):
    """The tokenizer of `tokenizer_json` without its padding and truncation (transformers turns
    them off unless asked); `lowercase=False` swaps in the normalizer transformers 5's
    `BertTokenizer(do_lower_case=False)` builds (no lowercasing, no accent stripping)."""
    tok = Tokenizer.from_file(tokenizer_json)
    tok.no_padding()
    tok.no_truncation()
    if not lowercase:
        tok.normalizer = normalizers.BertNormalizer(
            clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=False)
    return tok


def read_lines(path):
    """The lines of a UTF-8 file split at \\n only (as `txf tokenize` reads them)."""
    with open(path, encoding="utf-8", newline="\n") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines
