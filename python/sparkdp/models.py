"""Keras' Sequential model on Spark: built, compiled and trained in the JVM (sparkdp's Java API), driven
from Python with PySpark DataFrames."""

import json

from pyspark.sql import DataFrame

from sparkdp import _jvm, layers as _layers, optimizers as _optimizers


class History:
    """What ``fit`` returns, as Keras': ``history`` maps each metric (``loss``, ``accuracy``, ``val_loss``,
    ...) to one value per epoch; ``epoch`` lists the epochs (from 0); ``epoch_seconds`` their wall time."""

    def __init__(self, values):
        values = dict(values)
        self.epoch_seconds = values.pop("epoch_seconds", [])
        self.history = values
        self.epoch = list(range(len(self.epoch_seconds)))

    def __repr__(self):
        return "History(%r)" % (self.history,)


class Sequential:
    """``Sequential([Dense(64, activation="relu", input_dim=784), Dense(10, activation="softmax")])``.

    ``fit``, ``evaluate`` and ``predict`` take a DataFrame with a features column (an ML vector or an array
    of numbers) and, to train and evaluate, a label column (a number, or a vector with one value per output
    unit)."""

    def __init__(self, layers=None, name="sequential"):
        self.layers = list(layers or [])
        self.name = name
        self._java = None
        self._compiled = None

    def add(self, layer):
        self.layers.append(layer)
        self._java = None

    def _model(self):
        if self._java is None:
            configs = [_layers.to_config(layer) for layer in self.layers]
            self._java = _jvm.ml().Bridge.sequential(json.dumps(configs))
            if self._compiled is not None:
                _jvm.ml().Bridge.compile(self._java, self._compiled)
        return self._java

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, from_logits=None):
        """Keras' compile: ``optimizer`` a name, ``Adam(learning_rate=...)`` or a dict; ``loss`` a Keras name or
        a dict (``{"type": "huber", "delta": 2.0}``); ``metrics`` ``["accuracy"]`` or none."""
        if loss is None:
            raise ValueError("compile: loss must be given (e.g. 'sparse_categorical_crossentropy')")
        config = {"optimizer": _optimizers.to_config(optimizer), "loss": loss, "metrics": list(metrics or [])}
        if from_logits is not None:
            config["from_logits"] = from_logits
        self._compiled = json.dumps(config)
        _jvm.ml().Bridge.compile(self._model(), self._compiled)

    def fit(self, x, y=None, batch_size=None, epochs=1, verbose=1, validation_split=None, validation_data=None,
            features_col="features", label_col="label", **settings):
        """Trains on the DataFrame ``x``; every fit setting of sparkdp is a keyword in Keras' names
        (``seed``, ``strategy``, ``partitions``, ...). The epoch lines are printed as training runs.
        Returns a :class:`History`."""
        if y is not None:
            raise ValueError("fit: the labels are a column of x (label_col), not a separate y")
        if verbose == "auto":
            verbose = 1
        config = dict(settings, epochs=epochs, verbose=verbose)
        if batch_size is not None:
            config["batch_size"] = batch_size
        if validation_split is not None:
            config["validation_split"] = validation_split
        model = self._model()
        validation = validation_data._jdf if validation_data is not None else None
        result = _jvm.with_progress(
            lambda progress: _jvm.ml().Bridge.fit(
                model, x._jdf, validation, json.dumps(config), features_col, label_col, progress),
            verbose)
        return History(json.loads(result))

    def evaluate(self, x, features_col="features", label_col="label", return_dict=False):
        """The loss (and the metrics) over ``x``: as Keras, a number, a list ``[loss, accuracy]``, or a dict
        with ``return_dict=True``."""
        metrics = json.loads(_jvm.ml().Bridge.evaluate(self._model(), x._jdf, features_col, label_col))
        if return_dict:
            return metrics
        values = list(metrics.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, features_col="features"):
        """``x`` with the columns ``output`` (the model's outputs, an ML vector) and ``prediction`` (the class,
        or a one-unit regression's output)."""
        return DataFrame(self._model().predict(x._jdf, features_col), x.sparkSession)

    def summary(self):
        """Prints Keras' table of layers, shapes and parameter counts."""
        print(self._model().summary())

    def save(self, path):
        """Writes the model directory (``model.json``, ``weights.npz``) on any Hadoop file system."""
        return self._model().save(path)

    @classmethod
    def load(cls, path):
        """A model directory written by :meth:`save` (or by ``bin/sparkdp train``)."""
        return cls._wrap(_jvm.sequential_class().load(path))

    @classmethod
    def _wrap(cls, java_model):
        model = cls()
        model._java = java_model
        model._compiled = None
        return model

    @property
    def java_model(self):
        """The JVM's ``org.sparkdp.Sequential``, for what this class does not wrap."""
        return self._model()


def load_model(path):
    """Keras' ``load_model``: a model directory written by ``save`` or ``bin/sparkdp train``."""
    return Sequential.load(path)
