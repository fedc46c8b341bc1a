"""Keras' optimizers by name, with their options (``Adam(learning_rate=0.01)``); a name alone
(``"adam"``) takes Keras' defaults. The JVM checks each option by its declaration."""


class Optimizer:
    type = None

    def __init__(self, **options):
        self.options = {k: v for k, v in options.items() if v is not None}

    def get_config(self):
        return dict(type=self.type, **self.options)

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, ", ".join("%s=%r" % kv for kv in self.options.items()))


class SGD(Optimizer):
    type = "sgd"


class Adam(Optimizer):
    type = "adam"


class AdamW(Optimizer):
    type = "adamw"


class RMSprop(Optimizer):
    type = "rmsprop"


class Adagrad(Optimizer):
    type = "adagrad"


class Nadam(Optimizer):
    type = "nadam"


class Adamax(Optimizer):
    type = "adamax"


def to_config(optimizer):
    """An optimizer, a name or a mapping, as configuration."""
    if isinstance(optimizer, Optimizer):
        return optimizer.get_config()
    if isinstance(optimizer, (str, dict)):
        return optimizer
    raise TypeError("not an optimizer: %r (expected a name, Adam(...), ... or a dict)" % (optimizer,))
