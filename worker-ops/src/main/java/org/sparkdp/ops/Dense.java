package org.sparkdp.ops;

import java.io.Serializable;

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
 */
public record Dense(
    int units,
    Activation activation,
    boolean useBias,
    int inputDim,
    Initializer kernelInitializer,
    Initializer biasInitializer)
    implements Serializable {
  public static final Setting<Integer> UNITS =
      Setting.integer("units", null, 1, "the output width");
  public static final Setting<Activation> ACTIVATION =
      Setting.choice("activation", Activation.class, Activation.LINEAR, "applied to x W + b");
  public static final Setting<Boolean> USE_BIAS =
      Setting.bool("use_bias", true, "whether the layer has a bias");
  public static final Setting<Integer> INPUT_DIM =
      Setting.integer("input_dim", 0, 1, "the number of features; on the first layer only")
          .shownAs("(the width of the layer before)");
  public static final Setting<Initializer> KERNEL_INITIALIZER =
      Setting.choice(
          "kernel_initializer",
          Initializer.class,
          Initializer.GLOROT_UNIFORM,
          "how the kernel starts");
  public static final Setting<Initializer> BIAS_INITIALIZER =
      Setting.choice(
          "bias_initializer", Initializer.class, Initializer.ZEROS, "how the bias starts");
  public static final RecordSettings<Dense> SETTINGS =
      RecordSettings.of(
          Dense.class,
          UNITS,
          ACTIVATION,
          USE_BIAS,
          INPUT_DIM,
          KERNEL_INITIALIZER,
          BIAS_INITIALIZER);

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
   * {@code Dense(units, activation)} with Keras' defaults: bias, glorot_uniform kernel, zero bias.
   */
  public static Dense of(int units, Activation activation) {
    return new Dense(
        units,
        activation,
        USE_BIAS.defaultValue(),
        0,
        KERNEL_INITIALIZER.defaultValue(),
        BIAS_INITIALIZER.defaultValue());
  }

  /** {@code Dense(units, activation)} with the activation given by its Keras name. */
  public static Dense of(int units, String activation) {
    return of(units, ACTIVATION.convert(activation, ACTIVATION.key()));
  }

  /** This layer with the given input width (for the first layer of a model). */
  public Dense withInputDim(int dim) {
    INPUT_DIM.check(dim);
    return new Dense(units, activation, useBias, dim, kernelInitializer, biasInitializer);
  }

  /** This layer with or without a bias. */
  public Dense withUseBias(boolean bias) {
    return new Dense(units, activation, bias, inputDim, kernelInitializer, biasInitializer);
  }

  /** This layer with other initialisers. */
  public Dense withInitializers(Initializer kernel, Initializer bias) {
    return new Dense(units, activation, useBias, inputDim, kernel, bias);
  }
}
