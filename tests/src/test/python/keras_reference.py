#!/usr/bin/python3
"""Keras' training semantics computed independently of sparkdp, with PyTorch in float64.

A Sequential model in Keras' vocabulary (sparkdp's `{type: conv2d, ...}` layers, or a Keras JSON
`{class_name: Sequential, config: {layers: [{class_name, config}]}}`, or a sparkdp `model.json`) is
built from Keras' documented semantics, not from sparkdp's code: tensors stay in Keras' channels_last
layout between layers and are moved to PyTorch's channels-first layout only around a convolution or a
pooling; Keras' weight layouts are mapped to PyTorch's (conv kernel (k..., in, out) -> (out, in, k...),
LSTM gates i, f, c, o -> PyTorch's i, f, g, o with one bias, GRU gates z, r, h -> PyTorch's r, z, n);
`same` padding is TensorFlow's (the smaller half before); batch normalization's moving statistics use
the biased variance, as Keras' do; Adam's epsilon is added after the bias-corrected root, as in Keras.

    keras_reference.py init CASE.json --out DIR
        DIR/init.npz: initial weights (float32, Keras' names, shapes and order), and DIR/train.csv:
        random data (a header row, features f0.., the label column `label`), both from CASE's seed.
    keras_reference.py train CASE.json --weights init.npz --data train.csv|data.npz --out ref.npz
        `epochs` full-batch steps of CASE's optimizer and loss (with the layers' regularizers) from
        those weights on that data (a CSV as `init` writes it, or an .npz of `x` [rows, ...] and
        `y` [rows]); writes the final weights (float32, Keras' names, moving statistics included)
        and prints the loss of each step.
    keras_reference.py cases DIR... [--selfcheck OUT.json]
        For each DIR holding a case.json: `init` into DIR, then `train` from DIR/init.npz on
        DIR/train.csv into DIR/ref.npz, all in this one process (torch is imported once for them
        all). Each case's outcome goes to DIR/reference.json, {"init": {"exit", "stdout",
        "stderr"}, "train": {...}}, with the exit code and output the two commands would have had
        on their own, so one case's failure is that case's alone; `train` is not run (null) after
        a failed `init`. With --selfcheck, keras_reference_selfcheck.py runs here too, its exit
        code and output to OUT.json.

CASE.json: {"layers": [...] or "model": "FILE" (a Keras JSON or a sparkdp model directory, relative to
CASE), "compile": {"optimizer": {"type": "sgd", "learning_rate": 0.1}, "loss":
"sparse_categorical_crossentropy"}, "epochs": 3, "rows": 40, "seed": 7}. A setting this reference
does not reproduce (a constraint, a mask, dropout above 0, channels_first, an unknown key) is refused
by name. Run it with Debian's Python (/usr/bin/python3) and python3-torch.
"""

import argparse
import json
import math
import os
import sys
import zipfile

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError:
    print("install python3-torch (for /usr/bin/python3)", file=sys.stderr)
    sys.exit(3)

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)

KERAS_EPSILON = 1e-7  # keras.backend.epsilon(): the clip of probabilities in the crossentropies

# Keras' class names of the layer types.
CLASS_TYPES = {
    "Dense": "dense",
    "Dropout": "dropout",
    "Activation": "activation",
    "Flatten": "flatten",
    "Reshape": "reshape",
    "LayerNormalization": "layer_normalization",
    "BatchNormalization": "batch_normalization",
    "Embedding": "embedding",
    "Conv1D": "conv1d",
    "Conv2D": "conv2d",
    "MaxPooling1D": "max_pooling1d",
    "MaxPooling2D": "max_pooling2d",
    "AveragePooling1D": "average_pooling1d",
    "AveragePooling2D": "average_pooling2d",
    "GlobalMaxPooling1D": "global_max_pooling1d",
    "GlobalMaxPooling2D": "global_max_pooling2d",
    "GlobalAveragePooling1D": "global_average_pooling1d",
    "GlobalAveragePooling2D": "global_average_pooling2d",
    "SimpleRNN": "simple_rnn",
    "LSTM": "lstm",
    "GRU": "gru",
}


class CaseError(Exception):
    """A case or model this reference cannot compute, named."""


# ---------------------------------------------------------------------------------------------
# Activations, as keras/src/activations/activations.py defines them.


def activation(name):
    name = "linear" if name is None else name
    table = {
        "linear": lambda x: x,
        "relu": torch.relu,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "softmax": lambda x: torch.softmax(x, dim=-1),
        "elu": F.elu,
        "selu": F.selu,
        "gelu": lambda x: F.gelu(x),  # Keras' default approximate=False
        "softplus": F.softplus,
        "softsign": F.softsign,
        "swish": F.silu,
        "silu": F.silu,
        "leaky_relu": lambda x: F.leaky_relu(x, 0.2),  # Keras 3's negative_slope
        "relu6": F.relu6,
        "hard_sigmoid": lambda x: F.relu6(x + 3.0) / 6.0,  # Keras 3
        "exponential": torch.exp,
    }
    if name not in table:
        raise CaseError("activation %r is not known to this reference" % name)
    return table[name]


# ---------------------------------------------------------------------------------------------
# Keras' settings and shapes.


def tuple_of(value, rank, key):
    if isinstance(value, (list, tuple)):
        if len(value) != rank:
            raise CaseError("%s: expected %d values, got %r" % (key, rank, value))
        return tuple(int(v) for v in value)
    return (int(value),) * rank


