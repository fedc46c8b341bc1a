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
import org.sparkdp.ops.AveragePooling1D;
import org.sparkdp.ops.AveragePooling2D;
import org.sparkdp.ops.BatchNormalization;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.Conv1D;
import org.sparkdp.ops.Conv2D;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Dropout;
import org.sparkdp.ops.Embedding;
import org.sparkdp.ops.Flatten;
import org.sparkdp.ops.GRU;
import org.sparkdp.ops.GlobalAveragePooling1D;
import org.sparkdp.ops.GlobalAveragePooling2D;
import org.sparkdp.ops.GlobalMaxPooling1D;
import org.sparkdp.ops.GlobalMaxPooling2D;
import org.sparkdp.ops.Initializer;
import org.sparkdp.ops.LSTM;
import org.sparkdp.ops.Layer;
import org.sparkdp.ops.LayerNormalization;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.MaxPooling1D;
import org.sparkdp.ops.MaxPooling2D;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Padding;
import org.sparkdp.ops.RecurrentCell;
import org.sparkdp.ops.Regularizer;
import org.sparkdp.ops.Reshape;
import org.sparkdp.ops.SimpleRNN;

/**
 * Walks every layer kind of {@link Layer#kinds()} through every export and import: {@code
 * model.json}, Keras JSON, {@code .keras} and ONNX (with ONNX Runtime's predictions against
 * sparkdp's). A new kind fails here until it has a sample below, and then fails on any format it
 * does not write or read back, instead of producing a wrong file.
 */
public class EveryLayerKindTest {

  /** The input width of the sample models. */
  static final int IN = 6;

