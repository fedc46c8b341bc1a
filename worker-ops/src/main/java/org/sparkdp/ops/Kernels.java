package org.sparkdp.ops;

/** The kernels of the first layer kinds; each kind binds its own ({@link Layer#kernel}). */
final class Kernels {
  private Kernels() {}

  /** Copies {@code row[width]} at {@code rowOff} into each of {@code rows} rows of {@code out}. */
  static void repeatRows(float[] row, int rowOff, float[] out, int outOff, int rows, int width) {
    for (int r = 0; r < rows; r++) {
      System.arraycopy(row, rowOff, out, outOff + r * width, width);
    }
  }

  /** {@code sums[at + j] += sum_r m[r, j]} over {@code rows} rows of {@code width}, row by row. */
  static void addColumnSums(float[] m, int rows, int width, float[] sums, int at) {
    for (int r = 0; r < rows; r++) {
      int o = r * width;
      for (int j = 0; j < width; j++) {
        sums[at + j] += m[o + j];
      }
    }
  }

  /**
   * {@code out = f(in W + b)}; backward {@code dZ = dOut * f'(z)}, {@code dW += in^T dZ}, {@code db
   * += sum_rows dZ}, {@code dIn = dZ W^T}. The pre-activation {@code z} is kept in scratch unless
   * the activation is linear.
   */
  record DenseKernel(int in, int units, int kernel, int bias, Activation activation)
      implements Kernel {
    @Override
    public int scratch(int rows) {
      return activation == Activation.LINEAR ? 0 : rows * units;
    }

    @Override
    public void forward(
        float[] params, float[] x, int xOff, int rows, float[] out, float[] scratch, Workspace ws) {
      float[] z = activation == Activation.LINEAR ? out : scratch;
      if (bias >= 0) {
        repeatRows(params, bias, z, 0, rows, units);
      }
      Blas.gemm(
          false, false, rows, units, in, 1f, x, xOff, params, kernel, bias >= 0 ? 1f : 0f, z, 0);
      activation.apply(z, 0, out, 0, rows, units);
    }

    @Override
    public void backward(
        float[] params,
        float[] x,
        int xOff,
        int rows,
        float[] out,
        float[] scratch,
        float[] dz,
        float[] dIn,
        float[] grad,
        Workspace ws) {
      activation.backward(scratch, 0, out, 0, dz, 0, rows, units);
      Blas.gemm(true, false, in, units, rows, 1f, x, xOff, dz, 0, 1f, grad, kernel);
      if (bias >= 0) {
        addColumnSums(dz, rows, units, grad, bias);
      }
      if (dIn != null) {
        Blas.gemm(false, true, rows, in, units, 1f, dz, 0, params, kernel, 0f, dIn, 0);
      }
    }

    /**
     * Goodfellow's trick (2015): example {@code r}'s kernel gradient is the outer product {@code
     * x_r dz_r^T}, whose squared norm is {@code ||x_r||^2 ||dz_r||^2}; its bias gradient is {@code
     * dz_r}.
     */
    @Override
    public boolean backwardNorms(
        float[] params,
        float[] x,
        int xOff,
        int rows,
        float[] out,
        float[] scratch,
        float[] dz,
        float[] dIn,
        double[] norms,
        float[] rowScratch,
        float[] rowGrad,
        Workspace ws) {
      activation.backward(scratch, 0, out, 0, dz, 0, rows, units);
      for (int r = 0; r < rows; r++) {
        double xs = 0;
        for (int i = xOff + r * in, end = i + in; i < end; i++) {
          xs += (double) x[i] * x[i];
        }
        double ds = 0;
        for (int j = r * units, end = j + units; j < end; j++) {
          ds += (double) dz[j] * dz[j];
        }
        norms[r] += bias >= 0 ? (xs + 1) * ds : xs * ds;
      }
      if (dIn != null) {
        Blas.gemm(false, true, rows, in, units, 1f, dz, 0, params, kernel, 0f, dIn, 0);
      }
      return true;
    }
  }

  /**
   * {@code out = f(in)} over the last axis (of size {@code last}: softmax normalises each slice of
   * it); backward {@code dIn = dOut * f'(in)}.
   */
  record ActivationKernel(int width, int last, Activation activation) implements Kernel {
    ActivationKernel(int width, Activation activation) {
      this(width, width, activation);
    }

    @Override
    public int scratch(int rows) {
      return 0;
    }

    @Override
    public void forward(
        float[] params,
        float[] in,
        int inOff,
        int rows,
        float[] out,
        float[] scratch,
        Workspace ws) {
      activation.apply(in, inOff, out, 0, rows * (width / last), last);
    }

    @Override
    public void backward(
        float[] params,
        float[] in,
        int inOff,
        int rows,
        float[] out,
        float[] scratch,
        float[] dOut,
        float[] dIn,
        float[] grad,
        Workspace ws) {
      if (dIn != null) {
        activation.backward(in, inOff, out, 0, dOut, 0, rows * (width / last), last);
        System.arraycopy(dOut, 0, dIn, 0, rows * width);
      }
    }
  }

  /**
   * Inverted dropout in training ({@link Workspace#training()}): {@code out = keep ? in / (1 -
   * rate) : 0}, the keep mask kept in scratch; the identity otherwise.
   */
  record DropoutKernel(int width, double rate, long seed, int layer) implements Kernel {
    private static final long DROPOUT_KEY = 0xd809L;

