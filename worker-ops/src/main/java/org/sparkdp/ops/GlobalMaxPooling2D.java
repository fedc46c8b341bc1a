package org.sparkdp.ops;

/**
 * Keras' {@code GlobalMaxPooling2D}, channels_last: {@code input [batch, H, W, C] -> output [batch,
 * C]} (or {@code [batch, 1, 1, C]} with {@code keepdims}), each channel's largest value over the
 * image (backward: to the first largest). In ONNX: {@code GlobalMaxPool}.
 *
 * @param keepdims whether the output keeps the spatial axes as 1s (the same values either way)
 * @param inputDim 0: pooling takes {@code input_shape} on a model's first layer
 */
public record GlobalMaxPooling2D(boolean keepdims, int inputDim) implements PoolingLayer {
  public static final RecordSettings<GlobalMaxPooling2D> SETTINGS =
      RecordSettings.of(GlobalMaxPooling2D.class, Pooling.KEEPDIMS, Layer.INPUT_DIM);

  /** Keras' {@code GlobalMaxPooling2D}, channels_last. */
  public static final Kind KIND =
      new Kind("global_max_pooling2d", "GlobalMaxPooling2D", SETTINGS, Pooling.FIXED);

  public GlobalMaxPooling2D {
    Pooling.checkInputDim(inputDim);
  }

  /** {@code GlobalMaxPooling2D()}. */
  public static GlobalMaxPooling2D of() {
    return new GlobalMaxPooling2D(false, 0);
  }

  @Override
  public Pooling pooling() {
    return Pooling.global("global_max_pooling2d", 2, false, keepdims);
  }

  @Override
  public String className() {
    return "GlobalMaxPooling2D";
  }
}
