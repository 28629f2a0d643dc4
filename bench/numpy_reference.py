"""What a user would write instead: the bench's reference figures in plain numpy (OpenBLAS).

Run by bench/numpy-reference.ts as `python numpy_reference.py BATCH_DIR QUICK`; prints one JSON
object. BATCH_DIR holds one real training batch of the bench (hashed ids in compressed-row form and
the grade matrix, written by the TypeScript side) and `shape.json`. Measured, same shapes as the
TypeScript bench: a square float32 matMul, the reference hash-mlp training step with InfoNCE, and
exact top-100 retrieval over 100k x 128.
"""
import json
import os
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info


def best_ms(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def matmul_peak(n, runs):
    rng = np.random.default_rng(1)
    a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    ms = min(best_ms(lambda: a @ b, runs, 2))
    return {"n": n, "gflops": 2 * n**3 / (ms * 1e6), "bestMs": ms}


class HashMlpStep:
    """The reference tower (2^18 x 64 table, mean pooling, MLP 64-256-128, unit output) trained
    with InfoNCE over a graded in-batch candidate matrix: dense AdamW, lazy Adam on touched rows."""

    def __init__(self, d, shape):
        rng = np.random.default_rng(3)
        self.buckets, self.emb, self.hidden, self.dim = shape["buckets"], shape["embDim"], shape["hidden"], shape["dim"]
        self.table = rng.uniform(-0.17, 0.17, (self.buckets, self.emb)).astype(np.float32)
        self.tm = np.zeros_like(self.table)
        self.tv = np.zeros_like(self.table)
        self.last = np.zeros(self.buckets, np.int64)
        he = lambda i, o: (rng.standard_normal((i, o)) * np.sqrt(2 / i)).astype(np.float32)
        self.dense = {"w1": he(self.emb, self.hidden), "b1": np.zeros(self.hidden, np.float32), "w2": he(self.hidden, self.dim), "b2": np.zeros(self.dim, np.float32)}
        self.m = {k: np.zeros_like(v) for k, v in self.dense.items()}
        self.v = {k: np.zeros_like(v) for k, v in self.dense.items()}
        self.log_tau = np.log(0.05)
        load = lambda name: np.fromfile(os.path.join(d, name), dtype=np.int32)
        self.sides = [(load("q_offsets.bin"), load("q_ids.bin")), (load("d_offsets.bin"), load("d_ids.bin"))]
        self.grades = load("grades.bin").reshape(shape["queries"], shape["candidates"])
        self.positive_grade = shape["positiveGrade"]
        self.step_no = 0
        self.phases = {"prepare": 0.0, "compute": 0.0, "update": 0.0}

    def pool(self, offsets, ids):
        counts = np.diff(offsets)
        sums = np.add.reduceat(self.table[ids], offsets[:-1], axis=0)
        return sums / counts[:, None].astype(np.float32)

    def forward(self, x):
        h_pre = x @ self.dense["w1"] + self.dense["b1"]
        h = np.maximum(h_pre, 0)
        y = h @ self.dense["w2"] + self.dense["b2"]
        norm = np.sqrt((y * y).sum(1, keepdims=True)) + 1e-12
        return (x, h_pre, h, y, norm), y / norm

    def backward(self, cache, d_out, grads):
        x, h_pre, h, y, norm = cache
        u = y / norm
        dy = (d_out - u * (d_out * u).sum(1, keepdims=True)) / norm
        grads["w2"] += h.T @ dy
        grads["b2"] += dy.sum(0)
        dh = (dy @ self.dense["w2"].T) * (h_pre > 0)
        grads["w1"] += x.T @ dh
        grads["b1"] += dh.sum(0)
        return dh @ self.dense["w1"].T

    def info_nce(self, scores):
        """Each positive against all negatives of its row; mean over positives with a negative."""
        tau = np.exp(self.log_tau)
        z = scores.astype(np.float64) / tau
        pos = self.grades >= self.positive_grade
        neg = (self.grades >= 0) & ~pos
        zmax = np.where(pos | neg, z, -np.inf).max(1, keepdims=True)
        e = np.exp(z - zmax)
        s_neg = (e * neg).sum(1, keepdims=True)
        denom = e + s_neg
        valid = pos & (s_neg > 0)
        count = max(int(valid.sum()), 1)
        loss = float((np.log(denom) - (z - zmax))[valid].sum() / count)
        p = np.where(valid, e / denom, 0.0)
        dz = (p - valid) / count
        # each positive's softmax also moves every negative of its row
        dz += neg * e * (np.where(valid, 1 / denom, 0.0).sum(1, keepdims=True)) / count
        d_log_tau = -float((dz * z).sum())
        return loss, (dz / tau).astype(np.float32), d_log_tau

    def step(self, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, wd=0.0):
        self.step_no += 1
        t = self.step_no
        t0 = time.perf_counter()
        leaves = [self.pool(o, i) for o, i in self.sides]
        t1 = time.perf_counter()
        (cq, q), (cd, d) = self.forward(leaves[0]), self.forward(leaves[1])
        scores = q @ d.T
        loss, ds, d_log_tau = self.info_nce(scores)
        grads = {k: np.zeros_like(v) for k, v in self.dense.items()}
        leaf_grads = [self.backward(cq, ds @ d, grads), self.backward(cd, ds.T @ q, grads)]
        t2 = time.perf_counter()
        for k, w in self.dense.items():
            self.m[k] = b1 * self.m[k] + (1 - b1) * grads[k]
            self.v[k] = b2 * self.v[k] + (1 - b2) * grads[k] ** 2
            w *= 1 - lr * wd
            w -= lr / (1 - b1**t) * self.m[k] / (np.sqrt(self.v[k] / (1 - b2**t)) + eps)
        self.log_tau -= lr * d_log_tau
        # the table: gradients of mean pooling summed per touched row, then lazy Adam on those rows
        ids = np.concatenate([i for _, i in self.sides])
        per_entry = np.concatenate([np.repeat(g / np.diff(o)[:, None], np.diff(o), axis=0) for (o, _), g in zip(self.sides, leaf_grads)])
        rows, inverse = np.unique(ids, return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        starts = np.searchsorted(inverse[order], np.arange(len(rows)))
        g = np.add.reduceat(per_entry[order], starts, axis=0)
        last = self.last[rows]
        d1 = np.where(last == 0, 0.0, b1 ** (t - last)).astype(np.float32)[:, None]
        d2 = np.where(last == 0, 0.0, b2 ** (t - last)).astype(np.float32)[:, None]
        m = d1 * self.tm[rows] + (1 - b1) * g
        v = d2 * self.tv[rows] + (1 - b2) * g * g
        self.tm[rows], self.tv[rows], self.last[rows] = m, v, t
        self.table[rows] -= lr / (1 - b1**t) * m / (np.sqrt(v / (1 - b2**t)) + eps)
        t3 = time.perf_counter()
        for name, a, b in (("prepare", t0, t1), ("compute", t1, t2), ("update", t2, t3)):
            self.phases[name] += (b - a) * 1000
        return loss


def retrieval(n, queries, dim, k, chunk=256):
    rng = np.random.default_rng(5)
    items = rng.standard_normal((n, dim)).astype(np.float32)
    items /= np.linalg.norm(items, axis=1, keepdims=True)
    q = rng.standard_normal((queries, dim)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)

    def search(qs):
        out = []
        for s in range(0, len(qs), chunk):
            scores = qs[s : s + chunk] @ items.T
            top = np.argpartition(-scores, k, axis=1)[:, :k]
            top_scores = np.take_along_axis(scores, top, 1)
            order = np.argsort(-top_scores, axis=1, kind="stable")
            out.append(np.take_along_axis(top, order, 1))
        return np.concatenate(out)

    search(q[:256])
    t0 = time.perf_counter()
    result = search(q)
    seconds = time.perf_counter() - t0
    assert result.shape == (queries, k)
    return {"queriesPerSecond": queries / seconds, "queries": queries, "seconds": seconds, "chunk": chunk}


def main():
    batch_dir, quick = sys.argv[1], sys.argv[2] == "1"
    shape = json.load(open(os.path.join(batch_dir, "shape.json")))
    out = {
        "numpy": np.__version__,
        "threadpools": [{k: p.get(k) for k in ("internal_api", "version", "num_threads", "architecture", "threading_layer")} for p in threadpool_info()],
        "matmul": matmul_peak(512 if quick else 1024, 3 if quick else 6),
    }
    model = HashMlpStep(batch_dir, shape)
    steps, warmup = (6, 2) if quick else (15, 3)
    for _ in range(warmup):
        model.step()
    model.phases = {k: 0.0 for k in model.phases}
    times = best_ms(model.step, steps, 0)
    phases = {k: v / steps for k, v in model.phases.items()}
    out["step"] = {"msPerStep": float(np.median(times)), "phases": phases, "finalLoss": model.step(), "steps": steps}
    out["retrieval"] = retrieval(100_000, 512 if quick else 2048, 128, 100)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