def same_pads(size, k, s, d):
    """TensorFlow's `same` padding of one axis: (before, after), the smaller half before."""
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def out_size(size, k, s, d, padding):
    span = (k - 1) * d + 1
    if padding in ("same", "causal"):
        return -(-size // s) if padding == "same" else (size - 1) // s + 1
    return (size - span) // s + 1 if size >= span else 0


def glorot_limit(fan_in, fan_out):
    return math.sqrt(6.0 / (fan_in + fan_out))


# Keys that do not change a training step from given weights (names, initializers, the input's
# shape, which the model reads); and keys this reference computes only at their default (falsy).
INERT_KEYS = {
    "name", "trainable", "dtype", "input_shape", "batch_input_shape", "batch_shape", "input_length",
    "seed", "implementation", "unit_forget_bias", "synchronized", "kernel_initializer",
    "bias_initializer", "recurrent_initializer", "embeddings_initializer", "gamma_initializer",
    "beta_initializer", "moving_mean_initializer", "moving_variance_initializer", "data_format",
    "zero_output_for_mask",  # matters only with a mask, which these models never have
}
DEFAULT_ONLY_KEYS = {
    "kernel_constraint", "bias_constraint", "recurrent_constraint", "embeddings_constraint",
    "gamma_constraint", "beta_constraint", "activity_regularizer", "mask_zero", "return_state",
    "renorm", "rms_scaling", "lora_rank", "noise_shape", "go_backwards", "stateful", "unroll",
    "keepdims",
}
RNN_KEYS = {"units", "activation", "recurrent_activation", "use_bias", "return_sequences", "dropout",
            "recurrent_dropout", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer"}
CONV_KEYS = {"filters", "kernel_size", "strides", "padding", "dilation_rate", "groups", "activation",
             "use_bias", "kernel_regularizer", "bias_regularizer"}
POOL_KEYS = {"pool_size", "strides", "padding"}
OWN_KEYS = {
    "dense": {"units", "activation", "use_bias", "kernel_regularizer", "bias_regularizer"},
    "dropout": {"rate"},
    "activation": {"activation"},
    "flatten": set(),
    "reshape": {"target_shape"},
    "layer_normalization": {"axis", "epsilon", "center", "scale", "gamma_regularizer", "beta_regularizer"},
    "batch_normalization": {"axis", "momentum", "epsilon", "center", "scale", "gamma_regularizer",
                            "beta_regularizer"},
    "embedding": {"input_dim", "output_dim", "embeddings_regularizer"},
    "conv1d": CONV_KEYS, "conv2d": CONV_KEYS,
    "max_pooling1d": POOL_KEYS, "max_pooling2d": POOL_KEYS,
    "average_pooling1d": POOL_KEYS, "average_pooling2d": POOL_KEYS,
    "global_max_pooling1d": set(), "global_max_pooling2d": set(),
    "global_average_pooling1d": set(), "global_average_pooling2d": set(),
    "simple_rnn": RNN_KEYS, "lstm": RNN_KEYS, "gru": RNN_KEYS | {"reset_after"},
}
# Which weight each Keras regularizer key penalizes.
REGULARIZED = {
    "kernel_regularizer": "kernel", "bias_regularizer": "bias", "recurrent_regularizer": "recurrent_kernel",
    "embeddings_regularizer": "embeddings", "gamma_regularizer": "gamma", "beta_regularizer": "beta",
}


def regularizer(spec, where):
    """Keras' regularizer as (l1, l2): its penalty is l1 * sum|w| + l2 * sum w^2 (no 1/2)."""
    if spec is None:
        return None
    if isinstance(spec, str):
        name, cfg = spec, {}
    elif "class_name" in spec:  # Keras' serialization: {class_name: L2, config: {l2: 0.01}}
        name, cfg = spec["class_name"], dict(spec.get("config") or {})
    else:
        cfg = dict(spec)
        name = cfg.pop("type")
    name = {"L1": "l1", "L2": "l2", "L1L2": "l1_l2_class"}.get(name, name)
    factor = cfg.get("factor")
    if name == "l1":
        return (float(cfg.get("l1", 0.01 if factor is None else factor)), 0.0)
    if name == "l2":
        return (0.0, float(cfg.get("l2", 0.01 if factor is None else factor)))
    if name == "l1_l2" and isinstance(spec, str):
        return (0.01, 0.01)  # Keras' string identifier
    if name in ("l1_l2", "l1_l2_class"):
        return (float(cfg.get("l1", 0.0)), float(cfg.get("l2", 0.0)))  # Keras' L1L2 class defaults
    raise CaseError("%s: regularizer %r is not known to this reference" % (where, spec))


class Layer:
    """One Keras layer: its weights (Keras' names and shapes) and its forward pass in torch."""

    def __init__(self, type_, cfg, name):
        self.type = type_
        self.cfg = cfg
        self.name = name
        for key, value in cfg.items():
            if key in INERT_KEYS or (key == "input_dim" and type_ != "embedding"):
                continue
            if key in DEFAULT_ONLY_KEYS:
                if value:
                    raise CaseError("%s: %s=%r is not reproduced by this reference" % (name, key, value))
                continue
            if key not in OWN_KEYS[type_]:
                raise CaseError("%s: key %r is not known to this reference" % (name, key))
        if cfg.get("data_format", "channels_last") not in ("channels_last", None):
            raise CaseError("%s: channels_last only" % name)
        self.regularizers = {
            REGULARIZED[k]: regularizer(v, "%s.%s" % (name, k))
            for k, v in cfg.items()
            if k in REGULARIZED and v is not None
        }

    def penalty(self, w):
        """The regularization added to the loss for this layer's weights w."""
        total = 0.0
        for weight, (l1, l2) in self.regularizers.items():
            if weight in w:
                total = total + l1 * w[weight].abs().sum() + l2 * (w[weight] ** 2).sum()
        return total

    def get(self, key, default):
        v = self.cfg.get(key, default)
        return default if v is None and default is not None else v

    def build(self, in_shape):
        """Sets self.in_shape, self.out_shape and self.shapes (weight name -> shape)."""
        self.in_shape = tuple(in_shape)
        self.shapes = {}
        self.out_shape = self.shape(self.in_shape)

    def init(self, rng):
        """Initial values, random but of sensible scale, for every weight (float32)."""
        arrays = {}
        for w, shape in self.shapes.items():
            if w in ("kernel", "recurrent_kernel", "depthwise_kernel"):
                fan_in = int(np.prod(shape[:-1]))
                fan_out = int(np.prod(shape[:-2]) * shape[-1]) if len(shape) > 2 else shape[-1]
                a = glorot_limit(fan_in, fan_out)
                v = rng.uniform(-a, a, shape)
            elif w == "embeddings":
                v = rng.uniform(-0.5, 0.5, shape)
            elif w == "gamma":
                v = rng.uniform(0.8, 1.2, shape)
            elif w == "moving_mean":
                v = rng.uniform(-0.3, 0.3, shape)
            elif w == "moving_variance":
                v = rng.uniform(0.5, 1.5, shape)
            else:  # bias, beta
                v = rng.uniform(-0.1, 0.1, shape)
            arrays[w] = v.astype(np.float32)
        return arrays

    def trainable(self, weight):
        return weight not in ("moving_mean", "moving_variance")


class Dense(Layer):
    def shape(self, s):
        units = int(self.cfg["units"])
        self.shapes["kernel"] = (s[-1], units)
        if self.get("use_bias", True):
            self.shapes["bias"] = (units,)
        return s[:-1] + (units,)

    def forward(self, x, w, training, stats):
        y = torch.matmul(x, w["kernel"])
        if "bias" in w:
            y = y + w["bias"]
        return activation(self.cfg.get("activation"))(y)


class Dropout(Layer):
    def shape(self, s):
        if float(self.get("rate", 0.0)) != 0.0:
            raise CaseError("%s: dropout draws noise that cannot be reproduced; use rate 0" % self.name)
        return s

    def forward(self, x, w, training, stats):
        return x


class ActivationLayer(Layer):
    def shape(self, s):
        return s

    def forward(self, x, w, training, stats):
        return activation(self.cfg.get("activation"))(x)


class Flatten(Layer):
    def shape(self, s):
        return (int(np.prod(s)),)

    def forward(self, x, w, training, stats):
        # channels_last, row-major: an image's value (h * W + w) * C + c, as Keras flattens it
        return x.reshape(x.shape[0], -1)


class Reshape(Layer):
    def shape(self, s):
        target = [int(v) for v in self.cfg["target_shape"]]
        if -1 in target:
            known = int(np.prod([v for v in target if v != -1]))
            target[target.index(-1)] = int(np.prod(s)) // known
        if int(np.prod(target)) != int(np.prod(s)):
            raise CaseError("%s: cannot reshape %s to %s" % (self.name, s, target))
        return tuple(target)

    def forward(self, x, w, training, stats):
        return x.reshape((x.shape[0],) + self.out_shape)


class LayerNormalization(Layer):
    def shape(self, s):
        if self.get("axis", -1) not in (-1, [-1], len(s)):
            raise CaseError("%s: only axis -1" % self.name)
        if self.get("scale", True):
            self.shapes["gamma"] = (s[-1],)
        if self.get("center", True):
            self.shapes["beta"] = (s[-1],)
        return s

    def forward(self, x, w, training, stats):
        eps = float(self.get("epsilon", 1e-3))
        return F.layer_norm(x, (x.shape[-1],), w.get("gamma"), w.get("beta"), eps)


class BatchNormalization(Layer):
    """Keras' BatchNormalization on the last axis: in training, the batch's mean and biased
    variance over every other axis normalize, and the moving statistics become
    moving * momentum + batch * (1 - momentum)."""

    def shape(self, s):
        if self.get("axis", -1) not in (-1, [-1], len(s)):
            raise CaseError("%s: only axis -1" % self.name)
        c = s[-1]
        if self.get("scale", True):
            self.shapes["gamma"] = (c,)
        if self.get("center", True):
            self.shapes["beta"] = (c,)
        self.shapes["moving_mean"] = (c,)
        self.shapes["moving_variance"] = (c,)
        return s

    def forward(self, x, w, training, stats):
        eps = float(self.get("epsilon", 1e-3))
        momentum = float(self.get("momentum", 0.99))
        c = x.shape[-1]
        nc = x.reshape(-1, c)  # every axis but the channels' is a batch axis
        if training:
            # torch's normalization (biased variance), with its own running statistics left out
            y = F.batch_norm(nc, None, None, w.get("gamma"), w.get("beta"), True, 0.0, eps)
            with torch.no_grad():
                mean = nc.mean(dim=0)
                variance = ((nc - mean) ** 2).mean(dim=0)  # biased, as Keras' ops.moments
                stats["moving_mean"] = w["moving_mean"] * momentum + mean * (1.0 - momentum)
                stats["moving_variance"] = w["moving_variance"] * momentum + variance * (
                    1.0 - momentum
                )
        else:
            y = F.batch_norm(
                nc, w["moving_mean"], w["moving_variance"], w.get("gamma"), w.get("beta"), False, 0.0, eps
            )
        return y.reshape(x.shape)


class Embedding(Layer):
    def shape(self, s):
        self.shapes["embeddings"] = (int(self.cfg["input_dim"]), int(self.cfg["output_dim"]))
        return s + (int(self.cfg["output_dim"]),)

    def forward(self, x, w, training, stats):
        ids = x.round().long()
        if not torch.equal(ids.to(x.dtype), x) or ids.min() < 0 or ids.max() >= int(self.cfg["input_dim"]):
            raise CaseError("%s: ids must be integers in [0, %s)" % (self.name, self.cfg["input_dim"]))
        return w["embeddings"][ids]


def channels_first(x):
    return x.movedim(-1, 1)


def channels_last(x):
    return x.movedim(1, -1)


def spatial_pads(spatial, k, s, d, padding):
    """The pads of each spatial axis, in F.pad's order (last axis first)."""
    pads = []
    for i in reversed(range(len(spatial))):
        if padding == "same":
            pads += list(same_pads(spatial[i], k[i], s[i], d[i]))
        elif padding == "causal":
            pads += [(k[i] - 1) * d[i], 0]
        else:
            pads += [0, 0]
    return pads


class Conv(Layer):
    """Keras' Conv1D and Conv2D, channels_last: kernel (k..., in, filters), bias (filters)."""

    def __init__(self, type_, cfg, name, rank):
        super().__init__(type_, cfg, name)
        self.rank = rank

    def settings(self):
        r = self.rank
        if self.get("data_format", "channels_last") != "channels_last":
            raise CaseError("%s: channels_last only" % self.name)
        if int(self.get("groups", 1)) != 1:
            raise CaseError("%s: groups 1 only" % self.name)
        k = tuple_of(self.cfg["kernel_size"], r, "kernel_size")
        s = tuple_of(self.get("strides", 1), r, "strides")
        d = tuple_of(self.get("dilation_rate", 1), r, "dilation_rate")
        padding = self.get("padding", "valid")
        if padding not in ("valid", "same") + (("causal",) if r == 1 else ()):
            raise CaseError("%s: padding %r" % (self.name, padding))
        return k, s, d, padding

    def shape(self, s):
        if len(s) != self.rank + 1:
            raise CaseError("%s takes rank-%d inputs, not %s" % (self.name, self.rank + 1, s))
        k, st, d, padding = self.settings()
        filters = int(self.cfg["filters"])
        self.shapes["kernel"] = k + (s[-1], filters)
        if self.get("use_bias", True):
            self.shapes["bias"] = (filters,)
        spatial = tuple(out_size(s[i], k[i], st[i], d[i], padding) for i in range(self.rank))
        return spatial + (filters,)

    def forward(self, x, w, training, stats):
        k, s, d, padding = self.settings()
        xt = F.pad(channels_first(x), spatial_pads(x.shape[1:-1], k, s, d, padding))
        r = self.rank
        # Keras' (k..., in, out) -> torch's (out, in, k...)
        kernel = w["kernel"].permute((r + 1, r) + tuple(range(r)))
        conv = F.conv1d if r == 1 else F.conv2d
        y = channels_last(conv(xt, kernel, w.get("bias"), stride=s, dilation=d))
        return activation(self.cfg.get("activation"))(y)


class Pooling(Layer):
    """Keras' MaxPooling and AveragePooling 1D/2D: strides default to pool_size; `same` padding
    is never taken by a max and not counted in an average (TensorFlow's rule)."""

    def __init__(self, type_, cfg, name, rank, kind):
        super().__init__(type_, cfg, name)
        self.rank = rank
        self.kind = kind

    def settings(self):
        if self.get("data_format", "channels_last") != "channels_last":
            raise CaseError("%s: channels_last only" % self.name)
        p = tuple_of(self.get("pool_size", 2), self.rank, "pool_size")
        strides = self.cfg.get("strides")
        s = p if strides is None else tuple_of(strides, self.rank, "strides")
        padding = self.get("padding", "valid")
        if padding not in ("valid", "same"):
            raise CaseError("%s: padding %r" % (self.name, padding))
        return p, s, padding

    def shape(self, s):
        if len(s) != self.rank + 1:
            raise CaseError("%s takes rank-%d inputs, not %s" % (self.name, self.rank + 1, s))
        p, st, padding = self.settings()
        return tuple(out_size(s[i], p[i], st[i], 1, padding) for i in range(self.rank)) + (s[-1],)

    def forward(self, x, w, training, stats):
        p, s, padding = self.settings()
        ones = (1,) * self.rank
        pads = spatial_pads(x.shape[1:-1], p, s, ones, padding)
        xt = channels_first(x)
        if self.kind == "max":
            pool = F.max_pool1d if self.rank == 1 else F.max_pool2d
            y = pool(F.pad(xt, pads, value=-math.inf), p, s)
        else:
            pool = F.avg_pool1d if self.rank == 1 else F.avg_pool2d
            window = int(np.prod(p))
            sums = pool(F.pad(xt, pads), p, s) * window
            counts = pool(F.pad(torch.ones_like(xt[:1, :1]), pads), p, s) * window
            y = sums / counts
        return channels_last(y)


class GlobalPooling(Layer):
    def __init__(self, type_, cfg, name, rank, kind):
        super().__init__(type_, cfg, name)
        self.rank = rank
        self.kind = kind

    def shape(self, s):
        if len(s) != self.rank + 1:
            raise CaseError("%s takes rank-%d inputs, not %s" % (self.name, self.rank + 1, s))
        if self.get("keepdims", False):
            raise CaseError("%s: keepdims false only" % self.name)
        return (s[-1],)

    def forward(self, x, w, training, stats):
        axes = tuple(range(1, self.rank + 1))
        if self.kind == "max":
            return x.amax(dim=axes)
        return x.mean(dim=axes)


class Recurrent(Layer):
    """Keras' SimpleRNN, LSTM and GRU over (batch, time, features), from zero states. With Keras'
    default activations the step is torch's nn.RNN/LSTM/GRU with the weights mapped to torch's
    gate order; otherwise it is Keras' cell written out."""

    GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}

    def units(self):
        return int(self.cfg["units"])

    def check(self):
        for key in ("dropout", "recurrent_dropout"):
            if float(self.get(key, 0.0)) != 0.0:
                raise CaseError("%s: %s must be 0" % (self.name, key))

    def reset_after(self):
        return self.type == "gru" and bool(self.get("reset_after", True))

    def shape(self, s):
        self.check()
        if len(s) != 2:
            raise CaseError("%s takes (time, features) inputs, not %s" % (self.name, s))
        u, g = self.units(), self.GATES[self.type]
        self.shapes["kernel"] = (s[-1], g * u)
        self.shapes["recurrent_kernel"] = (u, g * u)
        if self.get("use_bias", True):
            self.shapes["bias"] = (2, g * u) if self.reset_after() else (g * u,)
        return (s[0], u) if self.get("return_sequences", False) else (u,)

    def activations(self):
        act = self.get("activation", "tanh")
        rec = self.get("recurrent_activation", "sigmoid")
        return act, rec

    def forward(self, x, w, training, stats):
        act, rec = self.activations()
        native = act == "tanh" and (self.type == "simple_rnn" or rec == "sigmoid")
        if self.type == "simple_rnn" and act == "relu":
            native = True
        if self.type == "gru" and not self.reset_after():
            native = False
        seq = self.torch_rnn(x, w) if native else self.keras_cell(x, w)
        return seq if self.get("return_sequences", False) else seq[:, -1]

    def torch_rnn(self, x, w):
        u, n = self.units(), x.shape[-1]
        bias = "bias" in w
        if self.type == "lstm":
            module = torch.nn.LSTM(n, u, batch_first=True, bias=bias)
            # Keras' gates i, f, c, o are torch's i, f, g, o: same order, transposed; one bias
            params = {"weight_ih_l0": w["kernel"].T, "weight_hh_l0": w["recurrent_kernel"].T}
            if bias:
                params["bias_ih_l0"] = w["bias"]
                params["bias_hh_l0"] = torch.zeros(4 * u)
        elif self.type == "gru":
            module = torch.nn.GRU(n, u, batch_first=True, bias=bias)

            def reorder(m):  # Keras' z, r, h along the last axis -> torch's r, z, n
                return torch.cat([m[..., u : 2 * u], m[..., :u], m[..., 2 * u :]], dim=-1)

            # reset_after=True is torch's GRU: r multiplies (W_hn h + b_hn)
            params = {
                "weight_ih_l0": reorder(w["kernel"]).T,
                "weight_hh_l0": reorder(w["recurrent_kernel"]).T,
            }
            if bias:
                params["bias_ih_l0"] = reorder(w["bias"][0])
                params["bias_hh_l0"] = reorder(w["bias"][1])
        else:
            act, _ = self.activations()
            module = torch.nn.RNN(n, u, nonlinearity=act, batch_first=True, bias=bias)
            params = {"weight_ih_l0": w["kernel"].T, "weight_hh_l0": w["recurrent_kernel"].T}
            if bias:
                params["bias_ih_l0"] = w["bias"]
                params["bias_hh_l0"] = torch.zeros(u)
        # The module runs on these tensors (so gradients reach Keras' weights), not on its own.
        module._flat_weights = [params[name] for name in module._flat_weights_names]
        out, _ = module(x)
        return out

    def keras_cell(self, x, w):
        act_name, rec_name = self.activations()
        act, rec = activation(act_name), activation(rec_name)
        u, batch = self.units(), x.shape[0]
        h = torch.zeros(batch, u)
        c = torch.zeros(batch, u)
        k, rk, b = w["kernel"], w["recurrent_kernel"], w.get("bias")
        outs = []
        for t in range(x.shape[1]):
            xt = x[:, t]
            if self.type == "simple_rnn":
                h = act(xt @ k + (b if b is not None else 0) + h @ rk)
            elif self.type == "lstm":
                z = xt @ k + h @ rk + (b if b is not None else 0)
                i, f, g, o = z[:, :u], z[:, u : 2 * u], z[:, 2 * u : 3 * u], z[:, 3 * u :]
                c = rec(f) * c + rec(i) * act(g)
                h = rec(o) * act(c)
            else:
                if self.reset_after():
                    bi = b[0] if b is not None else 0
                    br = b[1] if b is not None else 0
                    mx = xt @ k + bi
                    mh = h @ rk + br
                    z = rec(mx[:, :u] + mh[:, :u])
                    r = rec(mx[:, u : 2 * u] + mh[:, u : 2 * u])
                    hh = act(mx[:, 2 * u :] + r * mh[:, 2 * u :])
                else:
                    mx = xt @ k + (b if b is not None else 0)
                    mh = h @ rk[:, : 2 * u]
                    z = rec(mx[:, :u] + mh[:, :u])
                    r = rec(mx[:, u : 2 * u] + mh[:, u : 2 * u])
                    hh = act(mx[:, 2 * u :] + (r * h) @ rk[:, 2 * u :])
                h = z * h + (1 - z) * hh
            outs.append(h)
        return torch.stack(outs, dim=1)


def make_layer(type_, cfg, name):
    if type_ not in OWN_KEYS:
        raise CaseError("layer type %r is not known to this reference" % type_)
    simple = {
        "dense": Dense,
        "dropout": Dropout,
        "activation": ActivationLayer,
        "flatten": Flatten,
        "reshape": Reshape,
        "layer_normalization": LayerNormalization,
        "batch_normalization": BatchNormalization,
        "embedding": Embedding,
        "simple_rnn": Recurrent,
        "lstm": Recurrent,
        "gru": Recurrent,
    }
    if type_ in simple:
        return simple[type_](type_, cfg, name)
    if type_ in ("conv1d", "conv2d"):
        return Conv(type_, cfg, name, int(type_[-2]))
    for kind, prefix in (("max", "max_pooling"), ("average", "average_pooling")):
        if type_ in (prefix + "1d", prefix + "2d"):
            return Pooling(type_, cfg, name, int(type_[-2]), kind)
        if type_ in ("global_" + prefix + "1d", "global_" + prefix + "2d"):
            return GlobalPooling(type_, cfg, name, int(type_[-2]), kind)
    raise CaseError("layer type %r is not known to this reference" % type_)


# ---------------------------------------------------------------------------------------------
# The model.


class Model:
    def __init__(self, layer_configs):
        """layer_configs: [{type: ..., ...}] or [{class_name: ..., config: {...}}]."""
        self.layers = []
        seen = {}
        in_shape = None
        for i, raw in enumerate(layer_configs):
            if "class_name" in raw:
                cls = raw["class_name"]
                cfg = dict(raw.get("config") or {})
                if cls == "InputLayer":
                    shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
                    in_shape = tuple(int(v) for v in shape[1:])
                    continue
                if cls not in CLASS_TYPES:
                    raise CaseError("layers[%d]: class %r is not known to this reference" % (i, cls))
                type_ = CLASS_TYPES[cls]
            else:
                cfg = dict(raw)
                type_ = cfg.pop("type")
            if not self.layers and in_shape is None:
                if cfg.get("input_shape") is not None:
                    in_shape = tuple(int(v) for v in cfg["input_shape"])
                elif cfg.get("batch_input_shape") is not None:
                    in_shape = tuple(int(v) for v in cfg["batch_input_shape"][1:])
                elif type_ != "embedding" and cfg.get("input_dim") is not None:
                    in_shape = (int(cfg["input_dim"]),)
                else:
                    raise CaseError("layers[0]: no input_shape")
            n = seen.get(type_, 0)
            seen[type_] = n + 1
            self.layers.append(make_layer(type_, cfg, type_ if n == 0 else "%s_%d" % (type_, n)))
        self.input_shape = in_shape
        shape = in_shape
        for layer in self.layers:
            layer.build(shape)
            shape = layer.out_shape
        self.output_shape = shape

    def weight_names(self):
        """Every weight's Keras name, in Keras' order: layer by layer, each layer's in its order."""
        return ["%s/%s" % (l.name, w) for l in self.layers for w in l.shapes]

    def shapes(self):
        return {"%s/%s" % (l.name, w): s for l in self.layers for w, s in l.shapes.items()}

    def init(self, seed):
        rng = np.random.default_rng(seed)
        out = {}
        for l in self.layers:
            for w, v in l.init(rng).items():
                out["%s/%s" % (l.name, w)] = v
        return out

    def forward(self, x, params, training, moving):
        """params: name -> tensor; moving: filled with the new moving statistics of training."""
        for l in self.layers:
            w = {k: params["%s/%s" % (l.name, k)] for k in l.shapes}
            stats = {}
            x = l.forward(x, w, training, stats)
            if tuple(x.shape[1:]) != l.out_shape:
                raise AssertionError("%s: output %s, expected %s" % (l.name, tuple(x.shape[1:]), l.out_shape))
            for k, v in stats.items():
                moving["%s/%s" % (l.name, k)] = v
        return x

    def penalty(self, params):
        """Keras' regularization losses, added to the loss of a training step."""
        total = 0.0
        for l in self.layers:
            total = total + l.penalty({k: params["%s/%s" % (l.name, k)] for k in l.shapes})
        return total

    def trainable(self, name):
        layer, weight = name.split("/", 1)
        return next(l for l in self.layers if l.name == layer).trainable(weight)


def model_layers(case, case_path):
    if "layers" in case:
        return case["layers"]
    path = os.path.join(os.path.dirname(case_path), case["model"])
    if os.path.isdir(path):
        path = os.path.join(path, "model.json")
    with open(path) as f:
        doc = json.load(f)
    return doc["config"]["layers"] if "config" in doc else doc["layers"]


# ---------------------------------------------------------------------------------------------
# Losses, as keras/src/losses/losses.py: the mean over the batch of each example's loss.


def loss_of(spec):
    if isinstance(spec, dict):
        name, from_logits = spec["type"], bool(spec.get("from_logits", False))
    else:
        name, from_logits = spec, False

    def per_example(y_pred, y_true):
        if name == "sparse_categorical_crossentropy":
            labels = y_true.reshape(-1).long()
            if from_logits:
                logp = torch.log_softmax(y_pred, dim=-1)
            else:
                p = y_pred / y_pred.sum(dim=-1, keepdim=True)
                logp = torch.log(p.clamp(KERAS_EPSILON, 1 - KERAS_EPSILON))
            return -logp.gather(1, labels[:, None])[:, 0]
        if name == "binary_crossentropy":
            y = y_true.reshape(y_pred.shape)
            if from_logits:
                return F.binary_cross_entropy_with_logits(y_pred, y, reduction="none").mean(dim=-1)
            p = y_pred.clamp(KERAS_EPSILON, 1 - KERAS_EPSILON)
            return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean(dim=-1)
        if name in ("mean_squared_error", "mse"):
            return ((y_pred - y_true.reshape(y_pred.shape)) ** 2).mean(dim=-1)
        if name in ("mean_absolute_error", "mae"):
            return (y_pred - y_true.reshape(y_pred.shape)).abs().mean(dim=-1)
        raise CaseError("loss %r is not known to this reference" % name)

    return lambda y_pred, y_true: per_example(y_pred, y_true).mean()


# ---------------------------------------------------------------------------------------------
# Optimizers, as keras/src/optimizers: each update written out from Keras' formula.


class Optimizer:
    def __init__(self, spec):
        spec = {"type": spec} if isinstance(spec, str) else dict(spec)
        self.type = spec.pop("type")
        self.lr = float(spec.pop("learning_rate", 0.01 if self.type == "sgd" else 0.001))
        self.spec = spec
        self.iterations = 0
        self.slots = {}
        if self.type not in ("sgd", "adam"):
            raise CaseError("optimizer %r is not known to this reference" % self.type)
        known = {"sgd": {"momentum", "nesterov"}, "adam": {"beta_1", "beta_2", "epsilon", "amsgrad"}}
        for key in spec:
            if key not in known[self.type]:
                raise CaseError("optimizer %s: setting %r is not known to this reference" % (self.type, key))

    def update(self, name, w, g):
        """The new value of weight `name` (w, gradient g)."""
        s = self.spec
        if self.type == "sgd":
            momentum = float(s.get("momentum", 0.0))
            if momentum == 0:
                return w - self.lr * g  # variable.assign_sub(learning_rate * gradient)
            m = self.slots.get(name, torch.zeros_like(w))
            m = momentum * m - self.lr * g
            self.slots[name] = m
            return w + (momentum * m - self.lr * g if s.get("nesterov", False) else m)
        b1, b2 = float(s.get("beta_1", 0.9)), float(s.get("beta_2", 0.999))
        eps = float(s.get("epsilon", 1e-7))
        t = self.iterations + 1
        m, v, vhat = self.slots.get(name, (torch.zeros_like(w),) * 3)
        alpha = self.lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        if s.get("amsgrad", False):
            vhat = torch.maximum(vhat, v)
            root = torch.sqrt(vhat)
        else:
            root = torch.sqrt(v)
        self.slots[name] = (m, v, vhat)
        return w - m * alpha / (root + eps)  # epsilon after the root, as Keras has it


# ---------------------------------------------------------------------------------------------
# Files.


def write_npz(path, arrays):
    """float32 arrays as numpy.savez writes them (an uncompressed zip of NAME.npy), without zip64."""
    import io

    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, v in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(v, dtype="<f4"), allow_pickle=False)
            z.writestr(zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0)), buf.getvalue())


