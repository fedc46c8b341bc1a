package org.sparkdp.ops;

import java.util.List;

/**
 * Keras' {@code GlobalAveragePooling1D}, channels_last: {@code input [batch, T, C] -> output
 * [batch, C]} (or {@code [batch, 1, C]} with {@code keepdims}), each channel's mean over the steps.
 *
 * @param keepdims whether the output keeps the spatial axes as 1s (the same values either way)
 * @param inputDim 0: pooling takes {@code input_shape} on a model's first layer
 */
public record GlobalAveragePooling1D(boolean keepdims, int inputDim) implements Layer {
  public static final RecordSettings<GlobalAveragePooling1D> SETTINGS =
      RecordSettings.of(GlobalAveragePooling1D.class, Pooling.KEEPDIMS, Layer.INPUT_DIM);

  /** Keras' {@code GlobalAveragePooling1D}, channels_last. */
  public static final Kind KIND =
      new Kind("global_average_pooling1d", "GlobalAveragePooling1D", SETTINGS, Pooling.FIXED);

  public GlobalAveragePooling1D {
    if (inputDim != 0) {
      Layer.INPUT_DIM.check(inputDim);
    }
  }

  /** {@code GlobalAveragePooling1D()}. */
  public static GlobalAveragePooling1D of() {
    return new GlobalAveragePooling1D(false, 0);
  }

  private Pooling pooling() {
    return Pooling.global("global_average_pooling1d", 1, true, keepdims);
  }

  @Override
  public String type() {
    return "global_average_pooling1d";
  }

  @Override
  public String className() {
    return "GlobalAveragePooling1D";
  }

  @Override
  public GlobalAveragePooling1D withInputDim(int dim) {
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
