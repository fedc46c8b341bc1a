#!/usr/bin/python3
"""Checks keras_reference.py's layers, losses and optimizers against plain NumPy loops written
from Keras' formulas, one small random example at a time, in float64: the mapping of Keras'
layouts to PyTorch's (kernels, gate orders, channels_last), TensorFlow's `same` padding, pooling
that never takes or counts padding, batch normalization's moving statistics with the biased
variance, and Keras' Adam. Then the whole reference's gradients against central differences of its loss, for models of
every kind of layer. Prints one line per check and exits 1 if any differs by more than 1e-10
(1e-7 for the central differences).

    /usr/bin/python3 keras_reference_selfcheck.py
"""

import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_reference as kr  # noqa: E402  (prints "install python3-torch" and exits without it)
import torch  # noqa: E402

TOLERANCE = 1e-10
rng = np.random.default_rng(2026)
failures = []


def check(what, got, expected):
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        failures.append(what)
        print("FAIL %-60s shape %s, expected %s" % (what, got.shape, expected.shape))
        return
    diff = float(np.max(np.abs(got - expected))) if got.size else 0.0
    ok = diff <= TOLERANCE * max(1.0, float(np.max(np.abs(expected))) if expected.size else 1.0)
    if not ok:
        failures.append(what)
    print("%s %-60s max |diff| %.2e" % ("ok  " if ok else "FAIL", what, diff))


def layer_forward(cfg, in_shape, x, training=True, weights=None):
    """The reference's forward of one layer {type: ..., ...} on x (NumPy), and its weights."""
    model = kr.Model([dict(cfg, input_shape=list(in_shape))])
    layer = model.layers[0]
    w = weights if weights is not None else {k: v.astype(np.float64) for k, v in layer.init(rng).items()}
    stats = {}
    y = layer.forward(torch.tensor(x), {k: torch.tensor(v) for k, v in w.items()}, training, stats)
    return y.detach().numpy(), w, {k: v.numpy() for k, v in stats.items()}, layer


# --- NumPy from Keras' formulas -------------------------------------------------------------


