package org.sparkdp.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.ops.Activation;
import org.sparkdp.ops.ActivationLayer;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Dropout;
import org.sparkdp.ops.LayerNormalization;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Npz;
import org.sparkdp.testkit.Fuzz;

/**
 * {@code .keras} files against h5py ({@code /usr/bin/python3} with Debian's {@code python3-h5py}
 * and {@code python3-numpy}, which {@code bin/sparkdp test} installs): what sparkdp writes must
 * have Keras 3's layout, and what h5py writes in that layout must import and predict as NumPy does.
 */
class KerasArchiveTest {
  @TempDir Path dir;

  static ModelSpec model() {
    return ModelSpec.of(
        Dense.of(9, "relu").withInputDim(6),
        Dropout.of(0.2),
        LayerNormalization.defaults(),
        Dense.of(7, "elu").withUseBias(false),
        new ActivationLayer(Activation.SWISH, 0),
        Dense.of(3, "softmax"));
  }

  static CompileConfig compile() {
    return new CompileConfig(
        Adam.withLearningRate(0.002),
        Loss.SPARSE_CATEGORICAL_CROSSENTROPY,
        false,
        CompileConfig.metrics("accuracy"));
  }

  /** The test script {@code name} (a resource beside this class) copied into {@code dir}. */
  static Path script(Path dir, String name) throws IOException {
    Path to = dir.resolve(name);
    try (InputStream in = KerasArchiveTest.class.getResourceAsStream(name)) {
      Files.write(to, in.readAllBytes());
    }
    return to;
  }

