package org.sparkdp.ops;

import java.util.Arrays;
import java.util.Locale;

/**
 * Training losses in Keras' meaning. Each example's loss is reduced over its outputs as Keras does
 * (sum for the categorical crossentropies, mean for binary crossentropy and mean squared error); a
 * batch's loss is the mean over its examples, so kernels here return <em>sums</em> over examples
 * and the caller divides.
 *
 * <p>Labels come as {@code labelWidth} floats per example: a class index for {@link
 * #SPARSE_CATEGORICAL_CROSSENTROPY}; a class index or a distribution over the units for {@link
 * #CATEGORICAL_CROSSENTROPY}; one target per unit for {@link #BINARY_CROSSENTROPY} and {@link
 * #MEAN_SQUARED_ERROR}.
 *
 * <p>Softmax (or logits) with a categorical crossentropy, and sigmoid (or logits) with binary
 * crossentropy, are fused: the loss is computed from the pre-activation {@code z} by log-sum-exp
 * and the gradient is {@code p - target}, which stays finite where {@code log(p)} would not.
 */
public enum Loss {
  SPARSE_CATEGORICAL_CROSSENTROPY,
  CATEGORICAL_CROSSENTROPY,
  BINARY_CROSSENTROPY,
  MEAN_SQUARED_ERROR;

  /** Keras clips probabilities to {@code [EPSILON, 1 - EPSILON]} before taking logs. */
  static final float EPSILON = 1e-7f;

  /** The Keras name, e.g. {@code "sparse_categorical_crossentropy"}. */
  public String kerasName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a Keras loss name; {@code mse} is accepted for mean squared error. */
  public static Loss fromName(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    if (n.equals("mse")) {
      return MEAN_SQUARED_ERROR;
    }
    for (Loss l : values()) {
      if (l.kerasName().equals(n)) {
        return l;
      }
    }
    throw new IllegalArgumentException(
        "unknown loss '"
            + name
            + "' (expected one of "
            + Arrays.stream(values()).map(Loss::kerasName).toList()
            + ")");
  }

  /**
   * Checks that this loss can train a last layer with this activation and width; the message names
   * the problem and what would fit.
   */
  public void checkOutput(Activation last, int units, boolean fromLogits) {
    if (fromLogits && this == MEAN_SQUARED_ERROR) {
      throw new IllegalArgumentException(
          "from_logits applies only to the crossentropy losses, not " + kerasName());
    }
    if (fromLogits && last != Activation.LINEAR) {
      throw new IllegalArgumentException(
          "from_logits: true needs a linear last layer, got activation " + last.kerasName());
    }
    switch (this) {
      case SPARSE_CATEGORICAL_CROSSENTROPY, CATEGORICAL_CROSSENTROPY -> {
        if (last != Activation.SOFTMAX && !fromLogits) {
          throw new IllegalArgumentException(
              "loss "
                  + kerasName()
                  + " needs a softmax last layer (or a linear one with from_logits: true), got activation "
                  + last.kerasName());
        }
        if (units < 2) {
          throw new IllegalArgumentException(
              "loss "
                  + kerasName()
                  + " needs at least 2 units in the last layer, got "
                  + units
                  + " (use binary_crossentropy with one sigmoid unit)");
        }
      }
      case BINARY_CROSSENTROPY -> {
        if (last != Activation.SIGMOID && last != Activation.SOFTMAX && !fromLogits) {
          throw new IllegalArgumentException(
              "loss binary_crossentropy needs probabilities: a sigmoid or softmax"
                  + " last layer (or a linear one with from_logits: true), got activation "
                  + last.kerasName());
        }
      }
      case MEAN_SQUARED_ERROR -> {}
    }
  }

  /** Whether this loss is computed from the last layer's pre-activation (see the class comment). */
  public boolean fused(Activation last, boolean fromLogits) {
    return switch (this) {
      case SPARSE_CATEGORICAL_CROSSENTROPY, CATEGORICAL_CROSSENTROPY ->
          last == Activation.SOFTMAX || fromLogits;
      case BINARY_CROSSENTROPY -> last == Activation.SIGMOID || fromLogits;
      case MEAN_SQUARED_ERROR -> false;
    };
  }

  /** Whether labels of this width fit a last layer of {@code units}. */
  public boolean acceptsLabelWidth(int width, int units) {
    return switch (this) {
      case SPARSE_CATEGORICAL_CROSSENTROPY -> width == 1;
      case CATEGORICAL_CROSSENTROPY -> width == 1 || width == units;
      case BINARY_CROSSENTROPY, MEAN_SQUARED_ERROR -> width == units;
    };
  }