def tf_same(size, k, s, d):
    out = math.ceil(size / s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return out, total // 2


def positions(size, k, s, d, padding):
    """Output count and, per output, the input index of each tap (maybe outside the input)."""
    if padding == "valid":
        out, before = (size - ((k - 1) * d + 1)) // s + 1, 0
    elif padding == "same":
        out, before = tf_same(size, k, s, d)
    else:  # causal
        out, before = (size - 1) // s + 1, (k - 1) * d
    return [[o * s - before + j * d for j in range(k)] for o in range(out)]


def np_conv2d(x, kernel, bias, s, d, padding):
    n, h, w, c = x.shape
    kh, kw, _, f = kernel.shape
    rows, cols = positions(h, kh, s[0], d[0], padding), positions(w, kw, s[1], d[1], padding)
    y = np.zeros((n, len(rows), len(cols), f))
    for oi, taps_i in enumerate(rows):
        for oj, taps_j in enumerate(cols):
            for a, i in enumerate(taps_i):
                for b, j in enumerate(taps_j):
                    if 0 <= i < h and 0 <= j < w:  # padding is zeros
                        y[:, oi, oj, :] += x[:, i, j, :] @ kernel[a, b]
    return y + (bias if bias is not None else 0)


def np_conv1d(x, kernel, bias, s, d, padding):
    return np_conv2d(x[:, None], kernel[None], bias, (1, s), (1, d), padding)[:, 0]


def np_pool2d(x, p, s, padding, kind):
    n, h, w, c = x.shape
    rows, cols = positions(h, p[0], s[0], 1, padding), positions(w, p[1], s[1], 1, padding)
    y = np.zeros((n, len(rows), len(cols), c))
    for oi, taps_i in enumerate(rows):
        for oj, taps_j in enumerate(cols):
            window = [x[:, i, j, :] for i in taps_i for j in taps_j if 0 <= i < h and 0 <= j < w]
            y[:, oi, oj] = np.max(window, axis=0) if kind == "max" else np.mean(window, axis=0)
    return y


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def np_rnn(kind, x, k, rk, b, act, rec, reset_after=True):
    n, t, _ = x.shape
    u = rk.shape[0]
    h, c = np.zeros((n, u)), np.zeros((n, u))
    out = []
    for step in range(t):
        xt = x[:, step]
        if kind == "simple_rnn":
            h = act(xt @ k + (0 if b is None else b) + h @ rk)
        elif kind == "lstm":
            z = xt @ k + h @ rk + (0 if b is None else b)
            i, f, g, o = np.split(z, 4, axis=1)
            c = rec(f) * c + rec(i) * act(g)
            h = rec(o) * act(c)
        else:
            kz, kr_, kh = np.split(k, 3, axis=1)
            rz, rr, rh = np.split(rk, 3, axis=1)
            if reset_after:
                bi, bh = (np.zeros(3 * u), np.zeros(3 * u)) if b is None else (b[0], b[1])
                biz, bir, bih = np.split(bi, 3)
                bhz, bhr, bhh = np.split(bh, 3)
                z = rec(xt @ kz + biz + h @ rz + bhz)
                r = rec(xt @ kr_ + bir + h @ rr + bhr)
                hh = act(xt @ kh + bih + r * (h @ rh + bhh))
            else:
                bz, br, bh = np.split(np.zeros(3 * u) if b is None else b, 3)
                z = rec(xt @ kz + bz + h @ rz)
                r = rec(xt @ kr_ + br + h @ rr)
                hh = act(xt @ kh + bh + (r * h) @ rh)
            h = z * h + (1 - z) * hh
        out.append(h)
    return np.stack(out, axis=1)


# --- the checks -----------------------------------------------------------------------------


def conv2d_checks():
    x = rng.standard_normal((3, 7, 6, 2))
    for ks, s, d, padding, bias, act in [
        ((3, 3), (1, 1), (1, 1), "valid", True, "linear"),
        ((2, 2), (1, 1), (1, 1), "same", True, "relu"),
        ((3, 2), (2, 1), (1, 1), "same", True, "tanh"),
        ((4, 4), (2, 2), (1, 1), "same", False, "linear"),
        ((2, 2), (1, 1), (2, 2), "valid", True, "linear"),
        ((2, 3), (1, 1), (2, 1), "same", True, "linear"),
    ]:
        cfg = dict(type="conv2d", filters=3, kernel_size=list(ks), strides=list(s), dilation_rate=list(d),
                   padding=padding, use_bias=bias, activation=act)
        y, w, _, _ = layer_forward(cfg, x.shape[1:], x)
        expected = np_conv2d(x, w["kernel"], w.get("bias"), s, d, padding)
        expected = {"linear": expected, "relu": np.maximum(expected, 0), "tanh": np.tanh(expected)}[act]
        check("conv2d kernel %s strides %s dilation %s %s bias %s %s" % (ks, s, d, padding, bias, act), y, expected)


def conv1d_checks():
    x = rng.standard_normal((3, 9, 2))
    for k, s, d, padding in [(3, 1, 1, "valid"), (4, 2, 1, "same"), (2, 1, 1, "same"), (3, 1, 2, "causal"),
                             (2, 1, 3, "same")]:
        cfg = dict(type="conv1d", filters=4, kernel_size=k, strides=s, dilation_rate=d, padding=padding)
        y, w, _, _ = layer_forward(cfg, x.shape[1:], x)
        check("conv1d kernel %d strides %d dilation %d %s" % (k, s, d, padding), y,
              np_conv1d(x, w["kernel"], w["bias"], s, d, padding))


def pooling_checks():
    x = rng.standard_normal((2, 7, 6, 3))
    for p, s, padding in [((2, 2), None, "valid"), ((3, 3), (2, 2), "same"), ((2, 3), (1, 2), "same"),
                          ((2, 2), None, "same"), ((3, 2), (2, 2), "valid")]:
        for kind in ("max", "average"):
            cfg = dict(type=kind + "_pooling2d", pool_size=list(p), padding=padding)
            if s is not None:
                cfg["strides"] = list(s)
            y, _, _, _ = layer_forward(cfg, x.shape[1:], x)
            check("%s_pooling2d pool %s strides %s %s" % (kind, p, s, padding), y,
                  np_pool2d(x, p, s or p, padding, kind))
    x1 = rng.standard_normal((2, 9, 3))
    for p, s, padding in [(2, None, "valid"), (3, 2, "same"), (2, None, "same"), (4, 1, "same")]:
        for kind in ("max", "average"):
            cfg = dict(type=kind + "_pooling1d", pool_size=p, padding=padding)
            if s is not None:
                cfg["strides"] = s
            y, _, _, _ = layer_forward(cfg, x1.shape[1:], x1)
            check("%s_pooling1d pool %d strides %s %s" % (kind, p, s, padding), y,
                  np_pool2d(x1[:, None], (1, p), (1, s or p), padding, kind)[:, 0])
    for kind, f in (("max", np.max), ("average", np.mean)):
        y, _, _, _ = layer_forward(dict(type="global_%s_pooling2d" % kind), x.shape[1:], x)
        check("global_%s_pooling2d" % kind, y, f(x, axis=(1, 2)))
        y, _, _, _ = layer_forward(dict(type="global_%s_pooling1d" % kind), x1.shape[1:], x1)
        check("global_%s_pooling1d" % kind, y, f(x1, axis=1))


def shape_checks():
    x = rng.standard_normal((2, 3, 4, 2))
    y, _, _, _ = layer_forward(dict(type="flatten"), x.shape[1:], x)
    # Keras' channels_last flattening: the value (h * W + w) * C + c
    expected = np.zeros((2, 24))
    for h in range(3):
        for w_ in range(4):
            for c in range(2):
                expected[:, (h * 4 + w_) * 2 + c] = x[:, h, w_, c]
    check("flatten of channels_last", y, expected)
    y, _, _, _ = layer_forward(dict(type="reshape", target_shape=[6, 4]), x.shape[1:], x)
    check("reshape", y, x.reshape(2, 6, 4))
    x2 = rng.standard_normal((4, 5))
    y, w, _, _ = layer_forward(dict(type="dense", units=3, activation="sigmoid"), (5,), x2)
    check("dense", y, sigmoid(x2 @ w["kernel"] + w["bias"]))
    x3 = rng.standard_normal((2, 4, 5))
    y, w, _, _ = layer_forward(dict(type="dense", units=3), (4, 5), x3)
    check("dense on the last axis of a sequence", y, x3 @ w["kernel"] + w["bias"])
    ids = rng.integers(0, 7, (3, 5)).astype(np.float64)
    y, w, _, _ = layer_forward(dict(type="embedding", input_dim=7, output_dim=4), (5,), ids)
    check("embedding", y, w["embeddings"][ids.astype(int)])
    for act, f in [("softmax", lambda z: np.exp(z) / np.exp(z).sum(-1, keepdims=True)),
                   ("hard_sigmoid", lambda z: np.clip((z + 3) / 6, 0, 1)),
                   ("leaky_relu", lambda z: np.where(z > 0, z, 0.2 * z)),
                   ("gelu", lambda z: z * 0.5 * (1 + np.vectorize(math.erf)(z / math.sqrt(2))))]:
        y, _, _, _ = layer_forward(dict(type="activation", activation=act), (5,), x2)
        check("activation %s" % act, y, f(x2))


def normalization_checks():
    for shape in [(6, 4), (3, 5, 4), (2, 3, 3, 4)]:
        x = rng.standard_normal(shape) * 2 + 0.5
        for center, scale, momentum in [(True, True, 0.99), (False, True, 0.9), (True, False, 0.5)]:
            cfg = dict(type="batch_normalization", center=center, scale=scale, momentum=momentum, epsilon=1e-3)
            y, w, stats, layer = layer_forward(cfg, shape[1:], x)
            names = list(layer.shapes)
            expected_names = (["gamma"] if scale else []) + (["beta"] if center else []) + [
                "moving_mean", "moving_variance"]
            if names != expected_names:
                failures.append("batch_normalization weights")
                print("FAIL batch_normalization weights %s, Keras has %s" % (names, expected_names))
            axes = tuple(range(len(shape) - 1))
            mean, var = x.mean(axis=axes), x.var(axis=axes)  # NumPy's var is the biased one
            expected = (x - mean) / np.sqrt(var + 1e-3) * w.get("gamma", 1.0) + w.get("beta", 0.0)
            what = "batch_normalization %s center %s scale %s" % (shape, center, scale)
            check(what + " output", y, expected)
            check(what + " moving_mean", stats["moving_mean"], w["moving_mean"] * momentum + mean * (1 - momentum))
            check(what + " moving_variance", stats["moving_variance"],
                  w["moving_variance"] * momentum + var * (1 - momentum))
            y, _, stats, _ = layer_forward(cfg, shape[1:], x, training=False, weights=w)
            check(what + " inference", y, (x - w["moving_mean"]) / np.sqrt(w["moving_variance"] + 1e-3)
                  * w.get("gamma", 1.0) + w.get("beta", 0.0))
    x = rng.standard_normal((3, 5, 4))
    y, w, _, _ = layer_forward(dict(type="layer_normalization"), (5, 4), x)
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    check("layer_normalization", y, (x - mean) / np.sqrt(var + 1e-3) * w["gamma"] + w["beta"])


def recurrent_checks():
    x = rng.standard_normal((3, 6, 4))
    acts = {"tanh": np.tanh, "sigmoid": sigmoid, "relu": lambda z: np.maximum(z, 0),
            "hard_sigmoid": lambda z: np.clip((z + 3) / 6, 0, 1)}
    for kind, extra in [
        ("simple_rnn", {}),
        ("simple_rnn", {"activation": "relu", "return_sequences": True}),
        ("simple_rnn", {"activation": "sigmoid", "use_bias": False}),
        ("lstm", {}),
        ("lstm", {"return_sequences": True}),
        ("lstm", {"recurrent_activation": "hard_sigmoid", "return_sequences": True}),
        ("lstm", {"use_bias": False}),
        ("gru", {}),
        ("gru", {"return_sequences": True}),
        ("gru", {"reset_after": False, "return_sequences": True}),
        ("gru", {"use_bias": False}),
        ("gru", {"activation": "relu", "recurrent_activation": "hard_sigmoid"}),
    ]:
        cfg = dict(type=kind, units=5, **extra)
        y, w, _, layer = layer_forward(cfg, x.shape[1:], x)
        act = acts[extra.get("activation", "tanh")]
        rec = acts[extra.get("recurrent_activation", "sigmoid")]
        reset_after = extra.get("reset_after", True)
        gates = {"simple_rnn": 1, "lstm": 4, "gru": 3}[kind]
        bias_shape = (2, 5 * gates) if kind == "gru" and reset_after else (5 * gates,)
        expected_shapes = {"kernel": (4, 5 * gates), "recurrent_kernel": (5, 5 * gates)}
        if extra.get("use_bias", True):
            expected_shapes["bias"] = bias_shape
        if layer.shapes != expected_shapes:
            failures.append("%s %s weights" % (kind, extra))
            print("FAIL %s %s weights %s, Keras has %s" % (kind, extra, layer.shapes, expected_shapes))
        seq = np_rnn(kind, x, w["kernel"], w["recurrent_kernel"], w.get("bias"), act, rec, reset_after)
        expected = seq if extra.get("return_sequences", False) else seq[:, -1]
        check("%s %s" % (kind, extra or "defaults"), y, expected)
        # the written-out Keras cell against torch's module, where the module is what runs
        cell = layer.keras_cell(torch.tensor(x), {k: torch.tensor(v) for k, v in w.items()}).numpy()
        check("%s %s: Keras' cell written out" % (kind, extra or "defaults"), cell, seq)


def loss_and_optimizer_checks():
    p = rng.uniform(0.05, 1, (5, 3))
    p /= p.sum(-1, keepdims=True)
    y = np.array([0, 2, 1, 1, 0])
    loss = kr.loss_of("sparse_categorical_crossentropy")(torch.tensor(p), torch.tensor(y, dtype=torch.float64))
    check("sparse_categorical_crossentropy", loss.item(), -np.mean(np.log(p[np.arange(5), y])))
    t = rng.standard_normal((5, 1))
    q = rng.standard_normal((5, 1))
    check("mean_squared_error", kr.loss_of("mse")(torch.tensor(q), torch.tensor(t[:, 0])).item(),
          np.mean((q - t) ** 2))
    w0 = rng.standard_normal(4)
    grads = [rng.standard_normal(4) for _ in range(3)]
    for spec in [{"type": "adam", "learning_rate": 0.01}, {"type": "adam", "learning_rate": 0.01, "amsgrad": True},
                 {"type": "sgd", "learning_rate": 0.1}, {"type": "sgd", "learning_rate": 0.1, "momentum": 0.9},
                 {"type": "sgd", "learning_rate": 0.1, "momentum": 0.9, "nesterov": True}]:
        opt = kr.Optimizer(spec)
        w = torch.tensor(w0)
        for g in grads:
            w = opt.update("w", w, torch.tensor(g))
            opt.iterations += 1
        # Keras' formulas, in NumPy
        e = w0.copy()
        m, v, vhat, mom = np.zeros(4), np.zeros(4), np.zeros(4), np.zeros(4)
        for step, g in enumerate(grads, start=1):
            if spec["type"] == "adam":
                alpha = 0.01 * math.sqrt(1 - 0.999**step) / (1 - 0.9**step)
                m = m + (g - m) * 0.1
                v = v + (g * g - v) * 0.001
                vhat = np.maximum(vhat, v)
                e = e - m * alpha / (np.sqrt(vhat if spec.get("amsgrad") else v) + 1e-7)
            elif spec.get("momentum"):
                mom = 0.9 * mom - 0.1 * g
                e = e + (0.9 * mom - 0.1 * g if spec.get("nesterov") else mom)
            else:
                e = e - 0.1 * g
        check("optimizer %s, three steps" % spec, w.numpy(), e)


def model_checks():
    # A model as Keras 3 serializes it (an InputLayer, then every key of each layer's config) is the
    # model of sparkdp's {type: ...} vocabulary: same names, shapes and outputs.
    keras3 = [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 5, 3], "dtype": "float32",
                                                 "sparse": False, "name": "input_layer"}},
        {"class_name": "LSTM", "config": {
            "name": "lstm", "trainable": True, "dtype": {"module": "keras", "class_name": "DTypePolicy",
                                                         "config": {"name": "float32"}},
            "return_sequences": True, "return_state": False, "go_backwards": False, "stateful": False,
            "unroll": False, "zero_output_for_mask": False, "units": 4, "activation": "tanh",
            "recurrent_activation": "sigmoid", "use_bias": True, "kernel_initializer": {},
            "recurrent_initializer": {}, "bias_initializer": {}, "unit_forget_bias": True,
            "kernel_regularizer": {"module": "keras.regularizers", "class_name": "L2",
                                   "config": {"l2": 0.02}, "registered_name": None},
            "recurrent_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
            "kernel_constraint": None, "recurrent_constraint": None, "bias_constraint": None,
            "dropout": 0.0, "recurrent_dropout": 0.0, "seed": None}},
        {"class_name": "GlobalAveragePooling1D", "config": {"name": "gap", "data_format": "channels_last",
                                                             "keepdims": False}},
        {"class_name": "Dense", "config": {"name": "dense", "units": 2, "activation": "softmax",
                                            "use_bias": True, "kernel_regularizer": "l1",
                                            "bias_regularizer": None, "lora_rank": None}},
    ]
    ours = [{"type": "lstm", "units": 4, "return_sequences": True, "input_shape": [5, 3],
             "kernel_regularizer": {"type": "l2", "l2": 0.02}},
            {"type": "global_average_pooling1d"},
            {"type": "dense", "units": 2, "activation": "softmax", "kernel_regularizer": "l1"}]
    a, b = kr.Model(keras3), kr.Model(ours)
    if a.shapes() != b.shapes() or a.weight_names() != ["lstm/kernel", "lstm/recurrent_kernel", "lstm/bias",
                                                        "dense/kernel", "dense/bias"]:
        failures.append("Keras 3 JSON")
        print("FAIL Keras 3 JSON gives %s, the type form %s" % (a.shapes(), b.shapes()))
    params = {k: torch.tensor(v.astype(np.float64)) for k, v in a.init(5).items()}
    x = torch.tensor(rng.standard_normal((3, 5, 3)))
    check("Keras 3 JSON against the type form", a.forward(x, params, True, {}).numpy(),
          b.forward(x, params, True, {}).numpy())
    k = params["lstm/kernel"].numpy()
    dk = params["dense/kernel"].numpy()
    check("regularization: 0.02 sum k^2 + 0.01 sum |k|", float(a.penalty(params)),
          0.02 * np.sum(k ** 2) + 0.01 * np.sum(np.abs(dk)))
    for bad, what in [({"type": "dense", "units": 2, "input_dim": 3, "kernel_constraint": "max_norm"},
                       "kernel_constraint"),
                      ({"type": "conv1d", "filters": 2, "kernel_size": 2, "input_shape": [4, 3],
                        "data_format": "channels_first"}, "channels_last only"),
                      ({"type": "dense", "units": 2, "input_dim": 3, "untis": 3}, "'untis'")]:
        try:
            kr.Model([bad])
            failures.append("refused %s" % what)
            print("FAIL %s was not refused" % what)
        except kr.CaseError as e:
            ok = what in str(e)
            if not ok:
                failures.append("refused %s" % what)
            print("%s %-60s %s" % ("ok  " if ok else "FAIL", "refuses " + what, e))


