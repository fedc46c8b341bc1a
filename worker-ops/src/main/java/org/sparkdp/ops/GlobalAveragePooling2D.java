package org.sparkdp.ops;

import java.util.List;

/**
 * Keras' {@code GlobalAveragePooling2D}, channels_last: {@code input [batch, H, W, C] -> output
 * [batch, C]} (or {@code [batch, 1, 1, C]} with {@code keepdims}), each channel's mean over the
 * image.
 *
 * @param keepdims whether the output keeps the spatial axes as 1s (the same values either way)
 * @param inputDim 0: pooling takes {@code input_shape} on a model's first layer
 */
public record GlobalAveragePooling2D(boolean keepdims, int inputDim) implements Layer {
  public static final RecordSettings<GlobalAveragePooling2D> SETTINGS =
      RecordSettings.of(GlobalAveragePooling2D.class, Pooling.KEEPDIMS, Layer.INPUT_DIM);

  /** Keras' {@code GlobalAveragePooling2D}, channels_last. */
  public static final Kind KIND =
      new Kind("global_average_pooling2d", "GlobalAveragePooling2D", SETTINGS, Pooling.FIXED);

  public GlobalAveragePooling2D {
    if (inputDim != 0) {
      Layer.INPUT_DIM.check(inputDim);
    }
  }

  /** {@code GlobalAveragePooling2D()}. */
  public static GlobalAveragePooling2D of() {
    return new GlobalAveragePooling2D(false, 0);
  }

  private Pooling pooling() {
    return Pooling.global("global_average_pooling2d", 2, true, keepdims);
  }

  @Override
  public String type() {
    return "global_average_pooling2d";
  }

  @Override
  public String className() {
    return "GlobalAveragePooling2D";
  }

  @Override
  public GlobalAveragePooling2D withInputDim(int dim) {
    throw pooling().noInputDim();
  }

  @Override
  public int[] outputShape(int[] in) {
    return pooling().outputShape(in);
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
    return pooling().kernel(b);
  }

  /** ONNX's {@code GlobalAveragePool}. */
  @Override
  public String onnx(OnnxGraph g, String x) {
    return pooling().onnx(g, x);
  }
}
