package org.sparkdp.ops;

import java.util.List;

/**
 * Keras' {@code AveragePooling1D}, channels_last: {@code input [batch, T, C] -> output [batch, OT,
 * C]}, each output the mean of its {@code pool_size} window in its channel; with {@code same}
 * padding a window at the edge averages over the input values it covers only (Keras' rule).
 * Backward spreads each output's gradient evenly over those values. In ONNX: {@code AveragePool}.
 *
 * @param poolSize the window's length, as a list of one
 * @param strides the steps between windows, or {@code null} for {@code pool_size}
 * @param padding valid or same (see {@link Padding})
 * @param inputDim 0: pooling takes {@code input_shape} on a model's first layer
 */
public record AveragePooling1D(
    List<Integer> poolSize, List<Integer> strides, Padding padding, int inputDim)
    implements PoolingLayer {
  public static final RecordSettings<AveragePooling1D> SETTINGS =
      RecordSettings.of(
          AveragePooling1D.class,
          Pooling.POOL_SIZE_1D,
          Pooling.STRIDES_1D,
          Conv2D.PADDING,
          Layer.INPUT_DIM);

  /** Keras' {@code AveragePooling1D}, channels_last. */
  public static final Kind KIND =
      new Kind("average_pooling1d", "AveragePooling1D", SETTINGS, Pooling.FIXED);

  public AveragePooling1D {
    poolSize = List.copyOf(Pooling.POOL_SIZE_1D.check(poolSize));
    strides = strides == null ? null : List.copyOf(Pooling.STRIDES_1D.check(strides));
    Conv2D.PADDING.check(padding);
    Pooling.checkInputDim(inputDim);
  }

  /** {@code AveragePooling1D(pool_size)}: strides the pool size, valid padding. */
  public static AveragePooling1D of(int poolSize) {
    return new AveragePooling1D(java.util.Collections.nCopies(1, poolSize), null, Padding.VALID, 0);
  }

  /** The strides in effect: {@code pool_size} when not given. */
  public List<Integer> effectiveStrides() {
    return strides != null ? strides : poolSize;
  }

  @Override
  public Pooling pooling() {
    return Pooling.window("average_pooling1d", 1, true, poolSize, effectiveStrides(), padding);
  }

  @Override
  public String className() {
    return "AveragePooling1D";
  }
}
