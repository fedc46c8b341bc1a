package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * <p>Needs {@code /usr/bin/python3} with Debian's {@code python3-torch}; without it each test fails
 * saying so (it does not skip).
 */
class KerasReferenceIT {
  static final double TOLERANCE = 1e-4;
  static final double LOSS_TOLERANCE = 1e-4;
  static final String PYTHON = PySpark.PYTHON;
  static final Path SCRIPTS = Launcher.HOME.resolve("tests/src/test/python");

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
  }

  @Test
  void theReferenceAgreesWithNumpyLoopsWrittenFromKerasFormulasLayerByLayer(@TempDir Path dir)
      throws Exception {
    requireTorch();
    Launcher.Result check = python(dir, SCRIPTS.resolve("keras_reference_selfcheck.py").toString());
    System.out.println(check.stdout());
    assertEquals(0, check.exitCode(), check.stdout() + check.stderr());
    assertTrue(check.stdout().contains("all checks agree to 1e-10"), check.stdout());
  }

  @Test
  void aConvnetTrainedWithSgdAgreesWithKerasSemantics(@TempDir Path dir) throws Exception {
    agrees(
        dir,
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
            11));
  }

  @Test
  void theSimpleMnistConvnetShapeTrainedWithAdamAgreesWithKerasSemantics(@TempDir Path dir)
      throws Exception {
    agrees(
        dir,
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
            12));
  }

  @Test
  void anEmbeddingAndConv1dModelAgreesWithKerasSemantics(@TempDir Path dir) throws Exception {
    agrees(
        dir,
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
            13));
  }

  @Test
  void denseWithBatchNormalizationAgreesWithKerasSemanticsMovingStatisticsIncluded(
      @TempDir Path dir) throws Exception {
    agrees(
        dir,
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
            14));
  }

  @Test
  void stackedLstmsAgreeWithKerasSemantics(@TempDir Path dir) throws Exception {
    agrees(
        dir,
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
            15));
  }

  @Test
  void stackedGrusWithAndWithoutResetAfterAgreeWithKerasSemantics(@TempDir Path dir)
      throws Exception {
    agrees(
        dir,
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
            16));
  }

  /**
   * Writes the case, makes its initial weights and data with the reference, trains with sparkdp and
   * with the reference, and compares every weight and every epoch's loss.
   */
  private static void agrees(Path dir, Case c) throws Exception {
    requireTorch();
    String script = SCRIPTS.resolve("keras_reference.py").toString();
    Files.writeString(
        dir.resolve("case.json"),
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
    Launcher.Result init = python(dir, script, "init", "case.json", "--out", ".");
    assertEquals(0, init.exitCode(), c.name() + ": the reference's init: " + init.stderr());

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

    Launcher.Result reference =
        python(
            dir,
            script,
            "train",
            "case.json",
            "--weights",
            "init.npz",
            "--data",
            "train.csv",
            "--out",
            "ref.npz");
    assertEquals(0, reference.exitCode(), c.name() + ": the reference: " + reference.stderr());

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
    List<Double> theirs = stepLosses(reference.stdout());
    table.append("  losses: sparkdp ").append(ours).append(", reference ").append(theirs);
    System.out.println(table);
    assertEquals(c.epochs(), theirs.size(), reference.stdout());
    assertEquals(c.epochs(), ours.size(), trained.stdout());
    for (int e = 0; e < c.epochs(); e++) {
      if (!(Math.abs(ours.get(e) - theirs.get(e)) <= LOSS_TOLERANCE)) {
        failures.add("epoch " + (e + 1) + " loss " + ours.get(e) + ", reference " + theirs.get(e));
      }
    }
    assertTrue(failures.isEmpty(), String.join("; ", failures) + "\n" + table);
  }

  /** Fails with one line naming the package, unless /usr/bin/python3 imports torch and numpy. */
  static void requireTorch() throws InterruptedException {
    boolean ok;
    try {
      Process p =
          new ProcessBuilder(PYTHON, "-c", "import torch, numpy")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      ok = p.waitFor(2, TimeUnit.MINUTES) && p.exitValue() == 0;
    } catch (IOException e) {
      ok = false;
    }
    if (!ok) {
      fail("install python3-torch (for " + PYTHON + ")");
    }
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
