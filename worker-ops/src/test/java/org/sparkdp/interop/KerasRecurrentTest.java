package org.sparkdp.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.ops.Activation;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.GRU;
import org.sparkdp.ops.Initializer;
import org.sparkdp.ops.LSTM;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.RecurrentCell;
import org.sparkdp.ops.SimpleRNN;

/**
 * Recurrent models as Keras 3's {@code model.to_json()} writes them (an LSTM classifier and a GRU
 * classifier on sequences of 20 steps of 8 features), the options sparkdp does not have refused by
 * name, and a {@code .keras} file of recurrent layers in Keras 3's layout (their variables under
 * {@code layers/NAME/cell/vars}) checked with h5py.
 */
class KerasRecurrentTest {
  @TempDir Path dir;

  private static final String INPUT =
      """
        {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 20, 8],
         "dtype": "float32", "sparse": false, "ragged": false, "name": "input_layer"}, "registered_name": null},
      """;

  private static String recurrent(
      String className, String name, int units, boolean sequences, String own, String inputShape) {
    return """
        {"module": "keras.layers", "class_name": "%s", "config": {"name": "%s", "trainable": true,
         "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
         "registered_name": null}, "return_sequences": %s, "return_state": false, "go_backwards": false,
         "stateful": false, "unroll": false, "zero_output_for_mask": false, "units": %d,
         "activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": true,
         "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
         "config": {"seed": null}, "registered_name": null},
         "recurrent_initializer": {"module": "keras.initializers", "class_name": "Orthogonal",
         "config": {"gain": 1.0, "seed": null}, "registered_name": null},
         "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {},
         "registered_name": null}, %s "kernel_regularizer": null, "recurrent_regularizer": null,
         "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null,
         "recurrent_constraint": null, "bias_constraint": null, "dropout": 0.0,
         "recurrent_dropout": 0.0, "seed": null}, "registered_name": null,
         "build_config": {"input_shape": %s}},
        """
        .formatted(className, name, sequences, units, own, inputShape);
  }

  private static final String DENSE =
      """
        {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "trainable": true,
         "dtype": "float32", "units": %d, "activation": "%s", "use_bias": true,
         "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
         "config": {"seed": null}, "registered_name": null}, "bias_initializer": {"module":
         "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
         "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null,
         "bias_constraint": null}, "registered_name": null}
      """;

  private static String model(String layers) {
    return """
        {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential",
         "trainable": true, "dtype": "float32", "layers": [%s]}, "registered_name": null,
         "build_config": {"input_shape": [null, 20, 8]}}
        """
        .formatted(layers);
  }

  /** {@code LSTM(32, return_sequences=True)}, {@code LSTM(16)}, {@code Dense(1, sigmoid)}. */
  static final String LSTM_MODEL =
      model(
          INPUT
              + recurrent("LSTM", "lstm", 32, true, "\"unit_forget_bias\": true,", "[null, 20, 8]")
              + recurrent(
                  "LSTM", "lstm_1", 16, false, "\"unit_forget_bias\": true,", "[null, 20, 32]")
              + DENSE.formatted(1, "sigmoid"));

  /** {@code GRU(16)} (Keras 3's reset_after) and {@code Dense(5, softmax)}. */
  static final String GRU_MODEL =
      model(
          INPUT
              + recurrent("GRU", "gru", 16, false, "\"reset_after\": true,", "[null, 20, 8]")
              + DENSE.formatted(5, "softmax"));

  private static KerasModel read(String json) throws IOException {
    return KerasJson.read(json.getBytes(StandardCharsets.UTF_8), "model.json");
  }

  @Test
  void readsKeras3sLstmModelWithItsSequenceShapeAndKerasParameterCounts() throws IOException {
    ModelSpec spec = read(LSTM_MODEL).spec();
    assertEquals(List.of(20, 8), spec.inputShape());
    assertEquals(160, spec.inputDim());
    LSTM first = (LSTM) spec.layers().get(0);
    assertTrue(first.returnSequences() && first.unitForgetBias());
    assertEquals(32, first.cell().units());
    assertEquals(Activation.TANH, first.cell().activation());
    assertEquals(Activation.SIGMOID, first.recurrentActivation());
    assertEquals(new Initializer.Orthogonal(1.0), first.cell().recurrentInitializer());
    assertFalse(((LSTM) spec.layers().get(1)).returnSequences());
    // Keras' summary: 4 (8 * 32 + 32 * 32 + 32) = 5,248 and 4 (32 * 16 + 16 * 16 + 16) = 3,136.
    String summary = spec.summary("lstm", false);
    assertTrue(summary.contains("lstm (LSTM)"), summary);
    assertTrue(summary.contains("(None, 20, 32)") && summary.contains("5,248"), summary);
    assertTrue(summary.contains("(None, 16)") && summary.contains("3,136"), summary);
    assertEquals(5248 + 3136 + 17, spec.layout().size());
    assertEquals(
        List.of(
            "lstm/kernel",
            "lstm/recurrent_kernel",
            "lstm/bias",
            "lstm_1/kernel",
            "lstm_1/recurrent_kernel",
            "lstm_1/bias",
            "dense/kernel",
            "dense/bias"),
        spec.weightNames());
  }

