package org.sparkdp.ops;

import java.util.List;

/**
 * Keras' {@code MaxPooling1D}, channels_last: {@code input [batch, T, C] -> output [batch, OT, C]},
 * each output the largest value of its {@code pool_size} window in its channel; {@code same}
 * padding pads with values no window takes. Backward routes each output's gradient to the input
 * that was largest (the first of equal ones), as TensorFlow does. In ONNX: {@code MaxPool}.
 *
 * @param poolSize the window's length, as a list of one
 * @param strides the steps between windows, or {@code null} for {@code pool_size}
 * @param padding valid or same (see {@link Padding})
 * @param inputDim 0: pooling takes {@code input_shape} on a model's first layer
 */
public record MaxPooling1D(
    List<Integer> poolSize, List<Integer> strides, Padding padding, int inputDim)
    implements PoolingLayer {
  public static final RecordSettings<MaxPooling1D> SETTINGS =
      RecordSettings.of(
          MaxPooling1D.class,
          Pooling.POOL_SIZE_1D,
          Pooling.STRIDES_1D,
          Conv2D.PADDING,
          Layer.INPUT_DIM);

  /** Keras' {@code MaxPooling1D}, channels_last. */
  public static final Kind KIND =
      new Kind("max_pooling1d", "MaxPooling1D", SETTINGS, Pooling.FIXED);

  public MaxPooling1D {
    poolSize = List.copyOf(Pooling.POOL_SIZE_1D.check(poolSize));
    strides = strides == null ? null : List.copyOf(Pooling.STRIDES_1D.check(strides));
    Conv2D.PADDING.check(padding);
    Pooling.checkInputDim(inputDim);
  }

  /** {@code MaxPooling1D(pool_size)}: strides the pool size, valid padding. */
  public static MaxPooling1D of(int poolSize) {
    return new MaxPooling1D(java.util.Collections.nCopies(1, poolSize), null, Padding.VALID, 0);
  }

  /** The strides in effect: {@code pool_size} when not given. */
  public List<Integer> effectiveStrides() {
    return strides != null ? strides : poolSize;
  }

  @Override
  public Pooling pooling() {
    return Pooling.window("max_pooling1d", 1, false, poolSize, effectiveStrides(), padding);
  }

  @Override
  public String className() {
    return "MaxPooling1D";
  }
}
