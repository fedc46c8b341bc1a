"""Keras' semantics of a sequence convnet computed by PyTorch in float64, independently of sparkdp: STEPS
full-batch SGD steps of sparse categorical crossentropy (the batch's mean) from the given weights.
Conv1D 3 tanh (same, dilation 2) -> MaxPooling1D 3 (strides 2, same) -> Conv1D 2 relu (causal) ->
AveragePooling1D 2 (strides 1, same) -> GlobalAveragePooling1D -> Dense softmax, on sequences [T, C].
Usage: torch_sequence_convnet.py IN.npz OUT.npz STEPS LEARNING_RATE T C
(IN holds x [N, T * C] as flat rows t * C + c, y [N] class ids, and the weights by Keras' names)."""
import sys

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print("PyTorch is missing for /usr/bin/python3: install python3-torch (apt-get install python3-torch)")
    sys.exit(2)
import numpy as np

data = np.load(sys.argv[1])
steps, lr, t, c = int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
x = torch.tensor(data["x"], dtype=torch.float64).reshape(-1, t, c)
y = torch.tensor(data["y"].astype(np.int64))
names = ["conv1d/kernel", "conv1d/bias", "conv1d_1/kernel", "conv1d_1/bias", "dense/kernel", "dense/bias"]
w = {n: torch.tensor(data[n], dtype=torch.float64, requires_grad=True) for n in names}


def same(n, k, s, d):
    """TensorFlow's 'same' along an axis of n: ceil(n / s) outputs, the smaller half of the padding before."""
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def conv1d(h, kernel, bias, pad, dilation):
    """h [N, T, C], Keras' kernel [k, C, F]: zero padding (before, after), then a valid convolution."""
    h = F.pad(h.transpose(1, 2), pad)
    return F.conv1d(h, kernel.permute(2, 1, 0), bias, dilation=dilation).transpose(1, 2)


def pool(h, k, s, reduce):
    """'same' pooling over the steps; a window takes only the values it covers (never the padding)."""
    n = h.shape[1]
    before, _ = same(n, k, s, 1)
    return torch.stack([reduce(h[:, max(o * s - before, 0):min(o * s - before + k, n)])
                        for o in range(-(-n // s))], dim=1)


def logits():
    h = torch.tanh(conv1d(x, w["conv1d/kernel"], w["conv1d/bias"], same(t, 3, 1, 2), 2))
    h = pool(h, 3, 2, lambda v: v.max(dim=1).values)
    h = torch.relu(conv1d(h, w["conv1d_1/kernel"], w["conv1d_1/bias"], (1, 0), 1))  # causal: (2 - 1) * 1
    h = pool(h, 2, 1, lambda v: v.mean(dim=1))
    return h.mean(dim=1) @ w["dense/kernel"] + w["dense/bias"]


for _ in range(steps):
    loss = F.cross_entropy(logits(), y)
    grads = torch.autograd.grad(loss, list(w.values()))
    with torch.no_grad():
        for p, g in zip(w.values(), grads):
            p -= lr * g
np.savez(sys.argv[2], **{n: w[n].detach().numpy().astype(np.float32) for n in names})
print("OK %d steps, last loss %.6f" % (steps, loss.item()))