  /**
   * Models that use each kind, by type: its options off their defaults where it has them, and on
   * shaped inputs where it takes them.
   */
  public static Map<String, List<ModelSpec>> samples() {
    Map<String, List<ModelSpec>> m = new LinkedHashMap<>();
    m.put(
        "dense",
        List.of(
            around(Dense.of(5, "tanh")),
            around(
                Dense.of(4, "relu")
                    .withUseBias(false)
                    .withInitializers(Initializer.HE_NORMAL, Initializer.ONES)
                    .withRegularizers(new Regularizer.L2(0.01), null))));
    m.put(
        "embedding",
        List.of(
            shaped(List.of(IN), Embedding.of(11, 4), Flatten.of(), Dense.of(3, "linear")),
            ModelSpec.of(
                new Embedding(7, 3, Initializer.GLOROT_NORMAL, new Regularizer.L2(0.01), false, IN),
                Reshape.of(-1),
                Dense.of(3, "linear"))));
    m.put("dropout", List.of(around(Dropout.of(0.3)), around(new Dropout(0.5, 17L, 0))));
    m.put(
        "layer_normalization",
        List.of(
            around(LayerNormalization.defaults()),
            around(
                new LayerNormalization(
                    1e-2, false, true, Initializer.ZEROS, Initializer.ONES, null, null, 0))));
    m.put(
        "activation",
        List.of(
            around(new ActivationLayer(Activation.SOFTSIGN, 0)),
            around(ActivationLayer.of("elu")),
            // softmax over the last axis of a [2, 3] input
            shaped(
                List.of(2, 3),
                ActivationLayer.of("softmax"),
                Flatten.of(),
                Dense.of(3, "linear"))));
    m.put(
        "conv2d",
        List.of(
            shaped(List.of(5, 6, 2), Conv2D.of(3, 3, "relu"), Flatten.of(), Dense.of(3, "linear")),
            shaped(
                List.of(5, 6, 2),
                Conv2D.of(4, 3, "tanh").with(List.of(2, 2), Padding.SAME, List.of(1, 1)),
                Conv2D.of(2, 2, "linear")
                    .with(List.of(1, 1), Padding.SAME, List.of(2, 2))
                    .withUseBias(false),
                Flatten.of(),
                Dense.of(3, "linear"))));
    m.put(
        "max_pooling2d",
        List.of(
            shaped(List.of(5, 6, 2), MaxPooling2D.of(2), Flatten.of(), Dense.of(3, "linear")),
            shaped(
                List.of(5, 6, 2),
                Conv2D.of(3, 2, "linear"),
                new MaxPooling2D(List.of(3, 2), List.of(2, 1), Padding.SAME, 0),
                Flatten.of(),
                Dense.of(3, "linear"))));
    m.put(
        "conv1d",
        List.of(
            shaped(List.of(7, 3), Conv1D.of(4, 3, "relu"), Flatten.of(), Dense.of(3, "linear")),
            shaped(
                List.of(8, 3),
                Conv1D.of(4, 4, "tanh").with(2, Padding.SAME, 1, true),
                Conv1D.of(2, 2, "linear").with(1, Padding.CAUSAL, 2, false),
                Flatten.of(),
                Dense.of(3, "linear"))));
    m.put(
        "max_pooling1d",
        List.of(
            shaped(List.of(7, 3), MaxPooling1D.of(2), Flatten.of(), Dense.of(3, "linear")),
            shaped(
                List.of(8, 2),
                Conv1D.of(3, 2, "linear"),
                new MaxPooling1D(List.of(3), List.of(2), Padding.SAME, 0),
                Flatten.of(),
                Dense.of(3, "linear"))));
    m.put(
        "average_pooling1d",
        List.of(
            shaped(List.of(7, 3), AveragePooling1D.of(2), Flatten.of(), Dense.of(3, "linear")),
            shaped(
                List.of(8, 2),
                new AveragePooling1D(List.of(3), List.of(2), Padding.SAME, 0),
                Flatten.of(),
                Dense.of(3, "linear"))));
    m.put(
        "average_pooling2d",
        List.of(
            shaped(List.of(5, 6, 2), AveragePooling2D.of(2), Flatten.of(), Dense.of(3, "linear")),
            shaped(
                List.of(5, 6, 2),
                Conv2D.of(3, 2, "linear"),
                new AveragePooling2D(List.of(3, 2), List.of(2, 1), Padding.SAME, 0),
                Flatten.of(),
                Dense.of(3, "linear"))));
    m.put(
        "global_average_pooling1d",
        List.of(
            shaped(List.of(7, 3), GlobalAveragePooling1D.of(), Dense.of(3, "linear")),
            shaped(
                List.of(7, 3),
                new GlobalAveragePooling1D(true, 0),
                Flatten.of(),
                Dense.of(3, "linear"))));
    m.put(
        "global_average_pooling2d",
        List.of(
            shaped(List.of(5, 6, 2), GlobalAveragePooling2D.of(), Dense.of(3, "linear")),
            shaped(
                List.of(5, 6, 2),
                new GlobalAveragePooling2D(true, 0),
                Flatten.of(),
                Dense.of(3, "linear"))));
    m.put(
        "global_max_pooling1d",
        List.of(
            shaped(List.of(7, 3), GlobalMaxPooling1D.of(), Dense.of(3, "linear")),
            shaped(
                List.of(7, 3),
                new GlobalMaxPooling1D(true, 0),
                Flatten.of(),
                Dense.of(3, "linear"))));
    m.put(
        "global_max_pooling2d",
        List.of(
            shaped(List.of(5, 6, 2), GlobalMaxPooling2D.of(), Dense.of(3, "linear")),
            shaped(
                List.of(5, 6, 2),
                Conv2D.of(3, 2, "linear"),
                new GlobalMaxPooling2D(true, 0),
                Flatten.of(),
                Dense.of(3, "linear"))));
    m.put(
        "batch_normalization",
        List.of(
            around(BatchNormalization.defaults()),
            around(BatchNormalization.defaults().with(false, true).withMomentum(0.9)),
            shaped(
                List.of(5, 6, 2),
                Conv2D.of(3, 3, "linear"),
                BatchNormalization.defaults().with(true, false),
                Flatten.of(),
                Dense.of(3, "linear"))));
    m.put(
        "flatten",
        List.of(
            around(Flatten.of()), shaped(List.of(3, 2, 1), Flatten.of(), Dense.of(3, "linear"))));
    m.put(
        "reshape",
        List.of(
            ModelSpec.of(
                Dense.of(8, "linear").withInputDim(IN),
                Reshape.of(2, 4),
                Dropout.of(0.1),
                Reshape.of(-1),
                Dense.of(3, "linear")),
            shaped(List.of(IN), Reshape.of(3, -1), Flatten.of(), Dense.of(3, "linear"))));
    m.put(
        "simple_rnn",
        List.of(
            shaped(List.of(5, 3), SimpleRNN.of(4), Dense.of(3, "linear")),
            shaped(
                List.of(5, 3),
                SimpleRNN.of(4)
                    .with(
                        RecurrentCell.of(4)
                            .withActivation(Activation.RELU)
                            .withUseBias(false)
                            .withRegularizers(
                                new Regularizer.L2(0.01), new Regularizer.L1(0.02), null))
                    .withReturnSequences(true),
                Flatten.of(),
                Dense.of(3, "linear"))));
    m.put(
        "lstm",
        List.of(
            shaped(List.of(5, 3), LSTM.of(4), Dense.of(3, "linear")),
            shaped(
                List.of(6, 2),
                LSTM.of(3)
                    .with(
                        RecurrentCell.of(3)
                            .withActivation(Activation.SOFTSIGN)
                            .withInitializers(
                                Initializer.HE_NORMAL,
                                new Initializer.Orthogonal(1.5),
                                Initializer.ONES),
                        Activation.HARD_SIGMOID,
                        false)
                    .withReturnSequences(true),
                LSTM.of(4).with(RecurrentCell.of(4).withUseBias(false), Activation.SIGMOID, true),
                Dense.of(3, "linear"))));
    m.put(
        "gru",
        List.of(
            shaped(List.of(5, 3), GRU.of(4), Dense.of(3, "linear")),
            shaped(
                List.of(5, 3),
                GRU.of(4)
                    .with(
                        RecurrentCell.of(4).withActivation(Activation.ELU),
                        Activation.SIGMOID,
                        false)
                    .withReturnSequences(true),
                GRU.of(3)
                    .with(
                        RecurrentCell.of(3).withActivation(Activation.LINEAR).withUseBias(false),
                        Activation.LEAKY_RELU,
                        true)
                    .withReturnSequences(true),
                Flatten.of(),
                Dense.of(3, "linear"))));
    return m;
  }

