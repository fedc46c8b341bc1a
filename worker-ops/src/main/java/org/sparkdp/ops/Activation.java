package org.sparkdp.ops;

import java.util.Locale;

/**
 * Element-wise (and, for softmax, row-wise) activations, applied in place on row-major {@code
 * [rows, units]} blocks. The backward pass is written in terms of the activation's <em>output</em>,
 * so the pre-activation values need not be kept.
 */
public enum Activation {
  /** {@code max(0, z)}. */
  RELU,
  /** {@code 1 / (1 + exp(-z))}. */
  SIGMOID,
  /** {@code tanh(z)}. */
  TANH,
  /** {@code exp(z_i - max z) / sum_j exp(z_j - max z)} over each row. */
  SOFTMAX,
  /** The identity. */
  LINEAR;

  /** The Keras name, e.g. {@code "relu"}. */
  public String kerasName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Replaces {@code z[off .. off + rows * units)} by the activation of it. */
  public void apply(float[] z, int off, int rows, int units) {
    int end = off + rows * units;
    switch (this) {
      case RELU -> {
        for (int i = off; i < end; i++) {
          if (z[i] < 0f) {
            z[i] = 0f;
          }
        }
      }
      case SIGMOID -> {
        for (int i = off; i < end; i++) {
          z[i] = sigmoid(z[i]);
        }
      }
      case TANH -> {
        for (int i = off; i < end; i++) {
          z[i] = (float) Math.tanh(z[i]);
        }
      }
      case SOFTMAX -> {
        for (int r = off; r < end; r += units) {
          softmaxRow(z, r, units);
        }
      }
      case LINEAR -> {}
    }
  }

  /**
   * Turns {@code grad = dL/dA} into {@code dL/dZ} in place, given the activation outputs {@code a =
   * f(z)}. For softmax: {@code dZ_i = a_i (dA_i - sum_j dA_j a_j)}.
   */
  public void backward(float[] a, int aOff, float[] grad, int gOff, int rows, int units) {
    int n = rows * units;
    switch (this) {
      case RELU -> {
        for (int i = 0; i < n; i++) {
          if (a[aOff + i] <= 0f) {
            grad[gOff + i] = 0f;
          }
        }
      }
      case SIGMOID -> {
        for (int i = 0; i < n; i++) {
          float y = a[aOff + i];
          grad[gOff + i] *= y * (1f - y);
        }
      }
      case TANH -> {
        for (int i = 0; i < n; i++) {
          float y = a[aOff + i];
          grad[gOff + i] *= 1f - y * y;
        }
      }
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
      case LINEAR -> {}
    }
  }

  static float sigmoid(float z) {
    // Two branches keep exp() from overflowing for large |z|.
    if (z >= 0f) {
      return (float) (1.0 / (1.0 + Math.exp(-z)));
    }
    double e = Math.exp(z);
    return (float) (e / (1.0 + e));
  }

  /** Stable softmax of one row in place; returns log(sum_j exp(z_j)) of the original row. */
  static double softmaxRow(float[] z, int off, int units) {
    float max = Float.NEGATIVE_INFINITY;
    for (int j = 0; j < units; j++) {
      max = Math.max(max, z[off + j]);
    }
    double sum = 0;
    for (int j = 0; j < units; j++) {
      sum += Math.exp(z[off + j] - max);
    }
    double logSum = Math.log(sum);
    for (int j = 0; j < units; j++) {
      z[off + j] = (float) Math.exp(z[off + j] - max - logSum);
    }
    return max + logSum;
  }
}
