package org.sparkdp.ops;

import java.util.Locale;

/**
 * Keras 3's activations, element-wise (softmax row-wise) on row-major {@code [rows, units]} blocks:
 * {@code a = f(z)} from the pre-activation {@code z} into {@code a}, and the backward pass {@code
 * dZ = dA * f'(z)} in place, from {@code z} and {@code a} (whichever the derivative is cheaper
 * from).
 */
public enum Activation {
  /** {@code max(0, z)}. */
  RELU("max(0, x)"),
  /** {@code 1 / (1 + exp(-z))}. */
  SIGMOID("1 / (1 + exp(-x))"),
  /** {@code tanh(z)}. */
  TANH("tanh(x)"),
  /** {@code exp(z_i - max z) / sum_j exp(z_j - max z)} over each row. */
  SOFTMAX("exp(x_i) / sum_j exp(x_j) over the units"),
  /** The identity. */
  LINEAR("x"),
  /** {@code z} if {@code z > 0}, else {@code exp(z) - 1} (Keras' alpha 1). */
  ELU("x if x > 0, else exp(x) - 1"),
  /** {@code scale * elu_alpha(z)} with Klambauer et al.'s alpha and scale. */
  SELU("1.0507 * x if x > 0, else 1.0507 * 1.6733 * (exp(x) - 1)"),
  /** {@code z * Phi(z) = 0.5 z (1 + erf(z / sqrt 2))}: Keras 3's default, not the tanh form. */
  GELU("x * Phi(x) = 0.5 x (1 + erf(x / sqrt(2))), exact (Keras' approximate=False)"),
  /** {@code log(1 + exp(z))}. */
  SOFTPLUS("log(1 + exp(x))"),
  /** {@code z / (1 + |z|)}. */
  SOFTSIGN("x / (1 + |x|)"),
  /** {@code z * sigmoid(z)}; Keras' other name for {@link #SILU}. */
  SWISH("x * sigmoid(x), the same as silu"),
  /** {@code z * sigmoid(z)}. */
  SILU("x * sigmoid(x)"),
  /** {@code z} if {@code z >= 0}, else {@code 0.2 z} (Keras 3's negative_slope). */
  LEAKY_RELU("x if x >= 0, else 0.2 x"),
  /** {@code min(max(0, z), 6)}. */
  RELU6("min(max(0, x), 6)"),
  /** {@code clip(z / 6 + 0.5, 0, 1)}: Keras 3's definition (Keras 2 had slope 0.2). */
  HARD_SIGMOID("0 if x <= -3, 1 if x >= 3, else x / 6 + 0.5"),
  /** {@code exp(z)}. */
  EXPONENTIAL("exp(x)");

  /** SELU's constants (Klambauer et al., 2017), as Keras' backends use them. */
  static final double SELU_ALPHA = 1.6732632423543772848170429916717;

  static final double SELU_SCALE = 1.0507009873554804934193349852946;
  static final double LEAKY_SLOPE = 0.2;
  private static final double INV_SQRT2 = 0.7071067811865476;
  private static final double INV_SQRT_2PI = 0.3989422804014327;

  private final String definition;

  Activation(String definition) {
    this.definition = definition;
  }

  /** The Keras name, e.g. {@code "relu"}. */
  public String kerasName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The definition, as the README's reference shows it. */
  public String definition() {
    return definition;
  }

  /**
   * {@code a[aOff ..] = f(z[zOff ..])} over {@code rows * units} values; {@code a} and {@code z}
   * may be the same array at the same offset only for {@link #LINEAR}, where it is a no-op.
   */
  public void apply(float[] z, int zOff, float[] a, int aOff, int rows, int units) {
    int n = rows * units;
    if (this == SOFTMAX) {
      for (int r = 0; r < n; r += units) {
        softmaxRow(z, zOff + r, a, aOff + r, units);
      }
      return;
    }
    if (this == LINEAR) {
      if (z != a || zOff != aOff) {
        System.arraycopy(z, zOff, a, aOff, n);
      }
      return;
    }
    if (this == RELU) {
      // The common case, kept a branch-free loop the JIT vectorises.
      for (int i = 0; i < n; i++) {
        a[aOff + i] = Math.max(z[zOff + i], 0f);
      }
      return;
    }
    for (int i = 0; i < n; i++) {
      a[aOff + i] = (float) value(z[zOff + i]);
    }
  }

  /**
   * Turns {@code grad = dL/dA} into {@code dL/dZ} in place, given {@code z} and {@code a = f(z)}.
   * For softmax: {@code dZ_i = a_i (dA_i - sum_j dA_j a_j)}.
   */
  public void backward(
      float[] z, int zOff, float[] a, int aOff, float[] grad, int gOff, int rows, int units) {
    int n = rows * units;
    switch (this) {
      case LINEAR -> {}
      case SOFTMAX -> {
        for (int r = 0; r < n; r += units) {
          double dot = 0;
          for (int j = 0; j < units; j++) {
            dot += (double) grad[gOff + r + j] * a[aOff + r + j];
          }
          for (int j = 0; j < units; j++) {
            grad[gOff + r + j] = (float) (a[aOff + r + j] * (grad[gOff + r + j] - dot));
          }
        }
      }
      case RELU -> {
        for (int i = 0; i < n; i++) {
          if (!(z[zOff + i] > 0f)) {
            grad[gOff + i] = 0f;
          }
        }
      }
      default -> {
        for (int i = 0; i < n; i++) {
          grad[gOff + i] = (float) (grad[gOff + i] * derivative(z[zOff + i], a[aOff + i]));
        }
      }
    }
  }