GRADIENT_MODELS = {
    "convnet": ([{"type": "conv2d", "filters": 3, "kernel_size": 2, "dilation_rate": 2, "activation": "tanh",
                  "input_shape": [6, 6, 2]},
                 {"type": "conv2d", "filters": 2, "kernel_size": [2, 3], "padding": "same"},
                 {"type": "max_pooling2d", "pool_size": 2, "padding": "same"},
                 {"type": "average_pooling2d", "pool_size": 2, "strides": 1, "padding": "same"},
                 {"type": "flatten"}, {"type": "dense", "units": 3, "activation": "softmax"}],
                "sparse_categorical_crossentropy"),
    "embedding + conv1d": ([{"type": "embedding", "input_dim": 6, "output_dim": 3, "input_shape": [7]},
                            {"type": "conv1d", "filters": 4, "kernel_size": 3, "activation": "tanh",
                             "kernel_regularizer": "l2"},
                            {"type": "average_pooling1d", "pool_size": 2, "padding": "same"},
                            {"type": "conv1d", "filters": 3, "kernel_size": 2, "padding": "causal"},
                            {"type": "global_max_pooling1d"}, {"type": "dense", "units": 3, "activation": "softmax"}],
                           "sparse_categorical_crossentropy"),
    "dense + batch_normalization": ([{"type": "dense", "units": 5, "use_bias": False, "input_dim": 4},
                                     {"type": "batch_normalization"},
                                     {"type": "activation", "activation": "tanh"},
                                     {"type": "dense", "units": 4, "activation": "sigmoid"},
                                     {"type": "batch_normalization", "center": False, "momentum": 0.9},
                                     {"type": "layer_normalization"},
                                     {"type": "dense", "units": 1}], "mean_squared_error"),
    "rnns": ([{"type": "simple_rnn", "units": 3, "return_sequences": True, "input_shape": [4, 3]},
              {"type": "lstm", "units": 3, "return_sequences": True},
              {"type": "gru", "units": 3, "return_sequences": True},
              {"type": "gru", "units": 2, "reset_after": False},
              {"type": "dense", "units": 1}], "mean_squared_error"),
}


