package org.sparkdp.ops;

import java.util.List;

/**
 * Keras' {@code Flatten}: {@code [batch, *shape] -> [batch, prod(shape)]}. Examples are already
 * flat rows in channels_last row-major order, which is the order Keras flattens in, so the values
 * pass through unchanged; only the shape changes.
 *
 * @param inputDim the input width on a model's first layer, else 0
 */
public record Flatten(int inputDim) implements Layer {
  public static final RecordSettings<Flatten> SETTINGS =
      RecordSettings.of(Flatten.class, Layer.INPUT_DIM);

  /** Keras' {@code Flatten}, channels_last only. */
  public static final Kind KIND =
      new Kind(
          "flatten",
          "Flatten",
          SETTINGS,
          Kind.fixed("data_format", java.util.Arrays.asList("channels_last", null)));

  public Flatten {
    if (inputDim != 0) {
      Layer.INPUT_DIM.check(inputDim);
    }
  }

  /** {@code Flatten()}. */
  public static Flatten of() {
    return new Flatten(0);
  }

  @Override
  public String type() {
    return "flatten";
  }

  @Override
  public String className() {
    return "Flatten";
  }

  @Override
  public Flatten withInputDim(int dim) {
    Layer.INPUT_DIM.check(dim);
    return new Flatten(dim);
  }

  @Override
  public int[] outputShape(int[] in) {
    return new int[] {Layer.size(in)};
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
    return new Kernels.ActivationKernel(b.in(), Activation.LINEAR);
  }

  /** {@code Identity}: the exported graph carries each example as its flat row. */
  @Override
  public String onnx(OnnxGraph g, String x) {
    return g.node("Identity", g.name(), List.of(x));
  }
}