    @Override
    public int scratch(int rows) {
      return rows * width;
    }

    /**
     * Whether unit {@code unit} of example {@code id} is kept in {@code epoch}: a uniform number
     * from a counter-based hash of (seed, epoch, id, layer, unit) below {@code 1 - rate}, as Keras'
     * {@code uniform < keep_prob}.
     */
    static boolean keeps(long seed, int epoch, long id, int layer, int unit, double rate) {
      return uniform(rowKey(seed, epoch, id, layer), unit) < 1 - rate;
    }

    private static long rowKey(long seed, int epoch, long id, int layer) {
      return Seeds.mix(seed, DROPOUT_KEY, epoch, id, layer);
    }

    private static double uniform(long rowKey, int unit) {
      return (Seeds.mix64(rowKey + (unit + 1) * 0x9e3779b97f4a7c15L) >>> 11) * 0x1.0p-53;
    }

    @Override
    public void forward(
        float[] params, float[] in, int inOff, int rows, float[] out, float[] mask, Workspace ws) {
      int n = rows * width;
      if (!ws.training() || rate == 0) {
        System.arraycopy(in, inOff, out, 0, n);
        return;
      }
      float keep = (float) (1 - rate);
      double threshold = 1 - rate;
      for (int r = 0; r < rows; r++) {
        long key = rowKey(seed, ws.epoch(), ws.id(r), layer);
        int o = r * width;
        for (int j = 0; j < width; j++) {
          boolean kept = uniform(key, j) < threshold;
          mask[o + j] = kept ? 1f : 0f;
          out[o + j] = kept ? in[inOff + o + j] / keep : 0f;
        }
      }
    }

    @Override
    public void backward(
        float[] params,
        float[] in,
        int inOff,
        int rows,
        float[] out,
        float[] mask,
        float[] dOut,
        float[] dIn,
        float[] grad,
        Workspace ws) {
      if (dIn == null) {
        return;
      }
      int n = rows * width;
      if (!ws.training() || rate == 0) {
        System.arraycopy(dOut, 0, dIn, 0, n);
        return;
      }
      float keep = (float) (1 - rate);
      for (int i = 0; i < n; i++) {
        dIn[i] = mask[i] != 0f ? dOut[i] / keep : 0f;
      }
    }
  }

  /**
   * Per row: {@code xhat = (x - mean) / sqrt(var + eps)}, {@code out = xhat * gamma + beta}; {@code
   * xhat} and each row's {@code 1 / sqrt(var + eps)} kept in scratch. Backward, with {@code g =
   * dOut * gamma} and {@code n} the width: {@code dIn = inv / n * (n g - sum g - xhat sum(g
   * xhat))}, {@code dgamma += sum_rows dOut xhat}, {@code dbeta += sum_rows dOut}.
   */
  record NormalizationKernel(int width, double epsilon, int gamma, int beta) implements Kernel {
    @Override
    public int scratch(int rows) {
      return rows * width + rows;
    }

    @Override
    public void forward(
        float[] params,
        float[] in,
        int inOff,
        int rows,
        float[] out,
        float[] scratch,
        Workspace ws) {
      int inverses = rows * width;
      for (int r = 0; r < rows; r++) {
        int i0 = inOff + r * width;
        double sum = 0;
        for (int j = 0; j < width; j++) {
          sum += in[i0 + j];
        }
        double mean = sum / width;
        double squares = 0;
        for (int j = 0; j < width; j++) {
          double d = in[i0 + j] - mean;
          squares += d * d;
        }
        double inv = 1 / Math.sqrt(squares / width + epsilon);
        scratch[inverses + r] = (float) inv;
        int o = r * width;
        for (int j = 0; j < width; j++) {
          float xhat = (float) ((in[i0 + j] - mean) * inv);
          scratch[o + j] = xhat;
          float y = gamma >= 0 ? xhat * params[gamma + j] : xhat;
          out[o + j] = beta >= 0 ? y + params[beta + j] : y;
        }
      }
    }

    @Override
    public void backward(
        float[] params,
        float[] in,
        int inOff,
        int rows,
        float[] out,
        float[] scratch,
        float[] dOut,
        float[] dIn,
        float[] grad,
        Workspace ws) {
      int inverses = rows * width;
      for (int r = 0; r < rows; r++) {
        int o = r * width;
        double sumG = 0;
        double sumGx = 0;
        for (int j = 0; j < width; j++) {
          float d = dOut[o + j];
          float xhat = scratch[o + j];
          if (gamma >= 0) {
            grad[gamma + j] += d * xhat;
          }
          if (beta >= 0) {
            grad[beta + j] += d;
          }
          double g = gamma >= 0 ? (double) d * params[gamma + j] : d;
          sumG += g;
          sumGx += g * xhat;
        }
        if (dIn != null) {
          double inv = scratch[inverses + r];
          for (int j = 0; j < width; j++) {
            double g = gamma >= 0 ? (double) dOut[o + j] * params[gamma + j] : dOut[o + j];
            dIn[o + j] = (float) (inv / width * (width * g - sumG - scratch[o + j] * sumGx));
          }
        }
      }
    }
  }
}
