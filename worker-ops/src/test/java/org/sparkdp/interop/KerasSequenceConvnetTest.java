package org.sparkdp.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.Configs;
import org.sparkdp.ops.Conv1D;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.GlobalAveragePooling1D;
import org.sparkdp.ops.MaxPooling1D;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Padding;

/**
 * A sequence classifier as Keras 3's {@code model.to_json()} writes it: {@code Conv1D ->
 * MaxPooling1D -> GlobalAveragePooling1D -> Dense} on sequences of 40 steps of 8 features, Keras'
 * one-element tuples ({@code "kernel_size": [5]}) included.
 */
class KerasSequenceConvnetTest {
  static final String KERAS3 =
      """
      {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential",
       "trainable": true, "dtype": "float32", "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 40, 8],
         "dtype": "float32", "sparse": false, "name": "input_layer"}, "registered_name": null},
        {"module": "keras.layers", "class_name": "Conv1D", "config": {"name": "conv1d", "trainable": true,
         "dtype": "float32", "filters": 16, "kernel_size": [5], "strides": [1], "padding": "valid",
         "data_format": "channels_last", "dilation_rate": [1], "groups": 1, "activation": "relu",
         "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
         "config": {"seed": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers",
         "class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": null,
         "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null,
         "bias_constraint": null}, "registered_name": null, "build_config": {"input_shape": [null, 40, 8]}},
        {"module": "keras.layers", "class_name": "MaxPooling1D", "config": {"name": "max_pooling1d",
         "trainable": true, "dtype": "float32", "pool_size": [2], "padding": "valid", "strides": [2],
         "data_format": "channels_last"}, "registered_name": null,
         "build_config": {"input_shape": [null, 36, 16]}},
        {"module": "keras.layers", "class_name": "GlobalAveragePooling1D", "config": {
         "name": "global_average_pooling1d", "trainable": true, "dtype": "float32",
         "data_format": "channels_last", "keepdims": false}, "registered_name": null,
         "build_config": {"input_shape": [null, 18, 16]}},
        {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "trainable": true,
         "dtype": "float32", "units": 3, "activation": "softmax", "use_bias": true,
         "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
         "config": {"seed": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers",
         "class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": null,
         "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null}, "registered_name": null,
         "build_config": {"input_shape": [null, 16]}}
       ]}, "registered_name": null}
      """;

  private static KerasModel read(String json) throws IOException {
    return KerasJson.read(json.getBytes(StandardCharsets.UTF_8), "sequence.json");
  }

  @Test
  void readsAKeras3SequenceConvnetWithItsShapesParameterCountAndSummary() throws IOException {
    ModelSpec spec = read(KERAS3).spec();
    assertEquals(List.of(40, 8), spec.inputShape());
    assertEquals(320, spec.inputDim());
    assertEquals(
        List.of(
            Conv1D.of(16, 5, "relu"),
            new MaxPooling1D(List.of(2), List.of(2), Padding.VALID, 0),
            GlobalAveragePooling1D.of(),
            Dense.of(3, "softmax")),
        spec.layers());
    assertArrayEquals(new int[] {36, 16}, spec.layout().outputShapes()[0]);
    assertArrayEquals(new int[] {18, 16}, spec.layout().outputShapes()[1]);
    assertArrayEquals(new int[] {16}, spec.layout().outputShapes()[2]);
    // Keras' summary: 5 * 8 * 16 + 16 = 656 and 16 * 3 + 3 = 51 parameters.
    assertEquals(707, spec.layout().size());
    String summary = spec.summary("sequence", false);
    assertTrue(summary.contains("(None, 36, 16)"), summary);
    assertTrue(summary.contains("(None, 18, 16)"), summary);
    assertTrue(summary.contains("(None, 16)"), summary);
    assertTrue(summary.contains("656"), summary);
  }

  @Test
  void aKerasFileOfCausalConvAndSamePoolingsBuiltWithH5pyPredictsLikeNumPy(@TempDir Path dir)
      throws Exception {
    Path keras = dir.resolve("sequence.keras");
    Path expected = dir.resolve("expected.npz");
    KerasArchiveTest.python(
        KerasArchiveTest.script(dir, "make_keras_sequence_file.py"), keras, expected);
    KerasModel model = KerasArchive.read(Files.readAllBytes(keras), keras.toString());
    assertEquals(List.of(10, 4), model.spec().inputShape());
    assertEquals(Padding.CAUSAL, ((Conv1D) model.spec().layers().get(0)).padding());
    double worst = KerasArchiveTest.worstAgainst(model, expected, 9, 3);
    System.out.printf("h5py-built sequence .keras against NumPy: max |diff| = %.3g%n", worst);
    assertTrue(worst <= 1e-5, "largest difference " + worst);
  }

  @Test
  void theKerasFileSparkdpWritesOfThisModelHasKeras3sLayoutInH5py(@TempDir Path dir)
      throws Exception {
    ModelSpec spec = read(KERAS3).spec();
    float[] params = OnnxExportTest.weights(spec, 5);
    Path keras = dir.resolve("model.keras");
    Files.write(keras, KerasArchive.write(spec, null, params));
    Path npz = dir.resolve("weights.npz");
    Files.write(npz, ModelFile.weightsBytes(spec, params));
    String out =
        KerasArchiveTest.python(KerasArchiveTest.script(dir, "check_keras_file.py"), keras, npz);
    assertEquals("OK 4 datasets, 4 layers, compile_config False", out);
  }

