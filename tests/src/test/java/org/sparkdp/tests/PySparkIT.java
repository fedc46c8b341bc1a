package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.testkit.Blobs;

/**
 * sparkdp from PySpark (the {@code sparkdp} Python package over Py4J, sparkdp's app jar with {@code
 * --jars}): Spark ML Pipelines saved and loaded across sessions, CrossValidator, and the
 * Keras-shaped API against {@code bin/sparkdp train}.
 */
class PySparkIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static String line(String output, String prefix) {
    return output
        .lines()
        .filter(l -> l.startsWith(prefix))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no line '" + prefix + "...' in: " + output))
        .substring(prefix.length());
  }

  @Test
  void aPipelineFittedInPythonIsLoadedInANewSessionWithEqualPredictions(@TempDir Path dir)
      throws Exception {
    Path csv = Blobs.of(400, 4, 3, 7).writeCsv(dir.resolve("data.csv"));
    Launcher.Result fit = PySpark.run(dir, "pipeline_fit.py", csv.toString(), dir.toString());
    double accuracy = Double.parseDouble(line(fit.stdout(), "accuracy "));
    assertTrue(accuracy > 0.9, fit.stdout());
    assertEquals(5, JSON.readTree(line(fit.stdout(), "history ")).get("loss").size());
    assertTrue(fit.stdout().contains("Epoch 5/5 - "), fit.stdout());

    // A new Python process: a new SparkSession in a new JVM.
    Launcher.Result load = PySpark.run(dir, "pipeline_load.py", csv.toString(), dir.toString());
    assertEquals(
        "pyspark.ml.feature.VectorAssembler pyspark.ml.feature.StandardScalerModel"
            + " org.sparkdp.ml.SequentialModel",
        line(load.stdout(), "stages "));
    assertEquals(
        "SequentialEstimator batchSize=16 learningRate=0.01 seed=3",
        line(load.stdout(), "estimator "));
    JsonNode before = JSON.readTree(dir.resolve("before.json").toFile());
    JsonNode after = JSON.readTree(dir.resolve("after.json").toFile());
    assertEquals(400, before.size());
    assertEquals(before, after);
    long right = 0;
    java.util.List<String> labels =
        Files.readAllLines(csv).stream()
            .skip(1)
            .map(l -> l.substring(l.lastIndexOf(',') + 1))
            .toList();
    for (int r = 0; r < 400; r++) {
      right += before.get(r).get(0).asDouble() == Double.parseDouble(labels.get(r)) ? 1 : 0;
    }
    assertEquals(right / 400.0, accuracy, 1e-6);
  }

  @Test
  void crossValidatorInPythonPicksTheBestOfATwoByTwoGridWithTwoFolds(@TempDir Path dir)
      throws Exception {
    Path csv = Blobs.of(300, 4, 3, 11).writeCsv(dir.resolve("data.csv"));
    Launcher.Result cv = PySpark.run(dir, "cross_validate.py", csv.toString());
    JsonNode result = JSON.readTree(line(cv.stdout(), "result "));
    JsonNode metrics = result.get("metrics");
    assertEquals(4, metrics.size());
    int best = 0;
    for (int i = 1; i < 4; i++) {
      best = metrics.get(i).asDouble() > metrics.get(best).asDouble() ? i : best;
    }
    assertEquals(result.get("grid").get(best), result.get("best"), cv.stdout());
    assertTrue(metrics.get(best).asDouble() > metrics.get(0).asDouble() + 0.2, cv.stdout());
    assertTrue(result.get("best_accuracy").asDouble() > 0.8, cv.stdout());
    System.out.println("PySpark CrossValidator: " + result);
  }

  @Test
  void theSeedModelTrainedFromPythonHasTheWeightsOfBinSparkdpTrain(@TempDir Path dir)
      throws Exception {
    Path csv = Blobs.of(1500, 784, 10, 19).writeCsv(dir.resolve("data.csv"));
    // One partition each: Spark's CSV source and sparkdp's reader split a file at other places, and
    // other partitions sum the gradients in another order.
    PySpark.runOn(
        "local[1]",
        dir,
        "seed_model.py",
        csv.toString(),
        "2",
        "7",
        dir.resolve("python").toString());
    Launcher.Result cli =
        Launcher.run(
            dir,
            "train",
            "--config",
            Launcher.HOME.resolve("conf/fashion-mnist.yaml").toString(),
            "--train",
            csv.toString(),
            "--epochs",
            "2",
            "--seed",
            "7",
            "--master",
            "local[1]",
            "--output",
            dir.resolve("cli").toString());
    assertEquals(0, cli.exitCode(), cli.stderr());
    float[] python = Weights.of(dir.resolve("python"));
    float[] trained = Weights.of(dir.resolve("cli"));
    assertEquals(trained.length, python.length);
    double maxDiff = 0;
    double maxW = 0;
    for (int i = 0; i < python.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(python[i] - trained[i]));
      maxW = Math.max(maxW, Math.abs(trained[i]));
    }
    System.out.printf(
        "Python against bin/sparkdp train: max |diff| / max |w| = %.3g%n", maxDiff / maxW);
    assertTrue(maxDiff / maxW <= 1e-6, "max |diff| / max |w| = " + maxDiff / maxW);
    assertTrue(maxW > 0.05);
  }

  @Test
  void thePythonStagesFitTransformSaveAndLoadWithSparkdpsOwnWayToTheJvmClosed(@TempDir Path dir)
      throws Exception {
    Path csv = Blobs.of(300, 4, 3, 13).writeCsv(dir.resolve("data.csv"));
    Launcher.Result run = PySpark.run(dir, "stages_guarded.py", csv.toString(), dir.toString());
    assertEquals(0, run.exitCode(), run.stdout() + run.stderr());
    JsonNode result = JSON.readTree(line(run.stdout(), "result "));
    System.out.println("PySpark with sparkdp's way to the JVM closed: " + result);
    assertTrue(result.get("guarded").asBoolean(), "the guard did not stop sparkdp._jvm.ml()");
    // The Python Params are the JVM stages': names, converters and defaults.
    assertEquals("[]", result.get("estimator_differences").toString());
    assertEquals("[]", result.get("model_differences").toString());
    assertEquals(
        result.get("estimator_params").asInt() + 3,
        result.get("model_params").asInt(),
        run.stdout());
    assertTrue(run.stdout().contains("Epoch 3/3 - "), run.stdout());
    JsonNode facts = result.get("facts");
    for (String fact : List.of("history", "provenance", "summary", "final_loss")) {
      assertTrue(facts.get(fact).asBoolean(), fact + " differs from the JVM's: " + facts);
    }
    assertEquals(3, facts.get("epochs").asInt());
    assertEquals("org.sparkdp.ml.SequentialModel", result.get("loaded_type").asText());
    assertTrue(result.get("loaded_predictions_equal").asBoolean());
    assertTrue(result.get("loaded_facts_equal").asBoolean());
    assertEquals(
        JSON.readTree("{\"batchSize\": 16, \"epochs\": 3, \"learningRate\": 0.01, \"seed\": 3}"),
        result.get("loaded_estimator"));
    assertTrue(result.get("pipeline_equal").asBoolean());
    assertEquals("SequentialModel", result.get("pipeline_last_stage").asText());
    // On a Connect session: the Keras-shaped API says what to use instead; the stages name their
    // Java classes.
    JsonNode connect = result.get("connect");
    assertTrue(
        connect
            .get("sequential")
            .asText()
            .contains("on Spark Connect use sparkdp.SequentialEstimator"),
        connect.toString());
    assertEquals("org.sparkdp.ml.SequentialEstimator", connect.get("estimator_java_obj").asText());
    assertEquals("org.sparkdp.ml.SequentialModel", connect.get("reader_class").asText());
    assertTrue(connect.get("facts_from_to_string").asBoolean(), connect.toString());
  }
}
