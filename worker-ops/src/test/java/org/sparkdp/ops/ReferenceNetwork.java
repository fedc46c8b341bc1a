package org.sparkdp.ops;

import java.util.List;

/**
 * A second, deliberately plain implementation of the forward pass, the losses and the regularizers,
 * in double precision with no BLAS, no fusion and no buffers, written from the formulas: the
 * independent computation the kernels are checked against.
 */
final class ReferenceNetwork {
  private ReferenceNetwork() {}

  /** Which units dropout keeps: {@code (layer, row, unit) -> kept}. */
  @FunctionalInterface
  interface Mask {
    boolean kept(int layer, int row, int unit);
  }

  /**
   * Summed loss over all rows of {@code x [rows, in]} with parameters {@code p} laid out as in the
   * spec; {@code mask} is dropout's in training, or {@code null} (evaluation).
   */
  static double loss(
      ModelSpec spec,
      Loss loss,
      boolean fromLogits,
      double delta,
      double[] p,
      float[] x,
      float[] y,
      int labelWidth,
      int rows,
      Mask mask) {
    ParameterLayout layout = spec.layout();
    List<Layer> layers = spec.layers();
    double total = 0;
    for (int r = 0; r < rows; r++) {
      double[] a = new double[spec.inputDim()];
      for (int i = 0; i < a.length; i++) {
        a[i] = x[r * a.length + i];
      }
      double[] logits = a;
      for (int l = 0; l < layers.size(); l++) {
        Layer layer = layers.get(l);
        double[] out;
        if (layer instanceof Dense d) {
          int in = a.length;
          int k = layout.offset(l, "kernel");
          int b = layout.offset(l, "bias");
          double[] z = new double[d.units()];
          for (int j = 0; j < z.length; j++) {
            double s = b >= 0 ? p[b + j] : 0;
            for (int i = 0; i < in; i++) {
              s += a[i] * p[k + i * d.units() + j];
            }
            z[j] = s;
          }
          logits = z;
          out = activate(d.activation(), z);
        } else if (layer instanceof ActivationLayer act) {
          logits = a;
          out = activate(act.activation(), a);
        } else if (layer instanceof Dropout drop) {
          out = new double[a.length];
          for (int j = 0; j < a.length; j++) {
            out[j] = mask == null ? a[j] : mask.kept(l, r, j) ? a[j] / (1 - drop.rate()) : 0;
          }
          logits = out;
        } else {
          LayerNormalization n = (LayerNormalization) layer;
          int gamma = layout.offset(l, "gamma");
          int beta = layout.offset(l, "beta");
          double mean = 0;
          for (double v : a) {
            mean += v / a.length;
          }
          double variance = 0;
          for (double v : a) {
            variance += (v - mean) * (v - mean) / a.length;
          }
          out = new double[a.length];
          for (int j = 0; j < a.length; j++) {
            double v = (a[j] - mean) / Math.sqrt(variance + n.epsilon());
            out[j] = v * (gamma >= 0 ? p[gamma + j] : 1) + (beta >= 0 ? p[beta + j] : 0);
          }
          logits = out;
        }
        a = out;
      }
      double[] t = new double[labelWidth];
      for (int j = 0; j < labelWidth; j++) {
        t[j] = y[r * labelWidth + j];
      }
      total += exampleLoss(loss, fromLogits, delta, logits, a, t);
    }
    return total;
  }

  /** The penalty of the layers' regularizers: {@code l1 sum|w| + l2 sum w^2} per weight. */
  static double penalty(ModelSpec spec, double[] p) {
    ParameterLayout layout = spec.layout();
    double total = 0;
    for (int l = 0; l < spec.layers().size(); l++) {
      for (Layer.Weight w : spec.layers().get(l).weights(layout.inputShapes()[l])) {
        Regularizer reg = w.regularizer();
        if (reg == null) {
          continue;
        }
        int off = layout.offset(l, w.name());
        for (int i = 0; i < w.size(); i++) {
          double v = p[off + i];
          total += reg.l1() * Math.abs(v) + reg.l2() * v * v;
        }
      }
    }
    return total;
  }

