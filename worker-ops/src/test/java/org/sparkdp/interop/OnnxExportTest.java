package org.sparkdp.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkdp.ops.Activation;
import org.sparkdp.ops.ActivationLayer;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Dropout;
import org.sparkdp.ops.Initializer;
import org.sparkdp.ops.Layer;
import org.sparkdp.ops.LayerNormalization;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Workspace;

class OnnxExportTest {

  /**
   * Every activation (in a Dense layer and as an Activation layer), layer normalization with and
   * without gamma and beta, dropout, a Dense layer without bias: each activation's inputs come from
   * a layer normalization with gamma about 3, so they reach past the kinks of relu6 (6) and
   * hard_sigmoid (3).
   */
  static ModelSpec everyLayerAndActivation() {
    List<Layer> layers = new ArrayList<>();
    layers.add(Dense.of(12, "linear").withInputDim(10));
    Activation[] all = Activation.values();
    for (int i = 0; i < all.length; i++) {
      boolean center = i % 3 != 1;
      boolean scale = i % 3 != 2;
      layers.add(
          new LayerNormalization(
              1e-3, center, scale, Initializer.ZEROS, Initializer.ONES, null, null, 0));
      if (i % 2 == 0) {
        layers.add(Dense.of(12, all[i]));
      } else {
        layers.add(Dense.of(12, "linear").withUseBias(i % 4 != 1));
        layers.add(new ActivationLayer(all[i], 0));
      }
      if (i % 5 == 0) {
        layers.add(Dropout.of(0.3));
      }
    }
    layers.add(LayerNormalization.defaults());
    layers.add(Dense.of(6, "linear"));
    return new ModelSpec(layers);
  }

  /** Weights whose layer normalizations scale by about 3 and whose kernels keep unit variance. */
  static float[] weights(ModelSpec spec, long seed) {
    java.util.Random random = new java.util.Random(seed);
    float[] params = new float[spec.layout().size()];
    spec.layout()
        .views()
        .forEach(
            v -> {
              double scale =
                  switch (v.weight()) {
                    case "kernel" -> 1 / Math.sqrt(v.shape()[0]);
                    case "gamma" -> 3;
                    default -> 0.5;
                  };
              for (int i = 0; i < v.size(); i++) {
                double g = random.nextGaussian();
                params[v.offset() + i] =
                    (float)
                        (v.weight().equals("gamma")
                            ? scale * (0.7 + 0.3 * g)
                            : v.weight().equals("moving_variance") ? 0.5 + g * g : scale * g);
              }
            });
    return params;
  }

  static float[][] sparkdpOutputs(ModelSpec spec, float[] params, float[][] x) {
    Network network = new Network(spec, Loss.MEAN_SQUARED_ERROR, false, spec.outputUnits());
    Workspace ws = network.newWorkspace(x.length);
    float[] flat = new float[x.length * spec.inputDim()];
    for (int r = 0; r < x.length; r++) {
      System.arraycopy(x[r], 0, flat, r * spec.inputDim(), spec.inputDim());
    }
    network.forward(params, flat, 0, x.length, ws);
    float[][] out = new float[x.length][spec.outputUnits()];
    for (int r = 0; r < x.length; r++) {
      System.arraycopy(ws.lastOutputs(), r * spec.outputUnits(), out[r], 0, spec.outputUnits());
    }
    return out;
  }

  @Test
  void onnxRuntimeGivesSparkdpsPredictionsForEveryActivationWithinOneInHundredThousand()
      throws Exception {
    ModelSpec spec = everyLayerAndActivation();
    float[] params = weights(spec, 7);
    byte[] onnx = OnnxExport.write(spec, params, "test");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    java.util.Random random = new java.util.Random(3);
    double worst = 0;
    try (OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions())) {
      // Two batch sizes through one session: the batch dimension is dynamic.
      for (int rows : new int[] {1, 37}) {
        float[][] x = new float[rows][10];
        for (float[] row : x) {
          for (int j = 0; j < row.length; j++) {
            row[j] = (float) (2 * random.nextGaussian());
          }
        }
        float[][] expected = sparkdpOutputs(spec, params, x);
        try (OnnxTensor input = OnnxTensor.createTensor(env, x);
            OrtSession.Result result = session.run(Map.of("input", input))) {
          float[][] actual = (float[][]) result.get("output").orElseThrow().getValue();
          assertEquals(rows, actual.length);
          for (int r = 0; r < rows; r++) {
            for (int j = 0; j < spec.outputUnits(); j++) {
              double diff =
                  Math.abs(actual[r][j] - expected[r][j]) / Math.max(1, Math.abs(expected[r][j]));
              worst = Math.max(worst, diff);
            }
          }
        }
      }
    }
    System.out.printf(
        "ONNX Runtime against sparkdp, %d layers: max |diff| / max(1, |y|) = %.3g%n",
        spec.layers().size(), worst);
    assertTrue(worst <= 1e-5, "largest difference " + worst);
  }

  @Test
  void theGraphHasOpset17ADynamicBatchAndTheWeightsUnderTheirNpzNames() throws Exception {
    ModelSpec spec = ModelSpec.of(Dense.of(3, "relu").withInputDim(4), Dense.of(2, "softmax"));
    ModelProto model =
        ModelProto.parseFrom(OnnxExport.write(spec, new float[spec.layout().size()], "t"));
    assertEquals(17, model.getOpsetImport(0).getVersion());
    assertEquals(
        "batch",
        model.getGraph().getInput(0).getType().getTensorType().getShape().getDim(0).getDimParam());
    assertEquals(
        4,
        model.getGraph().getInput(0).getType().getTensorType().getShape().getDim(1).getDimValue());
    assertEquals(
        List.of("dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"),
        model.getGraph().getInitializerList().stream().map(t -> t.getName()).toList());
  }
}
