package org.sparkdp.ops;

import java.util.List;

/**
 * Keras' {@code AveragePooling2D}, channels_last: {@code input [batch, H, W, C] -> output [batch,
 * OH, OW, C]}, each output the mean of its {@code pool_size} window in its channel; with {@code
 * same} padding a window at the edge averages over the input values it covers only (Keras' rule).
 * Backward spreads each output's gradient evenly over those values. In ONNX: {@code AveragePool}.
 *
 * @param poolSize the window's height and width
 * @param strides the steps between windows, or {@code null} for {@code pool_size}
 * @param padding valid or same (see {@link Padding})
 * @param inputDim 0: pooling takes {@code input_shape} on a model's first layer
 */
public record AveragePooling2D(
    List<Integer> poolSize, List<Integer> strides, Padding padding, int inputDim)
    implements PoolingLayer {
  public static final RecordSettings<AveragePooling2D> SETTINGS =
      RecordSettings.of(
          AveragePooling2D.class,
          MaxPooling2D.POOL_SIZE,
          MaxPooling2D.STRIDES,
          Conv2D.PADDING,
          Layer.INPUT_DIM);

  /** Keras' {@code AveragePooling2D}, channels_last. */
  public static final Kind KIND =
      new Kind("average_pooling2d", "AveragePooling2D", SETTINGS, Pooling.FIXED);

  public AveragePooling2D {
    poolSize = List.copyOf(MaxPooling2D.POOL_SIZE.check(poolSize));
    strides = strides == null ? null : List.copyOf(MaxPooling2D.STRIDES.check(strides));
    Conv2D.PADDING.check(padding);
    Pooling.checkInputDim(inputDim);
  }

  /** {@code AveragePooling2D(pool_size)}: strides the pool size, valid padding. */
  public static AveragePooling2D of(int poolSize) {
    return new AveragePooling2D(java.util.Collections.nCopies(2, poolSize), null, Padding.VALID, 0);
  }

  /** The strides in effect: {@code pool_size} when not given. */
  public List<Integer> effectiveStrides() {
    return strides != null ? strides : poolSize;
  }

  @Override
  public Pooling pooling() {
    return Pooling.window("average_pooling2d", 2, true, poolSize, effectiveStrides(), padding);
  }

  @Override
  public String className() {
    return "AveragePooling2D";
  }
}
