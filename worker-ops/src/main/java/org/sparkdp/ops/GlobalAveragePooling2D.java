package org.sparkdp.ops;

/**
 * Keras' {@code GlobalAveragePooling2D}, channels_last: {@code input [batch, H, W, C] -> output
 * [batch, C]} (or {@code [batch, 1, 1, C]} with {@code keepdims}), each channel's mean over the
 * image. In ONNX: {@code GlobalAveragePool}.
 *
 * @param keepdims whether the output keeps the spatial axes as 1s (the same values either way)
 * @param inputDim 0: pooling takes {@code input_shape} on a model's first layer
 */
public record GlobalAveragePooling2D(boolean keepdims, int inputDim) implements PoolingLayer {
  public static final RecordSettings<GlobalAveragePooling2D> SETTINGS =
      RecordSettings.of(GlobalAveragePooling2D.class, Pooling.KEEPDIMS, Layer.INPUT_DIM);

  /** Keras' {@code GlobalAveragePooling2D}, channels_last. */
  public static final Kind KIND =
      new Kind("global_average_pooling2d", "GlobalAveragePooling2D", SETTINGS, Pooling.FIXED);

  public GlobalAveragePooling2D {
    Pooling.checkInputDim(inputDim);
  }

  /** {@code GlobalAveragePooling2D()}. */
  public static GlobalAveragePooling2D of() {
    return new GlobalAveragePooling2D(false, 0);
  }

  @Override
  public Pooling pooling() {
    return Pooling.global("global_average_pooling2d", 2, true, keepdims);
  }

  @Override
  public String className() {
    return "GlobalAveragePooling2D";
  }
}
