package org.sparkdp.ops;

import java.util.Arrays;

/**
 * The kernels of {@link SimpleRNN}, {@link LSTM} and {@link GRU}. Each example is a row of {@code
 * T} steps of {@code F} features, so the {@code rows * T} steps of a batch are the rows {@code r *
 * T + t} of one {@code [rows * T, F]} matrix: its input projection {@code x K + b} for every step
 * is one {@code sgemm}, and the recurrence one {@code sgemm} per step of {@code [rows, units]}
 * states by the recurrent kernel. What backward needs (pre-activations, gates, states) is kept in
 * scratch, step by step; backward runs through time in reverse (BPTT), then adds the kernels'
 * gradients in one {@code sgemm} each over all steps. No per-example BLAS call; every sum in a
 * fixed order.
 */
final class RecurrentKernels {
  private RecurrentKernels() {}

  /**
   * A recurrent layer's sizes: {@code steps} of {@code features}, {@code units}, and whether the
   * output is every step's state.
   */
  record Shape(int steps, int features, int units, boolean sequences)
      implements java.io.Serializable {}

  /** The sum of the scratch parts, checked to fit one array. */
  static int total(String type, int rows, long... parts) {
    long n = 0;
    for (long p : parts) {
      n += p;
    }
    if (n > Integer.MAX_VALUE - 8) {
      throw new ConfigException(
          "a "
              + type
              + " layer needs "
              + n
              + " floats of scratch for "
              + rows
              + " examples, more than one array holds (use a smaller batch)");
    }
    return (int) n;
  }

  /**
   * {@code w[a ..] = f(w[z ..])} over {@code n} values. tanh and sigmoid, which every step applies
   * to every unit, are computed here from {@code exp} ({@code Math.tanh} is several times slower);
   * the other activations as {@link Activation#apply}.
   */
  static void apply(Activation f, float[] w, int z, int a, int n) {
    switch (f) {
      case TANH -> {
        for (int i = 0; i < n; i++) {
          double v = w[z + i];
          double m = Math.abs(v);
          // tanh(m) = (1 - e^-2m) / (1 + e^-2m); near 0 its series, without the cancellation.
          double e = Math.exp(-2 * m);
          double t = m < 1e-4 ? m - m * m * m / 3 : (1 - e) / (1 + e);
          w[a + i] = (float) (v < 0 ? -t : t);
        }
      }
      case SIGMOID -> {
        for (int i = 0; i < n; i++) {
          w[a + i] = Activation.sigmoid(w[z + i]);
        }
      }
      default -> f.apply(w, z, w, a, 1, n);
    }
  }

  /**
   * {@code w[g ..] *= f'(z)} over {@code n} values, given {@code w[z ..]} and {@code w[a ..] =
   * f(z)}: tanh's {@code 1 - a^2} and sigmoid's {@code a (1 - a)} here, the others as {@link
   * Activation#backward}.
   */
  static void derivative(Activation f, float[] w, int z, int a, int g, int n) {
    switch (f) {
      case TANH -> {
        for (int i = 0; i < n; i++) {
          float v = w[a + i];
          w[g + i] *= 1 - v * v;
        }
      }
      case SIGMOID -> {
        for (int i = 0; i < n; i++) {
          float v = w[a + i];
          w[g + i] *= v * (1 - v);
        }
      }
      default -> f.backward(w, z, w, a, w, g, 1, n);
    }
  }

  /** Where step {@code t} of row {@code r} finds its output's gradient in dOut, or -1. */
  private static int dOutAt(Shape s, int r, int t) {
    if (s.sequences()) {
      return (r * s.steps() + t) * s.units();
    }
    return t == s.steps() - 1 ? r * s.units() : -1;
  }

  /** {@code w[at ..] = carry + the step's output gradient}, {@code u} values. */
  private static void stepGradient(
      Shape s, float[] dOut, int r, int t, float[] w, int carry, int at) {
    int u = s.units();
    int o = dOutAt(s, r, t);
    for (int j = 0; j < u; j++) {
      w[at + j] = w[carry + j] + (o >= 0 ? dOut[o + j] : 0f);
    }
  }

