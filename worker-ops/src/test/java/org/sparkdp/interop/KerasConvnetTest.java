package org.sparkdp.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkdp.ops.Conv2D;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Dropout;
import org.sparkdp.ops.Flatten;
import org.sparkdp.ops.MaxPooling2D;
import org.sparkdp.ops.ModelSpec;

/** The Keras "simple MNIST convnet" as Keras 3's {@code model.to_json()} writes it. */
class KerasConvnetTest {
  static final String KERAS3 =
      """
      {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential",
       "trainable": true, "dtype": "float32", "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 28, 28, 1],
         "dtype": "float32", "sparse": false, "name": "input_layer"}, "registered_name": null},
        {"module": "keras.layers", "class_name": "Conv2D", "config": {"name": "conv2d", "trainable": true,
         "dtype": "float32", "filters": 32, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid",
         "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "relu",
         "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
         "config": {"seed": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers",
         "class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": null,
         "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null,
         "bias_constraint": null}, "registered_name": null, "build_config": {"input_shape": [null, 28, 28, 1]}},
        {"module": "keras.layers", "class_name": "MaxPooling2D", "config": {"name": "max_pooling2d",
         "trainable": true, "dtype": "float32", "pool_size": [2, 2], "padding": "valid", "strides": [2, 2],
         "data_format": "channels_last"}, "registered_name": null},
        {"module": "keras.layers", "class_name": "Conv2D", "config": {"name": "conv2d_1", "trainable": true,
         "dtype": "float32", "filters": 64, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid",
         "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "relu",
         "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
         "config": {"seed": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers",
         "class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": null,
         "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null,
         "bias_constraint": null}, "registered_name": null},
        {"module": "keras.layers", "class_name": "MaxPooling2D", "config": {"name": "max_pooling2d_1",
         "trainable": true, "dtype": "float32", "pool_size": [2, 2], "padding": "valid", "strides": [2, 2],
         "data_format": "channels_last"}, "registered_name": null},
        {"module": "keras.layers", "class_name": "Flatten", "config": {"name": "flatten", "trainable": true,
         "dtype": "float32", "data_format": "channels_last"}, "registered_name": null},
        {"module": "keras.layers", "class_name": "Dropout", "config": {"name": "dropout", "trainable": true,
         "dtype": "float32", "rate": 0.5, "seed": null, "noise_shape": null}, "registered_name": null},
        {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "trainable": true,
         "dtype": "float32", "units": 10, "activation": "softmax", "use_bias": true,
         "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
         "config": {"seed": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers",
         "class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": null,
         "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null}, "registered_name": null}
       ]}, "registered_name": null}
      """;

  @Test
  void readsKeras3sSimpleMnistConvnetWithItsShapesAndParameterCount() throws IOException {
    KerasModel model = KerasJson.read(KERAS3.getBytes(StandardCharsets.UTF_8), "convnet.json");
    ModelSpec spec = model.spec();
    assertEquals(List.of(28, 28, 1), spec.inputShape());
    assertEquals(784, spec.inputDim());
    assertEquals(
        List.of(
            Conv2D.class,
            MaxPooling2D.class,
            Conv2D.class,
            MaxPooling2D.class,
            Flatten.class,
            Dropout.class,
            Dense.class),
        spec.layers().stream().map(Object::getClass).toList());
    // Keras' summary of this model: 34,826 parameters, a Flatten of 1,600.
    assertEquals(34826, spec.layout().size());
    assertEquals(1600, spec.outputOf(4));
    String summary = spec.summary("convnet", false);
    assertTrue(summary.contains("(None, 26, 26, 32)"), summary);
    assertTrue(summary.contains("(None, 5, 5, 64)"), summary);
    assertTrue(summary.contains("18,496"), summary);
  }

  @Test
  void channelsFirstIsRefusedByName() {
    String first = KERAS3.replaceFirst("\"channels_last\"", "\"channels_first\"");
    IOException e =
        assertThrows(
            IOException.class,
            () -> KerasJson.read(first.getBytes(StandardCharsets.UTF_8), "convnet.json"));
    assertTrue(
        e.getMessage().contains("(Conv2D): data_format \"channels_first\" is not supported"),
        e.getMessage());
  }

  @Test
  void keras2sBatchInputShapeOnTheFirstLayerGivesTheImageShape() throws IOException {
    String keras2 =
        KERAS3
            .replaceFirst(
                "\\{\"module\": \"keras.layers\", \"class_name\": \"InputLayer\"[^}]*\\}[^}]*\\},",
                "")
            .replaceFirst(
                "\"name\": \"conv2d\",",
                "\"name\": \"conv2d\", \"batch_input_shape\": [null, 28, 28, 1],")
            .replace(", \"build_config\": {\"input_shape\": [null, 28, 28, 1]}", "");
    assertTrue(!keras2.contains("InputLayer"), keras2);
    KerasModel model = KerasJson.read(keras2.getBytes(StandardCharsets.UTF_8), "convnet.json");
    assertEquals(List.of(28, 28, 1), model.spec().inputShape());
  }
}
