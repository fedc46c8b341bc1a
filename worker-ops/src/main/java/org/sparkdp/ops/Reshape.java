package org.sparkdp.ops;

import java.util.Arrays;
import java.util.List;

/**
 * Keras' {@code Reshape}: {@code [batch, *shape] -> [batch, *target_shape]}, the same values in the
 * same row-major order; one size of {@code target_shape} may be -1, inferred from the others.
 * Examples are flat rows, so the values pass through unchanged.
 *
 * @param targetShape the output shape without the batch, e.g. {@code [28, 28, 1]}
 * @param inputDim the input width on a model's first layer, else 0
 */
public record Reshape(List<Long> targetShape, int inputDim) implements Layer {
  public static final Setting<List<Long>> TARGET_SHAPE =
      Setting.integers(
          "target_shape", "the output shape without the batch; one size may be -1 (inferred)");
  public static final RecordSettings<Reshape> SETTINGS =
      RecordSettings.of(Reshape.class, TARGET_SHAPE, Layer.INPUT_DIM);

  /** Keras' {@code Reshape}. */
  public static final Kind KIND = new Kind("reshape", "Reshape", SETTINGS, Kind.fixed());

  public Reshape {
    TARGET_SHAPE.check(targetShape);
    targetShape = List.copyOf(targetShape);
    long unknown = targetShape.stream().filter(d -> d == -1).count();
    if (unknown > 1 || targetShape.stream().anyMatch(d -> d == 0 || d < -1 || d > 1 << 30)) {
      throw new ConfigException(
          "target_shape: "
              + targetShape
              + " is not a shape (expected positive sizes, at most one of them -1)");
    }
    if (inputDim != 0) {
      Layer.INPUT_DIM.check(inputDim);
    }
  }

  /** {@code Reshape(target_shape)}. */
  public static Reshape of(int... targetShape) {
    return new Reshape(Arrays.stream(targetShape).mapToObj(d -> (long) d).toList(), 0);
  }

  @Override
  public String type() {
    return "reshape";
  }

  @Override
  public String className() {
    return "Reshape";
  }

  @Override
  public Reshape withInputDim(int dim) {
    Layer.INPUT_DIM.check(dim);
    return new Reshape(targetShape, dim);
  }

  @Override
  public int[] outputShape(int[] in) {
    int size = Layer.size(in);
    int[] out = new int[targetShape.size()];
    long known = 1;
    int unknown = -1;
    for (int i = 0; i < out.length; i++) {
      out[i] = targetShape.get(i).intValue();
      if (out[i] == -1) {
        unknown = i;
      } else {
        known *= out[i];
      }
    }
    if (unknown >= 0 && known > 0 && size % known == 0) {
      out[unknown] = (int) (size / known);
    } else if (unknown >= 0 || known != size) {
      throw new ConfigException(
          "target_shape: "
              + targetShape
              + " does not hold the "
              + size
              + " values of an input of shape "
              + Arrays.toString(in));
    }
    return out;
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