  /** {@code sums[at + j] += sum_r m[from + r * width + j]}, row by row. */
  private static void addColumnSums(
      float[] m, int from, int rows, int width, float[] sums, int at) {
    for (int r = 0; r < rows; r++) {
      int o = from + r * width;
      for (int j = 0; j < width; j++) {
        sums[at + j] += m[o + j];
      }
    }
  }

  /**
   * The input projection of every step: {@code w[0 .. N * width) = x K + b} for the {@code N = rows
   * * T} steps.
   */
  private static void project(
      Shape s,
      float[] params,
      float[] x,
      int xOff,
      int rows,
      int kernel,
      int bias,
      int width,
      float[] w) {
    int n = rows * s.steps();
    if (bias >= 0) {
      Kernels.repeatRows(params, bias, w, 0, n, width);
    }
    Blas.gemm(
        false,
        false,
        n,
        width,
        s.features(),
        1f,
        x,
        xOff,
        params,
        kernel,
        bias >= 0 ? 1f : 0f,
        w,
        0);
  }

  /**
   * The gradients every kernel adds after BPTT, from {@code dZ [N, width]} at scratch 0 (the
   * gradient of the input projection): {@code dK += x^T dZ}, {@code db += sum dZ}, {@code dIn = dZ
   * K^T}.
   */
  private static void inputGradients(
      Shape s,
      float[] params,
      float[] x,
      int xOff,
      int rows,
      int kernel,
      int bias,
      int width,
      float[] w,
      float[] dIn,
      float[] grad) {
    int n = rows * s.steps();
    int f = s.features();
    Blas.gemm(true, false, f, width, n, 1f, x, xOff, w, 0, 1f, grad, kernel);
    if (bias >= 0) {
      addColumnSums(w, 0, n, width, grad, bias);
    }
    if (dIn != null) {
      Blas.gemm(false, true, n, f, width, 1f, w, 0, params, kernel, 0f, dIn, 0);
    }
  }

  /**
   * {@code h_t = f(x_t K + h_{t-1} R + b)}. Scratch: {@code z [N, u]} (then its gradient), {@code a
   * = f(z) [N, u]}, {@code h_{t-1} [N, u]}, and per step the previous and current states and the
   * recurrent product {@code [rows, u]} each.
   */
  record SimpleKernel(Shape s, int kernel, int recurrent, int bias, Activation f)
      implements Kernel {
    @Override
    public int scratch(int rows) {
      long nu = (long) rows * s.steps() * s.units();
      long ru = (long) rows * s.units();
      return total("simple_rnn", rows, 3 * nu, 3 * ru);
    }

    @Override
    public void forward(
        float[] params, float[] x, int xOff, int rows, float[] out, float[] w, Workspace ws) {
      int steps = s.steps();
      int u = s.units();
      int n = rows * steps;
      int a = n * u;
      int hp = 2 * n * u;
      int prev = 3 * n * u;
      int cur = prev + rows * u;
      int tmp = cur + rows * u;
      project(s, params, x, xOff, rows, kernel, bias, u, w);
      for (int t = 0; t < steps; t++) {
        if (t > 0) {
          Blas.gemm(false, false, rows, u, u, 1f, w, prev, params, recurrent, 0f, w, tmp);
        }
        for (int r = 0; r < rows; r++) {
          int row = r * steps + t;
          int zr = row * u;
          if (t > 0) {
            for (int j = 0; j < u; j++) {
              w[zr + j] += w[tmp + r * u + j];
            }
            System.arraycopy(w, prev + r * u, w, hp + row * u, u);
          } else {
            Arrays.fill(w, hp + row * u, hp + row * u + u, 0f);
          }
          apply(f, w, zr, a + zr, u);
          System.arraycopy(w, a + zr, w, cur + r * u, u);
          if (s.sequences()) {
            System.arraycopy(w, a + zr, out, zr, u);
          }
        }
        int swap = prev;
        prev = cur;
        cur = swap;
      }
      if (!s.sequences()) {
        System.arraycopy(w, prev, out, 0, rows * u);
      }
    }

    @Override
    public void backward(
        float[] params,
        float[] x,
        int xOff,
        int rows,
        float[] out,
        float[] w,
        float[] dOut,
        float[] dIn,
        float[] grad,
        Workspace ws) {
      int steps = s.steps();
      int u = s.units();
      int n = rows * steps;
      int a = n * u;
      int hp = 2 * n * u;
      int carry = 3 * n * u;
      int tmp = carry + 2 * rows * u;
      Arrays.fill(w, carry, carry + rows * u, 0f);
      for (int t = steps - 1; t >= 0; t--) {
        for (int r = 0; r < rows; r++) {
          int zr = (r * steps + t) * u;
          int g = tmp + r * u;
          stepGradient(s, dOut, r, t, w, carry + r * u, g);
          derivative(f, w, zr, a + zr, g, u);
          System.arraycopy(w, g, w, zr, u);
        }
        if (t > 0) {
          Blas.gemm(false, true, rows, u, u, 1f, w, tmp, params, recurrent, 0f, w, carry);
        }
      }
      Blas.gemm(true, false, u, u, n, 1f, w, hp, w, 0, 1f, grad, recurrent);
      inputGradients(s, params, x, xOff, rows, kernel, bias, u, w, dIn, grad);
    }
  }