  static double[] activate(Activation f, double[] z) {
    double[] a = new double[z.length];
    double max = Double.NEGATIVE_INFINITY;
    double sum = 0;
    for (double v : z) {
      max = Math.max(max, v);
    }
    for (double v : z) {
      sum += Math.exp(v - max);
    }
    for (int j = 0; j < z.length; j++) {
      double v = z[j];
      double sigmoid = 1 / (1 + Math.exp(-v));
      a[j] =
          switch (f) {
            case RELU -> Math.max(0, v);
            case SIGMOID -> sigmoid;
            case TANH -> Math.tanh(v);
            case SOFTMAX -> Math.exp(v - max) / sum;
            case LINEAR -> v;
            case ELU -> v > 0 ? v : Math.exp(v) - 1;
            case SELU -> 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * (Math.exp(v) - 1));
            case GELU -> 0.5 * v * (1 + erf(v / Math.sqrt(2)));
            case SOFTPLUS -> Math.log(1 + Math.exp(v));
            case SOFTSIGN -> v / (1 + Math.abs(v));
            case SWISH, SILU -> v * sigmoid;
            case LEAKY_RELU -> v >= 0 ? v : 0.2 * v;
            case RELU6 -> Math.min(6, Math.max(0, v));
            case HARD_SIGMOID -> v <= -3 ? 0 : v >= 3 ? 1 : v / 6 + 0.5;
            case EXPONENTIAL -> Math.exp(v);
          };
    }
    return a;
  }

  /**
   * erf in double: its Maclaurin series for {@code |x| < 3}, the continued fraction of erfc beyond.
   */
  static double erf(double x) {
    double ax = Math.abs(x);
    double result;
    if (ax < 3) {
      double term = ax;
      double sum = ax;
      for (int n = 1; n < 200; n++) {
        term *= -ax * ax / n;
        sum += term / (2 * n + 1);
      }
      result = 2 / Math.sqrt(Math.PI) * sum;
    } else {
      double f = ax;
      for (int n = 60; n >= 1; n--) {
        f = ax + (n / 2.0) / f;
      }
      result = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
    }
    return x < 0 ? -result : result;
  }

  /**
   * One example's loss, from the definitions: {@code z} the logits (the last activation's input)
   * and {@code a} the model's output.
   */
  static double exampleLoss(
      Loss loss, boolean fromLogits, double delta, double[] z, double[] a, double[] t) {
    int units = a.length;
    double[] p =
        fromLogits
            ? activate(
                loss == Loss.BINARY_CROSSENTROPY ? Activation.SIGMOID : Activation.SOFTMAX, z)
            : a;
    double[] target = t;
    if (t.length == 1 && units > 1) {
      target = new double[units];
      target[(int) t[0]] = 1;
    }
    double eps = 1e-7;
    double s = 0;
    switch (loss) {
      case SPARSE_CATEGORICAL_CROSSENTROPY:
        return -Math.log(p[(int) t[0]]);
      case CATEGORICAL_CROSSENTROPY:
        for (int j = 0; j < units; j++) {
          s -= target[j] * Math.log(p[j]);
        }
        return s;
      case BINARY_CROSSENTROPY:
        for (int j = 0; j < units; j++) {
          s -= t[j] * Math.log(p[j]) + (1 - t[j]) * Math.log(1 - p[j]);
        }
        return s / units;
      case MEAN_SQUARED_ERROR:
        for (int j = 0; j < units; j++) {
          s += (a[j] - t[j]) * (a[j] - t[j]);
        }
        return s / units;
      case MEAN_ABSOLUTE_ERROR:
        for (int j = 0; j < units; j++) {
          s += Math.abs(a[j] - t[j]);
        }
        return s / units;
      case HUBER:
        for (int j = 0; j < units; j++) {
          double d = Math.abs(a[j] - t[j]);
          s += d <= delta ? 0.5 * d * d : delta * d - 0.5 * delta * delta;
        }
        return s / units;
      case KL_DIVERGENCE:
        for (int j = 0; j < units; j++) {
          double tj = Math.min(Math.max(t[j], eps), 1);
          double pj = Math.min(Math.max(a[j], eps), 1);
          s += tj * Math.log(tj / pj);
        }
        return s;
      case CATEGORICAL_HINGE:
        {
          double positive = 0;
          double negative = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < units; j++) {
            positive += target[j] * a[j];
            negative = Math.max(negative, (1 - target[j]) * a[j]);
          }
          return Math.max(0, negative - positive + 1);
        }
      case POISSON:
        for (int j = 0; j < units; j++) {
          s += a[j] - t[j] * Math.log(a[j] + eps);
        }
        return s / units;
      default:
        throw new AssertionError(loss);
    }
  }
}
