package org.sparkdp.ops;

import java.util.List;

/**
 * A second, deliberately plain implementation of the forward pass and the losses, in double
 * precision with no BLAS and no fusion, written from the formulas: the independent computation the
 * kernels are checked against.
 */
final class ReferenceNetwork {
  private ReferenceNetwork() {}

  /**
   * Summed loss over all rows of {@code x [rows, in]} with parameters {@code p} laid out as in the
   * spec.
   */
  static double loss(
      ModelSpec spec,
      Loss loss,
      boolean fromLogits,
      double[] p,
      float[] x,
      float[] y,
      int labelWidth,
      int rows) {
    ParameterLayout layout = spec.layout();
    double total = 0;
    for (int r = 0; r < rows; r++) {
      double[] a = new double[spec.inputDim()];
      for (int i = 0; i < a.length; i++) {
        a[i] = x[r * a.length + i];
      }
      double[] z = null;
      List<Dense> layers = spec.layers();
      for (int l = 0; l < layers.size(); l++) {
        int in = layout.inputs()[l];
        int out = layout.units()[l];
        z = new double[out];
        for (int j = 0; j < out; j++) {
          double s = layout.biasOffsets()[l] >= 0 ? p[layout.biasOffsets()[l] + j] : 0;
          for (int i = 0; i < in; i++) {
            s += a[i] * p[layout.kernelOffsets()[l] + i * out + j];
          }
          z[j] = s;
        }
        a = activate(layers.get(l).activation(), z);
      }
      double[] t = new double[labelWidth];
      for (int j = 0; j < labelWidth; j++) {
        t[j] = y[r * labelWidth + j];
      }
      total += exampleLoss(loss, fromLogits, z, a, t);
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
      a[j] =
          switch (f) {
            case RELU -> Math.max(0, z[j]);
            case SIGMOID -> 1 / (1 + Math.exp(-z[j]));
            case TANH -> Math.tanh(z[j]);
            case SOFTMAX -> Math.exp(z[j] - max) / sum;
            case LINEAR -> z[j];
          };
    }
    return a;
  }

  /**
   * One example's loss, from the definitions: {@code z} pre-activation and {@code a} output of the
   * last layer.
   */
  static double exampleLoss(Loss loss, boolean fromLogits, double[] z, double[] a, double[] t) {
    int units = a.length;
    double[] p =
        fromLogits
            ? activate(
                loss == Loss.BINARY_CROSSENTROPY ? Activation.SIGMOID : Activation.SOFTMAX, z)
            : a;
    switch (loss) {
      case SPARSE_CATEGORICAL_CROSSENTROPY:
        return -Math.log(p[(int) t[0]]);
      case CATEGORICAL_CROSSENTROPY:
        {
          double[] target = t;
          if (t.length == 1) {
            target = new double[units];
            target[(int) t[0]] = 1;
          }
          double s = 0;
          for (int j = 0; j < units; j++) {
            s -= target[j] * Math.log(p[j]);
          }
          return s;
        }
      case BINARY_CROSSENTROPY:
        {
          double s = 0;
          for (int j = 0; j < units; j++) {
            s -= t[j] * Math.log(p[j]) + (1 - t[j]) * Math.log(1 - p[j]);
          }
          return s / units;
        }
      case MEAN_SQUARED_ERROR:
        {
          double s = 0;
          for (int j = 0; j < units; j++) {
            s += (a[j] - t[j]) * (a[j] - t[j]);
          }
          return s / units;
        }
      default:
        throw new AssertionError(loss);
    }
  }
}