  /**
   * Keras' LSTM step with gates i, f, c, o: {@code z = x_t K + h_{t-1} R + b}, {@code i, f, o =
   * g(z)}, {@code c_t = f c_{t-1} + i act(z_c)}, {@code h_t = o act(c_t)}. Scratch: {@code z [N,
   * 4u]} (then its gradient), the activated gates {@code [N, 4u]}, {@code c}, {@code act(c)} and
   * {@code h_{t-1}} {@code [N, u]} each; per step the previous and current states {@code [rows,
   * u]}, the recurrent product (in backward the gates' gradient) {@code [rows, 4u]}, the carried
   * cell gradient {@code [rows, u]} and one row of {@code u}.
   */
  record LstmKernel(Shape s, int kernel, int recurrent, int bias, Activation act, Activation gate)
      implements Kernel {
    @Override
    public int scratch(int rows) {
      long nu = (long) rows * s.steps() * s.units();
      long ru = (long) rows * s.units();
      return total("lstm", rows, 11 * nu, 7 * ru, s.units());
    }

    @Override
    public void forward(
        float[] params, float[] x, int xOff, int rows, float[] out, float[] w, Workspace ws) {
      int steps = s.steps();
      int u = s.units();
      int width = 4 * u;
      int n = rows * steps;
      int a = n * width;
      int c = 2 * n * width;
      int ac = c + n * u;
      int hp = ac + n * u;
      int prev = hp + n * u;
      int cur = prev + rows * u;
      int tmp = cur + rows * u;
      project(s, params, x, xOff, rows, kernel, bias, width, w);
      for (int t = 0; t < steps; t++) {
        if (t > 0) {
          Blas.gemm(false, false, rows, width, u, 1f, w, prev, params, recurrent, 0f, w, tmp);
        }
        for (int r = 0; r < rows; r++) {
          int row = r * steps + t;
          int zr = row * width;
          int ar = a + zr;
          if (t > 0) {
            int tr = tmp + r * width;
            for (int j = 0; j < width; j++) {
              w[zr + j] += w[tr + j];
            }
            System.arraycopy(w, prev + r * u, w, hp + row * u, u);
          } else {
            Arrays.fill(w, hp + row * u, hp + row * u + u, 0f);
          }
          apply(gate, w, zr, ar, 2 * u);
          apply(act, w, zr + 2 * u, ar + 2 * u, u);
          apply(gate, w, zr + 3 * u, ar + 3 * u, u);
          int cr = c + row * u;
          for (int j = 0; j < u; j++) {
            float before = t > 0 ? w[cr - u + j] : 0f;
            w[cr + j] = w[ar + u + j] * before + w[ar + j] * w[ar + 2 * u + j];
          }
          int acr = ac + row * u;
          apply(act, w, cr, acr, u);
          for (int j = 0; j < u; j++) {
            float h = w[ar + 3 * u + j] * w[acr + j];
            w[cur + r * u + j] = h;
            if (s.sequences()) {
              out[row * u + j] = h;
            }
          }
        }
        int swap = prev;
        prev = cur;
        cur = swap;
      }
      if (!s.sequences()) {
        System.arraycopy(w, prev, out, 0, rows * u);
      }
    }

    @Override
    public void backward(
        float[] params,
        float[] x,
        int xOff,
        int rows,
        float[] out,
        float[] w,
        float[] dOut,
        float[] dIn,
        float[] grad,
        Workspace ws) {
      int steps = s.steps();
      int u = s.units();
      int width = 4 * u;
      int n = rows * steps;
      int a = n * width;
      int c = 2 * n * width;
      int ac = c + n * u;
      int hp = ac + n * u;
      int carry = hp + n * u;
      int tmp = carry + 2 * rows * u;
      int cellCarry = tmp + rows * width;
      int seg = cellCarry + rows * u;
      Arrays.fill(w, carry, carry + rows * u, 0f);
      Arrays.fill(w, cellCarry, cellCarry + rows * u, 0f);
      for (int t = steps - 1; t >= 0; t--) {
        for (int r = 0; r < rows; r++) {
          int row = r * steps + t;
          int zr = row * width;
          int ar = a + zr;
          int gr = tmp + r * width;
          int cr = c + row * u;
          int acr = ac + row * u;
          // dh into the o gate's place, then its parts.
          stepGradient(s, dOut, r, t, w, carry + r * u, gr + 3 * u);
          for (int j = 0; j < u; j++) {
            float dh = w[gr + 3 * u + j];
            w[seg + j] = dh * w[ar + 3 * u + j];
            w[gr + 3 * u + j] = dh * w[acr + j];
          }
          derivative(act, w, cr, acr, seg, u);
          int cc = cellCarry + r * u;
          for (int j = 0; j < u; j++) {
            float dc = w[cc + j] + w[seg + j];
            w[gr + j] = dc * w[ar + 2 * u + j];
            w[gr + 2 * u + j] = dc * w[ar + j];
            w[gr + u + j] = t > 0 ? dc * w[cr - u + j] : 0f;
            w[cc + j] = dc * w[ar + u + j];
          }
          derivative(gate, w, zr, ar, gr, 2 * u);
          derivative(act, w, zr + 2 * u, ar + 2 * u, gr + 2 * u, u);
          derivative(gate, w, zr + 3 * u, ar + 3 * u, gr + 3 * u, u);
          System.arraycopy(w, gr, w, zr, width);
        }
        if (t > 0) {
          Blas.gemm(false, true, rows, u, width, 1f, w, tmp, params, recurrent, 0f, w, carry);
        }
      }
      Blas.gemm(true, false, u, width, n, 1f, w, hp, w, 0, 1f, grad, recurrent);
      inputGradients(s, params, x, xOff, rows, kernel, bias, width, w, dIn, grad);
    }
  }

