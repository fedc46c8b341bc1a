package org.sparkdp.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Embedding;
import org.sparkdp.ops.Flatten;
import org.sparkdp.ops.ModelSpec;

/**
 * A text classifier ({@code Input(shape=(20,), dtype="int32")}, {@code Embedding(1000, 16)}, {@code
 * Flatten}, {@code Dense(1, sigmoid)}) as Keras 3's and tf.keras 2's {@code model.to_json()} write
 * it.
 */
class KerasEmbeddingTest {
  static final String KERAS3 =
      """
      {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential",
       "trainable": true, "dtype": "float32", "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 20],
         "dtype": "int32", "sparse": false, "name": "input_layer"}, "registered_name": null},
        {"module": "keras.layers", "class_name": "Embedding", "config": {"name": "embedding",
         "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy",
         "config": {"name": "float32"}, "registered_name": null}, "input_dim": 1000, "output_dim": 16,
         "embeddings_initializer": {"module": "keras.initializers", "class_name": "RandomUniform",
         "config": {"seed": null, "minval": -0.05, "maxval": 0.05}, "registered_name": null},
         "embeddings_regularizer": null, "activity_regularizer": null, "embeddings_constraint": null,
         "mask_zero": false}, "registered_name": null, "build_config": {"input_shape": [null, 20]}},
        {"module": "keras.layers", "class_name": "Flatten", "config": {"name": "flatten", "trainable": true,
         "dtype": "float32", "data_format": "channels_last"}, "registered_name": null},
        {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "trainable": true,
         "dtype": "float32", "units": 1, "activation": "sigmoid", "use_bias": true,
         "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
         "config": {"seed": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers",
         "class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": null,
         "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null}, "registered_name": null}
       ]}, "registered_name": null}
      """;

  static final String KERAS2 =
      """
      {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 20], "dtype": "float32",
         "sparse": false, "ragged": false, "name": "embedding_input"}},
        {"class_name": "Embedding", "config": {"name": "embedding", "trainable": true,
         "batch_input_shape": [null, 20], "dtype": "float32", "input_dim": 1000, "output_dim": 16,
         "embeddings_initializer": {"class_name": "RandomUniform",
         "config": {"minval": -0.05, "maxval": 0.05, "seed": null}}, "embeddings_regularizer": null,
         "activity_regularizer": null, "embeddings_constraint": null, "mask_zero": false,
         "input_length": 20}},
        {"class_name": "Flatten", "config": {"name": "flatten", "trainable": true, "dtype": "float32",
         "data_format": "channels_last"}},
        {"class_name": "Dense", "config": {"name": "dense", "trainable": true, "dtype": "float32",
         "units": 1, "activation": "sigmoid", "use_bias": true,
         "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
         "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null,
         "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null,
         "bias_constraint": null}}
       ]}, "keras_version": "2.15.0", "backend": "tensorflow"}
      """;

  private static ModelSpec expected() {
    return new ModelSpec(
        List.of(Embedding.of(1000, 16), Flatten.of(), Dense.of(1, "sigmoid")), List.of(20));
  }

  private static ModelSpec read(String json) throws IOException {
    return KerasJson.read(json.getBytes(StandardCharsets.UTF_8), "model.json").spec();
  }

  @Test
  void keras3sTextClassifierWithIntegerInputsReadsAsTheSameModel() throws IOException {
    assertEquals(expected(), read(KERAS3));
    assertEquals(16000 + 321, expected().layout().size());
  }

  @Test
  void tfKeras2sTextClassifierWithInputLengthReadsAsTheSameModel() throws IOException {
    assertEquals(expected(), read(KERAS2));
  }

  @Test
  void sparkdpWritesWhatItReadsWithoutInputLength() throws IOException {
    String written = new String(KerasJson.toBytes(KerasJson.write(expected(), null)));
    assertTrue(written.contains("\"input_dim\":1000,\"output_dim\":16"), written);
    assertTrue(written.contains("\"mask_zero\":false"), written);
    assertTrue(!written.contains("input_length"), written);
    assertEquals(expected(), read(written));
  }

  @Test
  void maskZeroAndIntegerInputsBeforeAnotherLayerAreRefusedByName() {
    IOException masked =
        assertThrows(
            IOException.class,
            () -> read(KERAS3.replace("\"mask_zero\": false", "\"mask_zero\": true")));
    assertTrue(masked.getMessage().contains("mask_zero"), masked.getMessage());
    String dense =
        """
        {"class_name": "Sequential", "config": {"name": "s", "layers": [
          {"class_name": "InputLayer", "config": {"batch_shape": [null, 4], "dtype": "int64"}},
          {"class_name": "Dense", "config": {"units": 2}}]}}
        """;
    IOException ints = assertThrows(IOException.class, () -> read(dense));
    assertEquals(
        "model.json: config.layers[0] (InputLayer): dtype int64 is not supported before a Dense"
            + " (sparkdp computes in float32; integer inputs are an Embedding's ids)",
        ints.getMessage());
  }
}