def read_data(path):
    """Features and labels as sparkdp reads them (float32): an .npz of `x` and `y`, or a CSV with a
    header row whose column `label` is the label and every other column a feature."""
    if path.endswith(".npz"):
        with np.load(path) as z:
            x, y = z["x"], z["y"]
        x = x.reshape(x.shape[0], -1)
        return x.astype(np.float32).astype(np.float64), y.reshape(-1).astype(np.float32).astype(np.float64)
    with open(path) as f:
        header = f.readline().strip().split(",")
    values = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    label = header.index("label")
    features = [i for i in range(len(header)) if i != label]
    # the values sparkdp reads: float32
    x = values[:, features].astype(np.float32).astype(np.float64)
    y = values[:, label].astype(np.float32).astype(np.float64)
    return x, y


def write_csv(path, x, y, ids):
    with open(path, "w") as f:
        f.write(",".join(["f%d" % j for j in range(x.shape[1])] + ["label"]) + "\n")
        for row, label in zip(x, y):
            fields = ["%d" % v for v in row] if ids else [repr(float(v)) for v in row]
            f.write(",".join(fields + [repr(float(label)) if not float(label).is_integer() else "%d" % label]) + "\n")


def command_init(case, model, out):
    seed = int(case.get("seed", 1))
    rows = int(case["rows"])
    os.makedirs(out, exist_ok=True)
    write_npz(os.path.join(out, "init.npz"), model.init(seed))
    rng = np.random.default_rng(seed + 1)
    first = model.layers[0]
    width = int(np.prod(model.input_shape))
    ids = first.type == "embedding"
    if ids:
        x = rng.integers(0, int(first.cfg["input_dim"]), (rows, width))
    else:
        x = rng.standard_normal((rows, width)).astype(np.float32)
    loss = case["compile"]["loss"]
    loss = loss["type"] if isinstance(loss, dict) else loss
    if loss == "sparse_categorical_crossentropy":
        y = rng.integers(0, model.output_shape[-1], rows)
    elif loss == "binary_crossentropy":
        y = rng.integers(0, 2, rows)
    else:
        y = rng.standard_normal(rows).astype(np.float32)
    if model.output_shape != (1,) and loss != "sparse_categorical_crossentropy":
        raise CaseError("init writes one label per row: a model of output %s needs its own data" % (model.output_shape,))
    write_csv(os.path.join(out, "train.csv"), x, y, ids)