  /**
   * Keras' GRU step with gates z, r, h. With {@code reset_after}: the recurrent product {@code p =
   * h_{t-1} R + b'} (one {@code sgemm}), {@code z, r = g(x K_zr + b_zr + p_zr)}, {@code hh = act(x
   * K_h + b_h + r p_h)}; without: {@code z, r = g(x K_zr + b_zr + h_{t-1} R_zr)}, {@code hh = act(x
   * K_h + b_h + (r h_{t-1}) R_h)} (two, with {@code R_zr} and {@code R_h} copied apart into scratch
   * first). Then {@code h_t = z h_{t-1} + (1 - z) hh}.
   */
  record GruKernel(
      Shape s,
      int kernel,
      int recurrent,
      int bias,
      Activation act,
      Activation gate,
      boolean resetAfter)
      implements Kernel {
    @Override
    public int scratch(int rows) {
      long nu = (long) rows * s.steps() * s.units();
      long ru = (long) rows * s.units();
      long uu = (long) s.units() * s.units();
      return resetAfter
          ? total("gru", rows, 8 * nu, 5 * ru)
          : total("gru", rows, 11 * nu, 6 * ru, 6 * uu);
    }

    @Override
    public void forward(
        float[] params, float[] x, int xOff, int rows, float[] out, float[] w, Workspace ws) {
      if (resetAfter) {
        forwardAfter(params, x, xOff, rows, out, w);
      } else {
        forwardBefore(params, x, xOff, rows, out, w);
      }
    }

    @Override
    public void backward(
        float[] params,
        float[] x,
        int xOff,
        int rows,
        float[] out,
        float[] w,
        float[] dOut,
        float[] dIn,
        float[] grad,
        Workspace ws) {
      if (resetAfter) {
        backwardAfter(params, x, xOff, rows, w, dOut, dIn, grad);
      } else {
        backwardBefore(params, x, xOff, rows, w, dOut, dIn, grad);
      }
    }

    /** {@code h_t} from the gates of row {@code ar}, into the state and the output. */
    private void mix(
        int steps, int t, int r, int ar, int hpr, float[] w, int prev, int cur, float[] out) {
      int u = s.units();
      int row = r * steps + t;
      for (int j = 0; j < u; j++) {
        float before = t > 0 ? w[prev + r * u + j] : 0f;
        w[hpr + j] = before;
        float z = w[ar + j];
        float h = z * before + (1 - z) * w[ar + 2 * u + j];
        w[cur + r * u + j] = h;
        if (s.sequences()) {
          out[row * u + j] = h;
        }
      }
    }

    // Scratch with reset_after: z [N, 3u] (then its gradient), a [N, 3u] (then the recurrent
    // product's gradient), p_h [N, u], h_{t-1} [N, u]; prev, cur [rows, u]; p [rows, 3u].

    private void forwardAfter(
        float[] params, float[] x, int xOff, int rows, float[] out, float[] w) {
      int steps = s.steps();
      int u = s.units();
      int width = 3 * u;
      int n = rows * steps;
      int a = n * width;
      int ph = 2 * n * width;
      int hp = ph + n * u;
      int prev = hp + n * u;
      int cur = prev + rows * u;
      int tmp = cur + rows * u;
      int recurrentBias = bias >= 0 ? bias + width : -1;
      project(s, params, x, xOff, rows, kernel, bias, width, w);
      for (int t = 0; t < steps; t++) {
        if (recurrentBias >= 0) {
          Kernels.repeatRows(params, recurrentBias, w, tmp, rows, width);
        }
        if (t > 0) {
          Blas.gemm(
              false,
              false,
              rows,
              width,
              u,
              1f,
              w,
              prev,
              params,
              recurrent,
              recurrentBias >= 0 ? 1f : 0f,
              w,
              tmp);
        } else if (recurrentBias < 0) {
          Arrays.fill(w, tmp, tmp + rows * width, 0f);
        }
        for (int r = 0; r < rows; r++) {
          int row = r * steps + t;
          int zr = row * width;
          int ar = a + zr;
          int tr = tmp + r * width;
          for (int j = 0; j < 2 * u; j++) {
            w[zr + j] += w[tr + j];
          }
          apply(gate, w, zr, ar, 2 * u);
          for (int j = 0; j < u; j++) {
            float p = w[tr + 2 * u + j];
            w[ph + row * u + j] = p;
            w[zr + 2 * u + j] += w[ar + u + j] * p;
          }
          apply(act, w, zr + 2 * u, ar + 2 * u, u);
          mix(steps, t, r, ar, hp + row * u, w, prev, cur, out);
        }
        int swap = prev;
        prev = cur;
        cur = swap;
      }
      if (!s.sequences()) {
        System.arraycopy(w, prev, out, 0, rows * u);
      }
    }

    private void backwardAfter(
        float[] params,
        float[] x,
        int xOff,
        int rows,
        float[] w,
        float[] dOut,
        float[] dIn,
        float[] grad) {
      int steps = s.steps();
      int u = s.units();
      int width = 3 * u;
      int n = rows * steps;
      int a = n * width;
      int ph = 2 * n * width;
      int hp = ph + n * u;
      int carry = hp + n * u;
      int tmp = carry + 2 * rows * u;
      Arrays.fill(w, carry, carry + rows * u, 0f);
      for (int t = steps - 1; t >= 0; t--) {
        for (int r = 0; r < rows; r++) {
          int row = r * steps + t;
          int zr = row * width;
          int ar = a + zr;
          int gr = tmp + r * width;
          int hpr = hp + row * u;
          int cr = carry + r * u;
          stepGradient(s, dOut, r, t, w, cr, gr + u);
          for (int j = 0; j < u; j++) {
            float dh = w[gr + u + j];
            float z = w[ar + j];
            w[gr + j] = dh * (w[hpr + j] - w[ar + 2 * u + j]);
            w[gr + 2 * u + j] = dh * (1 - z);
            w[cr + j] = dh * z;
          }
          derivative(act, w, zr + 2 * u, ar + 2 * u, gr + 2 * u, u);
          for (int j = 0; j < u; j++) {
            w[gr + u + j] = w[gr + 2 * u + j] * w[ph + row * u + j];
          }
          derivative(gate, w, zr, ar, gr, 2 * u);
          System.arraycopy(w, gr, w, zr, width);
          // The recurrent product's gradient: the candidate's times r, over the spent gates.
          for (int j = 0; j < u; j++) {
            w[gr + 2 * u + j] *= w[ar + u + j];
          }
          System.arraycopy(w, gr, w, ar, width);
        }
        if (t > 0) {
          Blas.gemm(false, true, rows, u, width, 1f, w, tmp, params, recurrent, 1f, w, carry);
        }
      }
      Blas.gemm(true, false, u, width, n, 1f, w, hp, w, a, 1f, grad, recurrent);
      if (bias >= 0) {
        addColumnSums(w, a, n, width, grad, bias + width);
      }
      inputGradients(s, params, x, xOff, rows, kernel, bias, width, w, dIn, grad);
    }

    // Scratch without reset_after: z [N, 3u] (then its gradient), a [N, 3u], h_{t-1} [N, u],
    // r h_{t-1} [N, u], the gradients dz_zr [N, 2u] and dz_h [N, u]; prev, cur, r h [rows, u],
    // p_zr [rows, 2u], p_h [rows, u]; R_zr [u, 2u], R_h [u, u] and their gradients.

    private void forwardBefore(
        float[] params, float[] x, int xOff, int rows, float[] out, float[] w) {
      int steps = s.steps();
      int u = s.units();
      int width = 3 * u;
      int n = rows * steps;
      int a = n * width;
      int hp = 2 * n * width;
      int rh = hp + n * u;
      int prev = rh + 4 * n * u;
      int cur = prev + rows * u;
      int rhc = cur + rows * u;
      int pzr = rhc + rows * u;
      int pH = pzr + 2 * rows * u;
      int rzr = pH + rows * u;
      int rH = rzr + 2 * u * u;
      for (int i = 0; i < u; i++) {
        System.arraycopy(params, recurrent + i * width, w, rzr + i * 2 * u, 2 * u);
        System.arraycopy(params, recurrent + i * width + 2 * u, w, rH + i * u, u);
      }
      project(s, params, x, xOff, rows, kernel, bias, width, w);
      for (int t = 0; t < steps; t++) {
        if (t > 0) {
          Blas.gemm(false, false, rows, 2 * u, u, 1f, w, prev, w, rzr, 0f, w, pzr);
        }
        for (int r = 0; r < rows; r++) {
          int row = r * steps + t;
          int zr = row * width;
          int ar = a + zr;
          if (t > 0) {
            for (int j = 0; j < 2 * u; j++) {
              w[zr + j] += w[pzr + r * 2 * u + j];
            }
          }
          apply(gate, w, zr, ar, 2 * u);
          for (int j = 0; j < u; j++) {
            float before = t > 0 ? w[prev + r * u + j] : 0f;
            float v = w[ar + u + j] * before;
            w[rhc + r * u + j] = v;
            w[rh + row * u + j] = v;
          }
        }
        if (t > 0) {
          Blas.gemm(false, false, rows, u, u, 1f, w, rhc, w, rH, 0f, w, pH);
        }
        for (int r = 0; r < rows; r++) {
          int row = r * steps + t;
          int zr = row * width;
          int ar = a + zr;
          if (t > 0) {
            for (int j = 0; j < u; j++) {
              w[zr + 2 * u + j] += w[pH + r * u + j];
            }
          }
          apply(act, w, zr + 2 * u, ar + 2 * u, u);
          mix(steps, t, r, ar, hp + row * u, w, prev, cur, out);
        }
        int swap = prev;
        prev = cur;
        cur = swap;
      }
      if (!s.sequences()) {
        System.arraycopy(w, prev, out, 0, rows * u);
      }
    }

    private void backwardBefore(
        float[] params,
        float[] x,
        int xOff,
        int rows,
        float[] w,
        float[] dOut,
        float[] dIn,
        float[] grad) {
      int steps = s.steps();
      int u = s.units();
      int width = 3 * u;
      int n = rows * steps;
      int a = n * width;
      int hp = 2 * n * width;
      int rh = hp + n * u;
      int dzr = rh + n * u;
      int dzh = dzr + 2 * n * u;
      int carry = dzh + n * u;
      int rhc = carry + 2 * rows * u;
      int pzr = rhc + rows * u;
      int pH = pzr + 2 * rows * u;
      int rzr = pH + rows * u;
      int rH = rzr + 2 * u * u;
      int gzr = rH + u * u;
      int gH = gzr + 2 * u * u;
      Arrays.fill(w, carry, carry + rows * u, 0f);
      for (int t = steps - 1; t >= 0; t--) {
        for (int r = 0; r < rows; r++) {
          int row = r * steps + t;
          int zr = row * width;
          int ar = a + zr;
          int hpr = hp + row * u;
          int cr = carry + r * u;
          int gz = pzr + r * 2 * u;
          int gh = pH + r * u;
          stepGradient(s, dOut, r, t, w, cr, gh);
          for (int j = 0; j < u; j++) {
            float dh = w[gh + j];
            float z = w[ar + j];
            w[gz + j] = dh * (w[hpr + j] - w[ar + 2 * u + j]);
            w[gh + j] = dh * (1 - z);
            w[cr + j] = dh * z;
          }
          derivative(act, w, zr + 2 * u, ar + 2 * u, gh, u);
        }
        if (t > 0) {
          // The gradient of r h_{t-1}.
          Blas.gemm(false, true, rows, u, u, 1f, w, pH, w, rH, 0f, w, rhc);
        }
        for (int r = 0; r < rows; r++) {
          int row = r * steps + t;
          int zr = row * width;
          int ar = a + zr;
          int hpr = hp + row * u;
          int gz = pzr + r * 2 * u;
          for (int j = 0; j < u; j++) {
            if (t > 0) {
              float drh = w[rhc + r * u + j];
              w[gz + u + j] = drh * w[hpr + j];
              w[carry + r * u + j] += drh * w[ar + u + j];
            } else {
              w[gz + u + j] = 0f;
            }
          }
          derivative(gate, w, zr, ar, gz, 2 * u);
          System.arraycopy(w, gz, w, zr, 2 * u);
          System.arraycopy(w, pH + r * u, w, zr + 2 * u, u);
          System.arraycopy(w, gz, w, dzr + row * 2 * u, 2 * u);
          System.arraycopy(w, pH + r * u, w, dzh + row * u, u);
        }
        if (t > 0) {
          Blas.gemm(false, true, rows, u, 2 * u, 1f, w, pzr, w, rzr, 1f, w, carry);
        }
      }
      Blas.gemm(true, false, u, 2 * u, n, 1f, w, hp, w, dzr, 0f, w, gzr);
      Blas.gemm(true, false, u, u, n, 1f, w, rh, w, dzh, 0f, w, gH);
      for (int i = 0; i < u; i++) {
        int to = recurrent + i * width;
        for (int j = 0; j < 2 * u; j++) {
          grad[to + j] += w[gzr + i * 2 * u + j];
        }
        for (int j = 0; j < u; j++) {
          grad[to + 2 * u + j] += w[gH + i * u + j];
        }
      }
      inputGradients(s, params, x, xOff, rows, kernel, bias, width, w, dIn, grad);
    }
  }
}