  @Test
  void writesKerasTuplesOfOneAndReadsTheSameModelBack() throws IOException {
    ModelSpec spec = read(KERAS3).spec();
    var written = KerasJson.write(spec, null);
    var conv = written.path("config").path("layers").get(1).path("config");
    assertEquals("[5]", conv.path("kernel_size").toString());
    assertEquals("[1]", conv.path("strides").toString());
    assertEquals("[1]", conv.path("dilation_rate").toString());
    var pool = written.path("config").path("layers").get(2).path("config");
    assertEquals("[2]", pool.path("pool_size").toString());
    var global = written.path("config").path("layers").get(3).path("config");
    assertEquals("false", global.path("keepdims").toString());
    assertEquals(spec, KerasJson.read(KerasJson.toBytes(written), "written.json").spec());
  }

  @Test
  void channelsFirstAndKerasOptionsSparkdpLacksAreRefusedByName() {
    IOException first =
        assertThrows(
            IOException.class,
            () -> read(KERAS3.replaceFirst("\"channels_last\"", "\"channels_first\"")));
    assertTrue(
        first.getMessage().contains("(Conv1D): data_format \"channels_first\" is not supported"),
        first.getMessage());
    IOException groups =
        assertThrows(
            IOException.class, () -> read(KERAS3.replace("\"groups\": 1", "\"groups\": 2")));
    assertTrue(
        groups.getMessage().contains("(Conv1D): groups 2 is not supported"), groups.getMessage());
    IOException pool =
        assertThrows(
            IOException.class,
            () -> read(KERAS3.replace("\"pool_size\": [2]", "\"pool_size\": [2, 2]")));
    assertTrue(
        pool.getMessage().contains("pool_size: must be a positive integer or a list of one"),
        pool.getMessage());
  }

  @Test
  void causalPaddingIsConv1dsOnlyAndBadSettingsNameTheSetting() throws Exception {
    ObjectMapper json = new ObjectMapper();
    ModelSpec causal =
        Configs.model(
            json.readTree(
                "[{\"type\": \"conv1d\", \"filters\": 4, \"kernel_size\": 3, \"padding\": \"causal\","
                    + " \"dilation_rate\": 2, \"input_shape\": [10, 2]},"
                    + " {\"type\": \"global_max_pooling1d\"}]"),
            "model.layers");
    assertEquals(Padding.CAUSAL, ((Conv1D) causal.layers().get(0)).padding());
    assertArrayEquals(new int[] {10, 4}, causal.layout().outputShapes()[0]);
    String[][] refused = {
      {
        "[{\"type\": \"conv2d\", \"filters\": 4, \"kernel_size\": 3, \"padding\": \"causal\","
            + " \"input_shape\": [5, 5, 1]}]",
        "padding: unknown padding 'causal' (expected one of [valid, same])"
      },
      {
        "[{\"type\": \"max_pooling1d\", \"padding\": \"causal\", \"input_shape\": [5, 1]}]",
        "padding: unknown padding 'causal' (expected one of [valid, same])"
      },
      {
        "[{\"type\": \"conv1d\", \"filters\": 4, \"kernel_size\": 3, \"strides\": 2,"
            + " \"dilation_rate\": 2, \"input_shape\": [9, 1]}]",
        "strides [2] and dilation_rate [2]: one of them must be 1"
      },
      {
        "[{\"type\": \"conv1d\", \"filters\": 4, \"kernel_size\": 6, \"input_shape\": [5, 1]}]",
        "kernel_size [6] does not fit an input of shape [5, 1] with padding valid"
      },
      {
        "[{\"type\": \"conv1d\", \"filters\": 4, \"kernel_size\": 3, \"input_shape\": [5, 5, 1]}]",
        "conv1d takes sequences [steps, features]"
      },
      {
        "[{\"type\": \"average_pooling2d\", \"pool_size\": 0, \"input_shape\": [5, 5, 1]}]",
        "pool_size: must be a positive integer or a pair of them, got 0"
      },
      {
        "[{\"type\": \"global_average_pooling1d\", \"keepdims\": \"yes\", \"input_shape\": [5, 1]}]",
        "keepdims: must be true or false"
      },
      {
        "[{\"type\": \"global_max_pooling2d\", \"keepdims\": true, \"input_shape\": [5, 5, 1]},"
            + " {\"type\": \"dense\", \"units\": 2}]",
        "dense takes a vector of features, not an input of shape [1, 1, 1]"
      },
    };
    for (String[] r : refused) {
      ConfigException e =
          assertThrows(
              ConfigException.class,
              () -> Configs.model(json.readTree(r[0]), "model.layers"),
              r[0]);
      assertTrue(e.getMessage().contains(r[1]), e.getMessage());
      assertTrue(e.getMessage().contains("model.layers"), e.getMessage());
    }
  }
}
