"""Builds a .keras file of a sequence model the way Keras 3 lays one out (config.json with Keras' one-element
tuples, model.weights.h5 written with h5py's defaults) and a NumPy forward pass of its weights on drawn inputs:
Conv1D (causal, dilation 2) -> MaxPooling1D (same) -> AveragePooling1D (same) -> GlobalAveragePooling1D -> Dense.
Usage: make_keras_sequence_file.py OUT.keras OUT.npz (the npz holds x as flat rows t * F + f, and y)."""
import io
import json
import sys
import zipfile

import h5py
import numpy as np

rng = np.random.default_rng(20261207)
steps, features, filters = 10, 4, 6


def layer(class_name, name, **config):
    return {"module": "keras.layers", "class_name": class_name, "registered_name": None,
            "config": dict(name=name, trainable=True,
                           dtype={"module": "keras", "class_name": "DTypePolicy",
                                  "config": {"name": "float32"}, "registered_name": None}, **config)}


def initializer(class_name):
    return {"module": "keras.initializers", "class_name": class_name,
            "config": {"seed": None} if class_name != "Zeros" else {}, "registered_name": None}


def pooling(class_name, name, pool, stride, padding):
    return layer(class_name, name, pool_size=[pool], padding=padding, strides=[stride],
                 data_format="channels_last")


layers = [
    {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
     "config": {"batch_shape": [None, steps, features], "dtype": "float32", "sparse": False,
                "name": "input_layer"}},
    layer("Conv1D", "conv1d", filters=filters, kernel_size=[3], strides=[1], padding="causal",
          data_format="channels_last", dilation_rate=[2], groups=1, activation="relu", use_bias=True,
          kernel_initializer=initializer("GlorotUniform"), bias_initializer=initializer("Zeros"),
          kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
          bias_constraint=None),
    pooling("MaxPooling1D", "max_pooling1d", 3, 2, "same"),
    pooling("AveragePooling1D", "average_pooling1d", 2, 1, "same"),
    layer("GlobalAveragePooling1D", "global_average_pooling1d", data_format="channels_last", keepdims=False),
    layer("Dense", "dense", units=3, activation="softmax", use_bias=True,
          kernel_initializer=initializer("GlorotUniform"), bias_initializer=initializer("Zeros"),
          kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None, bias_constraint=None),
]
config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
          "config": {"name": "sequential", "trainable": True, "dtype": "float32", "layers": layers},
          "build_config": {"input_shape": [None, steps, features]}}

w = {
    "conv1d": [rng.normal(0, 0.5, (3, features, filters)), rng.normal(0, 0.2, (filters,))],
    "dense": [rng.normal(0, 0.6, (filters, 3)), rng.normal(0, 0.2, (3,))],
}
w = {k: [a.astype(np.float32) for a in v] for k, v in w.items()}

buffer = io.BytesIO()
with h5py.File(buffer, "w") as f:
    f.create_group("vars")
    for l in layers[1:]:
        name = l["config"]["name"]
        group = f.create_group("layers/%s" % name).create_group("vars")
        for i, array in enumerate(w.get(name, [])):
            group[str(i)] = array

with zipfile.ZipFile(sys.argv[1], "w") as zf:
    zf.writestr("metadata.json", json.dumps({"keras_version": "3.3.3", "date_saved": "2026-12-07@03:00:00"}))
    zf.writestr("config.json", json.dumps(config))
    zf.writestr("model.weights.h5", buffer.getvalue())


def pool(h, size, stride, reduce):
    """'same' pooling over axis 1: out = ceil(T / s), the smaller half of the padding before; the padding
    is never a value (a maximum ignores it, a mean divides by the values it covers)."""
    t = h.shape[1]
    out = -(-t // stride)
    before = max((out - 1) * stride + size - t, 0) // 2
    return np.stack([reduce(h[:, max(o * stride - before, 0):min(o * stride - before + size, t)], axis=1)
                     for o in range(out)], axis=1)


# The forward pass, in float64 from the float32 weights.
x = rng.normal(0, 1.5, (9, steps, features)).astype(np.float32)
kernel, bias = (a.astype(np.float64) for a in w["conv1d"])
padded = np.concatenate([np.zeros((9, 4, features)), x.astype(np.float64)], axis=1)  # causal: (3 - 1) * 2
h = np.stack([sum(padded[:, t + 2 * i] @ kernel[i] for i in range(3)) for t in range(steps)], axis=1) + bias
h = np.maximum(h, 0)
h = pool(h, 3, 2, np.max)
h = pool(h, 2, 1, np.mean)
h = h.mean(axis=1)
z = h @ w["dense"][0] + w["dense"][1]
e = np.exp(z - z.max(axis=1, keepdims=True))
y = e / e.sum(axis=1, keepdims=True)
np.savez(sys.argv[2], x=x.reshape(9, steps * features), y=y.astype(np.float32))
print("OK built %s" % sys.argv[1])
