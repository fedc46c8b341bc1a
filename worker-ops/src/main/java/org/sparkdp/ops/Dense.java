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

  public Dense {
    if (units <= 0) {
      throw new IllegalArgumentException("units must be a positive integer, got " + units);
    }
    if (inputDim < 0) {
      throw new IllegalArgumentException("input_dim must be a positive integer, got " + inputDim);
    }
    if (activation == null || kernelInitializer == null || biasInitializer == null) {
      throw new IllegalArgumentException("activation and initializers must be given");
    }
  }

  /**
   * {@code Dense(units, activation)} with Keras' defaults: bias, glorot_uniform kernel, zero bias.
   */
  public static Dense of(int units, Activation activation) {
    return new Dense(units, activation, true, 0, Initializer.GLOROT_UNIFORM, Initializer.ZEROS);
  }

  /** {@code Dense(units, activation)} with the activation given by its Keras name. */
  public static Dense of(int units, String activation) {
    return of(units, Activation.fromName(activation));
  }

  /** This layer with the given input width (for the first layer of a model). */
  public Dense withInputDim(int dim) {
    if (dim <= 0) {
      throw new IllegalArgumentException("input_dim must be a positive integer, got " + dim);
    }
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
