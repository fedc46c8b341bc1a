package org.sparkdp.ops;

import java.util.List;

/**
 * Keras' {@code MaxPooling2D}, channels_last: {@code input [batch, H, W, C] -> output [batch, OH,
 * OW, C]}, each output the largest value of its {@code pool_size} window in its channel; {@code
 * same} padding pads with values no window takes. Backward routes each output's gradient to the
 * input that was largest (the first of equal ones), as TensorFlow does. In ONNX: {@code MaxPool}.
 *
 * @param poolSize the window's height and width
 * @param strides the steps between windows, or {@code null} for {@code pool_size}
 * @param padding valid or same (see {@link Padding})
 * @param inputDim 0: pooling takes {@code input_shape} on a model's first layer
 */
public record MaxPooling2D(
    List<Integer> poolSize, List<Integer> strides, Padding padding, int inputDim)
    implements PoolingLayer {
  public static final Setting<List<Integer>> POOL_SIZE =
      Setting.pair("pool_size", List.of(2, 2), "the window's height and width");
  public static final Setting<List<Integer>> STRIDES =
      Setting.pair("strides", null, "the steps between windows").optional().shownAs("pool_size");
  public static final RecordSettings<MaxPooling2D> SETTINGS =
      RecordSettings.of(MaxPooling2D.class, POOL_SIZE, STRIDES, Conv2D.PADDING, Layer.INPUT_DIM);

  /** Keras' {@code MaxPooling2D}, channels_last. */
  public static final Kind KIND =
      new Kind("max_pooling2d", "MaxPooling2D", SETTINGS, Pooling.FIXED);

  public MaxPooling2D {
    poolSize = List.copyOf(POOL_SIZE.check(poolSize));
    strides = strides == null ? null : List.copyOf(STRIDES.check(strides));
    Conv2D.PADDING.check(padding);
    Pooling.checkInputDim(inputDim);
  }

  /** {@code MaxPooling2D(pool_size)}: strides the pool size, valid padding. */
  public static MaxPooling2D of(int poolSize) {
    return new MaxPooling2D(java.util.Collections.nCopies(2, poolSize), null, Padding.VALID, 0);
  }

  /** The strides in effect: {@code pool_size} when not given. */
  public List<Integer> effectiveStrides() {
    return strides != null ? strides : poolSize;
  }

  @Override
  public Pooling pooling() {
    return Pooling.window("max_pooling2d", 2, false, poolSize, effectiveStrides(), padding);
  }

  @Override
  public String className() {
    return "MaxPooling2D";
  }
}
