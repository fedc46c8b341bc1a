package org.sparkdp.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkdp.ops.Activation;
import org.sparkdp.ops.ActivationLayer;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.BaseOptimizer;
import org.sparkdp.ops.BatchNormalization;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Dropout;
import org.sparkdp.ops.Initializer;
import org.sparkdp.ops.LayerNormalization;
import org.sparkdp.ops.LearningRate;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.Metric;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Regularizer;
import org.sparkdp.ops.RmsProp;

/**
 * Keras model JSON in both forms. The fixtures were written by hand from Keras' documented formats:
 * {@code keras2-sequential.json} as tf.keras 2.x's {@code Model.to_json()} writes a Sequential
 * model ({@code {class_name, config: {name, layers}, keras_version, backend}}, layers {@code
 * {class_name, config}} with {@code get_config()}'s keys, an {@code InputLayer} with {@code
 * batch_input_shape}); {@code keras2-sequential-list.json} as Keras before 2.2.3 wrote it (the
 * layers list as {@code config}, the input in the first layer's {@code batch_input_shape}); {@code
 * keras3-sequential.json} as Keras 3's {@code serialize_keras_object} ({@code
 * keras/src/saving/serialization_lib.py}) writes a {@code .keras} file's {@code config.json}: every
 * object {@code {module, class_name, config, registered_name}}, {@code DTypePolicy} dtypes, {@code
 * build_config} and {@code compile_config}.
 */
class KerasJsonTest {
  static byte[] fixture(String name) throws IOException {
    try (InputStream in = KerasJsonTest.class.getResourceAsStream(name)) {
      return in.readAllBytes();
    }
  }

  @Test
  void readsTfKeras2ToJsonWithAnInputLayer() throws IOException {
    KerasModel model = KerasJson.read(fixture("keras2-sequential.json"), "keras2.json");
    ModelSpec expected =
        ModelSpec.of(
            Dense.of(16, "relu")
                .withInputDim(8)
                .withRegularizers(new Regularizer.L2(0.0010000000474974513), null),
            Dropout.of(0.25),
            LayerNormalization.defaults(),
            Dense.of(3, "linear")
                .withInitializers(
                    new Initializer.VarianceScaling(
                        2.0, Initializer.Mode.FAN_IN, Initializer.Distribution.TRUNCATED_NORMAL),
                    Initializer.ZEROS),
            ActivationLayer.of("softmax"));
    assertEquals(expected, model.spec());
    assertNull(model.compile(), "to_json() has no compile config");
    assertNull(model.params());
  }

  @Test
  void readsKerasBefore223WhoseConfigIsTheListOfLayers() throws IOException {
    KerasModel model = KerasJson.read(fixture("keras2-sequential-list.json"), "old.json");
    ModelSpec expected =
        ModelSpec.of(
            Dense.of(5, "tanh")
                .withInputDim(4)
                .withInitializers(
                    new Initializer.VarianceScaling(
                        1.0, Initializer.Mode.FAN_AVG, Initializer.Distribution.UNIFORM),
                    Initializer.ZEROS),
            Dense.of(1, "sigmoid")
                .withUseBias(false)
                .withInitializers(new Initializer.RandomNormal(0, 0.05), Initializer.ZEROS)
                .withRegularizers(new Regularizer.L1L2(0, 0.01), null));
    assertEquals(expected, model.spec());
  }

  /**
   * Keras 3's config of {@code BatchNormalization(momentum=0.9, scale=False, synchronized=True)}.
   */
  private static String keras3BatchNormalization(String axis) {
    return keras3BatchNormalization(axis, "false");
  }

  /** The same, with {@code renorm} as given (recent Keras 3 writes its keys always). */
  private static String keras3BatchNormalization(String axis, String renorm) {
    String zeros =
        "{\"module\": \"keras.initializers\", \"class_name\": \"Zeros\", \"config\": {},"
            + " \"registered_name\": null}";
    String ones = zeros.replace("Zeros", "Ones");
    return "{\"module\": \"keras.layers\", \"class_name\": \"BatchNormalization\", \"config\":"
        + " {\"name\": \"batch_normalization\", \"trainable\": true, \"dtype\": \"float32\","
        + " \"axis\": "
        + axis
        + ", \"momentum\": 0.9, \"epsilon\": 0.001, \"center\": true, \"scale\": false,"
        + " \"beta_initializer\": "
        + zeros
        + ", \"gamma_initializer\": "
        + ones
        + ", \"moving_mean_initializer\": "
        + zeros
        + ", \"moving_variance_initializer\": "
        + ones
        + ", \"beta_regularizer\": null, \"gamma_regularizer\": null, \"beta_constraint\": null,"
        + " \"gamma_constraint\": null, \"synchronized\": true, \"renorm\": "
        + renorm
        + ", \"renorm_clipping\": null, \"renorm_momentum\": 0.99}, \"registered_name\": null}";
  }

