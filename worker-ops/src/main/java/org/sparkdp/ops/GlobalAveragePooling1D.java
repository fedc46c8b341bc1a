package org.sparkdp.ops;

/**
 * Keras' {@code GlobalAveragePooling1D}, channels_last: {@code input [batch, T, C] -> output
 * [batch, C]} (or {@code [batch, 1, C]} with {@code keepdims}), each channel's mean over the steps.
 * In ONNX: {@code GlobalAveragePool}.
 *
 * @param keepdims whether the output keeps the spatial axes as 1s (the same values either way)
 * @param inputDim 0: pooling takes {@code input_shape} on a model's first layer
 */
public record GlobalAveragePooling1D(boolean keepdims, int inputDim) implements PoolingLayer {
  public static final RecordSettings<GlobalAveragePooling1D> SETTINGS =
      RecordSettings.of(GlobalAveragePooling1D.class, Pooling.KEEPDIMS, Layer.INPUT_DIM);

  /** Keras' {@code GlobalAveragePooling1D}, channels_last. */
  public static final Kind KIND =
      new Kind("global_average_pooling1d", "GlobalAveragePooling1D", SETTINGS, Pooling.FIXED);

  public GlobalAveragePooling1D {
    Pooling.checkInputDim(inputDim);
  }

  /** {@code GlobalAveragePooling1D()}. */
  public static GlobalAveragePooling1D of() {
    return new GlobalAveragePooling1D(false, 0);
  }

  @Override
  public Pooling pooling() {
    return Pooling.global("global_average_pooling1d", 1, true, keepdims);
  }

  @Override
  public String className() {
    return "GlobalAveragePooling1D";
  }
}
