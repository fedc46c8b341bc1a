package org.sparkdp.ops;

import java.util.ArrayList;
import java.util.List;

/**
 * A fully connected layer: {@code input [batch, in] -> output [batch, units]}, {@code y =
 * activation(x W + b)} with kernel {@code W [in, units]} and bias {@code b [units]} (Keras'
 * layout).
 *
 * @param units the output width, positive
 * @param activation applied to {@code x W + b}
 * @param useBias whether the layer has a bias
 * @param inputDim the input width; required on the first layer of a model, {@code 0} (inferred from
 *     the layer before) elsewhere
 * @param kernelInitializer how the kernel starts (Keras' default: glorot_uniform)
 * @param biasInitializer how the bias starts (Keras' default: zeros)
 * @param kernelRegularizer the kernel's penalty in the loss, or {@code null}
 * @param biasRegularizer the bias' penalty in the loss, or {@code null}
 */
public record Dense(
    int units,
    Activation activation,
    boolean useBias,
    int inputDim,
    Initializer kernelInitializer,
    Initializer biasInitializer,
    Regularizer kernelRegularizer,
    Regularizer biasRegularizer)
    implements Layer {
  public static final Setting<Integer> UNITS =
      Setting.integer("units", null, 1, "the output width");
  public static final Setting<Activation> ACTIVATION =
      Setting.choice("activation", Activation.class, Activation.LINEAR, "applied to x W + b");
  public static final Setting<Boolean> USE_BIAS =
      Setting.bool("use_bias", true, "whether the layer has a bias");
  public static final Setting<Integer> INPUT_DIM = Layer.INPUT_DIM;
  public static final Setting<Initializer> KERNEL_INITIALIZER =
      Initializer.setting(
          "kernel_initializer", Initializer.GLOROT_UNIFORM, "how the kernel starts");
  public static final Setting<Initializer> BIAS_INITIALIZER =
      Initializer.setting("bias_initializer", Initializer.ZEROS, "how the bias starts");
  public static final Setting<Regularizer> KERNEL_REGULARIZER =
      Regularizer.setting("kernel_regularizer", "the kernel's penalty, added to the loss");
  public static final Setting<Regularizer> BIAS_REGULARIZER =
      Regularizer.setting("bias_regularizer", "the bias' penalty, added to the loss");
  public static final RecordSettings<Dense> SETTINGS =
      RecordSettings.of(
          Dense.class,
          UNITS,
          ACTIVATION,
          USE_BIAS,
          INPUT_DIM,
          KERNEL_INITIALIZER,
          BIAS_INITIALIZER,
          KERNEL_REGULARIZER,
          BIAS_REGULARIZER);

  /** Keras' {@code Dense}; its constraints are options sparkdp does not have. */
  public static final Kind KIND =
      new Kind(
          "dense",
          "Dense",
          SETTINGS,
          Kind.fixed("kernel_constraint", null, "bias_constraint", null));

  public Dense {
    UNITS.check(units);
    if (inputDim != 0) {
      INPUT_DIM.check(inputDim); // 0: the width of the layer before
    }
    ACTIVATION.check(activation);
    KERNEL_INITIALIZER.check(kernelInitializer);
    BIAS_INITIALIZER.check(biasInitializer);
  }

  /**
   * {@code Dense(units, activation)} with Keras' defaults: bias, glorot_uniform kernel, zero bias,
   * no regularizers.
   */
  public static Dense of(int units, Activation activation) {
    return new Dense(
        units,
        activation,
        USE_BIAS.defaultValue(),
        0,
        KERNEL_INITIALIZER.defaultValue(),
        BIAS_INITIALIZER.defaultValue(),
        null,
        null);
  }

  /** {@code Dense(units, activation)} with the activation given by its Keras name. */
  public static Dense of(int units, String activation) {
    return of(units, ACTIVATION.convert(activation, ACTIVATION.key()));
  }

  @Override
  public String type() {
    return "dense";
  }

  @Override
  public String className() {
    return "Dense";
  }

  @Override
  public Dense withInputDim(int dim) {
    INPUT_DIM.check(dim);
    return new Dense(
        units,
        activation,
        useBias,
        dim,
        kernelInitializer,
        biasInitializer,
        kernelRegularizer,
        biasRegularizer);
  }

  /** This layer with or without a bias. */
  public Dense withUseBias(boolean bias) {
    return new Dense(
        units,
        activation,
        bias,
        inputDim,
        kernelInitializer,
        biasInitializer,
        kernelRegularizer,
        biasRegularizer);
  }

  /** This layer with other initialisers. */
  public Dense withInitializers(Initializer kernel, Initializer bias) {
    return new Dense(
        units, activation, useBias, inputDim, kernel, bias, kernelRegularizer, biasRegularizer);
  }

  /** This layer with these regularizers ({@code null}: none). */
  public Dense withRegularizers(Regularizer kernel, Regularizer bias) {
    return new Dense(
        units, activation, useBias, inputDim, kernelInitializer, biasInitializer, kernel, bias);
  }

  @Override
  public int[] outputShape(int[] in) {
    Layer.vector(in, "dense");
    return new int[] {units};
  }

  @Override
  public List<Weight> weights(int[] shape) {
    int in = Layer.vector(shape, "dense");
    List<Weight> weights = new ArrayList<>();
    weights.add(new Weight("kernel", new int[] {in, units}, kernelInitializer, kernelRegularizer));
    if (useBias) {
      weights.add(new Weight("bias", new int[] {units}, biasInitializer, biasRegularizer));
    }
    return weights;
  }

  @Override
  public String describe(int in) {
    return String.format(
        java.util.Locale.ROOT, "a Dense layer of %d inputs and %d units", in, units);
  }

  @Override
  public boolean drawsNoise() {
    return false;
  }

  @Override
  public Kernel kernel(Binding b) {
    return new Kernels.DenseKernel(
        b.in(), units, b.offset("kernel"), b.offset("bias"), b.activation());
  }

  /** {@code Gemm} ({@code MatMul} without a bias), then the activation. */
  @Override
  public String onnx(OnnxGraph g, String x) {
    String kernel = g.weight("kernel");
    String z =
        useBias
            ? g.node("Gemm", g.name() + "/gemm", List.of(x, kernel, g.weight("bias")))
            : g.node("MatMul", g.name() + "/matmul", List.of(x, kernel));
    return g.activation(activation, z);
  }
}
