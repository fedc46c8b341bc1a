package org.sparkdp.ops;

/**
 * Keras' {@code GlobalMaxPooling1D}, channels_last: {@code input [batch, T, C] -> output [batch,
 * C]} (or {@code [batch, 1, C]} with {@code keepdims}), each channel's largest value over the steps
 * (backward: to the first largest). In ONNX: {@code GlobalMaxPool}.
 *
 * @param keepdims whether the output keeps the spatial axes as 1s (the same values either way)
 * @param inputDim 0: pooling takes {@code input_shape} on a model's first layer
 */
public record GlobalMaxPooling1D(boolean keepdims, int inputDim) implements PoolingLayer {
  public static final RecordSettings<GlobalMaxPooling1D> SETTINGS =
      RecordSettings.of(GlobalMaxPooling1D.class, Pooling.KEEPDIMS, Layer.INPUT_DIM);

  /** Keras' {@code GlobalMaxPooling1D}, channels_last. */
  public static final Kind KIND =
      new Kind("global_max_pooling1d", "GlobalMaxPooling1D", SETTINGS, Pooling.FIXED);

  public GlobalMaxPooling1D {
    Pooling.checkInputDim(inputDim);
  }

  /** {@code GlobalMaxPooling1D()}. */
  public static GlobalMaxPooling1D of() {
    return new GlobalMaxPooling1D(false, 0);
  }

  @Override
  public Pooling pooling() {
    return Pooling.global("global_max_pooling1d", 1, false, keepdims);
  }

  @Override
  public String className() {
    return "GlobalMaxPooling1D";
  }
}
