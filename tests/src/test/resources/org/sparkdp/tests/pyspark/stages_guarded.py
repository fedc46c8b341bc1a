"""sparkdp's ML stages on the Py4J path with sparkdp's own way to the JVM closed, as Spark Connect closes it: any
read of SparkContext's _jvm, _gateway or _active_spark_context, of SparkSession.sparkContext or _jsparkSession, or
of a DataFrame's _jdf from a module of sparkdp raises; PySpark's own modules read them as usual. Then: the Python
Params against the JVM stage's, fit (with its epoch lines), transform, the model's facts against the JVM's, save
and load of the model, the estimator and a Pipeline. Prints one line "result {...}" for the test to check.
At the end it puts PySpark's classes back as they were, for the scripts that one_session.py runs after this one
(which must be the first, before anything imports sparkdp). Usage: stages_guarded.py DATA.csv OUT_DIR"""
import json
import sys

from pyspark import SparkContext
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.feature import StandardScaler, VectorAssembler
from pyspark.sql import DataFrame, SparkSession

data_path, out = sys.argv[1], sys.argv[2]
spark = SparkSession.builder.getOrCreate()


class SparkdpReachedTheJvm(RuntimeError):
    pass


def _from_sparkdp():
    name = sys._getframe(2).f_globals.get("__name__", "")
    return name == "sparkdp" or name.startswith(("sparkdp.", "org.sparkdp"))


class _Guarded:
    """A data descriptor in place of a class attribute: raises when code of sparkdp reads it."""

    def __init__(self, owner, name):
        self.name = name
        self.value = owner.__dict__.get(name)

    def __get__(self, obj, owner):
        if _from_sparkdp():
            raise SparkdpReachedTheJvm("sparkdp read %s.%s itself" % (owner.__name__, self.name))
        if obj is not None and self.name in obj.__dict__:
            return obj.__dict__[self.name]
        return self.value

    def __set__(self, obj, value):
        obj.__dict__[self.name] = value


_unguarded = []


def _guard(cls, name):
    attribute = cls.__dict__.get(name)
    _unguarded.append((cls, name, name in cls.__dict__, attribute))
    if isinstance(attribute, property):
        def read(self, _get=attribute.fget):
            if _from_sparkdp():
                raise SparkdpReachedTheJvm("sparkdp read %s.%s itself" % (cls.__name__, name))
            return _get(self)
        setattr(cls, name, property(read))
    else:
        setattr(cls, name, _Guarded(cls, name))


for cls, name in [(SparkContext, "_jvm"), (SparkContext, "_gateway"), (SparkContext, "_active_spark_context"),
                  (SparkSession, "sparkContext"), (SparkSession, "_jsparkSession"), (DataFrame, "_jdf")]:
    _guard(cls, name)

import sparkdp  # noqa: E402
from sparkdp import Dense, SequentialEstimator, SequentialModel  # noqa: E402

result = {}
try:  # the guard holds: sparkdp's own way to the JVM (what its Keras-shaped API uses) raises
    sparkdp._jvm.ml()
    result["guarded"] = False
except SparkdpReachedTheJvm:
    result["guarded"] = True

jvm = spark.sparkContext._jvm  # this script is not sparkdp
raw = spark.read.csv(data_path, header=True, inferSchema=True).coalesce(1)
inputs = [c for c in raw.columns if c != "label"]
data = VectorAssembler(inputCols=inputs, outputCol="features").transform(raw)


def java_kind(java_param):
    return java_param.getClass().getSimpleName()


_CONVERTERS = {"IntParam": "to_int", "LongParam": "to_long", "DoubleParam": "toFloat", "BooleanParam": "toBoolean",
               "StringArrayParam": "toListString", "Param": "toString"}


def differences(stage):
    """Where the Python Params and the JVM stage's differ: name, type (converter) or default."""
    java = stage._java_obj
    found = []
    java_names = set()
    for jp in java.params():
        name = jp.name()
        java_names.add(name)
        if not stage.hasParam(name):
            found.append("%s: not in Python" % name)
            continue
        param = stage.getParam(name)
        kind = java_kind(jp)
        converter = param.typeConverter.__name__
        if converter != _CONVERTERS.get(kind) and not converter.endswith("_json"):
            found.append("%s: %s in Java, %s in Python" % (name, kind, converter))
        java_default = java.getDefault(jp)
        if java_default.isDefined() != stage.hasDefault(param):
            found.append("%s: a default on one side only" % name)
        elif java_default.isDefined():
            value = java_default.get()
            value = list(value) if kind == "StringArrayParam" else value
            if value != stage._defaultParamMap[param]:
                found.append("%s: default %r in Java, %r in Python" % (name, value, stage._defaultParamMap[param]))
    found += ["%s: not in Java" % p.name for p in stage.params if p.name not in java_names]
    return found