def command_train(case, model, weights, data, out):
    with np.load(weights) as z:
        initial = {k: z[k] for k in z.files}
    shapes = model.shapes()
    if set(initial) != set(shapes):
        raise CaseError("%s: arrays %s, the model's are %s" % (weights, sorted(initial), sorted(shapes)))
    for k, s in shapes.items():
        if tuple(initial[k].shape) != tuple(s):
            raise CaseError("%s: %s has shape %s, the model's is %s" % (weights, k, initial[k].shape, s))
    params = {k: torch.tensor(initial[k].astype(np.float64)) for k in model.weight_names()}
    xs, ys = read_data(data)
    x = torch.tensor(xs).reshape((xs.shape[0],) + model.input_shape)
    y = torch.tensor(ys)
    loss_fn = loss_of(case["compile"]["loss"])
    optimizer = Optimizer(case["compile"]["optimizer"])
    trainable = [k for k in model.weight_names() if model.trainable(k)]
    for step in range(int(case["epochs"])):
        for k in trainable:
            params[k].requires_grad_(True)
        moving = {}
        loss = loss_fn(model.forward(x, params, True, moving), y) + model.penalty(params)
        grads = torch.autograd.grad(loss, [params[k] for k in trainable], allow_unused=True)
        with torch.no_grad():
            for k, g in zip(trainable, grads):
                g = torch.zeros_like(params[k]) if g is None else g
                params[k] = optimizer.update(k, params[k].detach(), g)
            optimizer.iterations += 1
            params.update(moving)
        print("step %d loss %.9f" % (step + 1, loss.item()))
    write_npz(out, {k: params[k].detach().numpy() for k in model.weight_names()})


