// Fashion-MNIST with sparkdp from Scala: a spark-shell script (paste it into a Scala notebook cell by cell, or feed
// it to spark-shell), with the app jar of the shell's Spark line:
//
//   spark-shell --master 'local[*]' --driver-memory 3g --driver-java-options --add-modules=jdk.incubator.vector \
//     --jars jobs/target/sparkdp-jobs-0.1.0-spark4.2_2.13-app.jar < notebooks/fashion-mnist.scala
//
// The same model as notebooks/fashion-mnist.ipynb: read the data, fit, evaluate, a confusion matrix, save and
// load; then as a Spark ML stage.
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator
import org.sparkdp.{FitOptions, Sequential}
import org.sparkdp.jobs.{DataSource, Readers}
import org.sparkdp.ml.SequentialEstimator
import org.sparkdp.ops.{Adam, Dense}

val data = "/usr/share/datasets/fashion-mnist"
val output = sys.env.getOrElse("SPARKDP_OUTPUT", "runs/scala-fashion-mnist")
def read(file: String) = Readers.read(spark, DataSource.fromPath(s"$data/$file", "data"), "data", 0).cache()
val train = read("train-images-idx3-ubyte.gz")
val test = read("t10k-images-idx3-ubyte.gz")

val model = new Sequential(
  Dense.of(64, "relu").withInputDim(784),
  Dense.of(64, "relu"),
  Dense.of(10, "softmax"))
model.compile(Adam.withLearningRate(0.001), "sparse_categorical_crossentropy", "accuracy")
println(model.summary())

// The epoch lines go to the shell's standard output as training runs.
val history = model.fit(train, new FitOptions().epochs(10).batchSize(32).validationSplit(0.1).seed(42))
println(s"val_accuracy per epoch: ${history.history.get("val_accuracy")}")

val metrics = model.evaluate(test)
println(f"test accuracy: ${metrics.get("accuracy")}%.4f")

// (Braces keep a statement of several lines whole when the script is fed to spark-shell line by line.)
val confusion = {
  val counts = model.predict(test).groupBy("label", "prediction").count().collect()
  counts.map(r => (r.getDouble(0).toInt, r.getDouble(1).toInt) -> r.getLong(2)).toMap
}
println("confusion matrix (rows: true class, columns: predicted):")
for (t <- 0 until 10) println((0 until 10).map(p => f"${confusion.getOrElse((t, p), 0L)}%5d").mkString)

model.save(output)
val loaded = Sequential.load(output)
println(f"loaded model's test accuracy: ${loaded.evaluate(test).get("accuracy")}%.4f")

// The same model as a Spark ML Estimator, scored by Spark's own evaluator.
val estimator = {
  new SequentialEstimator()
    .setLayers("""[{"type": "dense", "units": 64, "activation": "relu", "input_dim": 784},
                  {"type": "dense", "units": 64, "activation": "relu"},
                  {"type": "dense", "units": 10, "activation": "softmax"}]""")
    .setLoss("sparse_categorical_crossentropy")
    .setLearningRate(0.001)
    .setSeed(42)
    .setParam("epochs", 2)
}
val stage = estimator.fit(train)
val mlAccuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(stage.transform(test))
println(f"Spark ML stage, 2 epochs: test accuracy $mlAccuracy%.4f")
