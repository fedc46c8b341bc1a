package org.sparkdp.ops;

import java.util.List;

/**
 * Keras' {@code GlobalMaxPooling1D}, channels_last: {@code input [batch, T, C] -> output [batch,
 * C]} (or {@code [batch, 1, C]} with {@code keepdims}), each channel's largest value over the steps
 * (backward: to the first largest).
 *
 * @param keepdims whether the output keeps the spatial axes as 1s (the same values either way)
 * @param inputDim 0: pooling takes {@code input_shape} on a model's first layer
 */
public record GlobalMaxPooling1D(boolean keepdims, int inputDim) implements Layer {
  public static final RecordSettings<GlobalMaxPooling1D> SETTINGS =
      RecordSettings.of(GlobalMaxPooling1D.class, Pooling.KEEPDIMS, Layer.INPUT_DIM);

  /** Keras' {@code GlobalMaxPooling1D}, channels_last. */
  public static final Kind KIND =
      new Kind("global_max_pooling1d", "GlobalMaxPooling1D", SETTINGS, Pooling.FIXED);

  public GlobalMaxPooling1D {
    if (inputDim != 0) {
      Layer.INPUT_DIM.check(inputDim);
    }
  }

  /** {@code GlobalMaxPooling1D()}. */
  public static GlobalMaxPooling1D of() {
    return new GlobalMaxPooling1D(false, 0);
  }

  private Pooling pooling() {
    return Pooling.global("global_max_pooling1d", 1, false, keepdims);
  }

  @Override
  public String type() {
    return "global_max_pooling1d";
  }

  @Override
  public String className() {
    return "GlobalMaxPooling1D";
  }

  @Override
  public GlobalMaxPooling1D withInputDim(int dim) {
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

  /** ONNX's {@code GlobalMaxPool}. */
  @Override
  public String onnx(OnnxGraph g, String x) {
    return pooling().onnx(g, x);
  }
}
