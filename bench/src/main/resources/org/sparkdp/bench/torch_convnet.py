"""The Keras "simple MNIST convnet" on Fashion-MNIST in PyTorch, on one CPU thread: epoch times and test accuracy.

Conv2D 32 3x3 relu, MaxPooling2D 2, Conv2D 64 3x3 relu, MaxPooling2D 2, Flatten, Dropout 0.5, Dense 10 softmax
(the softmax inside the cross-entropy); Glorot-uniform kernels, zero biases, Adam with Keras' epsilon 1e-7.

usage: /usr/bin/python3 torch_convnet.py DATA_DIR BATCH EPOCHS   (prints one JSON object)
"""
import gzip
import json
import sys
import time

import numpy as np
import torch


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def images(path):
    return torch.tensor(idx(path).reshape(-1, 1, 28, 28), dtype=torch.float32) / 255


def main():
    directory, batch, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(1)
    torch.manual_seed(42)
    x = images(f"{directory}/train-images-idx3-ubyte.gz")
    y = torch.tensor(idx(f"{directory}/train-labels-idx1-ubyte.gz"), dtype=torch.long)
    tx = images(f"{directory}/t10k-images-idx3-ubyte.gz")
    ty = torch.tensor(idx(f"{directory}/t10k-labels-idx1-ubyte.gz"), dtype=torch.long)
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10))
    for m in model:
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    seconds = []
    for _ in range(epochs):
        model.train()
        start = time.perf_counter()
        order = torch.randperm(x.shape[0])
        for s in range(0, x.shape[0], batch):
            idx_b = order[s:s + batch]
            optimizer.zero_grad()
            loss = loss_fn(model(x[idx_b]), y[idx_b])
            loss.backward()
            optimizer.step()
        seconds.append(time.perf_counter() - start)
    model.eval()
    with torch.no_grad():
        accuracy = (model(tx).argmax(1) == ty).float().mean().item()
    print(json.dumps({"torch_version": torch.__version__, "epoch_seconds": seconds, "test_accuracy": accuracy}))


if __name__ == "__main__":
    main()