  @Test
  void readsKeras3sGruModelWithResetAfterAndItsTwoRowBias() throws IOException {
    ModelSpec spec = read(GRU_MODEL).spec();
    assertEquals(List.of(20, 8), spec.inputShape());
    GRU gru = (GRU) spec.layers().get(0);
    assertTrue(gru.resetAfter());
    // Keras' summary: 3 (8 * 16 + 16 * 16 + 2 * 16) = 1,248.
    assertEquals(1248, spec.layout().views().subList(0, 3).stream().mapToInt(v -> v.size()).sum());
    assertEquals(
        List.of(2, 48),
        java.util.Arrays.stream(spec.layout().views().get(2).shape()).boxed().toList());
    assertEquals(1248 + 85, spec.layout().size());
    // Without the key, Keras 3's default: reset_after.
    assertTrue(
        ((GRU) read(GRU_MODEL.replace("\"reset_after\": true,", "")).spec().layers().get(0))
            .resetAfter());
    GRU before =
        (GRU)
            read(GRU_MODEL.replace("\"reset_after\": true", "\"reset_after\": false"))
                .spec()
                .layers()
                .get(0);
    assertFalse(before.resetAfter());
  }

  @Test
  void optionsSparkdpDoesNotHaveAreRefusedByName() {
    for (String[] change :
        new String[][] {
          {"\"dropout\": 0.0", "\"dropout\": 0.2", "dropout 0.2 is not supported"},
          {"\"recurrent_dropout\": 0.0", "\"recurrent_dropout\": 0.1", "recurrent_dropout 0.1"},
          {"\"go_backwards\": false", "\"go_backwards\": true", "go_backwards true"},
          {"\"stateful\": false", "\"stateful\": true", "stateful true"},
          {"\"return_state\": false", "\"return_state\": true", "return_state true"},
          {
            "\"recurrent_constraint\": null",
            "\"recurrent_constraint\": {\"class_name\": \"NonNeg\"}",
            "recurrent_constraint"
          },
          {"\"activation\": \"tanh\"", "\"activation\": \"softmax\"", "activation: must be one of"},
        }) {
      String json = GRU_MODEL.replaceFirst(java.util.regex.Pattern.quote(change[0]), change[1]);
      IOException e = assertThrows(IOException.class, () -> read(json), change[1]);
      assertTrue(e.getMessage().contains("(GRU)"), e.getMessage());
      assertTrue(e.getMessage().contains(change[2]), e.getMessage());
    }
    // unroll changes nothing without masks; Keras 2's implementation 1 or 2, neither.
    String unrolled =
        GRU_MODEL.replace("\"unroll\": false", "\"unroll\": true, \"implementation\": 1");
    assertEquals(assertDoesNotThrowRead(GRU_MODEL), assertDoesNotThrowRead(unrolled));
  }

  private static ModelSpec assertDoesNotThrowRead(String json) {
    try {
      return read(json).spec();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void keras2sHardSigmoidIsNotKeras3sAndIsRefused() {
    String keras2 =
        LSTM_MODEL
            .replaceFirst(
                "\"recurrent_activation\": \"sigmoid\"",
                "\"recurrent_activation\": \"hard_sigmoid\"")
            .replaceFirst(
                "\\{\"module\": \"keras\", \"class_name\": \"Sequential\",",
                "{\"keras_version\": \"2.15.0\", \"class_name\": \"Sequential\",");
    IOException e = assertThrows(IOException.class, () -> read(keras2));
    assertTrue(
        e.getMessage().contains("recurrent_activation hard_sigmoid of Keras 2"), e.getMessage());
  }

  @Test
  void onnxExportRefusesAnActivationOnnxsRecurrentOperatorsLackNamingTheLayer() {
    ModelSpec spec =
        new ModelSpec(
            List.of(
                LSTM.of(4)
                    .with(
                        RecurrentCell.of(4).withActivation(Activation.GELU),
                        Activation.SIGMOID,
                        true),
                Dense.of(2, "linear")),
            List.of(5, 3));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> OnnxExport.write(spec, spec.initialParameters(1), "test"));
    assertTrue(
        e.getMessage().contains("lstm: ONNX's LSTM operator has no activation gelu"),
        e.getMessage());
  }

  @Test
  void aKerasFileOfRecurrentLayersHasKeras3sCellLayoutInH5py() throws Exception {
    ModelSpec spec =
        new ModelSpec(
            List.of(
                SimpleRNN.of(5).withReturnSequences(true),
                LSTM.of(4).withReturnSequences(true),
                GRU.of(3)
                    .with(RecurrentCell.of(3), Activation.SIGMOID, false)
                    .withReturnSequences(true),
                GRU.of(3),
                Dense.of(2, "softmax")),
            List.of(6, 3));
    float[] params = OnnxExportTest.weights(spec, 4);
    Path keras = dir.resolve("recurrent.keras");
    Files.write(keras, KerasArchive.write(spec, null, params));
    Path npz = dir.resolve("weights.npz");
    Files.write(npz, ModelFile.weightsBytes(spec, params));
    Path script = dir.resolve("check_keras_file.py");
    try (InputStream in = getClass().getResourceAsStream("check_keras_file.py")) {
      Files.write(script, in.readAllBytes());
    }
    Process p =
        new ProcessBuilder("/usr/bin/python3", script.toString(), keras.toString(), npz.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertEquals(
        0,
        p.waitFor(),
        "/usr/bin/python3 with h5py and numpy (apt-get install python3-h5py python3-numpy): "
            + out);
    assertEquals("OK 14 datasets, 5 layers, compile_config False", out);
    KerasModel read = KerasArchive.read(Files.readAllBytes(keras), "recurrent.keras");
    assertEquals(spec, read.spec());
    org.junit.jupiter.api.Assertions.assertArrayEquals(params, read.params());
  }
}
