package org.sparkdp.ops;

import java.util.Arrays;
import java.util.Locale;

/**
 * Training losses in Keras' meaning. Each example's loss is reduced over its outputs as Keras does
 * (a sum for the categorical crossentropies, KL divergence and categorical hinge; a mean for the
 * others); a batch's loss is the mean over its examples, so kernels here return <em>sums</em> over
 * examples and the caller divides.
 *
 * <p>Labels come as {@code labelWidth} floats per example: a class index for {@link
 * #SPARSE_CATEGORICAL_CROSSENTROPY}; a class index or one value per unit for {@link
 * #CATEGORICAL_CROSSENTROPY} and {@link #CATEGORICAL_HINGE}; one target per unit for the others.
 *
 * <p>Softmax (or logits) with a categorical crossentropy, and sigmoid (or logits) with binary
 * crossentropy, are fused: the loss is computed from the pre-activation {@code z} by log-sum-exp
 * and the gradient is {@code p - target}, which stays finite where {@code log(p)} would not.
 */
public enum Loss {
  SPARSE_CATEGORICAL_CROSSENTROPY("-log p[label]", "softmax (or linear with from_logits)"),
  CATEGORICAL_CROSSENTROPY("-sum_j y_j log p_j", "softmax (or linear with from_logits)"),
  BINARY_CROSSENTROPY(
      "mean_j -(y_j log p_j + (1 - y_j) log(1 - p_j))",
      "sigmoid or softmax (or linear with from_logits)"),
  MEAN_SQUARED_ERROR("mean_j (p_j - y_j)^2", "any"),
  MEAN_ABSOLUTE_ERROR("mean_j |p_j - y_j|", "any"),
  HUBER("mean_j of (d^2 / 2 if |d| <= delta, else delta (|d| - delta / 2)), d = p_j - y_j", "any"),
  KL_DIVERGENCE("sum_j y_j log(y_j / p_j), y and p clipped to [1e-7, 1]", "softmax or sigmoid"),
  CATEGORICAL_HINGE(
      "max(0, 1 + max_j (1 - y_j) p_j - sum_j y_j p_j)", "any, with at least 2 units"),
  POISSON(
      "mean_j (p_j - y_j log(p_j + 1e-7))",
      "one with outputs >= 0: exponential, softplus, relu, relu6, sigmoid, hard_sigmoid, softmax");

  /** Keras clips probabilities to {@code [EPSILON, 1 - EPSILON]} before taking logs. */
  static final float EPSILON = 1e-7f;

  /** Huber's {@code delta} (Keras' default 1). */
  public static final Setting<Double> DELTA =
      Setting.positive("delta", 1.0, "huber: where the loss turns from quadratic to linear");

  private final String definition;
  private final String lastLayer;

  Loss(String definition, String lastLayer) {
    this.definition = definition;
    this.lastLayer = lastLayer;
  }

  /** The Keras name, e.g. {@code "sparse_categorical_crossentropy"}. */
  public String kerasName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * One example's loss, as the README's reference shows it ({@code p} the outputs, {@code y} the
   * label).
   */
  public String definition() {
    return definition;
  }

  /** The last layers' activations this loss trains, as the README's reference shows them. */
  public String lastLayer() {
    return lastLayer;
  }

  /** Keras' short names: {@code mse}, {@code mae}, {@code kld}. */
  public static final java.util.Map<String, Loss> ALIASES =
      java.util.Map.of("mse", MEAN_SQUARED_ERROR, "mae", MEAN_ABSOLUTE_ERROR, "kld", KL_DIVERGENCE);