  /** The Keras 3 fixture with its LayerNormalization replaced by {@code layer}. */
  private static byte[] withLayer(String layer) throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    JsonNode root = mapper.readTree(fixture("keras3-sequential.json"));
    ((com.fasterxml.jackson.databind.node.ArrayNode) root.path("config").path("layers"))
        .set(3, mapper.readTree(layer));
    return mapper.writeValueAsBytes(root);
  }

  @Test
  void readsKeras3BatchNormalizationSynchronizedOrNotAndRefusesAnotherAxisNamingIt()
      throws IOException {
    KerasModel model = KerasJson.read(withLayer(keras3BatchNormalization("-1")), "config.json");
    assertEquals(
        BatchNormalization.defaults().with(true, false).withMomentum(0.9),
        model.spec().layers().get(2));
    IOException e =
        assertThrows(
            IOException.class,
            () -> KerasJson.read(withLayer(keras3BatchNormalization("1")), "config.json"));
    assertTrue(
        e.getMessage().contains("(BatchNormalization): axis 1 is not supported"), e.getMessage());
    IOException renorm =
        assertThrows(
            IOException.class,
            () -> KerasJson.read(withLayer(keras3BatchNormalization("-1", "true")), "config.json"));
    assertTrue(
        renorm.getMessage().contains("(BatchNormalization): renorm true is not supported"),
        renorm.getMessage());
  }

  @Test
  void readsKeras3ConfigJsonWithItsCompileConfig() throws IOException {
    KerasModel model = KerasJson.read(fixture("keras3-sequential.json"), "config.json");
    ModelSpec expected =
        ModelSpec.of(
            Dense.of(16, "gelu")
                .withInputDim(8)
                .withInitializers(Initializer.HE_NORMAL, new Initializer.Constant(0.1))
                .withRegularizers(new Regularizer.L1L2(0.0001, 0.001), null),
            new Dropout(0.1, 7L, 0),
            LayerNormalization.defaults(),
            Dense.of(3, "softmax"));
    assertEquals(expected, model.spec());
    CompileConfig compile = model.compile();
    assertEquals(
        new Adam(
            LearningRate.constant(0.0005000000237487257),
            0.9,
            0.999,
            1e-7,
            false,
            new BaseOptimizer(null, 1.0, null, null)),
        compile.optimizer());
    assertEquals(Loss.SPARSE_CATEGORICAL_CROSSENTROPY, compile.loss());
    assertEquals(CompileConfig.metrics("accuracy"), compile.metrics());
    assertEquals(1, model.notes().size());
    assertTrue(model.notes().get(0).contains("MeanIoU"), model.notes().toString());
  }

  @Test
  void unsupportedLayersAndOptionsAreNamedWithTheFile() throws IOException {
    String keras2 = new String(fixture("keras2-sequential.json"), StandardCharsets.UTF_8);
    assertRefused(
        keras2.replace("\"class_name\": \"Dropout\"", "\"class_name\": \"Conv3D\""),
        "layers[2]: the layer Conv3D is not supported");
    assertRefused(
        keras2.replaceFirst(
            "\"kernel_constraint\": null",
            "\"kernel_constraint\": {\"class_name\": \"MaxNorm\", \"config\": {}}"),
        "(Dense): the option kernel_constraint");
    assertRefused(
        keras2.replaceFirst("\"noise_shape\": null", "\"noise_shape\": [null, 1]"),
        "(Dropout): the option noise_shape");
    assertRefused(
        keras2.replaceFirst("\"trainable\": true", "\"trainable\": false"),
        "trainable: false is not supported");
    assertRefused(
        keras2.replaceFirst(
            "\"dtype\": \"float32\", \"units\"", "\"dtype\": \"float16\", \"units\""),
        "dtype float16 is not supported");
    assertRefused(
        keras2.replace("\"activation\": \"relu\"", "\"activation\": \"hard_sigmoid\""),
        "hard_sigmoid of Keras 2");
    assertRefused(keras2.replace("\"activation\": \"relu\"", "\"activation\": \"mish\""), "mish");
    assertRefused(
        keras2.replace("[null, 8]", "[null, 28, 28]"),
        "dense takes a vector of features, not an input of shape [28, 28]");
    assertRefused(
        keras2.replace("\"class_name\": \"Sequential\"", "\"class_name\": \"Functional\""),
        "'Functional' model is not supported");
    assertRefused(keras2.replace("\"axis\": [1]", "\"axis\": [0]"), "axis [0] is not supported");
  }

  private static void assertRefused(String json, String expected) {
    IOException e =
        assertThrows(
            IOException.class,
            () -> KerasJson.read(json.getBytes(StandardCharsets.UTF_8), "model.json"));
    assertTrue(e.getMessage().startsWith("model.json: "), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void aCompileConfigSparkdpCannotUseIsLeftOutWithANote() throws IOException {
    String keras3 = new String(fixture("keras3-sequential.json"), StandardCharsets.UTF_8);
    KerasModel model =
        KerasJson.read(
            keras3
                .replace("\"class_name\": \"Adam\"", "\"class_name\": \"Lion\"")
                .getBytes(StandardCharsets.UTF_8),
            "config.json");
    assertNull(model.compile());
    assertTrue(model.notes().get(0).contains("Lion is not supported"), model.notes().toString());
  }

  @Test
  void whatSparkdpWritesReadsBackAsTheSameModelAndCompileConfig() throws IOException {
    ModelSpec spec =
        ModelSpec.of(
            Dense.of(6, "selu")
                .withInputDim(5)
                .withInitializers(new Initializer.Orthogonal(1.5), new Initializer.Constant(0.2))
                .withRegularizers(new Regularizer.L1(0.01), new Regularizer.L2(0.02)),
            new Dropout(0.3, 11L, 0),
            new LayerNormalization(
                1e-5,
                false,
                true,
                Initializer.ZEROS,
                new Initializer.RandomUniform(0.9, 1.1),
                null,
                new Regularizer.L1L2(0.1, 0.2),
                0),
            new ActivationLayer(Activation.LEAKY_RELU, 0),
            Dense.of(4, "linear")
                .withUseBias(false)
                .withInitializers(new Initializer.TruncatedNormal(0, 0.1), Initializer.ZEROS));
    CompileConfig compile =
        new CompileConfig(
            new RmsProp(
                new LearningRate.CosineDecay(0.01, 1000, 0.1, null, 0),
                0.8,
                0.5,
                1e-6,
                true,
                new BaseOptimizer(null, null, 0.5, null)),
            Loss.CATEGORICAL_CROSSENTROPY,
            true,
            List.of(
                CompileConfig.metrics("accuracy").get(0),
                new Metric.Auc(50, Metric.Curve.PR, Metric.SummationMethod.INTERPOLATION, "pr_auc"),
                new Metric.TopKCategoricalAccuracy(2, "top2"),
                CompileConfig.metrics("mae").get(0)));
    JsonNode written = KerasJson.write(spec, compile);
    KerasModel read = KerasJson.read(KerasJson.toBytes(written), "written.json");
    assertEquals(spec, read.spec());
    assertEquals(compile, read.compile());
    assertEquals(List.of(), read.notes());
    // Keras 3's shape: an InputLayer first, then each layer as {module, class_name, config, ...}.
    JsonNode layers = written.path("config").path("layers");
    assertEquals("InputLayer", layers.get(0).path("class_name").asText());
    assertEquals("[null,5]", layers.get(0).path("config").path("batch_shape").toString());
    assertEquals("keras.layers", layers.get(1).path("module").asText());
    assertEquals(
        "Orthogonal",
        layers.get(1).path("config").path("kernel_initializer").path("class_name").asText());
    assertEquals(
        "RMSprop", written.path("compile_config").path("optimizer").path("class_name").asText());
    assertEquals(
        "CosineDecay",
        written
            .path("compile_config")
            .path("optimizer")
            .path("config")
            .path("learning_rate")
            .path("class_name")
            .asText());
    JsonNode metrics = written.path("compile_config").path("metrics");
    assertEquals("accuracy", metrics.get(0).asText());
    assertEquals("AUC", metrics.get(1).path("class_name").asText());
    assertEquals("PR", metrics.get(1).path("config").path("curve").asText());
    assertEquals(2, metrics.get(2).path("config").path("k").asInt());
    assertEquals("mae", metrics.get(3).asText());
    new ObjectMapper().readTree(KerasJson.toBytes(written)); // valid JSON
  }
}