def gradient_checks():
    """The reference's gradients (torch's autograd through the mapped layouts) against central
    differences of its loss, in float64: the loss is a function of Keras' weights."""
    for what, (layers, loss_name) in GRADIENT_MODELS.items():
        model = kr.Model(layers)
        params = {k: torch.tensor(v.astype(np.float64)) for k, v in model.init(9).items()}
        rows = 6
        if model.layers[0].type == "embedding":
            x = torch.tensor(rng.integers(0, 6, (rows,) + model.input_shape).astype(np.float64))
        else:
            x = torch.tensor(rng.standard_normal((rows,) + model.input_shape))
        y = torch.tensor(rng.integers(0, 3, rows).astype(np.float64)) if "sparse" in loss_name else \
            torch.tensor(rng.standard_normal(rows))
        loss_fn = kr.loss_of(loss_name)
        names = [k for k in model.weight_names() if model.trainable(k)]

        def loss_at(p):
            return loss_fn(model.forward(x, p, True, {}), y) + model.penalty(p)

        for k in names:
            params[k].requires_grad_(True)
        grads = torch.autograd.grad(loss_at(params), [params[k] for k in names])
        worst = 0.0
        h = 1e-6
        with torch.no_grad():
            for k, g in zip(names, grads):
                flat = params[k].view(-1)
                for i in rng.choice(flat.numel(), min(4, flat.numel()), replace=False):
                    keep = flat[i].item()
                    flat[i] = keep + h
                    up = loss_at(params).item()
                    flat[i] = keep - h
                    down = loss_at(params).item()
                    flat[i] = keep
                    worst = max(worst, abs((up - down) / (2 * h) - g.reshape(-1)[i].item()))
        ok = worst <= 1e-7
        if not ok:
            failures.append("gradients of " + what)
        print("%s %-60s max |diff| %.2e" % ("ok  " if ok else "FAIL", "gradients of %s against central differences" % what,
                                             worst))


def npz_check(tmp):
    arrays = {"dense/kernel": rng.standard_normal((3, 2)).astype(np.float32), "dense/bias": np.ones(2, np.float32)}
    path = os.path.join(tmp, "selfcheck.npz")
    kr.write_npz(path, arrays)
    with np.load(path) as z:
        check("npz written and read back", np.concatenate([z[k].ravel() for k in arrays]),
              np.concatenate([v.ravel() for v in arrays.values()]))
    os.remove(path)


def main():
    conv2d_checks()
    conv1d_checks()
    pooling_checks()
    shape_checks()
    normalization_checks()
    recurrent_checks()
    loss_and_optimizer_checks()
    model_checks()
    gradient_checks()
    npz_check(os.environ.get("TMPDIR", "/tmp"))
    if failures:
        print("%d checks FAILED: %s" % (len(failures), "; ".join(failures)))
        return 1
    print("all checks agree to %g" % TOLERANCE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
