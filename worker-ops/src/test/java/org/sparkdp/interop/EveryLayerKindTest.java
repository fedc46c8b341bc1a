package org.sparkdp.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.sparkdp.ops.Activation;
import org.sparkdp.ops.ActivationLayer;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Dropout;
import org.sparkdp.ops.Initializer;
import org.sparkdp.ops.Layer;
import org.sparkdp.ops.LayerNormalization;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Regularizer;

/**
 * Walks every layer kind of {@link Layer#kinds()} through every export and import: {@code
 * model.json}, Keras JSON, {@code .keras} and ONNX (with ONNX Runtime's predictions against
 * sparkdp's). A new kind fails here until it has a sample below, and then fails on any format it
 * does not write or read back, instead of producing a wrong file.
 */
class EveryLayerKindTest {

  /** The input width of the sample models. */
  static final int IN = 6;

  /**
   * Samples of each kind by type, between {@code dense(8)} and {@code dense(3)}: its options off
   * their defaults where it has them.
   */
  static Map<String, List<Layer>> samples() {
    Map<String, List<Layer>> m = new LinkedHashMap<>();
    m.put(
        "dense",
        List.of(
            Dense.of(5, "tanh"),
            Dense.of(4, "relu")
                .withUseBias(false)
                .withInitializers(Initializer.HE_NORMAL, Initializer.ONES)
                .withRegularizers(new Regularizer.L2(0.01), null)));
    m.put("dropout", List.of(Dropout.of(0.3), new Dropout(0.5, 17L, 0)));
    m.put(
        "layer_normalization",
        List.of(
            LayerNormalization.defaults(),
            new LayerNormalization(
                1e-2, false, true, Initializer.ZEROS, Initializer.ONES, null, null, 0)));
    m.put(
        "activation",
        List.of(new ActivationLayer(Activation.SOFTSIGN, 0), ActivationLayer.of("elu")));
    return m;
  }

  static ModelSpec around(Layer layer) {
    return ModelSpec.of(Dense.of(8, "linear").withInputDim(IN), layer, Dense.of(3, "linear"));
  }

  @Test
  void everyKindIsRegisteredAndEveryRegisteredKindHasSamples() {
    Set<String> permitted = new TreeSet<>();
    for (Class<?> c : Layer.class.getPermittedSubclasses()) {
      permitted.add(c.getSimpleName());
    }
    Set<String> registered = new TreeSet<>();
    for (Layer.Kind kind : Layer.allKinds()) {
      registered.add(kind.settings().type().getSimpleName());
      assertTrue(
          samples().containsKey(kind.type()), "no sample of layer kind " + kind.type() + " here");
      for (Layer sample : samples().get(kind.type())) {
        assertEquals(kind.type(), sample.type());
        assertEquals(kind.className(), sample.className());
      }
    }
    assertEquals(permitted, registered, "the permitted layer records against the registry");
    assertEquals(Layer.kinds().keySet(), samples().keySet());
  }

  @Test
  void everyKindRoundTripsThroughModelJson() throws Exception {
    for (Layer layer : all()) {
      ModelSpec spec = around(layer);
      byte[] weights = ModelFile.weightsBytes(spec, spec.initialParameters(1));
      byte[] json =
          ModelFile.toBytes(
              ModelFile.modelJson(
                  spec,
                  compile(),
                  1,
                  ModelFile.sha256(weights),
                  new ObjectMapper().readTree("{\"epochs\": 1}"),
                  new ObjectMapper().readTree("{}")));
      ModelFile.Saved saved = ModelFile.parse(json, "model.json");
      assertEquals(spec, saved.spec(), layer.type() + " in model.json");
      float[] read = ModelFile.readWeights(spec, new ByteArrayInputStream(weights), "weights.npz");
      assertArrayEquals(spec.initialParameters(1), read, layer.type() + " in weights.npz");
    }
  }

  @Test
  void everyKindWritesEachOfItsSettingsToKerasJsonAndReadsBackTheSameLayer() throws Exception {
    for (Layer layer : all()) {
      ModelSpec spec = around(layer);
      JsonNode root = KerasJson.write(spec, compile());
      JsonNode config = root.path("config").path("layers").get(2).path("config");
      Layer.Kind kind = Layer.kind(layer.type());
      for (String key : kind.settings().keys()) {
        if (!key.equals(Layer.INPUT_DIM.key())) {
          assertTrue(config.has(key), layer.type() + "'s Keras config lacks " + key);
        }
      }
      for (String key : kind.kerasFixed().keySet()) {
        assertTrue(config.has(key), layer.type() + "'s Keras config lacks " + key);
      }
      KerasModel read = KerasJson.read(KerasJson.toBytes(root), "config.json");
      assertEquals(spec, read.spec(), layer.type() + " in Keras JSON");
    }
  }

  @Test
  void everyKindRoundTripsThroughAKerasFileWithItsWeights() throws Exception {
    for (Layer layer : all()) {
      ModelSpec spec = around(layer);
      float[] params = OnnxExportTest.weights(spec, 5);
      KerasModel read =
          KerasArchive.read(KerasArchive.write(spec, compile(), params), "model.keras");
      assertEquals(spec, read.spec(), layer.type() + " in .keras");
      assertArrayEquals(params, read.params(), layer.type() + "'s weights in .keras");
    }
  }

  @Test
  void onnxRuntimePredictsEveryKindAsSparkdpDoesWithinOneInHundredThousand() throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    java.util.Random random = new java.util.Random(11);
    for (Layer layer : all()) {
      ModelSpec spec = around(layer);
      float[] params = OnnxExportTest.weights(spec, 9);
      float[][] x = new float[5][IN];
      for (float[] row : x) {
        for (int j = 0; j < IN; j++) {
          row[j] = (float) (2 * random.nextGaussian());
        }
      }
      float[][] expected = OnnxExportTest.sparkdpOutputs(spec, params, x);
      byte[] onnx = OnnxExport.write(spec, params, "test");
      try (OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions());
          OnnxTensor input = OnnxTensor.createTensor(env, x);
          OrtSession.Result result = session.run(Map.of("input", input))) {
        float[][] actual = (float[][]) result.get("output").orElseThrow().getValue();
        double worst = 0;
        for (int r = 0; r < x.length; r++) {
          assertFalse(Arrays.equals(expected[r], new float[expected[r].length]));
          for (int j = 0; j < expected[r].length; j++) {
            worst =
                Math.max(
                    worst,
                    Math.abs(actual[r][j] - expected[r][j])
                        / Math.max(1, Math.abs(expected[r][j])));
          }
        }
        assertTrue(worst <= 1e-5, layer.type() + ": ONNX Runtime differs by " + worst);
      }
    }
  }

  private static List<Layer> all() {
    List<Layer> all = new ArrayList<>();
    samples().values().forEach(all::addAll);
    return all;
  }

  private static CompileConfig compile() {
    return new CompileConfig(
        Adam.withLearningRate(0.001),
        Loss.MEAN_SQUARED_ERROR,
        false,
        CompileConfig.metrics("mean_absolute_error"));
  }
}
