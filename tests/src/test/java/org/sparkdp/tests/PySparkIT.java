package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.testkit.Blobs;

/**
 * sparkdp from PySpark (the {@code sparkdp} Python package over Py4J, sparkdp's app jar with {@code
 * --jars}): Spark ML Pipelines saved and loaded across sessions, CrossValidator, and the
 * Keras-shaped API against {@code bin/sparkdp train}.
 *
 * <p>Each PySpark start (Python, a JVM, Spark's first jobs) costs seconds of CPU, so the scripts
 * share two, one script after another in one session: the first (local[2]) runs the guarded script
 * (first, before anything imports sparkdp; it puts PySpark's classes back at its end), fits and
 * saves the pipeline and runs the CrossValidator; the second, a new session in a new JVM, loads
 * that pipeline and trains the seed model (local[1], as {@code bin/sparkdp train} beside it).
 */
class PySparkIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;

  /** stages_guarded.py, pipeline_fit.py and cross_validate.py on local[2]. */
  private static Launcher.Result first;

  /** pipeline_load.py, seed_model.py and private_fit.py on local[1], after {@link #first}. */
  private static Launcher.Result second;

  @BeforeAll
  static void theScriptsRunInTwoPySparkProcessesTheSecondAfterTheFirst() throws Exception {
    Path pipeline = Blobs.of(400, 4, 3, 7).writeCsv(dir.resolve("pipeline.csv"));
    Path cv = Blobs.of(300, 4, 3, 11).writeCsv(dir.resolve("cv.csv"));
    Path seed = Blobs.of(1500, 784, 10, 19).writeCsv(dir.resolve("seed.csv"));
    Path guarded = Blobs.of(300, 4, 3, 13).writeCsv(dir.resolve("guarded.csv"));
    Path out = Files.createDirectories(dir.resolve("pipeline"));
    first =
        PySpark.inOneSession(
            "local[2]",
            dir,
            List.of(
                List.of(
                    "stages_guarded.py",
                    guarded.toString(),
                    Files.createDirectories(dir.resolve("guarded")).toString()),
                List.of("pipeline_fit.py", pipeline.toString(), out.toString()),
                List.of("cross_validate.py", cv.toString())));
    // One partition each: Spark's CSV source and sparkdp's reader split a file at other places, and
    // other partitions sum the gradients in another order.
    second =
        PySpark.inOneSession(
            "local[1]",
            dir,
            List.of(
                List.of("pipeline_load.py", pipeline.toString(), out.toString()),
                List.of(
                    "seed_model.py", seed.toString(), "2", "7", dir.resolve("python").toString()),
                List.of("private_fit.py", cv.toString())));
  }

  @Test
  void aPrivateFitFromPythonReportsEpsilonEachEpoch() throws Exception {
    JsonNode epsilon = JSON.readTree(line(PySpark.section(second, "private_fit.py"), "epsilon "));
    assertEquals(3, epsilon.size(), epsilon.toString());
    // 300 rows at batch 30: 10 steps per epoch at q = 0.1, sigma 1.1, as the accountant counts
    // them.
    for (int e = 0; e < 3; e++) {
      double expected =
          org.sparkdp.ops.privacy.PrivacyAccount.empty()
              .after(0.1, 1.1, 10L * (e + 1))
              .spent(1e-5)
              .epsilon();
      assertEquals(expected, epsilon.get(e).asDouble(), 1e-9 * expected, "epoch " + (e + 1));
    }
  }

  private static String line(String output, String prefix) {
    return output
        .lines()
        .filter(l -> l.startsWith(prefix))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no line '" + prefix + "...' in: " + output))
        .substring(prefix.length());
  }

  @Test
  void aPipelineFittedInPythonIsLoadedInANewSessionWithEqualPredictions() throws Exception {
    Path csv = dir.resolve("pipeline.csv");
    String fit = PySpark.section(first, "pipeline_fit.py");
    double accuracy = Double.parseDouble(line(fit, "accuracy "));
    assertTrue(accuracy > 0.9, fit);
    assertEquals(5, JSON.readTree(line(fit, "history ")).get("loss").size());
    assertTrue(fit.contains("Epoch 5/5 - "), fit);

    // Another Python process: a new SparkSession in a new JVM.
    String load = PySpark.section(second, "pipeline_load.py");
    assertEquals(
        "pyspark.ml.feature.VectorAssembler pyspark.ml.feature.StandardScalerModel"
            + " org.sparkdp.ml.SequentialModel",
        line(load, "stages "));
    assertEquals(
        "SequentialEstimator batchSize=16 learningRate=0.01 seed=3", line(load, "estimator "));
    JsonNode before = JSON.readTree(dir.resolve("pipeline/before.json").toFile());
    JsonNode after = JSON.readTree(dir.resolve("pipeline/after.json").toFile());
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
  void crossValidatorInPythonPicksTheBestOfATwoByTwoGridWithTwoFolds() throws Exception {
    String cv = PySpark.section(first, "cross_validate.py");
    JsonNode result = JSON.readTree(line(cv, "result "));
    JsonNode metrics = result.get("metrics");
    assertEquals(4, metrics.size());
    int best = 0;
    for (int i = 1; i < 4; i++) {
      best = metrics.get(i).asDouble() > metrics.get(best).asDouble() ? i : best;
    }
    assertEquals(result.get("grid").get(best), result.get("best"), cv);
    assertTrue(metrics.get(best).asDouble() > metrics.get(0).asDouble() + 0.2, cv);
    assertTrue(result.get("best_accuracy").asDouble() > 0.8, cv);
    System.out.println("PySpark CrossValidator: " + result);
  }

  @Test
  void theSeedModelTrainedFromPythonHasTheWeightsOfBinSparkdpTrain() throws Exception {
    Path csv = dir.resolve("seed.csv");
    PySpark.section(second, "seed_model.py");
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
  void thePythonStagesFitTransformSaveAndLoadWithSparkdpsOwnWayToTheJvmClosed() throws Exception {
    String run = PySpark.section(first, "stages_guarded.py");
    JsonNode result = JSON.readTree(line(run, "result "));
    System.out.println("PySpark with sparkdp's way to the JVM closed: " + result);
    assertTrue(result.get("guarded").asBoolean(), "the guard did not stop sparkdp._jvm.ml()");
    // The Python Params are the JVM stages': names, converters and defaults.
    assertEquals("[]", result.get("estimator_differences").toString());
    assertEquals("[]", result.get("model_differences").toString());
    assertEquals(
        result.get("estimator_params").asInt() + 3, result.get("model_params").asInt(), run);
    assertTrue(run.contains("Epoch 3/3 - "), run);
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
