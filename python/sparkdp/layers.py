"""Keras' layers, as sparkdp's JVM side has them: each is its configuration in Keras' vocabulary.

The JVM checks every option (names, ranges, the first layer's ``input_dim``) with the same readers as a
job file's ``model.layers``, and names the one at fault.
"""


class Layer:
    """A layer: its ``type`` and its options (Keras' names), sent to the JVM as JSON."""

    type = None

    def __init__(self, **options):
        self.options = {k: v for k, v in options.items() if v is not None}

    def get_config(self):
        return dict(type=self.type, **self.options)

    def __repr__(self):
        args = ", ".join("%s=%r" % kv for kv in self.options.items())
        return "%s(%s)" % (type(self).__name__, args)


class Dense(Layer):
    """``Dense(units, activation=None, use_bias=True, input_dim=None, kernel_initializer=...,
    bias_initializer=..., kernel_regularizer=..., bias_regularizer=...)``: x W + b, then the activation."""

    type = "dense"

    def __init__(self, units, activation=None, **options):
        super().__init__(units=units, activation=activation, **options)


class Dropout(Layer):
    """``Dropout(rate, seed=None, input_dim=None)``: in training, drops a ``rate`` of the inputs."""

    type = "dropout"

    def __init__(self, rate, **options):
        super().__init__(rate=rate, **options)


class LayerNormalization(Layer):
    """``LayerNormalization(epsilon=0.001, center=True, scale=True, ...)`` over the last axis."""

    type = "layer_normalization"


class Activation(Layer):
    """``Activation(activation)``: applies a function (``relu``, ``softmax``, ...)."""

    type = "activation"

    def __init__(self, activation, **options):
        super().__init__(activation=activation, **options)


def to_config(layer):
    """A layer, or a mapping already in Keras' vocabulary, as its configuration."""
    if isinstance(layer, Layer):
        return layer.get_config()
    if isinstance(layer, dict):
        return dict(layer)
    raise TypeError("not a layer: %r (expected Dense(...), Dropout(...), ... or a dict)" % (layer,))
