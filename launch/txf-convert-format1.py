#!/usr/bin/env python3
"""Converts a txf file of format 1 (dataset schema 1, model/checkpoint schema 1) to format 2.

Usage: txf-convert-format1.py FILE [OUTPUT]   (OUTPUT defaults to FILE, replaced atomically)

Format 1 stored strings variable-length, which libhdf5 crashes on in damaged files, so txf
no longer reads it. This rewrites every string attribute fixed-length (NUL-padded UTF-8),
a model's or checkpoint's /vocab as vocab.txt bytes (uint8, each token followed by "\\n"),
adds a dataset's max_token_id and data_sha256 and a model file's provenance_keys (docs/ARCHITECTURE.md, "File formats against
hostile input"), and sets the schema version to 2. Run it only on files you trust: reading
format 1 means reading its variable-length strings with libhdf5.
"""
import hashlib
import os
import sys

import h5py
import numpy as np


def fixed(value):
    """A str or list of str as a NUL-padded fixed-length UTF-8 array (h5py writes it as such)."""
    items = [value] if isinstance(value, str) else list(value)
    encoded = [s.encode() for s in items]
    width = max([1] + [len(b) for b in encoded])
    dtype = h5py.string_dtype("utf-8", width)
    array = np.array(encoded, dtype=f"S{width}").astype(dtype) if encoded else np.zeros(0, dtype=dtype)
    return array[0] if isinstance(value, str) else array


def as_str(value):
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray) and value.dtype.kind in "OSU":
        return [v.decode() if isinstance(v, bytes) else str(v) for v in value]
    return value


def convert(source, target):
    temporary = target + ".tmp-convert"
    with h5py.File(source, "r") as old, h5py.File(temporary, "w") as new:
        for name in old:
            if name == "vocab" and old[name].dtype.kind in "OS":
                tokens = [t.decode() if isinstance(t, bytes) else t for t in old[name][()]]
                new["vocab"] = np.frombuffer("".join(t + "\n" for t in tokens).encode(), dtype=np.uint8)
            else:
                old.copy(old[name], new, name=name)
        for key, value in old.attrs.items():
            value = as_str(value)
            new.attrs[key] = fixed(value) if isinstance(value, (str, list)) else value
        kind = as_str(old.attrs["txf_kind"])
        if kind == "tokenized-dataset":
            new.attrs["schema_version"] = np.int64(2)
            tokens = new["tokens"][()].astype("<i4")
            digests = [hashlib.sha256(tokens.tobytes()).digest(),
                       hashlib.sha256(new["offsets"][()].astype("<i8").tobytes()).digest(),
                       hashlib.sha256(new["labels"][()].astype("<i4").tobytes()).digest()]
            new.attrs["max_token_id"] = np.int64(tokens.max() if tokens.size else -1)
            new.attrs["data_sha256"] = fixed(hashlib.sha256(b"".join(digests)).hexdigest())
        else:
            new.attrs["txf_schema_version"] = np.int64(2)
            if kind == "model":
                reserved = {"txf_kind", "txf_schema_version", "model_config", "label_names", "checksum"}
                keys = sorted(k for k, v in old.attrs.items()
                              if k not in reserved and not k.startswith("tokenizer_") and isinstance(as_str(v), str))
                new.attrs["provenance_keys"] = fixed(keys)
    os.replace(temporary, target)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    convert(sys.argv[1], sys.argv[-1])
    print(f"converted {sys.argv[1]} to txf format 2: {sys.argv[-1]}")
