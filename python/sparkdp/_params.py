"""The Params of sparkdp's ML stages, declared in Python as PySpark's own stages declare theirs.

Made from the Java stages (org.sparkdp.ml) by the driver's PythonParamsTest, which fails when this file and
the Java Params differ: do not edit by hand, run that test with -Dsparkdp.writePythonParams=true.
"""

from pyspark.ml.param import Param, Params, TypeConverters

from sparkdp import _convert


class _SequentialParams(Params):
    """The Params of SequentialEstimator and SequentialModel."""

    featuresCol = Param(Params._dummy(), "featuresCol", "the features: an ML vector or an array of numbers; default features", typeConverter=TypeConverters.toString)
    labelCol = Param(Params._dummy(), "labelCol", "the label: a number (a class index), or a vector with one value per output unit; default label", typeConverter=TypeConverters.toString)
    weightCol = Param(Params._dummy(), "weightCol", "a numeric column (0 or more) weighing each row's loss and gradient, as Spark ML's weightCol (the fit setting sampleWeightCol under Spark ML's name); not set or empty: every row weighs 1", typeConverter=TypeConverters.toString)
    predictionCol = Param(Params._dummy(), "predictionCol", "the prediction: the class index, or the regression's output (empty: no column); default prediction", typeConverter=TypeConverters.toString)
    probabilityCol = Param(Params._dummy(), "probabilityCol", "a classifier's class probabilities as a vector (empty: no column); default probability", typeConverter=TypeConverters.toString)
    rawPredictionCol = Param(Params._dummy(), "rawPredictionCol", "a classifier's raw outputs as a vector, one per class (empty: no column); default rawPrediction", typeConverter=TypeConverters.toString)
    layers = Param(Params._dummy(), "layers", "the model's layers as a JSON list in Keras' vocabulary, e.g. [{\"type\": \"dense\", \"units\": 64, \"activation\": \"relu\", \"input_dim\": 784}, {\"type\": \"dense\", \"units\": 10, \"activation\": \"softmax\"}]", typeConverter=_convert.layers_json)
    optimizer = Param(Params._dummy(), "optimizer", "the optimizer: a Keras name (adam, sgd, ...) with Keras' defaults, or a JSON mapping such as {\"type\": \"sgd\", \"momentum\": 0.9}", typeConverter=_convert.optimizer_json)
    learningRate = Param(Params._dummy(), "learningRate", "the optimizer's learning_rate (unset: the optimizer's own, or Keras' default)", typeConverter=TypeConverters.toFloat)
    loss = Param(Params._dummy(), "loss", "the loss: a Keras name (sparse_categorical_crossentropy, binary_crossentropy, mean_squared_error, ...) or a JSON mapping such as {\"type\": \"huber\", \"delta\": 2.0}", typeConverter=_convert.loss_json)
    metrics = Param(Params._dummy(), "metrics", "the metrics reported besides the loss: [accuracy] or none", typeConverter=TypeConverters.toListString)
    epochs = Param(Params._dummy(), "epochs", "passes over the training data; a positive integer", typeConverter=_convert.to_int)
    batchSize = Param(Params._dummy(), "batchSize", "examples per step, or `all` (full-batch gradient descent: one step per epoch); a positive integer or 'all' (-1: all)", typeConverter=_convert.to_int)
    validationSplit = Param(Params._dummy(), "validationSplit", "fraction taken from the end of the data, before shuffling, to validate on after each epoch (as Keras); a number in [0, 1)", typeConverter=TypeConverters.toFloat)
    initialEpoch = Param(Params._dummy(), "initialEpoch", "the epoch to start at (Keras' `initial_epoch`): epochs are counted and shuffled from it, and the history has `epochs - initial_epoch` rows; 0 or a positive integer", typeConverter=_convert.to_int)
    classWeight = Param(Params._dummy(), "classWeight", "each training example's loss and gradient weighted by its class (as Keras: the label's class index, argmax or rounded value; classes not named weigh 1); a mapping of class index to weight, e.g. {0: 1, 1: 20} (on the command line 0:1,1:20); weights are 0 or more (as JSON, or plain text for a name)", typeConverter=TypeConverters.toString)
    sampleWeightCol = Param(Params._dummy(), "sampleWeightCol", "a numeric column of the data whose value (0 or more) weighs each example's loss and gradient, as Keras' `sample_weight`; also the validation data's, when it has the column; a text (as JSON, or plain text for a name)", typeConverter=TypeConverters.toString)
    callbacks = Param(Params._dummy(), "callbacks", "called at the start and end of training and of each epoch; a list of callbacks {type: ..., ...} (see below; on the command line as JSON) (as JSON, or plain text for a name)", typeConverter=TypeConverters.toString)
    seed = Param(Params._dummy(), "seed", "seeds the initial weights and each epoch's shuffle; an integer", typeConverter=_convert.to_long)
    strategy = Param(Params._dummy(), "strategy", "`sync`: exact data-parallel mini-batch SGD; `local`: local SGD, see [Strategies](#strategies); one of [sync, local]", typeConverter=TypeConverters.toString)
    partitions = Param(Params._dummy(), "partitions", "repartition the training data (0: keep the input's partitions); 0 or a positive integer", typeConverter=_convert.to_int)
    verbose = Param(Params._dummy(), "verbose", "0: silent; 1 or 2: one progress line per epoch; an integer from 0 to 2", typeConverter=_convert.to_int)
    threads = Param(Params._dummy(), "threads", "threads each task computes with (one multi-threaded task per executor instead of one task per core); a positive integer", typeConverter=_convert.to_int)
    syncPath = Param(Params._dummy(), "syncPath", "`sync` only: `channel` (one long-running task per task slot, each owning a run of partitions, steps exchanged with the driver over a socket, encrypted when Spark's RPC is), `jobs` (a Spark job per step), `allreduce` (the channel's tasks, with parameters and gradient sums passed along a ring of them: the driver's link carries 8n bytes per step instead of 8nP, for large models), `auto` (the channel while the cost model says the driver's link keeps up, else the allreduce, or a job per step where that is cheaper); one of [auto, channel, jobs, allreduce]", typeConverter=TypeConverters.toString)
    syncEvery = Param(Params._dummy(), "syncEvery", "`local` only: local steps between synchronisations; 0 is once per epoch; 0 or a positive integer", typeConverter=_convert.to_int)
    outerOptimizer = Param(Params._dummy(), "outerOptimizer", "`local` only: `average` (plain mean of the partitions' weights) or `nesterov` (DiLoCo's outer Nesterov momentum); one of [average, nesterov]", typeConverter=TypeConverters.toString)
    outerLearningRate = Param(Params._dummy(), "outerLearningRate", "`local` with `nesterov`: the outer step size; a positive number", typeConverter=TypeConverters.toFloat)
    outerMomentum = Param(Params._dummy(), "outerMomentum", "`local` with `nesterov`: the outer momentum; a number in [0, 1)", typeConverter=TypeConverters.toFloat)
    connectTimeout = Param(Params._dummy(), "connectTimeout", "seconds to wait for the channel's tasks to start and connect before the run fails naming what it waited for; when the cluster has fewer slots than tasks, a tenth of it without a new task starts fewer tasks; a positive integer", typeConverter=_convert.to_int)
    stepTimeout = Param(Params._dummy(), "stepTimeout", "seconds to wait for one step's sums (and for any Spark job of the loop) before the step counts as lost; a positive integer", typeConverter=_convert.to_int)
    maxRestarts = Param(Params._dummy(), "maxRestarts", "how often the channel's tasks are restarted after a lost task (the current step is repeated); 0 or a positive integer", typeConverter=_convert.to_int)
    maxRetries = Param(Params._dummy(), "maxRetries", "how often a failed attempt restarts from the last checkpoint; 0 or a positive integer", typeConverter=_convert.to_int)
    checkpointEverySteps = Param(Params._dummy(), "checkpointEverySteps", "also checkpoint every N steps (rounds for `local`) within an epoch (0: at epoch ends only); 0 or a positive integer", typeConverter=_convert.to_int)
    keepCheckpoints = Param(Params._dummy(), "keepCheckpoints", "checkpoints kept in the checkpoint directory; a positive integer", typeConverter=_convert.to_int)
    watermark = Param(Params._dummy(), "watermark", "`sync` only: embed the owner's ownership watermark in the weights (see [Provenance and ownership](#provenance-and-ownership)); a mapping of the keys in the watermark table, or on the command line `FILE` or `key=FILE,bits=N,layer=N,strength=X` (as JSON, or plain text for a name)", typeConverter=TypeConverters.toString)
    differentialPrivacy = Param(Params._dummy(), "differentialPrivacy", "`sync` only: differentially private SGD, each example's gradient clipped and Gaussian noise added to each step's sum, the privacy spent accounted (see [Differential privacy](#differential-privacy)); a mapping of the keys in the differential privacy table, or on the command line `l2_norm_clip=C,noise_multiplier=S,delta=D,...` (as JSON, or plain text for a name)", typeConverter=TypeConverters.toString)

    def __init__(self, *args):
        super().__init__(*args)
        self._setDefault(
            featuresCol="features",
            labelCol="label",
            predictionCol="prediction",
            probabilityCol="probability",
            rawPredictionCol="rawPrediction",
            optimizer="adam",
            metrics=[],
            epochs=1,
            batchSize=32,
            validationSplit=0.0,
            initialEpoch=0,
            seed=42,
            strategy="sync",
            partitions=0,
            verbose=1,
            threads=1,
            syncPath="auto",
            syncEvery=0,
            outerOptimizer="average",
            outerLearningRate=0.7,
            outerMomentum=0.9,
            connectTimeout=300,
            stepTimeout=1800,
            maxRestarts=3,
            maxRetries=3,
            checkpointEverySteps=0,
            keepCheckpoints=3,
        )


class _ModelFacts(Params):
    """The Params a fit sets on SequentialModel: what it learnt about itself."""

    historyJson = Param(Params._dummy(), "historyJson", "set by fit and load: Keras' history.history of the fit as JSON (metric to one value per epoch)", typeConverter=TypeConverters.toString)
    provenanceJson = Param(Params._dummy(), "provenanceJson", "set by fit and load: the model directory's provenance as JSON (the data, versions, final_metrics)", typeConverter=TypeConverters.toString)
    summaryText = Param(Params._dummy(), "summaryText", "set by fit and load: Keras' model.summary() table of the layers", typeConverter=TypeConverters.toString)

    def __init__(self, *args):
        super().__init__(*args)
