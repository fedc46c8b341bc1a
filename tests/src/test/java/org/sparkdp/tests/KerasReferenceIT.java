package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.Npz;

/**
 * Whole-model training against an independent computation of Keras' semantics: {@code
 * tests/src/test/python/keras_reference.py} builds each model from Keras' formulas in PyTorch
 * (float64), and from the same initial weights, on the same data, takes the same full-batch steps
 * as {@code bin/sparkdp train --batch-size all --init-weights} on 2 partitions. Every weight, batch
 * normalization's moving statistics included, must agree to {@value #TOLERANCE} as {@code max |w -
 * w_ref| / max |w_ref|}, and the epochs' losses to {@value #LOSS_TOLERANCE} (sparkdp prints four
 * decimals). The reference's initial weights and data come from the script too (its shapes are
 * Keras', so sparkdp must accept them by name and shape), and each case must move every weight by
 * at least ten times the tolerance, or it could not tell training from none.
 *
 * <p>The reference of every case, and the reference's own selfcheck ({@code
 * keras_reference_selfcheck.py}), are computed before the tests in one Python process ({@code
 * keras_reference.py cases}), as importing torch costs more than a case; each case's outcome is
 * kept apart, so a case that fails fails its own test, named. The {@code bin/sparkdp train} runs
 * stay one per case: they are what is tested.
 *
 * <p>Needs {@code /usr/bin/python3} with Debian's {@code python3-torch}; without it each test fails
 * saying so (it does not skip).
 */
