package org.sparkdp.ops;

import java.util.ArrayList;
import java.util.List;

/**
 * Keras' {@code Conv1D}, channels_last: {@code input [batch, T, C] -> output [batch, OT, filters]},
 * {@code y = activation(conv(x, K) + b)} with kernel {@code K [k, C, filters]} and bias {@code b
 * [filters]} (Keras' layout). It is {@link Conv2D} on an image of height 1 (the kernel's values are
 * those of a {@code [1, k, C, filters]} one): the same im2col and one {@code sgemm} per batch, and
 * the same ONNX {@code Conv}.
 *
 * @param filters the number of output channels, positive
 * @param kernelSize the window's length, as a list of one
 * @param strides the step between windows, as a list of one
 * @param padding valid, same or causal (see {@link Padding})
 * @param dilationRate the spacing of a window's taps, as a list of one; with strides of 1 only
 * @param activation applied to {@code conv(x, K) + b}
 * @param useBias whether the layer has a bias
 * @param kernelInitializer how the kernel starts (glorot_uniform)
 * @param biasInitializer how the bias starts (zeros)
 * @param kernelRegularizer the kernel's penalty in the loss, or {@code null}
 * @param biasRegularizer the bias' penalty in the loss, or {@code null}
 * @param inputDim 0: a convolution takes {@code input_shape} on a model's first layer
 */
public record Conv1D(
    int filters,
    List<Integer> kernelSize,
    List<Integer> strides,
    Padding padding,
    List<Integer> dilationRate,
    Activation activation,
    boolean useBias,
    Initializer kernelInitializer,
    Initializer biasInitializer,
    Regularizer kernelRegularizer,
    Regularizer biasRegularizer,
    int inputDim)
    implements Layer {
  public static final Setting<List<Integer>> KERNEL_SIZE =
      Setting.tuple("kernel_size", 1, null, "the window's length (3 or [3])");
  public static final Setting<List<Integer>> STRIDES =
      Setting.tuple("strides", 1, List.of(1), "the step between windows");
  public static final Setting<Padding> PADDING =
      Setting.choice(
          "padding",
          List.of(Padding.VALID, Padding.SAME, Padding.CAUSAL),
          Padding.VALID,
          "valid: whole windows only; same: an output of ceil(input / strides); causal: padded"
              + " before only, so no output sees a later step");
  public static final Setting<List<Integer>> DILATION_RATE =
      Setting.tuple("dilation_rate", 1, List.of(1), "the spacing of a window's taps");
  public static final RecordSettings<Conv1D> SETTINGS =
      RecordSettings.of(
          Conv1D.class,
          Conv2D.FILTERS,
          KERNEL_SIZE,
          STRIDES,
          PADDING,
          DILATION_RATE,
          Conv2D.ACTIVATION,
          Dense.USE_BIAS,
          Dense.KERNEL_INITIALIZER,
          Dense.BIAS_INITIALIZER,
          Dense.KERNEL_REGULARIZER,
          Dense.BIAS_REGULARIZER,
          Layer.INPUT_DIM);

  /** Keras' {@code Conv1D}: channels_last, one group, no constraints. */
  public static final Kind KIND =
      new Kind(
          "conv1d",
          "Conv1D",
          SETTINGS,
          Kind.fixed(
              "data_format",
              java.util.Arrays.asList("channels_last", null),
              "groups",
              1,
              "kernel_constraint",
              null,
              "bias_constraint",
              null));

  public Conv1D {
    Conv2D.FILTERS.check(filters);
    KERNEL_SIZE.check(kernelSize);
    STRIDES.check(strides);
    PADDING.check(padding);
    DILATION_RATE.check(dilationRate);
    Conv2D.ACTIVATION.check(activation);
    Dense.KERNEL_INITIALIZER.check(kernelInitializer);
    Dense.BIAS_INITIALIZER.check(biasInitializer);
    kernelSize = List.copyOf(kernelSize);
    strides = List.copyOf(strides);
    dilationRate = List.copyOf(dilationRate);
    Conv2D.checkStridesOrDilation(strides, dilationRate);
    if (inputDim != 0) {
      Layer.INPUT_DIM.check(inputDim);
    }
  }

  /** {@code Conv1D(filters, kernel_size, activation=...)} with Keras' other defaults. */
  public static Conv1D of(int filters, int kernelSize, String activation) {
    return new Conv1D(
        filters,
        List.of(kernelSize),
        STRIDES.defaultValue(),
        Padding.VALID,
        DILATION_RATE.defaultValue(),
        Conv2D.ACTIVATION.convert(activation, Conv2D.ACTIVATION.key()),
        true,
        Initializer.GLOROT_UNIFORM,
        Initializer.ZEROS,
        null,
        null,
        0);
  }

  /** This layer with another stride, padding and dilation, and with or without a bias. */
  public Conv1D with(int stride, Padding padding, int dilation, boolean bias) {
    return new Conv1D(
        filters,
        kernelSize,
        List.of(stride),
        padding,
        List.of(dilation),
        activation,
        bias,
        kernelInitializer,
        biasInitializer,
        kernelRegularizer,
        biasRegularizer,
        inputDim);
  }

  @Override
  public String type() {
    return "conv1d";
  }

  @Override
  public String className() {
    return "Conv1D";
  }

  @Override
  public Conv1D withInputDim(int dim) {
    throw new ConfigException(
        "conv1d takes a sequence [steps, features]: give input_shape, not input_dim");
  }

  @Override
  public int[] outputShape(int[] in) {
    Conv2D.checkShape(in, 1, "conv1d");
    int[] o = Conv2D.Window.outputs(in, "kernel_size", kernelSize, strides, dilationRate, padding);
    return new int[] {o[0], filters};
  }

  @Override
  public List<Weight> weights(int[] in) {
    Conv2D.checkShape(in, 1, "conv1d");
    List<Weight> weights = new ArrayList<>();
    weights.add(
        new Weight(
            "kernel",
            new int[] {kernelSize.get(0), in[1], filters},
            kernelInitializer,
            kernelRegularizer));
    if (useBias) {
      weights.add(new Weight("bias", new int[] {filters}, biasInitializer, biasRegularizer));
    }
    return weights;
  }

  @Override
  public boolean drawsNoise() {
    return false;
  }

  @Override
  public Kernel kernel(Binding b) {
    return new Conv2D.Conv2DKernel(
        window(b.inShape()), filters, b.offset("kernel"), b.offset("bias"), b.activation());
  }

  /** The window over the sequence seen as an image of height 1. */
  private Conv2D.Window window(int[] in) {
    return Conv2D.Window.of(
        Conv2D.Window.row(in),
        Conv2D.Window.row(outputShape(in)),
        Conv2D.Window.row(kernelSize),
        Conv2D.Window.row(strides),
        Conv2D.Window.row(dilationRate),
        padding);
  }

  /**
   * {@link Conv2D}'s ONNX {@code Conv} on the image of height 1, the kernel as {@code [1, k, C,
   * F]}.
   */
  @Override
  public String onnx(OnnxGraph g, String x) {
    int[] in = g.inputShape();
    String kernel =
        g.reshape(g.weight("kernel"), g.name() + "/kernel_2d", kernelSize.get(0), in[1], filters);
    return Conv2D.onnx(g, x, window(in), kernel, filters, useBias, activation);
  }
}