estimator = SequentialEstimator(
    layers=[Dense(8, activation="relu", input_dim=len(inputs)), Dense(3, activation="softmax")],
    loss="sparse_categorical_crossentropy", metrics=["accuracy"], learning_rate=0.01, epochs=3, batch_size=16,
    seed=3)
result["estimator_params"] = len(estimator.params)
result["estimator_differences"] = differences(estimator)

model = estimator.fit(data)  # verbose: the epoch lines print here
result["model_params"] = len(model.params)
result["model_differences"] = differences(model)


def predictions(m, df):
    return [list(r) for r in m.transform(df).select("prediction", "rawPrediction").collect()]


before = predictions(model, data)
java_model = model._java_obj
facts = {
    "history": model.history == json.loads(java_model.historyJson()),
    "provenance": model.provenance == json.loads(java_model.sequential().provenance().toJson().toString()),
    "summary": model.getOrDefault("summaryText") == java_model.sequential().summary(),
    "epochs": len(model.history["loss"]),
    "final_loss": model.final_metrics["loss"] == model.history["loss"][-1],
}
result["facts"] = facts

model.write().overwrite().save(out + "/model")
estimator.write().overwrite().save(out + "/estimator")
loaded = SequentialModel.load(out + "/model")
result["loaded_type"] = type(loaded).__module__ + "." + type(loaded).__name__
result["loaded_predictions_equal"] = predictions(loaded, data) == before
result["loaded_facts_equal"] = (loaded.history == model.history and loaded.provenance == model.provenance)
loaded_estimator = SequentialEstimator.load(out + "/estimator")
result["loaded_estimator"] = {p.name: loaded_estimator.getOrDefault(p) for p in loaded_estimator.params
                              if p.name in ("batchSize", "epochs", "seed", "learningRate")}

pipeline = Pipeline(stages=[VectorAssembler(inputCols=inputs, outputCol="raw"),
                            StandardScaler(inputCol="raw", outputCol="features", withMean=True),
                            SequentialEstimator(layers=estimator.getOrDefault("layers"), loss="sparse_categorical_crossentropy",
                                                epochs=2, seed=5, verbose=0)])
fitted = pipeline.fit(raw)
pipeline_before = [r.prediction for r in fitted.transform(raw).select("prediction").collect()]
fitted.write().overwrite().save(out + "/pipeline-model")
reloaded = PipelineModel.load(out + "/pipeline-model")
result["pipeline_equal"] = [r.prediction for r in reloaded.transform(raw).select("prediction").collect()] == \
    pipeline_before
result["pipeline_last_stage"] = type(reloaded.stages[-1]).__name__

# What the package does on a Spark Connect session, as far as it runs without PySpark's Connect client (which
# needs pyarrow and pandas 2): PySpark takes a session for Connect's when this variable is set.
to_string = java_model.toString()
import os  # noqa: E402

os.environ["SPARK_CONNECT_MODE_ENABLED"] = "1"
connect = {}
try:
    sparkdp.Sequential([Dense(3, input_dim=4)]).compile(loss="mse")
except RuntimeError as e:
    connect["sequential"] = str(e)
connect["estimator_java_obj"] = SequentialEstimator(layers=[Dense(3, input_dim=4)], loss="mse")._java_obj
connect["reader_class"] = (SequentialModel.__module__.replace("pyspark", "org.apache.spark") + "."
                           + SequentialModel.__name__)  # the name RemoteMLReader sends
remote = SequentialModel()
remote._java_obj = "a-model-ref"
remote._call_java = lambda name: to_string if name == "toString" else None  # the server's fetch of toString
connect["facts_from_to_string"] = (remote.history == model.history and remote.provenance == model.provenance
                                   and remote.getOrDefault("summaryText") == model.getOrDefault("summaryText"))
del os.environ["SPARK_CONNECT_MODE_ENABLED"]
result["connect"] = connect
print("result " + json.dumps(result, sort_keys=True))

for cls, name, had, attribute in reversed(_unguarded):
    if had:
        setattr(cls, name, attribute)
    else:
        delattr(cls, name)