  /** Runs {@code /usr/bin/python3 args}; fails naming the packages it needs unless it succeeds. */
  static String python(Object... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("/usr/bin/python3"));
    for (Object a : args) {
      command.add(a.toString());
    }
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(
        0,
        p.waitFor(),
        "/usr/bin/python3 with h5py and numpy (apt-get install python3-h5py python3-numpy): "
            + out);
    return out.strip();
  }

  @Test
  void theKerasFileSparkdpWritesHasKeras3sLayoutInH5pyAndTheWeightsOfWeightsNpz() throws Exception {
    ModelSpec spec = model();
    float[] params = OnnxExportTest.weights(spec, 5);
    Path keras = dir.resolve("model.keras");
    Files.write(keras, KerasArchive.write(spec, compile(), params));
    Path npz = dir.resolve("weights.npz");
    Files.write(npz, ModelFile.weightsBytes(spec, params));
    String out = python(script(dir, "check_keras_file.py"), keras, npz);
    System.out.println("check_keras_file.py: " + out);
    assertEquals("OK 7 datasets, 6 layers, compile_config True", out);
  }

  @Test
  void batchNormalizationsMovingStatisticsAreItsLastVariablesInTheKerasFile() throws Exception {
    ModelSpec spec =
        ModelSpec.of(
            Dense.of(5, "relu").withInputDim(6),
            org.sparkdp.ops.BatchNormalization.defaults().with(true, false),
            Dense.of(3, "softmax"));
    float[] params = OnnxExportTest.weights(spec, 5);
    Path keras = dir.resolve("bn.keras");
    Files.write(keras, KerasArchive.write(spec, compile(), params));
    Path npz = dir.resolve("bn.npz");
    Files.write(npz, ModelFile.weightsBytes(spec, params));
    String out = python(script(dir, "check_keras_file.py"), keras, npz);
    // beta, moving_mean, moving_variance: vars/0, 1 and 2 of batch_normalization
    assertEquals("OK 7 datasets, 3 layers, compile_config True", out);
  }

  @Test
  void aKerasFileWithoutCompileConfigHasNoOptimizerGroup() throws Exception {
    ModelSpec spec = model();
    float[] params = OnnxExportTest.weights(spec, 6);
    Path keras = dir.resolve("plain.keras");
    Files.write(keras, KerasArchive.write(spec, null, params));
    Path npz = dir.resolve("weights.npz");
    Files.write(npz, ModelFile.weightsBytes(spec, params));
    String out = python(script(dir, "check_keras_file.py"), keras, npz);
    assertEquals("OK 7 datasets, 6 layers, compile_config False", out);
  }

  @Test
  void aKerasFileBuiltWithH5pyImportsAndPredictsLikeANumpyForwardPass() throws Exception {
    Path keras = dir.resolve("h5py.keras");
    Path expected = dir.resolve("expected.npz");
    python(script(dir, "make_keras_file.py"), keras, expected);
    KerasModel model = KerasArchive.read(Files.readAllBytes(keras), keras.toString());
    assertEquals(7, model.spec().inputDim());
    assertEquals(6, model.spec().layers().size());
    double worst = worstAgainst(model, expected, 9, 5);
    System.out.printf("h5py-built .keras against NumPy: max |diff| = %.3g%n", worst);
    assertTrue(worst <= 1e-5, "largest difference " + worst);
  }

  /**
   * The largest difference between {@code model}'s predictions and NumPy's {@code y [rows, out]}
   * for the inputs {@code x} of the npz file {@code expected}.
   */
  static double worstAgainst(KerasModel model, Path expected, int rows, int out)
      throws IOException {
    int in = model.spec().inputDim();
    Map<String, float[]> arrays;
    try (InputStream stream = Files.newInputStream(expected)) {
      arrays =
          Npz.read(
              stream,
              Map.of("x", new int[] {rows, in}, "y", new int[] {rows, out}),
              "expected.npz");
    }
    float[][] x = new float[rows][in];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(arrays.get("x"), r * in, x[r], 0, in);
    }
    float[][] y = OnnxExportTest.sparkdpOutputs(model.spec(), model.params(), x);
    double worst = 0;
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < out; j++) {
        worst = Math.max(worst, Math.abs(y[r][j] - arrays.get("y")[r * out + j]));
      }
    }
    return worst;
  }

  @Test
  void whatSparkdpWritesReadsBackWithTheSameWeightsAndCompileConfig() throws IOException {
    ModelSpec spec = model();
    float[] params = OnnxExportTest.weights(spec, 8);
    KerasModel read = KerasArchive.read(KerasArchive.write(spec, compile(), params), "m.keras");
    assertEquals(spec, read.spec());
    assertEquals(compile(), read.compile());
    assertArrayEquals(params, read.params());
  }

  @Test
  void weightsThatDisagreeWithTheConfigAreNamed() throws IOException {
    ModelSpec spec = model();
    ModelSpec wider =
        ModelSpec.of(
            Dense.of(10, "relu").withInputDim(6),
            Dropout.of(0.2),
            LayerNormalization.defaults(),
            Dense.of(7, "elu").withUseBias(false),
            new ActivationLayer(Activation.SWISH, 0),
            Dense.of(3, "softmax"));
    byte[] h5 = KerasWeights.write(spec, OnnxExportTest.weights(spec, 9), null);
    IOException e = assertThrows(IOException.class, () -> KerasWeights.read(h5, wider, "w.h5"));
    assertTrue(
        e.getMessage().contains("w.h5: layers/dense/vars/0: shape [6, 9], the model needs [6, 10]"),
        e.getMessage());
    IOException notZip =
        assertThrows(IOException.class, () -> KerasArchive.read("{}".getBytes(), "x.keras"));
    assertTrue(notZip.getMessage().startsWith("x.keras: "), notZip.getMessage());
  }

  private static final List<Class<? extends Throwable>> REFUSALS = List.of(IOException.class);

  @Test
  void damagedKerasFilesAreReadOrRefusedWithAMessage() throws IOException {
    ModelSpec spec = model();
    byte[] valid = KerasArchive.write(spec, compile(), OnnxExportTest.weights(spec, 10));
    Fuzz.Report report =
        Fuzz.run("keras file", valid, 1500, 91, REFUSALS, b -> KerasArchive.read(b, "fuzz.keras"));
    assertTrue(report.refused() > 0);
  }

  @Test
  void damagedWeightFilesAreReadOrRefusedWithAMessage() throws IOException {
    ModelSpec spec = model();
    byte[] valid = KerasWeights.write(spec, OnnxExportTest.weights(spec, 11), compile());
    Fuzz.Report report =
        Fuzz.run(
            "model.weights.h5",
            valid,
            3000,
            92,
            REFUSALS,
            b -> KerasWeights.read(b, spec, "fuzz.h5"));
    assertTrue(report.refused() > 0);
  }

  @Test
  void damagedModelJsonIsReadOrRefusedWithAMessage() throws IOException {
    for (String fixture :
        List.of(
            "keras2-sequential.json", "keras2-sequential-list.json", "keras3-sequential.json")) {
      byte[] valid = KerasJsonTest.fixture(fixture);
      Fuzz.Report report =
          Fuzz.run(fixture, valid, 1500, 93, REFUSALS, b -> KerasJson.read(b, "fuzz.json"));
      assertTrue(report.refused() > 0);
    }
  }
}
