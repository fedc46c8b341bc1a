"""Builds a .keras file the way Keras 3 lays one out (config.json, metadata.json, model.weights.h5 written
with h5py's defaults) from weights drawn with NumPy, and a NumPy forward pass of those weights on drawn
inputs. Usage: make_keras_file.py OUT.keras OUT.npz (the npz holds x and y)."""
import io
import json
import math
import sys
import zipfile

import h5py
import numpy as np

rng = np.random.default_rng(20240611)
n_in = 7


def dense(name, units, activation, use_bias=True, input_shape=None):
    return {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
            "config": {"name": name, "trainable": True,
                       "dtype": {"module": "keras", "class_name": "DTypePolicy",
                                 "config": {"name": "float32"}, "registered_name": None},
                       "units": units, "activation": activation, "use_bias": use_bias,
                       "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                                              "config": {"seed": None}, "registered_name": None},
                       "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros",
                                            "config": {}, "registered_name": None},
                       "kernel_regularizer": None, "bias_regularizer": None,
                       "kernel_constraint": None, "bias_constraint": None}}


layers = [
    {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
     "config": {"batch_shape": [None, n_in], "dtype": "float32", "sparse": False, "name": "input_layer"}},
    dense("dense", 16, "gelu"),
    {"module": "keras.layers", "class_name": "LayerNormalization", "registered_name": None,
     "config": {"name": "layer_normalization", "trainable": True, "dtype": "float32", "axis": -1,
                "epsilon": 0.001, "center": True, "scale": True}},
    {"module": "keras.layers", "class_name": "Dropout", "registered_name": None,
     "config": {"name": "dropout", "trainable": True, "dtype": "float32", "rate": 0.2, "seed": None,
                "noise_shape": None}},
    dense("dense_1", 12, "tanh", use_bias=False),
    {"module": "keras.layers", "class_name": "Activation", "registered_name": None,
     "config": {"name": "activation", "trainable": True, "dtype": "float32", "activation": "silu"}},
    dense("dense_2", 5, "softmax"),
]
config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
          "config": {"name": "sequential", "trainable": True, "dtype": "float32", "layers": layers},
          "build_config": {"input_shape": [None, n_in]}}

w = {
    "dense": [rng.normal(0, 0.6, (n_in, 16)), rng.normal(0, 0.3, (16,))],
    "layer_normalization": [rng.normal(1, 0.3, (16,)), rng.normal(0, 0.3, (16,))],
    "dense_1": [rng.normal(0, 0.4, (16, 12))],
    "dense_2": [rng.normal(0, 0.5, (12, 5)), rng.normal(0, 0.2, (5,))],
}
w = {k: [a.astype(np.float32) for a in v] for k, v in w.items()}

buffer = io.BytesIO()
with h5py.File(buffer, "w") as f:
    f.create_group("vars")
    for name in ["dense", "layer_normalization", "dropout", "dense_1", "activation", "dense_2"]:
        group = f.create_group("layers/%s" % name).create_group("vars")
        for i, array in enumerate(w.get(name, [])):
            group[str(i)] = array

with zipfile.ZipFile(sys.argv[1], "w") as zf:
    zf.writestr("metadata.json", json.dumps({"keras_version": "3.3.3", "date_saved": "2024-06-11@12:00:00"}))
    zf.writestr("config.json", json.dumps(config))
    zf.writestr("model.weights.h5", buffer.getvalue())

# The forward pass, in float64 from the float32 weights.
erf = np.vectorize(math.erf)
x = rng.normal(0, 1.5, (9, n_in)).astype(np.float32)
h = x.astype(np.float64) @ w["dense"][0] + w["dense"][1]
h = 0.5 * h * (1 + erf(h / math.sqrt(2)))
mean = h.mean(axis=1, keepdims=True)
var = ((h - mean) ** 2).mean(axis=1, keepdims=True)
h = (h - mean) / np.sqrt(var + 0.001) * w["layer_normalization"][0] + w["layer_normalization"][1]
h = np.tanh(h @ w["dense_1"][0])
h = h / (1 + np.exp(-h))
z = h @ w["dense_2"][0] + w["dense_2"][1]
e = np.exp(z - z.max(axis=1, keepdims=True))
y = e / e.sum(axis=1, keepdims=True)
np.savez(sys.argv[2], x=x, y=y.astype(np.float32))
print("OK built %s" % sys.argv[1])