  static ModelSpec shaped(List<Integer> inputShape, Layer... layers) {
    return new ModelSpec(List.of(layers), inputShape);
  }

  static ModelSpec around(Layer layer) {
    return ModelSpec.of(Dense.of(8, "linear").withInputDim(IN), layer, Dense.of(3, "linear"));
  }

  @Test
  void everyKindIsRegisteredAndEveryRegisteredKindHasSamples() {
    Set<String> permitted = new TreeSet<>();
    List<Class<?>> open = new ArrayList<>(List.of(Layer.class.getPermittedSubclasses()));
    while (!open.isEmpty()) {
      Class<?> c = open.remove(0);
      if (c.isSealed()) {
        // A family of kinds ({@code PoolingLayer}): its records are the kinds.
        open.addAll(List.of(c.getPermittedSubclasses()));
      } else {
        permitted.add(c.getSimpleName());
      }
    }
    Set<String> registered = new TreeSet<>();
    for (Layer.Kind kind : Layer.allKinds()) {
      registered.add(kind.settings().type().getSimpleName());
      assertTrue(
          samples().containsKey(kind.type()), "no sample of layer kind " + kind.type() + " here");
      for (ModelSpec sample : samples().get(kind.type())) {
        assertTrue(
            sample.layers().stream().anyMatch(l -> l.type().equals(kind.type())),
            kind.type() + ": a sample without the kind");
      }
    }
    assertEquals(permitted, registered, "the permitted layer records against the registry");
    assertEquals(Layer.kinds().keySet(), samples().keySet());
  }

  @Test
  void everyKindRoundTripsThroughModelJson() throws Exception {
    for (ModelSpec spec : all()) {
      String layer = spec.names().toString();
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
      assertEquals(spec, saved.spec(), layer + " in model.json");
      float[] read = ModelFile.readWeights(spec, new ByteArrayInputStream(weights), "weights.npz");
      assertArrayEquals(spec.initialParameters(1), read, layer + " in weights.npz");
    }
  }

  @Test
  void everyKindWritesEachOfItsSettingsToKerasJsonAndReadsBackTheSameLayer() throws Exception {
    for (ModelSpec spec : all()) {
      String layer = spec.names().toString();
      JsonNode root = KerasJson.write(spec, compile());
      for (int l = 0; l < spec.layers().size(); l++) {
        // layers[0] is the InputLayer
        JsonNode config = root.path("config").path("layers").get(l + 1).path("config");
        Layer.Kind kind = Layer.kind(spec.layers().get(l).type());
        for (var s : kind.settings().settings()) {
          if (!Layer.givesInputWidth(s)) {
            String key = s.key();
            assertTrue(config.has(key), layer + ": " + kind.type() + " lacks Keras key " + key);
          }
        }
        for (String key : kind.kerasFixed().keySet()) {
          assertTrue(config.has(key), layer + ": " + kind.type() + " lacks Keras key " + key);
        }
      }
      KerasModel read = KerasJson.read(KerasJson.toBytes(root), "config.json");
      assertEquals(spec, read.spec(), layer + " in Keras JSON");
    }
  }

  @Test
  void everyKindRoundTripsThroughAKerasFileWithItsWeights() throws Exception {
    for (ModelSpec spec : all()) {
      String layer = spec.names().toString();
      float[] params = OnnxExportTest.weights(spec, 5);
      KerasModel read =
          KerasArchive.read(KerasArchive.write(spec, compile(), params), "model.keras");
      assertEquals(spec, read.spec(), layer + " in .keras");
      assertArrayEquals(params, read.params(), layer + "'s weights in .keras");
    }
  }

  @Test
  void onnxRuntimePredictsEveryKindAsSparkdpDoesWithinOneInHundredThousand() throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    java.util.Random random = new java.util.Random(11);
    for (ModelSpec spec : all()) {
      String layer = spec.names().toString();
      float[] params = OnnxExportTest.weights(spec, 9);
      float[][] x = input(spec, 5, random);
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
        assertTrue(worst <= 1e-5, layer + ": ONNX Runtime differs by " + worst);
      }
    }
  }

  /**
   * {@code rows} examples for {@code spec}: Gaussian values, or ids drawn uniformly below the
   * vocabulary's size for a model that starts with an embedding.
   */
  public static float[][] input(ModelSpec spec, int rows, java.util.Random random) {
    float[][] x = new float[rows][spec.inputDim()];
    for (float[] row : x) {
      for (int j = 0; j < row.length; j++) {
        row[j] =
            spec.layers().get(0) instanceof Embedding e
                ? random.nextInt(e.vocabularySize())
                : (float) (2 * random.nextGaussian());
      }
    }
    return x;
  }

  private static List<ModelSpec> all() {
    List<ModelSpec> all = new ArrayList<>();
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
