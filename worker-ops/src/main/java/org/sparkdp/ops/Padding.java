package org.sparkdp.ops;

/**
 * Keras' {@code padding} of a convolution or pooling along one axis of size {@code in}, with window
 * {@code k}, stride {@code s} and dilation {@code d}: {@code valid} uses whole windows only ({@code
 * out = floor((in - (k - 1) d - 1) / s) + 1}); {@code same} gives {@code out = ceil(in / s)},
 * padding {@code max((out - 1) s + (k - 1) d + 1 - in, 0)} values, the smaller half before
 * (TensorFlow's rule, which Keras follows); {@code causal} ({@code conv1d} only) pads {@code (k -
 * 1) d} values before and none after, so an output sees no later input, and {@code out = ceil(in /
 * s)}.
 */
public enum Padding {
  VALID,
  SAME,
  CAUSAL;

  /** The output size, or 0 when a valid window does not fit. */
  int out(int in, int k, int s, int d) {
    int span = (k - 1) * d + 1;
    return this != VALID ? (in + s - 1) / s : in < span ? 0 : (in - span) / s + 1;
  }

  /** The padding before the first value. */
  int before(int in, int k, int s, int d) {
    if (this == VALID) {
      return 0;
    }
    if (this == CAUSAL) {
      return (k - 1) * d;
    }
    int total = Math.max((out(in, k, s, d) - 1) * s + (k - 1) * d + 1 - in, 0);
    return total / 2;
  }
}
