package org.sparkdp.ops;

import java.util.List;

/**
 * Keras' {@code Activation} layer: {@code [batch, n] -> [batch, n]}, {@code y = activation(x)},
 * with no weights.
 *
 * @param activation the function applied
 * @param inputDim the input width on a model's first layer, else 0
 */
public record ActivationLayer(Activation activation, int inputDim) implements Layer {
  public static final Setting<Activation> ACTIVATION =
      Setting.choice("activation", Activation.class, null, "the function applied");
  public static final RecordSettings<ActivationLayer> SETTINGS =
      RecordSettings.of(ActivationLayer.class, ACTIVATION, Layer.INPUT_DIM);

  /** Keras' {@code Activation}. */
  public static final Kind KIND = new Kind("activation", "Activation", SETTINGS, Kind.fixed());

  public ActivationLayer {
    ACTIVATION.check(activation);
    if (inputDim != 0) {
      Layer.INPUT_DIM.check(inputDim);
    }
  }

  /** {@code Activation(name)}, e.g. {@code of("relu")}. */
  public static ActivationLayer of(String activation) {
    return new ActivationLayer(ACTIVATION.convert(activation, ACTIVATION.key()), 0);
  }

  @Override
  public String type() {
    return "activation";
  }

  @Override
  public String className() {
    return "Activation";
  }

  @Override
  public ActivationLayer withInputDim(int dim) {
    Layer.INPUT_DIM.check(dim);
    return new ActivationLayer(activation, dim);
  }

  @Override
  public int[] outputShape(int[] in) {
    return in.clone();
  }

  @Override
  public List<Weight> weights(int[] in) {
    return List.of();
  }

  @Override
  public boolean drawsNoise() {
    return false;
  }

  @Override
  public Kernel kernel(Binding b) {
    int[] shape = b.inShape();
    return new Kernels.ActivationKernel(b.in(), shape[shape.length - 1], b.activation());
  }

  /**
   * The activation's nodes; a softmax over the last axis of a shaped input between reshapes to
   * {@code [-1, last]} and back to the flat row.
   */
  @Override
  public String onnx(OnnxGraph g, String x) {
    int[] shape = g.inputShape();
    if (shape.length == 1 || activation != Activation.SOFTMAX) {
      return g.activation(activation, x);
    }
    String slices = g.reshape(x, g.name() + "/slices", shape[shape.length - 1]);
    return g.reshape(g.activation(activation, slices), g.name() + "/rows", g.inputWidth());
  }
}
