#!/usr/bin/env python3
"""Writes reference.json: a tiny BERT classifier's forward and gradients computed outside txf.

An independent float64 NumPy transcription of Hugging Face's BertForSequenceClassification
(modeling_bert.py, eval mode: no dropout): embeddings + LayerNorm, post-LN blocks with an
additive padding mask of finfo.min on padded keys, exact erf GELU, tanh pooler on [CLS],
classifier, summed softmax cross-entropy. Gradients are central differences in float64
(step 1e-6: error ~1e-9), so they share no code or derivation with txf's backward.
Weights are rounded to float32 first so txf sees exactly the same values.

Run: python3 make_reference.py  (needs numpy; ~10 s)
"""
import json
import math
import os

import numpy as np

CONFIG = {
    "vocab_size": 20, "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
    "intermediate_size": 32, "max_position_embeddings": 8, "type_vocab_size": 2,
    "layer_norm_eps": 1e-12, "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
    "initializer_range": 0.02, "num_labels": 3, "pad_token_id": 0, "hidden_act": "gelu",
    "model_type": "bert",
}
ROWS = [[1, 7, 12, 5, 2], [1, 2], [1, 19, 3, 2], [1, 4, 4, 9, 16, 2]]
TYPES = [[0, 0, 0, 1, 1], [0, 0], [0, 1, 1, 1], [0, 0, 0, 0, 1, 1]]
LABELS = [0, 2, 1, 1]


def shapes(c):
    d, f, out = c["hidden_size"], c["intermediate_size"], []
    out += [("embeddings.word_embeddings.weight", (c["vocab_size"], d)),
            ("embeddings.position_embeddings.weight", (c["max_position_embeddings"], d)),
            ("embeddings.token_type_embeddings.weight", (c["type_vocab_size"], d)),
            ("embeddings.LayerNorm.weight", (d,)), ("embeddings.LayerNorm.bias", (d,))]
    for l in range(c["num_hidden_layers"]):
        p = f"encoder.layer.{l}."
        for proj in ("query", "key", "value"):
            out += [(p + f"attention.self.{proj}.weight", (d, d)), (p + f"attention.self.{proj}.bias", (d,))]
        out += [(p + "attention.output.dense.weight", (d, d)), (p + "attention.output.dense.bias", (d,)),
                (p + "attention.output.LayerNorm.weight", (d,)), (p + "attention.output.LayerNorm.bias", (d,)),
                (p + "intermediate.dense.weight", (f, d)), (p + "intermediate.dense.bias", (f,)),
                (p + "output.dense.weight", (d, f)), (p + "output.dense.bias", (d,)),
                (p + "output.LayerNorm.weight", (d,)), (p + "output.LayerNorm.bias", (d,))]
    out += [("pooler.dense.weight", (d, d)), ("pooler.dense.bias", (d,)),
            ("classifier.weight", (c["num_labels"], d)), ("classifier.bias", (c["num_labels"],))]
    return out


erf = np.vectorize(math.erf)


def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def linear(x, P, name):
    return x @ P[name + ".weight"].T + P[name + ".bias"]


def loss_and_logits(P, c, tokens, types, lengths, labels):
    B, S = tokens.shape
    d, H = c["hidden_size"], c["num_attention_heads"]
    dh, eps = d // H, c["layer_norm_eps"]
    h = (P["embeddings.word_embeddings.weight"][tokens] + P["embeddings.position_embeddings.weight"][np.arange(S)][None]
         + P["embeddings.token_type_embeddings.weight"][types])
    h = layer_norm(h, P["embeddings.LayerNorm.weight"], P["embeddings.LayerNorm.bias"], eps)
    mask = (np.arange(S)[None, :] < lengths[:, None]).astype(np.float64)
    extended = ((1.0 - mask) * np.finfo(np.float64).min)[:, None, None, :]
    for l in range(c["num_hidden_layers"]):
        p = f"encoder.layer.{l}."
        def heads(x):
            return x.reshape(B, S, H, dh).transpose(0, 2, 1, 3)
        q, k, v = (heads(linear(h, P, p + f"attention.self.{n}")) for n in ("query", "key", "value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(dh) + extended
        scores = scores - scores.max(-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(-1, keepdims=True)
        ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(B, S, d)
        a = linear(ctx, P, p + "attention.output.dense")
        h1 = layer_norm(a + h, P[p + "attention.output.LayerNorm.weight"], P[p + "attention.output.LayerNorm.bias"], eps)
        u = linear(h1, P, p + "intermediate.dense")
        g = 0.5 * u * (1.0 + erf(u / math.sqrt(2.0)))
        o = linear(g, P, p + "output.dense")
        h = layer_norm(o + h1, P[p + "output.LayerNorm.weight"], P[p + "output.LayerNorm.bias"], eps)
    pooled = np.tanh(linear(h[:, 0], P, "pooler.dense"))
    z = linear(pooled, P, "classifier")
    m = z.max(-1, keepdims=True)
    lse = (m + np.log(np.exp(z - m).sum(-1, keepdims=True)))[:, 0]
    return float((lse - z[np.arange(B), labels]).sum()), z


def main():
    rng = np.random.default_rng(20261122)
    P = {}
    for name, shape in shapes(CONFIG):
        if name.endswith(".bias"):
            x = 0.2 * rng.standard_normal(shape)
        elif "LayerNorm" in name:
            x = 1.0 + 0.2 * rng.standard_normal(shape)
        else:
            x = 0.5 * rng.standard_normal(shape)
        P[name] = x.astype(np.float32).astype(np.float64)
    S = max(len(r) for r in ROWS)
    tokens = np.array([r + [0] * (S - len(r)) for r in ROWS])
    types = np.array([t + [0] * (S - len(t)) for t in TYPES])
    lengths = np.array([len(r) for r in ROWS])
    labels = np.array(LABELS)
    loss, logits = loss_and_logits(P, CONFIG, tokens, types, lengths, labels)
    grads, step = {}, 1e-6
    for name, _ in shapes(CONFIG):
        g = np.zeros(P[name].size)
        flat = P[name].reshape(-1)
        for i in range(flat.size):
            orig = flat[i]
            flat[i] = orig + step
            up, _ = loss_and_logits(P, CONFIG, tokens, types, lengths, labels)
            flat[i] = orig - step
            down, _ = loss_and_logits(P, CONFIG, tokens, types, lengths, labels)
            flat[i] = orig
            g[i] = (up - down) / (2 * step)
        grads[name] = g.tolist()
    out = {
        "about": "written by make_reference.py: float64 NumPy BERT classifier (HF modeling_bert), eval mode",
        "config": CONFIG, "tokens": tokens.tolist(), "token_type_ids": types.tolist(),
        "lengths": lengths.tolist(), "labels": labels.tolist(),
        "params": {k: v.reshape(-1).tolist() for k, v in P.items()},
        "logits": logits.tolist(), "loss_sum": loss, "grads": grads,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {path}: loss_sum {loss:.6f}")


if __name__ == "__main__":
    main()