  /** Parses a Keras loss name or one of its {@link #ALIASES}. */
  public static Loss fromName(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    if (ALIASES.containsKey(n)) {
      return ALIASES.get(n);
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

  /** Whether the outputs are class scores (so a prediction is a class), not regression values. */
  public boolean classifies() {
    return switch (this) {
      case SPARSE_CATEGORICAL_CROSSENTROPY,
          CATEGORICAL_CROSSENTROPY,
          BINARY_CROSSENTROPY,
          KL_DIVERGENCE,
          CATEGORICAL_HINGE ->
          true;
      default -> false;
    };
  }

  /** Whether {@code from_logits} applies. */
  public boolean crossentropy() {
    return this == SPARSE_CATEGORICAL_CROSSENTROPY
        || this == CATEGORICAL_CROSSENTROPY
        || this == BINARY_CROSSENTROPY;
  }

  /**
   * Checks that this loss can train a last layer with this activation and width; the message names
   * the problem and what would fit.
   */
  public void checkOutput(Activation last, int units, boolean fromLogits) {
    if (fromLogits && !crossentropy()) {
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
        needsClasses(units, "binary_crossentropy with one sigmoid unit");
      }
      case BINARY_CROSSENTROPY -> {
        if (last != Activation.SIGMOID && last != Activation.SOFTMAX && !fromLogits) {
          throw new IllegalArgumentException(
              "loss binary_crossentropy needs probabilities: a sigmoid or softmax"
                  + " last layer (or a linear one with from_logits: true), got activation "
                  + last.kerasName());
        }
      }
      case KL_DIVERGENCE -> {
        if (last != Activation.SOFTMAX && last != Activation.SIGMOID) {
          throw new IllegalArgumentException(
              "loss kl_divergence compares distributions: it needs a softmax or sigmoid last"
                  + " layer, got activation "
                  + last.kerasName());
        }
      }
      case CATEGORICAL_HINGE -> needsClasses(units, "a one-unit model with another loss");
      case POISSON -> {
        if (!last.nonNegative()) {
          throw new IllegalArgumentException(
              "loss poisson takes log(output): it needs a last layer with outputs >= 0"
                  + " (exponential, softplus, relu, relu6, sigmoid, hard_sigmoid or softmax),"
                  + " got activation "
                  + last.kerasName());
        }
      }
      case MEAN_SQUARED_ERROR, MEAN_ABSOLUTE_ERROR, HUBER -> {}
    }
  }

  private void needsClasses(int units, String instead) {
    if (units < 2) {
      throw new IllegalArgumentException(
          "loss "
              + kerasName()
              + " needs at least 2 units in the last layer, got "
              + units
              + " (use "
              + instead
              + ")");
    }
  }

  /** Whether this loss is computed from the last layer's pre-activation (see the class comment). */
  public boolean fused(Activation last, boolean fromLogits) {
    return switch (this) {
      case SPARSE_CATEGORICAL_CROSSENTROPY, CATEGORICAL_CROSSENTROPY ->
          last == Activation.SOFTMAX || fromLogits;
      case BINARY_CROSSENTROPY -> last == Activation.SIGMOID || fromLogits;
      default -> false;
    };
  }

  /** Whether labels of this width fit a last layer of {@code units}. */
  public boolean acceptsLabelWidth(int width, int units) {
    return switch (this) {
      case SPARSE_CATEGORICAL_CROSSENTROPY -> width == 1;
      case CATEGORICAL_CROSSENTROPY, CATEGORICAL_HINGE -> width == 1 || width == units;
      default -> width == units;
    };
  }

  /** Whether each label is a class index (as opposed to one target per unit). */
  public boolean classIndexLabels(int width) {
    return this == SPARSE_CATEGORICAL_CROSSENTROPY
        || ((this == CATEGORICAL_CROSSENTROPY || this == CATEGORICAL_HINGE) && width == 1);
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
      if ((this == CATEGORICAL_CROSSENTROPY || this == KL_DIVERGENCE || this == POISSON) && v < 0) {
        return "label value " + j + " is negative (" + v + ") for " + kerasName();
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
   * dLoss/da} (of the loss summed over the rows) to {@code grad} and returns the summed loss;
   * {@code delta} is Huber's.
   */
  double lossAndGradient(
      float[] a,
      float[] grad,
      int off,
      float[] y,
      int yOff,
      int width,
      int rows,
      int units,
      double delta) {
    double total = 0;
    for (int r = 0; r < rows; r++) {
      int o = off + r * units;
      int t = yOff + r * width;
      switch (this) {
        case KL_DIVERGENCE -> total += klDivergence(a, grad, o, y, t, units);
        case CATEGORICAL_HINGE -> total += categoricalHinge(a, grad, o, y, t, width, units);
        default -> total += meanOverUnits(a, grad, o, y, t, units, delta);
      }
    }
    return total;
  }

  /** The losses that are a mean over the units of an element-wise term. */
  private double meanOverUnits(
      float[] a, float[] grad, int o, float[] y, int t, int units, double delta) {
    double rowLoss = 0;
    for (int j = 0; j < units; j++) {
      double aj = a[o + j];
      double target = y[t + j];
      double d = aj - target;
      double term;
      double slope;
      switch (this) {
        case MEAN_SQUARED_ERROR -> {
          term = d * d;
          slope = 2 * d;
        }
        case MEAN_ABSOLUTE_ERROR -> {
          term = Math.abs(d);
          slope = Math.signum(d);
        }
        case HUBER -> {
          boolean quadratic = Math.abs(d) <= delta;
          term = quadratic ? 0.5 * d * d : delta * Math.abs(d) - 0.5 * delta * delta;
          slope = quadratic ? d : delta * Math.signum(d);
        }
        case POISSON -> {
          term = aj - target * Math.log(aj + EPSILON);
          slope = 1 - target / (aj + EPSILON);
        }
        case BINARY_CROSSENTROPY -> {
          double p = Math.min(Math.max(aj, EPSILON), 1 - EPSILON);
          term = -(target * Math.log(p) + (1 - target) * Math.log(1 - p));
          slope = p != aj ? 0 : -target / p + (1 - target) / (1 - p);
        }
        default -> throw new IllegalStateException(kerasName() + " is only computed fused");
      }
      rowLoss += term;
      grad[o + j] = (float) (slope / units);
    }
    return rowLoss / units;
  }

  /** {@code sum_j y_j log(y_j / p_j)} with both clipped to {@code [EPSILON, 1]}, as Keras. */
  private static double klDivergence(float[] a, float[] grad, int o, float[] y, int t, int units) {
    double rowLoss = 0;
    for (int j = 0; j < units; j++) {
      double target = Math.min(Math.max(y[t + j], EPSILON), 1);
      double aj = a[o + j];
      double p = Math.min(Math.max(aj, EPSILON), 1);
      rowLoss += target * Math.log(target / p);
      grad[o + j] = p != aj ? 0f : (float) (-target / p);
    }
    return rowLoss;
  }

  /**
   * {@code max(0, 1 + max_j (1 - y_j) p_j - sum_j y_j p_j)}; labels of width 1 are class indices
   * (one-hot).
   */
  private static double categoricalHinge(
      float[] a, float[] grad, int o, float[] y, int t, int width, int units) {
    double positive = 0;
    double negative = Double.NEGATIVE_INFINITY;
    int worst = 0;
    for (int j = 0; j < units; j++) {
      double target = width == 1 ? (j == (int) y[t] ? 1 : 0) : y[t + j];
      positive += target * a[o + j];
      double n = (1 - target) * a[o + j];
      if (n > negative) {
        negative = n;
        worst = j;
      }
    }
    double margin = negative - positive + 1;
    for (int j = 0; j < units; j++) {
      double target = width == 1 ? (j == (int) y[t] ? 1 : 0) : y[t + j];
      double g = margin > 0 ? (j == worst ? 1 - target : 0) - target : 0;
      grad[o + j] = (float) g;
    }
    return Math.max(margin, 0);
  }
}