class KerasReferenceIT {
  static final double TOLERANCE = 1e-4;
  static final double LOSS_TOLERANCE = 1e-4;
  static final String PYTHON = PySpark.PYTHON;
  static final Path SCRIPTS = Launcher.HOME.resolve("tests/src/test/python");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A model in sparkdp's (Keras') layer vocabulary, how it is compiled, and its steps and data. */
  record Case(
      String name,
      List<String> layers,
      String optimizer,
      String loss,
      int epochs,
      int rows,
      int seed) {
    String layersJson() {
      return "[\n    " + String.join(",\n    ", layers) + "]";
    }

    /** The case's directory in the class's: its name in lower-case words joined by '-'. */
    String directory() {
      return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    }
  }

  static final Case CONVNET_SGD =
      new Case(
          "convnet, sgd",
          List.of(
              "{\"type\": \"conv2d\", \"filters\": 4, \"kernel_size\": 2, \"dilation_rate\": 2,"
                  + " \"activation\": \"relu\", \"input_shape\": [7, 7, 2]}",
              "{\"type\": \"conv2d\", \"filters\": 3, \"kernel_size\": [2, 3],"
                  + " \"padding\": \"same\", \"activation\": \"tanh\"}",
              "{\"type\": \"max_pooling2d\", \"pool_size\": 2, \"padding\": \"same\"}",
              "{\"type\": \"conv2d\", \"filters\": 4, \"kernel_size\": 2, \"strides\": 2,"
                  + " \"padding\": \"same\"}",
              "{\"type\": \"flatten\"}",
              "{\"type\": \"dense\", \"units\": 3, \"activation\": \"softmax\"}"),
          "{\"type\": \"sgd\", \"learning_rate\": 0.1}",
          "sparse_categorical_crossentropy",
          4,
          40,
          11);

  static final Case CONVNET_ADAM =
      new Case(
          "convnet, adam",
          List.of(
              "{\"type\": \"conv2d\", \"filters\": 4, \"kernel_size\": 3,"
                  + " \"activation\": \"relu\", \"input_shape\": [8, 8, 1]}",
              "{\"type\": \"max_pooling2d\", \"pool_size\": 2}",
              "{\"type\": \"conv2d\", \"filters\": 6, \"kernel_size\": 2,"
                  + " \"activation\": \"relu\"}",
              "{\"type\": \"max_pooling2d\", \"pool_size\": 2}",
              "{\"type\": \"flatten\"}",
              "{\"type\": \"dense\", \"units\": 3, \"activation\": \"softmax\"}"),
          "{\"type\": \"adam\", \"learning_rate\": 0.01}",
          "sparse_categorical_crossentropy",
          4,
          40,
          12);

  static final Case EMBEDDING_CONV1D_ADAM =
      new Case(
          "embedding + conv1d, adam",
          List.of(
              "{\"type\": \"embedding\", \"input_dim\": 12, \"output_dim\": 4,"
                  + " \"input_shape\": [10]}",
              "{\"type\": \"conv1d\", \"filters\": 5, \"kernel_size\": 3,"
                  + " \"activation\": \"relu\"}",
              "{\"type\": \"max_pooling1d\", \"pool_size\": 2}",
              "{\"type\": \"conv1d\", \"filters\": 4, \"kernel_size\": 2,"
                  + " \"padding\": \"same\", \"activation\": \"tanh\"}",
              "{\"type\": \"global_max_pooling1d\"}",
              "{\"type\": \"dense\", \"units\": 3, \"activation\": \"softmax\"}"),
          "{\"type\": \"adam\", \"learning_rate\": 0.01}",
          "sparse_categorical_crossentropy",
          4,
          48,
          13);

  static final Case DENSE_BATCH_NORMALIZATION_SGD =
      new Case(
          "dense + batch_normalization, sgd",
          List.of(
              "{\"type\": \"dense\", \"units\": 8, \"use_bias\": false, \"input_dim\": 6}",
              "{\"type\": \"batch_normalization\"}",
              "{\"type\": \"activation\", \"activation\": \"relu\"}",
              "{\"type\": \"dense\", \"units\": 5, \"activation\": \"tanh\"}",
              "{\"type\": \"batch_normalization\", \"momentum\": 0.9, \"center\": false}",
              "{\"type\": \"dense\", \"units\": 1}"),
          "{\"type\": \"sgd\", \"learning_rate\": 0.1}",
          "mean_squared_error",
          4,
          48,
          14);

  static final Case LSTM_SGD =
      new Case(
          "lstm, sgd",
          List.of(
              "{\"type\": \"lstm\", \"units\": 4, \"return_sequences\": true,"
                  + " \"input_shape\": [5, 3]}",
              "{\"type\": \"lstm\", \"units\": 3}",
              "{\"type\": \"dense\", \"units\": 2, \"activation\": \"softmax\"}"),
          "{\"type\": \"sgd\", \"learning_rate\": 1.0}",
          "sparse_categorical_crossentropy",
          4,
          40,
          15);

  static final Case GRU_ADAM =
      new Case(
          "gru, adam",
          List.of(
              "{\"type\": \"gru\", \"units\": 4, \"return_sequences\": true,"
                  + " \"input_shape\": [5, 3]}",
              "{\"type\": \"gru\", \"units\": 3, \"reset_after\": false}",
              "{\"type\": \"dense\", \"units\": 1}"),
          "{\"type\": \"adam\", \"learning_rate\": 0.01}",
          "mean_squared_error",
          4,
          40,
          16);

  static final List<Case> CASES =
      List.of(
          CONVNET_SGD,
          CONVNET_ADAM,
          EMBEDDING_CONV1D_ADAM,
          DENSE_BATCH_NORMALIZATION_SGD,
          LSTM_SGD,
          GRU_ADAM);

  /** Every case's directory, and the selfcheck's outcome, made once by {@link #reference}. */
  @TempDir static Path dir;

  /**
   * The reference for every case in one Python process (torch is imported once, not four times a
   * case): each case's initial weights, data and reference training into its directory, with its
   * outcome ({@code reference.json}) for its own test to read, and the selfcheck's outcome.
   */
  @BeforeAll
  static void reference() throws Exception {
    List<String> command =
        new ArrayList<>(List.of(SCRIPTS.resolve("keras_reference.py").toString(), "cases"));
    for (Case c : CASES) {
      Path caseDir = Files.createDirectories(dir.resolve(c.directory()));
      Files.writeString(
          caseDir.resolve("case.json"),
          String.format(
              Locale.ROOT,
              "{\"layers\": %s,\n \"compile\": {\"optimizer\": %s, \"loss\": \"%s\"},\n"
                  + " \"epochs\": %d, \"rows\": %d, \"seed\": %d}\n",
              c.layersJson(),
              c.optimizer(),
              c.loss(),
              c.epochs(),
              c.rows(),
              c.seed()));
      command.add(c.directory());
    }
    command.addAll(List.of("--selfcheck", "selfcheck.json"));
    Launcher.Result run;
    try {
      run = python(dir, command.toArray(new String[0]));
    } catch (IOException e) {
      run = null; // no python3 at all
    }
    // The script exits 3 when it cannot import torch or numpy.
    if (run == null || run.exitCode() == 3) {
      fail("install python3-torch (for " + PYTHON + ")");
    }
    assertEquals(0, run.exitCode(), "keras_reference.py cases: " + run.stdout() + run.stderr());
  }

  @Test
  void theReferenceAgreesWithNumpyLoopsWrittenFromKerasFormulasLayerByLayer() throws Exception {
    JsonNode check = JSON.readTree(dir.resolve("selfcheck.json").toFile());
    String stdout = check.path("stdout").asText();
    System.out.println(stdout);
    assertEquals(0, check.path("exit").asInt(-1), stdout + check.path("stderr").asText());
    assertTrue(stdout.contains("all checks agree to 1e-10"), stdout);
  }

  @Test
  void aConvnetTrainedWithSgdAgreesWithKerasSemantics() throws Exception {
    agrees(CONVNET_SGD);
  }

  @Test
  void theSimpleMnistConvnetShapeTrainedWithAdamAgreesWithKerasSemantics() throws Exception {
    agrees(CONVNET_ADAM);
  }

  @Test
  void anEmbeddingAndConv1dModelAgreesWithKerasSemantics() throws Exception {
    agrees(EMBEDDING_CONV1D_ADAM);
  }

  @Test
  void denseWithBatchNormalizationAgreesWithKerasSemanticsMovingStatisticsIncluded()
      throws Exception {
    agrees(DENSE_BATCH_NORMALIZATION_SGD);
  }

  @Test
  void stackedLstmsAgreeWithKerasSemantics() throws Exception {
    agrees(LSTM_SGD);
  }

  @Test
  void stackedGrusWithAndWithoutResetAfterAgreeWithKerasSemantics() throws Exception {
    agrees(GRU_ADAM);
  }

  /**
   * Trains the case with sparkdp from the reference's initial weights and data, and compares every
   * weight and every epoch's loss with the reference's training ({@link #reference}).
   */
  private static void agrees(Case c) throws Exception {
    Path dir = KerasReferenceIT.dir.resolve(c.directory());
    JsonNode outcome = JSON.readTree(dir.resolve("reference.json").toFile());
    JsonNode init = outcome.path("init");
    assertEquals(
        0,
        init.path("exit").asInt(-1),
        c.name() + ": the reference's init: " + init.path("stderr").asText());

    Files.writeString(
        dir.resolve("job.yaml"),
        String.format(
            Locale.ROOT,
            "model:\n  layers: %s\ncompile:\n  optimizer: %s\n  loss: %s\n"
                + "fit: {epochs: %d, batch_size: all, strategy: sync, seed: %d}\n",
            c.layersJson(),
            c.optimizer(),
            c.loss(),
            c.epochs(),
            c.seed()));
    Launcher.Result trained =
        Launcher.run(
            dir,
            Launcher.train(
                "train.csv", "model", "--init-weights", "init.npz", "--partitions", "2"));
    assertEquals(
        0,
        trained.exitCode(),
        c.name() + ": bin/sparkdp train failed: " + trained.stderr().strip());

    JsonNode reference = outcome.path("train");
    assertEquals(
        0,
        reference.path("exit").asInt(-1),
        c.name() + ": the reference: " + reference.path("stderr").asText());
    String referenceStdout = reference.path("stdout").asText();

    ModelFile.Saved saved =
        ModelFile.parse(Files.readAllBytes(dir.resolve("model/model.json")), "model/model.json");
    Map<String, int[]> shapes = ModelFile.weightShapes(saved.spec());
    Map<String, float[]> sparkdp = read(dir.resolve("model/weights.npz"), shapes);
    Map<String, float[]> ref = read(dir.resolve("ref.npz"), shapes);
    Map<String, float[]> initial = read(dir.resolve("init.npz"), shapes);

    List<String> failures = new ArrayList<>();
    StringBuilder table = new StringBuilder(c.name() + ":\n");
    for (String name : shapes.keySet()) {
      double size = maxAbs(ref.get(name), null);
      double error = maxAbs(sparkdp.get(name), ref.get(name)) / size;
      double moved = maxAbs(initial.get(name), ref.get(name)) / size;
      table.append(
          String.format(
              Locale.ROOT,
              "  %-40s max|w - w_ref| / max|w_ref| = %.2e (moved %.2e)%n",
              name,
              error,
              moved));
      if (moved < 10 * TOLERANCE) {
        failures.add(name + " moved only " + moved + ": the case cannot tell training from none");
      }
      if (!(error <= TOLERANCE)) {
        failures.add(name + " differs by " + error);
      }
    }
    List<Double> ours = epochLosses(trained.stdout());
    List<Double> theirs = stepLosses(referenceStdout);
    table.append("  losses: sparkdp ").append(ours).append(", reference ").append(theirs);
    System.out.println(table);
    assertEquals(c.epochs(), theirs.size(), referenceStdout);
    assertEquals(c.epochs(), ours.size(), trained.stdout());
    for (int e = 0; e < c.epochs(); e++) {
      if (!(Math.abs(ours.get(e) - theirs.get(e)) <= LOSS_TOLERANCE)) {
        failures.add("epoch " + (e + 1) + " loss " + ours.get(e) + ", reference " + theirs.get(e));
      }
    }
    assertTrue(failures.isEmpty(), String.join("; ", failures) + "\n" + table);
  }

  private static Launcher.Result python(Path dir, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(PYTHON));
    command.addAll(List.of(args));
    return Launcher.command(dir, Map.of("OMP_NUM_THREADS", "1"), List.of(), command);
  }

  private static Map<String, float[]> read(Path npz, Map<String, int[]> shapes) throws IOException {
    try (InputStream in = Files.newInputStream(npz)) {
      return Npz.read(in, shapes, npz.getFileName().toString());
    }
  }

  /** max |a - b|, or max |a| when {@code b} is null. */
  private static double maxAbs(float[] a, float[] b) {
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs((double) a[i] - (b == null ? 0 : b[i])));
    }
    return m;
  }

  private static final Pattern EPOCH_LOSS =
      Pattern.compile("(?m)^Epoch \\d+/\\d+ .*? loss: ([0-9.]+)");
  private static final Pattern STEP_LOSS = Pattern.compile("(?m)^step \\d+ loss ([0-9.]+)");

  private static List<Double> epochLosses(String stdout) {
    return all(EPOCH_LOSS.matcher(stdout));
  }

  private static List<Double> stepLosses(String stdout) {
    return all(STEP_LOSS.matcher(stdout));
  }

  private static List<Double> all(Matcher m) {
    List<Double> values = new ArrayList<>();
    while (m.find()) {
      values.add(Double.parseDouble(m.group(1)));
    }
    return values;
  }
}