def captured(run):
    """The exit code, standard output and standard error of run() (a main), as a process's."""
    import contextlib
    import io
    import traceback

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = run()
        except SystemExit as e:  # argparse's usage errors
            code = e.code if isinstance(e.code, int) else 2
        except Exception:  # a bug of the reference: that case's alone, with its trace
            traceback.print_exc()
            code = 1
    return {"exit": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


def command_cases(argv):
    parser = argparse.ArgumentParser(prog="keras_reference.py cases")
    parser.add_argument("dirs", nargs="+")
    parser.add_argument("--selfcheck")
    args = parser.parse_args(argv)
    for d in args.dirs:
        case = os.path.join(d, "case.json")
        outcome = {"init": captured(lambda: main(["init", case, "--out", d])), "train": None}
        if outcome["init"]["exit"] == 0:
            outcome["train"] = captured(lambda: main(["train", case, "--weights", os.path.join(d, "init.npz"),
                                                      "--data", os.path.join(d, "train.csv"),
                                                      "--out", os.path.join(d, "ref.npz")]))
        with open(os.path.join(d, "reference.json"), "w") as f:
            json.dump(outcome, f, indent=1)
    if args.selfcheck:
        sys.modules.setdefault("keras_reference", sys.modules[__name__])  # the selfcheck's `kr`: this module
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import keras_reference_selfcheck

        with open(args.selfcheck, "w") as f:
            json.dump(captured(keras_reference_selfcheck.main), f, indent=1)
    return 0


def main(argv):
    if argv[:1] == ["cases"]:
        return command_cases(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["init", "train"])
    parser.add_argument("case")
    parser.add_argument("--out", required=True)
    parser.add_argument("--weights")
    parser.add_argument("--data")
    args = parser.parse_args(argv)
    with open(args.case) as f:
        case = json.load(f)
    try:
        model = Model(model_layers(case, args.case))
        if args.command == "init":
            command_init(case, model, args.out)
        else:
            if not args.weights or not args.data:
                parser.error("train needs --weights and --data")
            command_train(case, model, args.weights, args.data, args.out)
    except CaseError as e:
        print("keras_reference: %s: %s" % (args.case, e), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
