"""sparkdp as Spark ML stages in PySpark: :class:`SequentialEstimator` and :class:`SequentialModel`, wrappers
of the JVM's ``org.sparkdp.ml`` stages, for Pipelines, CrossValidator and TrainValidationSplit, on a classic
session (Py4J) and on Spark Connect alike.

They are written as PySpark's own stages are (``pyspark.ml.classification.LogisticRegression``): the Params
are declared in Python (``sparkdp._params``, made from the Java stages and checked against them by a test),
the JVM stage is made with ``_new_java_obj``, and fit, transform, save and load go through PySpark's own
machinery, which sends Spark Connect's ML commands on a Connect session. The classes' module is
``org.sparkdp.ml``, the JVM package, because that is where PySpark's readers look for the Java class.

The Params: ``layers``, ``optimizer``, ``learningRate``, ``loss``, ``metrics``, one per fit setting by its
Java name (``epochs``, ``batchSize``, ``validationSplit``, ``seed``, ...) and the columns (``featuresCol``,
``labelCol``, ``predictionCol``, ``probabilityCol``, ``rawPredictionCol``, ``weightCol``). Keyword arguments
take these names or Keras' (``batch_size``, ``learning_rate``); ``layers`` takes a list of layers,
``optimizer`` an optimizer object, and ``loss`` a dict, as well as their JSON.
"""

import json
import threading

from pyspark.ml.util import JavaMLReadable, JavaMLWritable
from pyspark.ml.wrapper import JavaEstimator, JavaModel, JavaWrapper
from pyspark.sql.utils import is_remote

from sparkdp._params import _ModelFacts, _SequentialParams

_JAVA_PACKAGE = "org.sparkdp.ml"
_NO_JAR = ("sparkdp's jar is not on Spark's classpath: start Spark with --jars sparkdp-jobs-...-app.jar "
           "(or spark.jars), the app jar of this Spark line")


def _camel(name):
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class _Stage(_SequentialParams):
    """What the estimator and the model share: Params set by their names or Keras'."""

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


class SequentialEstimator(JavaEstimator, _Stage, JavaMLReadable, JavaMLWritable):
    """A Keras Sequential model as an Estimator. ``fit`` returns a :class:`SequentialModel`; on a classic
    session it prints the epoch lines (``verbose``: 0 for none); on Spark Connect the Spark UI's job
    descriptions (``sparkdp epoch 3/10 step 120/1688``) show the progress.

    >>> SequentialEstimator(layers=[Dense(16, activation="relu", input_dim=4), Dense(3, activation="softmax")],
    ...                     loss="sparse_categorical_crossentropy", epochs=10, learning_rate=0.01)
    """

    __module__ = _JAVA_PACKAGE

    def __init__(self, **kwargs):
        super().__init__()
        try:
            self._java_obj = self._new_java_obj(_JAVA_PACKAGE + ".SequentialEstimator", self.uid)
        except TypeError:  # Py4J: the class is a package, no jar has it
            raise RuntimeError(_NO_JAR) from None
        self.setParams(**kwargs)

    def _fit_java(self, dataset):
        """PySpark's fit, with the epoch lines printed here as they come (the JVM's standard output does not
        reach a notebook cell)."""
        if not self.getOrDefault(self.verbose):
            return super()._fit_java(dataset)
        progress = JavaWrapper(JavaWrapper._new_java_obj(_JAVA_PACKAGE + ".ProgressLines"))
        self._call_java("setProgress", progress._java_obj)
        try:
            return _printing(progress, lambda: super(SequentialEstimator, self)._fit_java(dataset))
        finally:
            self._call_java("setProgress", None)

    def _create_model(self, java_model):
        model = SequentialModel(java_model)
        if not is_remote():
            model._transfer_params_from_java()  # the facts the fit set
        return model


def _printing(progress, fit):
    """Runs ``fit`` on a thread of its own and prints what ``progress`` (the JVM's ProgressLines) collects
    meanwhile; Ctrl-C stops the training (sparkdp's interruption: the step in flight is abandoned)."""
    outcome = {}

    def run():
        try:
            outcome["value"] = fit()
        except BaseException as e:  # handed to the calling thread
            outcome["error"] = e

    worker = threading.Thread(target=run, name="sparkdp-fit", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
            _show(progress)
    except KeyboardInterrupt:
        progress._call_java("interrupt")
        worker.join()
        raise
    _show(progress)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _show(progress):
    text = progress._call_java("poll")
    if text:
        print(text, end="", flush=True)


class SequentialModel(JavaModel, _Stage, _ModelFacts, JavaMLReadable, JavaMLWritable):
    """A fitted :class:`SequentialEstimator`: a Transformer adding ``prediction`` (and for a classifier
    ``probability`` and ``rawPrediction``), which Spark's evaluators score. What the fit learnt about itself
    (:attr:`history`, :attr:`provenance`, :meth:`summary`) is read from the model's own Params, on a classic
    session and on Spark Connect alike."""

    __module__ = _JAVA_PACKAGE

    def _facts(self, name):
        param = self.getParam(name)
        if not self.isDefined(param) and is_remote() and self._java_obj is not None:
            # After a fit on Spark Connect: the server answers toString, whose second line holds the facts.
            lines = str(self._call_java("toString")).split("\n", 1)
            if len(lines) == 2:
                self._set(**json.loads(lines[1]))
        if not self.isDefined(param):
            raise RuntimeError("SequentialModel %s: no %s (fit or load a model)" % (self.uid, name))
        return self.getOrDefault(param)

    @property
    def history(self):
        """Keras' ``history.history`` of the fit: metric to one value per epoch."""
        return json.loads(self._facts("historyJson"))

    @property
    def provenance(self):
        """The model directory's provenance: the data it learnt from, the versions, ``final_metrics``, ..."""
        return json.loads(self._facts("provenanceJson"))

    @property
    def final_metrics(self):
        """The last epoch's loss and metrics, as the provenance records them."""
        return self.provenance.get("final_metrics", {})

    def summary(self):
        """Prints Keras' table of layers, shapes and parameter counts."""
        print(self._facts("summaryText"))

    def __repr__(self):
        return "SequentialModel: uid=%s" % self.uid

    def sequential(self):
        """The trained model as a Keras-shaped :class:`sparkdp.Sequential` (evaluate, save, export): on a
        classic session only."""
        if is_remote():
            raise RuntimeError("SequentialModel.sequential() needs a classic session (Py4J); on Spark Connect "
                               "use transform, history, provenance, summary() and write().save()")
        from sparkdp.models import Sequential

        return Sequential._wrap(self._java_obj.sequential())
