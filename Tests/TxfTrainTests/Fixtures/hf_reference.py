#!/usr/bin/env python3
"""Checks a directory written by `txf export-hf` from outside txf; prints one JSON line.

  hf_reference.py numpy DIR ROWS.json
      Reads model.safetensors with the `safetensors` package and config.json, and runs the
      float64 NumPy transcription of Hugging Face's BertForSequenceClassification in
      Tests/TxfModelTests/Fixtures/make_reference.py (eval mode) on ROWS (a JSON list of token-id
      lists, [CLS] ... [SEP]; padded here with pad_token_id). Prints {"tensors": {name: [dtype,
      shape]}, "metadata": ..., "config": ..., "tokenizer_config": ..., "special_tokens_map": ...,
      "logits": [[...]]}.

  hf_reference.py numpy-pairs DIR PAIRS.json
      Tokenizes PAIRS (a JSON list of [a, b]) with transformers' AutoTokenizer loaded from DIR
      (`tokenizer(a, b, truncation=True)`: [CLS] a [SEP] b [SEP], token types, longest side cut
      first to model_max_length; needs no torch) and runs the NumPy BERT above on those ids and
      token types. Prints {"input_ids": [[...]], "token_type_ids": [[...]], "logits": [[...]]}.

  hf_reference.py torch DIR TEXTS.json
      Loads DIR with transformers' AutoModelForSequenceClassification and AutoTokenizer and
      prints {"missing": [...], "unexpected": [...], "mismatched": [...], "tokenizer": class name,
      "input_ids": [[...]] (unpadded), "logits": [[...]]} for the texts (float32, eval mode).

Needs numpy + safetensors (numpy mode; transformers too for numpy-pairs) or torch + transformers (torch mode); exits 3 when they
are missing so the caller can skip.
"""
import json
import os
import sys


def numpy_mode(directory, rows_path):
    with open(rows_path) as f:
        rows = json.load(f)
    _, tensors, metadata, config, logits = numpy_logits(directory, rows, [[0] * len(r) for r in rows])

    def read(name):
        with open(os.path.join(directory, name)) as f:
            return json.load(f)

    print(json.dumps({
        "tensors": {k: [str(v.dtype), list(v.shape)] for k, v in tensors.items()},
        "metadata": metadata, "config": config,
        "tokenizer_config": read("tokenizer_config.json"),
        "special_tokens_map": read("special_tokens_map.json"),
        "logits": logits.tolist(),
    }))


def numpy_pairs_mode(directory, pairs_path):
    try:
        from transformers import AutoTokenizer
    except ImportError:
        sys.exit(3)
    with open(pairs_path) as f:
        pairs = json.load(f)
    tokenizer = AutoTokenizer.from_pretrained(directory)
    encoded = [tokenizer(a, b, truncation=True) for a, b in pairs]
    ids = [e["input_ids"] for e in encoded]
    types = [e["token_type_ids"] for e in encoded]
    logits = numpy_logits(directory, ids, types)[-1]
    print(json.dumps({"input_ids": ids, "token_type_ids": types, "logits": logits.tolist()}))


def numpy_logits(directory, rows, type_rows):
    """The float64 NumPy BERT's eval-mode logits for token-id rows and their token types
    (padded here with pad_token_id and type 0); also returns what it read."""
    try:
        import numpy as np
        from safetensors.numpy import load_file
        from safetensors import safe_open
    except ImportError:
        sys.exit(3)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "..", "TxfModelTests", "Fixtures"))
    import make_reference

    weights_path = os.path.join(directory, "model.safetensors")
    tensors = load_file(weights_path)
    with safe_open(weights_path, framework="np") as f:
        metadata = f.metadata()
    with open(os.path.join(directory, "config.json")) as f:
        config = json.load(f)
    params = {}
    for name, value in tensors.items():
        key = name[len("bert."):] if name.startswith("bert.") else name
        params[key] = value.astype(np.float64)
    pad = config.get("pad_token_id", 0)
    longest = max(len(r) for r in rows)
    tokens = np.array([r + [pad] * (longest - len(r)) for r in rows])
    types = np.array([t + [0] * (longest - len(t)) for t in type_rows])
    lengths = np.array([len(r) for r in rows])
    _, logits = make_reference.loss_and_logits(params, config, tokens, types, lengths, np.zeros(len(rows), dtype=int))
    return params, tensors, metadata, config, logits


def torch_mode(directory, texts_path):
    try:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
    except ImportError:
        sys.exit(3)
    model, info = AutoModelForSequenceClassification.from_pretrained(directory, output_loading_info=True)
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(directory)
    with open(texts_path) as f:
        texts = json.load(f)
    encoded = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = model(**encoded).logits
    ids = [tokenizer(t)["input_ids"] for t in texts]
    print(json.dumps({
        "missing": sorted(info["missing_keys"]), "unexpected": sorted(info["unexpected_keys"]),
        "mismatched": [str(m) for m in info["mismatched_keys"]],
        "tokenizer": type(tokenizer).__name__, "input_ids": ids, "logits": logits.tolist(),
        "id2label": {str(k): v for k, v in model.config.id2label.items()},
    }))


if __name__ == "__main__":
    mode, directory, inputs = sys.argv[1:4]
    {"numpy": numpy_mode, "numpy-pairs": numpy_pairs_mode, "torch": torch_mode}[mode](directory, inputs)
