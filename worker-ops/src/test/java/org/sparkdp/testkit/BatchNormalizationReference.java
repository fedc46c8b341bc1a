package org.sparkdp.testkit;

import org.sparkdp.ops.ParameterLayout;

/**
 * An independent computation of Keras 3's semantics for {@code Dense(H, tanh)}, {@code
 * BatchNormalization(momentum)}, {@code Dense(K, softmax)} with sparse categorical cross-entropy,
 * written from the formulas in double (not sparkdp's kernels): full-batch gradient descent whose
 * gradients are central differences of the mean loss, and after each step the moving statistics
 * {@code moving = momentum * moving + (1 - momentum) * batch}, with the biased variance of the
 * step's batch before the update.
 */
public final class BatchNormalizationReference {
  private BatchNormalizationReference() {}

  /**
   * The mean loss over the batch; {@code stats} (if not null) gets the batch's means, variances.
   */
  public static double loss(
      ParameterLayout l, double[] w, double[] x, float[] labels, int rows, double[] stats) {
    int in = l.inputs()[0];
    int hidden = l.outputs()[0];
    int classes = l.outputs()[2];
    int k1 = l.offset(0, "kernel");
    int b1 = l.offset(0, "bias");
    int gamma = l.offset(1, "gamma");
    int beta = l.offset(1, "beta");
    int k2 = l.offset(2, "kernel");
    int b2 = l.offset(2, "bias");
    double[][] h = new double[rows][hidden];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < hidden; j++) {
        double z = w[b1 + j];
        for (int i = 0; i < in; i++) {
          z += x[r * in + i] * w[k1 + i * hidden + j];
        }
        h[r][j] = Math.tanh(z);
      }
    }
    double[][] n = new double[rows][hidden];
    for (int j = 0; j < hidden; j++) {
      double mean = 0;
      for (int r = 0; r < rows; r++) {
        mean += h[r][j];
      }
      mean /= rows;
      double var = 0;
      for (int r = 0; r < rows; r++) {
        var += (h[r][j] - mean) * (h[r][j] - mean);
      }
      var /= rows;
      if (stats != null) {
        stats[j] = mean;
        stats[hidden + j] = var;
      }
      for (int r = 0; r < rows; r++) {
        n[r][j] = (h[r][j] - mean) / Math.sqrt(var + 1e-3) * w[gamma + j] + w[beta + j];
      }
    }
    double loss = 0;
    for (int r = 0; r < rows; r++) {
      double[] logits = new double[classes];
      double max = Double.NEGATIVE_INFINITY;
      for (int o = 0; o < classes; o++) {
        double p = w[b2 + o];
        for (int j = 0; j < hidden; j++) {
          p += n[r][j] * w[k2 + j * classes + o];
        }
        logits[o] = p;
        max = Math.max(max, p);
      }
      double sum = 0;
      for (double p : logits) {
        sum += Math.exp(p - max);
      }
      loss += Math.log(sum) + max - logits[(int) labels[r]];
    }
    return loss / rows;
  }

  /** {@code steps} full-batch steps of gradient descent at {@code learningRate} from {@code w}. */
  public static double[] train(
      ParameterLayout l,
      double[] w,
      double[] x,
      float[] labels,
      int rows,
      double learningRate,
      int steps,
      double momentum) {
    w = w.clone();
    int hidden = l.outputs()[0];
    int mean = l.offset(1, "moving_mean");
    int variance = l.offset(1, "moving_variance");
    for (int s = 0; s < steps; s++) {
      double[] stats = new double[2 * hidden];
      loss(l, w, x, labels, rows, stats);
      double[] g = new double[w.length];
      for (int i = 0; i < w.length; i++) {
        double keep = w[i];
        w[i] = keep + 1e-6;
        double up = loss(l, w, x, labels, rows, null);
        w[i] = keep - 1e-6;
        double down = loss(l, w, x, labels, rows, null);
        w[i] = keep;
        g[i] = (up - down) / 2e-6;
      }
      for (int i = 0; i < w.length; i++) {
        w[i] -= learningRate * g[i];
      }
      for (int j = 0; j < hidden; j++) {
        w[mean + j] = momentum * w[mean + j] + (1 - momentum) * stats[j];
        w[variance + j] = momentum * w[variance + j] + (1 - momentum) * stats[hidden + j];
      }
    }
    return w;
  }
}
