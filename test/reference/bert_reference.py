"""Independent reference forward pass of a BERT sentence encoder, for the hf-bert tests.

Reads the model directory's safetensors with numpy (its own parser), tokenises with Hugging Face's
Rust `tokenizers` package from tokenizer.json, and computes the sentence-transformers embedding
(BERT in float64, pooling from 1_Pooling/config.json, L2 normalisation). Nothing is shared with
the TypeScript implementation. stdin: {"model": dir, "maxLen": n, "texts": [...]}; stdout:
{"ids": [[...]], "embeddings": [[...]]}.
"""
import json
import math
import os
import struct
import sys

import numpy as np
from tokenizers import Tokenizer


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__" or e["dtype"] != "F32":
            continue
        a, b = e["data_offsets"]
        key = name[5:] if name.startswith("bert.") else name
        out[key] = np.frombuffer(data[a:b], dtype="<f4").reshape(e["shape"]).astype(np.float64)
    return out


def layer_norm(x, g, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def embed(w, cfg, ids, pooling):
    h = cfg["hidden_size"]
    heads = cfg["num_attention_heads"]
    eps = cfg.get("layer_norm_eps", 1e-12)
    d = h // heads
    n = len(ids)
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n] + w["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    lin = lambda v, p: v @ w[p + ".weight"].T + w[p + ".bias"]
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}"
        q = lin(x, p + ".attention.self.query").reshape(n, heads, d).transpose(1, 0, 2)
        k = lin(x, p + ".attention.self.key").reshape(n, heads, d).transpose(1, 0, 2)
        v = lin(x, p + ".attention.self.value").reshape(n, heads, d).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        s = np.exp(s - s.max(-1, keepdims=True))
        s = s / s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(1, 0, 2).reshape(n, h)
        x = layer_norm(lin(ctx, p + ".attention.output.dense") + x, w[p + ".attention.output.LayerNorm.weight"], w[p + ".attention.output.LayerNorm.bias"], eps)
        f = lin(gelu(lin(x, p + ".intermediate.dense")), p + ".output.dense")
        x = layer_norm(f + x, w[p + ".output.LayerNorm.weight"], w[p + ".output.LayerNorm.bias"], eps)
    if pooling == "cls":
        e = x[0]
    elif pooling == "max":
        e = x.max(0)
    else:
        e = x.mean(0)
    return e / max(np.linalg.norm(e), 1e-12)


def main():
    req = json.load(sys.stdin)
    model = req["model"]
    cfg = json.load(open(os.path.join(model, "config.json")))
    pool_cfg_path = os.path.join(model, "1_Pooling", "config.json")
    pooling = "mean"
    if os.path.exists(pool_cfg_path):
        pc = json.load(open(pool_cfg_path))
        pooling = "cls" if pc.get("pooling_mode_cls_token") else "max" if pc.get("pooling_mode_max_tokens") else "mean"
    w = read_safetensors(os.path.join(model, "model.safetensors"))
    tok = Tokenizer.from_file(os.path.join(model, "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_length=req["maxLen"])
    out_ids, out_emb = [], []
    for text in req["texts"]:
        ids = tok.encode(text).ids
        out_ids.append(ids)
        out_emb.append(embed(w, cfg, np.array(ids), pooling).tolist())
    json.dump({"ids": out_ids, "embeddings": out_emb}, sys.stdout)


main()
