"""The converters of the Params that take Python objects as well as their JSON: ``layers`` a list of layers,
``optimizer`` an optimizer object, a name or a dict, ``loss`` a name or a dict."""

import json

from pyspark.ml.param import TypeConverters

from sparkdp import layers as _layers, optimizers as _optimizers


def layers_json(value):
    if isinstance(value, str):
        return value
    return json.dumps([_layers.to_config(layer) for layer in value])


def _text(value):
    return value if isinstance(value, str) else json.dumps(value)


def optimizer_json(value):
    return _text(_optimizers.to_config(value))


def loss_json(value):
    return _text(value)


def _integer(value, bits, kind):
    value = TypeConverters.toInt(value)
    if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise TypeError("%d does not fit a Java %s" % (value, kind))
    return value


def to_int(value):
    """An IntParam's value: a whole number of 32 bits."""
    return _integer(value, 32, "int")


def to_long(value):
    """A LongParam's value: a whole number of 64 bits."""
    return _integer(value, 64, "long")
