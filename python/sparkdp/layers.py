"""Keras' layers, as sparkdp's JVM side has them: each is its configuration in Keras' vocabulary.

The JVM checks every option (names, ranges, the first layer's ``input_dim`` or ``input_shape``) with the
same readers as a job file's ``model.layers``, and names the one at fault. Shaped inputs are channels last:
``Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1))`` takes rows of 784 values, index
``(h * 28 + w) * 1 + c``.
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


def _pair(value):
    """Keras' ``3`` or ``(3, 3)`` as a list the JVM reads (``None`` stays absent)."""
    return list(value) if isinstance(value, (tuple, list)) else value


def _shape(options):
    if options.get("input_shape") is not None:
        options["input_shape"] = list(options["input_shape"])
    return options


class Conv2D(Layer):
    """``Conv2D(filters, kernel_size, strides=(1, 1), padding="valid", dilation_rate=(1, 1), activation=None,
    use_bias=True, kernel_initializer=..., bias_initializer=..., kernel_regularizer=..., bias_regularizer=...,
    input_shape=None)``, channels last: kernel ``(kh, kw, in, filters)``."""

    type = "conv2d"

    def __init__(self, filters, kernel_size, strides=None, padding=None, dilation_rate=None, activation=None,
                 **options):
        super().__init__(filters=filters, kernel_size=_pair(kernel_size), strides=_pair(strides),
                         padding=padding, dilation_rate=_pair(dilation_rate), activation=activation,
                         **_shape(options))


class MaxPooling2D(Layer):
    """``MaxPooling2D(pool_size=(2, 2), strides=None, padding="valid")``: strides default to the pool size."""

    type = "max_pooling2d"

    def __init__(self, pool_size=None, strides=None, padding=None, **options):
        super().__init__(pool_size=_pair(pool_size), strides=_pair(strides), padding=padding,
                         **_shape(options))


class BatchNormalization(Layer):
    """``BatchNormalization(axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True, beta_initializer=...,
    gamma_initializer=..., moving_mean_initializer=..., moving_variance_initializer=..., beta_regularizer=...,
    gamma_regularizer=..., synchronized=False)`` over the last axis (the features, or an image's channels).

    In ``sync`` the statistics of a step are the whole global batch's, on every sync path, whatever
    ``synchronized`` says (it is accepted for Keras' sake); in ``local`` they are each task's own batch.
    """

    type = "batch_normalization"

    def __init__(self, axis=-1, momentum=None, epsilon=None, center=None, scale=None, synchronized=False,
                 **options):
        if axis != -1:
            raise ValueError("BatchNormalization: axis %r is not supported (sparkdp normalises the last axis, -1)"
                             % (axis,))
        super().__init__(momentum=momentum, epsilon=epsilon, center=center, scale=scale, **_shape(options))


class Flatten(Layer):
    """``Flatten()``: ``[batch, *shape] -> [batch, prod(shape)]`` in channels-last row-major order."""

    type = "flatten"

    def __init__(self, **options):
        super().__init__(**_shape(options))


class Reshape(Layer):
    """``Reshape(target_shape)``: the same values as ``[batch, *target_shape]``; one size may be -1."""

    type = "reshape"

    def __init__(self, target_shape, **options):
        super().__init__(target_shape=list(target_shape), **_shape(options))


def to_config(layer):
    """A layer, or a mapping already in Keras' vocabulary, as its configuration."""
    if isinstance(layer, Layer):
        return layer.get_config()
    if isinstance(layer, dict):
        return dict(layer)
    raise TypeError("not a layer: %r (expected Dense(...), Dropout(...), ... or a dict)" % (layer,))
