"""Gradients of Hugging Face's BertForSequenceClassification on the rows of a `txf gradients` file.

Usage: hf_gradients.py EXPORT_DIR GRADS_H5

Loads EXPORT_DIR (written by `txf export-hf`) with transformers in float64, eval mode (dropout
off), feeds /input_ids with attention_mask from /lengths, takes the mean cross-entropy against
/labels, backpropagates, and prints one JSON line: {"loss": float, "logits": [[...]],
"tensors": {name: {"max_abs_diff": float, "max_abs": float}}, "missing": [names in the model
with no gradient in the file], "extra": [names in the file the model lacks]}.
Exits 3 when torch, transformers or h5py is missing.
"""
import json
import sys

try:
    import h5py
    import torch
    from transformers import AutoModelForSequenceClassification
except ImportError:
    sys.exit(3)


def main(directory, grads_path):
    f = h5py.File(grads_path, "r")
    ids = torch.tensor(f["input_ids"][()], dtype=torch.long)
    lengths = f["lengths"][()]
    labels = torch.tensor(f["labels"][()], dtype=torch.long)
    mask = torch.zeros_like(ids)
    for b, n in enumerate(lengths):
        mask[b, :n] = 1
    model = AutoModelForSequenceClassification.from_pretrained(directory).double()
    model.eval()
    out = model(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids), labels=labels)
    out.loss.backward()
    theirs = {name: p.grad for name, p in model.named_parameters() if p.grad is not None}
    ours = f["gradients"]
    tensors = {}
    for name in ours:
        if name not in theirs:
            continue
        a = torch.tensor(ours[name][()], dtype=torch.float64)
        b = theirs[name]
        tensors[name] = {"max_abs_diff": float((a - b).abs().max()), "max_abs": float(b.abs().max())}
    print(json.dumps({
        "loss": float(out.loss),
        "logits": out.logits.tolist(),
        "tensors": tensors,
        "missing": sorted(n for n in theirs if n not in ours),
        "extra": sorted(n for n in ours if n not in theirs),
    }))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