  /** {@code f(z)} of an element-wise activation. */
  double value(double z) {
    return switch (this) {
      case RELU -> Math.max(0, z);
      case SIGMOID -> sigmoid(z);
      case TANH -> Math.tanh(z);
      case LINEAR -> z;
      case ELU -> z > 0 ? z : Math.expm1(z);
      case SELU -> SELU_SCALE * (z > 0 ? z : SELU_ALPHA * Math.expm1(z));
      case GELU -> z * normalCdf(z);
      case SOFTPLUS -> Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
      case SOFTSIGN -> z / (1 + Math.abs(z));
      case SWISH, SILU -> z * sigmoid(z);
      case LEAKY_RELU -> z >= 0 ? z : LEAKY_SLOPE * z;
      case RELU6 -> Math.min(Math.max(z, 0), 6);
      case HARD_SIGMOID -> Math.min(Math.max(z / 6 + 0.5, 0), 1);
      case EXPONENTIAL -> Math.exp(z);
      case SOFTMAX -> throw new IllegalStateException("softmax works on rows");
    };
  }

  /** {@code f'(z)}, given {@code a = f(z)} too. */
  private double derivative(double z, double a) {
    return switch (this) {
      case SIGMOID -> a * (1 - a);
      case TANH -> 1 - a * a;
      case ELU -> z > 0 ? 1 : a + 1;
      case SELU -> z > 0 ? SELU_SCALE : a + SELU_SCALE * SELU_ALPHA;
      case GELU -> normalCdf(z) + z * INV_SQRT_2PI * Math.exp(-0.5 * z * z);
      case SOFTPLUS -> sigmoid(z);
      case SOFTSIGN -> 1 / ((1 + Math.abs(z)) * (1 + Math.abs(z)));
      case SWISH, SILU -> {
        double s = sigmoid(z);
        yield s * (1 + z * (1 - s));
      }
      case LEAKY_RELU -> z >= 0 ? 1 : LEAKY_SLOPE;
      case RELU6 -> z > 0 && z < 6 ? 1 : 0;
      case HARD_SIGMOID -> z > -3 && z < 3 ? 1.0 / 6 : 0;
      case EXPONENTIAL -> a;
      case RELU -> z > 0 ? 1 : 0;
      case LINEAR -> 1;
      case SOFTMAX -> throw new IllegalStateException("softmax works on rows");
    };
  }

  /** Whether every output is at least 0 (what Poisson's log needs). */
  boolean nonNegative() {
    return switch (this) {
      case RELU, SIGMOID, SOFTMAX, SOFTPLUS, RELU6, HARD_SIGMOID, EXPONENTIAL -> true;
      default -> false;
    };
  }

  static float sigmoid(float z) {
    return (float) sigmoid((double) z);
  }

  static double sigmoid(double z) {
    // Two branches keep exp() from overflowing for large |z|.
    if (z >= 0) {
      return 1.0 / (1.0 + Math.exp(-z));
    }
    double e = Math.exp(z);
    return e / (1.0 + e);
  }

  /**
   * The standard normal CDF {@code Phi(z) = erfc(-z / sqrt 2) / 2}, with a relative error below
   * 1.2e-7 in both tails (Numerical Recipes' Chebyshev fit of erfc), about float32's resolution.
   */
  static double normalCdf(double z) {
    return 0.5 * erfc(-z * INV_SQRT2);
  }

  private static double erfc(double x) {
    double z = Math.abs(x);
    double t = 1 / (1 + 0.5 * z);
    double r =
        t
            * Math.exp(
                -z * z
                    - 1.26551223
                    + t
                        * (1.00002368
                            + t
                                * (0.37409196
                                    + t
                                        * (0.09678418
                                            + t
                                                * (-0.18628806
                                                    + t
                                                        * (0.27886807
                                                            + t
                                                                * (-1.13520398
                                                                    + t
                                                                        * (1.48851587
                                                                            + t
                                                                                * (-0.82215223
                                                                                    + t
                                                                                        * 0.17087277)))))))));
    return x >= 0 ? r : 2 - r;
  }

  /**
   * Stable softmax of one row from {@code z} into {@code a} (may be the same place); returns {@code
   * log(sum_j exp(z_j))} of the original row.
   */
  static double softmaxRow(float[] z, int zOff, float[] a, int aOff, int units) {
    float max = Float.NEGATIVE_INFINITY;
    for (int j = 0; j < units; j++) {
      max = Math.max(max, z[zOff + j]);
    }
    double sum = 0;
    for (int j = 0; j < units; j++) {
      sum += Math.exp(z[zOff + j] - max);
    }
    double logSum = Math.log(sum);
    for (int j = 0; j < units; j++) {
      a[aOff + j] = (float) Math.exp(z[zOff + j] - max - logSum);
    }
    return max + logSum;
  }

  /** {@link #softmaxRow(float[], int, float[], int, int)} in place. */
  static double softmaxRow(float[] z, int off, int units) {
    return softmaxRow(z, off, z, off, units);
  }
}
