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


class _Conv(Layer):
    """A convolution's options, as Keras' ``BaseConv`` takes them."""

    def __init__(self, filters, kernel_size, strides=None, padding=None, dilation_rate=None, activation=None,
                 **options):
        super().__init__(filters=filters, kernel_size=_pair(kernel_size), strides=_pair(strides),
                         padding=padding, dilation_rate=_pair(dilation_rate), activation=activation,
                         **_shape(options))


class Conv1D(_Conv):
    """``Conv1D(filters, kernel_size, strides=1, padding="valid", dilation_rate=1, activation=None, use_bias=True,
    ..., input_shape=None)`` on sequences ``(steps, features)``: kernel ``(k, in, filters)``; ``padding`` may also
    be ``"causal"``."""

    type = "conv1d"


class Conv2D(_Conv):
    """``Conv2D(filters, kernel_size, strides=(1, 1), padding="valid", dilation_rate=(1, 1), activation=None,
    use_bias=True, kernel_initializer=..., bias_initializer=..., kernel_regularizer=..., bias_regularizer=...,
    input_shape=None)``, channels last: kernel ``(kh, kw, in, filters)``."""

    type = "conv2d"


class _Pooling(Layer):
    """A pooling's options, as Keras' ``BasePooling`` takes them: strides default to the pool size."""

    def __init__(self, pool_size=None, strides=None, padding=None, **options):
        super().__init__(pool_size=_pair(pool_size), strides=_pair(strides), padding=padding,
                         **_shape(options))


class MaxPooling1D(_Pooling):
    """``MaxPooling1D(pool_size=2, strides=None, padding="valid")`` on sequences ``(steps, features)``."""

    type = "max_pooling1d"


class MaxPooling2D(_Pooling):
    """``MaxPooling2D(pool_size=(2, 2), strides=None, padding="valid")``: strides default to the pool size."""

    type = "max_pooling2d"


class AveragePooling1D(_Pooling):
    """``AveragePooling1D(pool_size=2, strides=None, padding="valid")``: with ``same`` padding an edge window
    averages over the values it covers."""

    type = "average_pooling1d"


class AveragePooling2D(_Pooling):
    """``AveragePooling2D(pool_size=(2, 2), strides=None, padding="valid")``."""

    type = "average_pooling2d"


class _GlobalPooling(Layer):
    """A global pooling: one value per channel (``keepdims=True`` keeps the spatial axes as 1s)."""

    def __init__(self, keepdims=None, **options):
        super().__init__(keepdims=keepdims, **_shape(options))


class GlobalAveragePooling1D(_GlobalPooling):
    """``GlobalAveragePooling1D(keepdims=False)``: each channel's mean over the steps."""

    type = "global_average_pooling1d"


class GlobalAveragePooling2D(_GlobalPooling):
    """``GlobalAveragePooling2D(keepdims=False)``: each channel's mean over the image."""

    type = "global_average_pooling2d"


class GlobalMaxPooling1D(_GlobalPooling):
    """``GlobalMaxPooling1D(keepdims=False)``: each channel's largest value over the steps."""

    type = "global_max_pooling1d"


class GlobalMaxPooling2D(_GlobalPooling):
    """``GlobalMaxPooling2D(keepdims=False)``: each channel's largest value over the image."""

    type = "global_max_pooling2d"


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


class Embedding(Layer):
    """``Embedding(input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
    mask_zero=False, input_shape=None)``: each input value is an id in ``[0, input_dim)`` that picks a row of
    the table ``(input_dim, output_dim)``; a model's first layer, on ``input_shape=(T,)`` ids per example, giving
    ``(T, output_dim)``. ``mask_zero=True`` is refused (sparkdp has no masking)."""

    type = "embedding"

    def __init__(self, input_dim, output_dim, **options):
        super().__init__(input_dim=input_dim, output_dim=output_dim, **_shape(options))


class SimpleRNN(Layer):
    """``SimpleRNN(units, activation="tanh", use_bias=True, return_sequences=False, kernel_initializer=...,
    recurrent_initializer=..., bias_initializer=..., kernel_regularizer=..., recurrent_regularizer=...,
    bias_regularizer=..., input_shape=None)``: ``h_t = activation(x_t K + h_{t-1} R + b)`` over sequences
    ``(timesteps, features)``, each a row of ``timesteps * features`` values (index ``t * features + f``)."""

    type = "simple_rnn"

    def __init__(self, units, activation=None, return_sequences=None, **options):
        super().__init__(units=units, activation=activation, return_sequences=return_sequences,
                         **_shape(options))


class LSTM(Layer):
    """``LSTM(units, activation="tanh", recurrent_activation="sigmoid", use_bias=True, unit_forget_bias=True,
    return_sequences=False, ..., input_shape=None)``: Keras' LSTM, gates i, f, c, o; kernel ``(features,
    4 * units)``. Dropout, ``go_backwards``, ``stateful`` and ``return_state`` are not supported."""

    type = "lstm"

    def __init__(self, units, activation=None, recurrent_activation=None, return_sequences=None, **options):
        super().__init__(units=units, activation=activation, recurrent_activation=recurrent_activation,
                         return_sequences=return_sequences, **_shape(options))


class GRU(Layer):
    """``GRU(units, activation="tanh", recurrent_activation="sigmoid", use_bias=True, reset_after=True,
    return_sequences=False, ..., input_shape=None)``: Keras 3's GRU, gates z, r, h; with ``reset_after`` its
    bias is ``(2, 3 * units)``, else ``(3 * units,)``."""

    type = "gru"

    def __init__(self, units, activation=None, recurrent_activation=None, return_sequences=None, **options):
        super().__init__(units=units, activation=activation, recurrent_activation=recurrent_activation,
                         return_sequences=return_sequences, **_shape(options))


def to_config(layer):
    """A layer, or a mapping already in Keras' vocabulary, as its configuration."""
    if isinstance(layer, Layer):
        return layer.get_config()
    if isinstance(layer, dict):
        return dict(layer)
    raise TypeError("not a layer: %r (expected Dense(...), Dropout(...), ... or a dict)" % (layer,))
