"""Keras 3's full-batch SGD on Embedding -> Flatten -> Dense(tanh) -> Dense(softmax) with sparse categorical
crossentropy, written in PyTorch in float64: the independent computation that EmbeddingTorchIT compares
sparkdp's training with. Keras' layouts: embeddings [ids, dim], a dense kernel [in, out] (x @ W + b), and
Flatten in channels_last order (value t * dim + d); the loss is the batch's mean, SGD w <- w - lr * dL/dw.

usage: /usr/bin/python3 embedding_sgd.py INIT.npz DATA.csv STEPS LEARNING_RATE OUT.json
"""
import json
import sys

import numpy as np
import torch

init, data, steps, lr, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
weights = np.load(init)
rows = np.loadtxt(data, delimiter=",", skiprows=1)
ids = torch.tensor(rows[:, :-1], dtype=torch.long)
labels = torch.tensor(rows[:, -1], dtype=torch.long)
p = {k: torch.tensor(weights[k], dtype=torch.float64, requires_grad=True) for k in weights.files}
for _ in range(steps):
    x = p["embedding/embeddings"][ids].reshape(len(ids), -1)
    h = torch.tanh(x @ p["dense/kernel"] + p["dense/bias"])
    z = h @ p["dense_1/kernel"] + p["dense_1/bias"]
    loss = torch.nn.functional.cross_entropy(z, labels)
    for v in p.values():
        v.grad = None
    loss.backward()
    with torch.no_grad():
        for v in p.values():
            v -= lr * v.grad
with open(out, "w") as f:
    json.dump({k: v.detach().numpy().ravel().tolist() for k, v in p.items()}, f)
