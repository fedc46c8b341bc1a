"""sparkdp as Spark ML stages in PySpark: :class:`SequentialEstimator` and :class:`SequentialModel`, wrappers
of the JVM's ``org.sparkdp.ml`` stages, for Pipelines, CrossValidator and TrainValidationSplit.

Their Params are the JVM stage's (made from its declarations when a stage is made, so they cannot drift):
``layers``, ``optimizer``, ``learningRate``, ``loss``, ``metrics``, one per fit setting by its Java name
(``epochs``, ``batchSize``, ``validationSplit``, ``seed``, ...) and the columns (``featuresCol``,
``labelCol``, ``predictionCol``, ``probabilityCol``, ``rawPredictionCol``). Keyword arguments take these
names or Keras' (``batch_size``, ``learning_rate``); ``layers`` takes a list of layers, ``optimizer`` an
optimizer object, and ``loss`` a dict, as well as their JSON.
"""

import json

from pyspark.ml.param import Param, TypeConverters
from pyspark.ml.util import JavaMLReadable, JavaMLReader, JavaMLWritable
from pyspark.ml.wrapper import JavaEstimator, JavaModel

from sparkdp import _jvm, layers as _layers, optimizers as _optimizers


def _layers_json(value):
    if isinstance(value, str):
        return value
    return json.dumps([_layers.to_config(layer) for layer in value])


def _json_or_name(convert):
    def to_text(value):
        value = convert(value)
        return value if isinstance(value, str) else json.dumps(value)

    return to_text


_CONVERTERS = {
    "IntParam": TypeConverters.toInt,
    "LongParam": TypeConverters.toInt,
    "DoubleParam": TypeConverters.toFloat,
    "BooleanParam": TypeConverters.toBoolean,
    "StringArrayParam": TypeConverters.toListString,
}
_SPECIAL = {
    "layers": _layers_json,
    "optimizer": _json_or_name(_optimizers.to_config),
    "loss": _json_or_name(lambda v: v),
}


def _camel(name):
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class _Params:
    """The Params of the JVM stage, made here with the converter that its type calls for."""

    def _params_from_java(self):
        for java_param in self._java_obj.params():
            name = java_param.name()
            kind = java_param.getClass().getSimpleName()
            converter = _SPECIAL.get(name) or _CONVERTERS.get(kind, TypeConverters.identity)
            setattr(self, name, Param(self, name, java_param.doc(), typeConverter=converter))
        self._params = None
        self._transfer_params_from_java()

    def setParams(self, **kwargs):
        """Sets Params by their names or by Keras' (``batch_size`` is ``batchSize``)."""
        values = {}
        for key, value in kwargs.items():
            name = key if self.hasParam(key) else _camel(key)
            if not self.hasParam(name):
                known = ", ".join(sorted(p.name for p in self.params))
                raise ValueError("%s: unknown Param %r (known: %s)" % (type(self).__name__, key, known))
            values[name] = value
        return self._set(**values)


class _Reader(JavaMLReader):
    @classmethod
    def _java_loader_class(cls, clazz):
        return "org.sparkdp.ml." + clazz.__name__


class SequentialEstimator(_Params, JavaEstimator, JavaMLReadable, JavaMLWritable):
    """A Keras Sequential model as an Estimator. ``fit`` prints the epoch lines (``verbose``: 0 for none) and
    returns a :class:`SequentialModel`.

    >>> SequentialEstimator(layers=[Dense(16, activation="relu", input_dim=4), Dense(3, activation="softmax")],
    ...                     loss="sparse_categorical_crossentropy", epochs=10, learning_rate=0.01)
    """

    def __init__(self, **kwargs):
        super().__init__()
        _jvm.ml()
        self._java_obj = self._new_java_obj("org.sparkdp.ml.SequentialEstimator", self.uid)
        self._params_from_java()
        self.setParams(**kwargs)

    def _fit_java(self, dataset):
        self._transfer_params_to_java()
        java = self._java_obj
        verbose = self.getOrDefault(self.getParam("verbose"))

        def fit(progress):
            java.setProgress(progress)
            try:
                return java.fit(dataset._jdf)
            finally:
                java.setProgress(None)

        return _jvm.with_progress(fit, verbose)

    def _create_model(self, java_model):
        return SequentialModel(java_model)

    @classmethod
    def read(cls):
        return _Reader(cls)


class SequentialModel(_Params, JavaModel, JavaMLReadable, JavaMLWritable):
    """A fitted :class:`SequentialEstimator`: a Transformer adding ``prediction`` (and for a classifier
    ``probability`` and ``rawPrediction``), which Spark's evaluators score."""

    def __init__(self, java_model=None):
        super().__init__(java_model)
        if java_model is not None:
            self._params_from_java()

    @property
    def history(self):
        """Keras' ``history.history`` of the fit: metric to one value per epoch."""
        return json.loads(self._java_obj.historyJson())

    def sequential(self):
        """The trained model as a Keras-shaped :class:`sparkdp.Sequential` (evaluate, summary, save)."""
        from sparkdp.models import Sequential

        return Sequential._wrap(self._java_obj.sequential())

    @classmethod
    def read(cls):
        return _Reader(cls)