  /** Whether each label is a class index (as opposed to one target per unit). */
  public boolean classIndexLabels(int width) {
    return this == SPARSE_CATEGORICAL_CROSSENTROPY
        || (this == CATEGORICAL_CROSSENTROPY && width == 1);
  }

  /**
   * Checks one example's label; returns {@code null} when it is fine, else what is wrong with it
   * (for example {@code "label 10 is out of range [0, 10)"}).
   */
  public String checkLabel(float[] y, int off, int width, int units) {
    if (classIndexLabels(width)) {
      float v = y[off];
      if (!Float.isFinite(v) || v != Math.rint(v)) {
        return "label " + v + " is not a class index (an integer in [0, " + units + "))";
      }
      if (v < 0 || v >= units) {
        return "label " + (long) v + " is out of range [0, " + units + ")";
      }
      return null;
    }
    for (int j = 0; j < width; j++) {
      float v = y[off + j];
      if (!Float.isFinite(v)) {
        return "label value " + j + " is " + v;
      }
      if (this == BINARY_CROSSENTROPY && (v < 0 || v > 1)) {
        return "label value " + j + " is " + v + ", outside [0, 1] for binary_crossentropy";
      }
      if (this == CATEGORICAL_CROSSENTROPY && v < 0) {
        return "label value " + j + " is negative (" + v + ") for categorical_crossentropy";
      }
    }
    return null;
  }

  /**
   * Fused path: {@code z} holds the last layer's pre-activation {@code [rows, units]}. Writes
   * {@code dLoss/dz} (of the loss summed over the rows) to {@code grad}, replaces {@code z} by the
   * probabilities and returns the summed loss. The same offset is used for {@code z} and {@code
   * grad}.
   */
  double fusedLossAndGradient(
      float[] z, float[] grad, int off, float[] y, int yOff, int width, int rows, int units) {
    double total = 0;
    for (int r = 0; r < rows; r++) {
      int o = off + r * units;
      int t = yOff + r * width;
      if (this == BINARY_CROSSENTROPY) {
        double rowLoss = 0;
        for (int j = 0; j < units; j++) {
          double zj = z[o + j];
          double target = y[t + j];
          // max(z, 0) - z * t + log(1 + exp(-|z|)): the logistic loss without overflow.
          rowLoss += Math.max(zj, 0) - zj * target + Math.log1p(Math.exp(-Math.abs(zj)));
          float p = Activation.sigmoid(z[o + j]);
          z[o + j] = p;
          grad[o + j] = (float) ((p - target) / units);
        }
        total += rowLoss / units;
      } else if (classIndexLabels(width)) {
        int c = (int) y[t];
        double zc = z[o + c];
        // -log softmax(z)_c = logsumexp(z) - z_c, in double before z is overwritten by p.
        total += Activation.softmaxRow(z, o, units) - zc;
        for (int j = 0; j < units; j++) {
          grad[o + j] = z[o + j];
        }
        grad[o + c] -= 1f;
      } else {
        double mass = 0;
        double targetDotZ = 0;
        for (int j = 0; j < units; j++) {
          mass += y[t + j];
          targetDotZ += (double) y[t + j] * z[o + j];
        }
        total += mass * Activation.softmaxRow(z, o, units) - targetDotZ;
        for (int j = 0; j < units; j++) {
          grad[o + j] = (float) (z[o + j] * mass - y[t + j]);
        }
      }
    }
    return total;
  }

  /**
   * Unfused path: {@code a} holds the last layer's outputs {@code [rows, units]}. Writes {@code
   * dLoss/da} (of the loss summed over the rows) to {@code grad} and returns the summed loss.
   */
  double lossAndGradient(
      float[] a, float[] grad, int off, float[] y, int yOff, int width, int rows, int units) {
    double total = 0;
    for (int r = 0; r < rows; r++) {
      int o = off + r * units;
      int t = yOff + r * width;
      double rowLoss = 0;
      for (int j = 0; j < units; j++) {
        double aj = a[o + j];
        double target = y[t + j];
        if (this == MEAN_SQUARED_ERROR) {
          double d = aj - target;
          rowLoss += d * d;
          grad[o + j] = (float) (2 * d / units);
        } else if (this == BINARY_CROSSENTROPY) {
          double p = Math.min(Math.max(aj, EPSILON), 1 - EPSILON);
          rowLoss -= target * Math.log(p) + (1 - target) * Math.log(1 - p);
          boolean clipped = p != aj;
          grad[o + j] = clipped ? 0f : (float) ((-target / p + (1 - target) / (1 - p)) / units);
        } else {
          throw new IllegalStateException(kerasName() + " is only computed fused");
        }
      }
      total += rowLoss / units;
    }
    return total;
  }
}
