package org.sparkdp.ops;

import java.util.ArrayList;
import java.util.List;

/**
 * Keras' {@code Conv2D}, channels_last: {@code input [batch, H, W, C] -> output [batch, OH, OW,
 * filters]}, {@code y = activation(conv(x, K) + b)} with kernel {@code K [kh, kw, C, filters]} and
 * bias {@code b [filters]} (Keras' layout). Computed as a matrix product: the input's windows are
 * copied into rows ({@code im2col}, {@code [batch * OH * OW, kh * kw * C]}) and multiplied by the
 * kernel seen as {@code [kh * kw * C, filters]} in one {@code sgemm} per batch.
 *
 * @param filters the number of output channels, positive
 * @param kernelSize the window's height and width
 * @param strides the steps between windows (height, width)
 * @param padding valid or same (see {@link Padding})
 * @param dilationRate the spacing of a window's taps (height, width); with strides of 1 only
 * @param activation applied to {@code conv(x, K) + b}
 * @param useBias whether the layer has a bias
 * @param kernelInitializer how the kernel starts (glorot_uniform)
 * @param biasInitializer how the bias starts (zeros)
 * @param kernelRegularizer the kernel's penalty in the loss, or {@code null}
 * @param biasRegularizer the bias' penalty in the loss, or {@code null}
 * @param inputDim 0: a convolution takes {@code input_shape} on a model's first layer
 */
public record Conv2D(
    int filters,
    List<Integer> kernelSize,
    List<Integer> strides,
    Padding padding,
    List<Integer> dilationRate,
    Activation activation,
    boolean useBias,
    Initializer kernelInitializer,
    Initializer biasInitializer,
    Regularizer kernelRegularizer,
    Regularizer biasRegularizer,
    int inputDim)
    implements Layer {
  public static final Setting<Integer> FILTERS =
      Setting.integer("filters", null, 1, "the number of output channels");
  public static final Setting<List<Integer>> KERNEL_SIZE =
      Setting.pair("kernel_size", null, "the window's height and width (3 or [3, 3])");
  public static final Setting<List<Integer>> STRIDES =
      Setting.pair("strides", List.of(1, 1), "the steps between windows");
  public static final Setting<Padding> PADDING =
      Setting.choice(
          "padding",
          List.of(Padding.VALID, Padding.SAME),
          Padding.VALID,
          "valid: whole windows only; same: an output of ceil(input / strides)");
  public static final Setting<List<Integer>> DILATION_RATE =
      Setting.pair("dilation_rate", List.of(1, 1), "the spacing of a window's taps");
  public static final Setting<Activation> ACTIVATION =
      Setting.choice("activation", Activation.class, Activation.LINEAR, "applied to conv + b");
  public static final RecordSettings<Conv2D> SETTINGS =
      RecordSettings.of(
          Conv2D.class,
          FILTERS,
          KERNEL_SIZE,
          STRIDES,
          PADDING,
          DILATION_RATE,
          ACTIVATION,
          Dense.USE_BIAS,
          Dense.KERNEL_INITIALIZER,
          Dense.BIAS_INITIALIZER,
          Dense.KERNEL_REGULARIZER,
          Dense.BIAS_REGULARIZER,
          Layer.INPUT_DIM);

  /** Keras' {@code Conv2D}: channels_last, one group, no constraints. */
  public static final Kind KIND =
      new Kind(
          "conv2d",
          "Conv2D",
          SETTINGS,
          Kind.fixed(
              "data_format",
              java.util.Arrays.asList("channels_last", null),
              "groups",
              1,
              "kernel_constraint",
              null,
              "bias_constraint",
              null));

  public Conv2D {
    FILTERS.check(filters);
    KERNEL_SIZE.check(kernelSize);
    STRIDES.check(strides);
    PADDING.check(padding);
    DILATION_RATE.check(dilationRate);
    ACTIVATION.check(activation);
    Dense.KERNEL_INITIALIZER.check(kernelInitializer);
    Dense.BIAS_INITIALIZER.check(biasInitializer);
    kernelSize = List.copyOf(kernelSize);
    strides = List.copyOf(strides);
    dilationRate = List.copyOf(dilationRate);
    checkStridesOrDilation(strides, dilationRate);
    if (inputDim != 0) {
      Layer.INPUT_DIM.check(inputDim);
    }
  }

  /** {@code Conv2D(filters, kernel_size, activation=...)} with Keras' other defaults. */
  public static Conv2D of(int filters, int kernelSize, String activation) {
    return new Conv2D(
        filters,
        List.of(kernelSize, kernelSize),
        STRIDES.defaultValue(),
        Padding.VALID,
        DILATION_RATE.defaultValue(),
        ACTIVATION.convert(activation, ACTIVATION.key()),
        true,
        Initializer.GLOROT_UNIFORM,
        Initializer.ZEROS,
        null,
        null,
        0);
  }

  /** This layer with other strides, padding and dilation. */
  public Conv2D with(List<Integer> strides, Padding padding, List<Integer> dilationRate) {
    return new Conv2D(
        filters,
        kernelSize,
        strides,
        padding,
        dilationRate,
        activation,
        useBias,
        kernelInitializer,
        biasInitializer,
        kernelRegularizer,
        biasRegularizer,
        inputDim);
  }

  /** This layer with or without a bias. */
  public Conv2D withUseBias(boolean bias) {
    return new Conv2D(
        filters,
        kernelSize,
        strides,
        padding,
        dilationRate,
        activation,
        bias,
        kernelInitializer,
        biasInitializer,
        kernelRegularizer,
        biasRegularizer,
        inputDim);
  }

  @Override
  public String type() {
    return "conv2d";
  }

  @Override
  public String className() {
    return "Conv2D";
  }

  @Override
  public Conv2D withInputDim(int dim) {
    throw new ConfigException(
        "conv2d takes an image [height, width, channels]: give input_shape, not input_dim");
  }

  /** Fails unless {@code in} is {@code [H, W, C]}. */
  static void checkImage(int[] in, String type) {
    checkShape(in, 2, type);
  }

  /**
   * Fails unless {@code in} is a sequence {@code [T, C]} ({@code rank} 1) or an image {@code [H, W,
   * C]} ({@code rank} 2), channels last.
   */
  static void checkShape(int[] in, int rank, String type) {
    if (in.length != rank + 1) {
      throw new ConfigException(
          type
              + (rank == 1
                  ? " takes sequences [steps, features]"
                  : " takes images [height, width, channels]")
              + " (channels_last), not an input of shape "
              + java.util.Arrays.toString(in));
    }
  }

  /** Keras' rule for a convolution: strides or dilation_rate (or both) all 1. */
  static void checkStridesOrDilation(List<Integer> strides, List<Integer> dilationRate) {
    if (strides.stream().anyMatch(s -> s > 1) && dilationRate.stream().anyMatch(d -> d > 1)) {
      throw new ConfigException(
          "strides "
              + strides
              + " and dilation_rate "
              + dilationRate
              + ": one of them must be 1 (as in Keras)");
    }
  }

  @Override
  public int[] outputShape(int[] in) {
    checkImage(in, "conv2d");
    int[] o = Window.outputs(in, "kernel_size", kernelSize, strides, dilationRate, padding);
    return new int[] {o[0], o[1], filters};
  }

  @Override
  public List<Weight> weights(int[] in) {
    checkImage(in, "conv2d");
    List<Weight> weights = new ArrayList<>();
    weights.add(
        new Weight(
            "kernel",
            new int[] {kernelSize.get(0), kernelSize.get(1), in[2], filters},
            kernelInitializer,
            kernelRegularizer));
    if (useBias) {
      weights.add(new Weight("bias", new int[] {filters}, biasInitializer, biasRegularizer));
    }
    return weights;
  }

  @Override
  public boolean drawsNoise() {
    return false;
  }

  @Override
  public Kernel kernel(Binding b) {
    return new Conv2DKernel(
        window(b.inShape()), filters, b.offset("kernel"), b.offset("bias"), b.activation());
  }

  private Window window(int[] in) {
    return Window.of(in, outputShape(in), kernelSize, strides, dilationRate, padding);
  }

  /**
   * ONNX's {@code Conv} on the image (see {@link #onnx(OnnxGraph, String, Window, String, int,
   * boolean, Activation)}).
   */
  @Override
  public String onnx(OnnxGraph g, String x) {
    return onnx(g, x, window(g.inputShape()), g.weight("kernel"), filters, useBias, activation);
  }

  /**
   * ONNX's {@code Conv} between transposes: the flat row reshaped to NHWC, transposed to NCHW, the
   * kernel {@code [kh, kw, C, F]} transposed to {@code [F, C, kh, kw]}, explicit pads, and back to
   * NHWC and the flat row; then the activation. A {@code conv1d} is this on an image of height 1.
   */
  static String onnx(
      OnnxGraph g,
      String x,
      Window win,
      String kernelHwcf,
      int filters,
      boolean useBias,
      Activation activation) {
    String name = g.name();
    String nchw = win.nchw(g, x);
    String kernel =
        g.node(
            "Transpose",
            name + "/kernel_fchw",
            List.of(kernelHwcf),
            OnnxGraph.Attribute.ints("perm", 3, 2, 0, 1));
    List<String> inputs = new ArrayList<>(List.of(nchw, kernel));
    if (useBias) {
      inputs.add(g.weight("bias"));
    }
    String conv =
        g.node(
            "Conv",
            name + "/conv",
            inputs,
            OnnxGraph.Attribute.ints("kernel_shape", win.kh(), win.kw()),
            OnnxGraph.Attribute.ints("strides", win.sh(), win.sw()),
            OnnxGraph.Attribute.ints("dilations", win.dh(), win.dw()),
            OnnxGraph.Attribute.ints("pads", win.pads()));
    return g.activation(activation, win.flat(g, conv, filters));
  }

  /**
   * The geometry of a 2-D window over an {@code [h, w, c]} input giving {@code [oh, ow, *]}: kernel
   * {@code kh x kw}, strides, dilations and the padding before the first row and column.
   */
  record Window(
      int h,
      int w,
      int c,
      int oh,
      int ow,
      int kh,
      int kw,
      int sh,
      int sw,
      int dh,
      int dw,
      int top,
      int left)
      implements java.io.Serializable {

    /**
     * The window of a layer with {@code kernel}, {@code strides} and {@code dilation} (height,
     * width) over an input {@code in} of {@code [h, w, c]} giving {@code out}.
     */
    static Window of(
        int[] in,
        int[] out,
        List<Integer> kernel,
        List<Integer> strides,
        List<Integer> dilation,
        Padding padding) {
      return new Window(
          in[0],
          in[1],
          in[2],
          out[0],
          out[1],
          kernel.get(0),
          kernel.get(1),
          strides.get(0),
          strides.get(1),
          dilation.get(0),
          dilation.get(1),
          padding.before(in[0], kernel.get(0), strides.get(0), dilation.get(0)),
          padding.before(in[1], kernel.get(1), strides.get(1), dilation.get(1)));
    }

    /**
     * The output's spatial sizes for an input {@code in} whose first {@code kernel.size()} axes are
     * spatial; fails naming {@code key} ({@code kernel_size}, {@code pool_size}) when a valid
     * window does not fit.
     */
    static int[] outputs(
        int[] in,
        String key,
        List<Integer> kernel,
        List<Integer> strides,
        List<Integer> dilation,
        Padding padding) {
      int[] out = new int[kernel.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = padding.out(in[i], kernel.get(i), strides.get(i), dilation.get(i));
        if (out[i] <= 0) {
          throw new ConfigException(
              key
                  + " "
                  + kernel
                  + (dilation.stream().allMatch(d -> d == 1)
                      ? ""
                      : " with dilation_rate " + dilation)
                  + " does not fit an input of shape "
                  + java.util.Arrays.toString(in)
                  + " with padding valid");
        }
      }
      return out;
    }

    /** A 1-D layer's list (its kernel, strides, ...) as an image's of height 1: {@code [1, v]}. */
    static List<Integer> row(List<Integer> v) {
      return List.of(1, v.get(0));
    }

    /** A sequence's shape {@code [t, c]} as an image's of height 1: {@code [1, t, c]}. */
    static int[] row(int[] shape) {
      return new int[] {1, shape[0], shape[1]};
    }

    /** ONNX: the flat rows {@code x} as NHWC images transposed to NCHW (ONNX's layout). */
    String nchw(OnnxGraph g, String x) {
      String nhwc = g.reshape(x, g.name() + "/nhwc", h, w, c);
      return g.node(
          "Transpose",
          g.name() + "/nchw",
          List.of(nhwc),
          OnnxGraph.Attribute.ints("perm", 0, 3, 1, 2));
    }

    /** ONNX: the output {@code y [N, channels, oh, ow]} back to NHWC and the flat rows. */
    String flat(OnnxGraph g, String y, int channels) {
      String back =
          g.node(
              "Transpose",
              g.name() + "/nhwc_out",
              List.of(y),
              OnnxGraph.Attribute.ints("perm", 0, 2, 3, 1));
      return g.reshape(back, g.name() + "/flat", positions() * channels);
    }

    /** ONNX's explicit pads: {@code [top, left, bottom, right]}. */
    long[] pads() {
      long bottom = (long) (oh - 1) * sh + (long) (kh - 1) * dh + 1 - h - top;
      long right = (long) (ow - 1) * sw + (long) (kw - 1) * dw + 1 - w - left;
      return new long[] {top, left, Math.max(bottom, 0), Math.max(right, 0)};
    }

    /** The first input row of output row {@code oy}'s window (a pooling's: no dilation). */
    int rowFrom(int oy) {
      return Math.max(oy * sh - top, 0);
    }

    /** The input row after the last of output row {@code oy}'s window. */
    int rowTo(int oy) {
      return Math.min(oy * sh - top + kh, h);
    }

    /** The first input column of output column {@code ox}'s window. */
    int colFrom(int ox) {
      return Math.max(ox * sw - left, 0);
    }

    /** The input column after the last of output column {@code ox}'s window. */
    int colTo(int ox) {
      return Math.min(ox * sw - left + kw, w);
    }

    /** How many input positions the window at {@code (oy, ox)} covers (padding excluded). */
    int taps(int oy, int ox) {
      return (rowTo(oy) - rowFrom(oy)) * (colTo(ox) - colFrom(ox));
    }

    /** Values per window: {@code kh * kw * c}. */
    int patch() {
      return kh * kw * c;
    }

    /** Output positions per example. */
    int positions() {
      return oh * ow;
    }

    /**
     * {@code cols[rows * oh * ow, kh * kw * c]} from {@code x[rows, h, w, c]}: each output
     * position's window, zeros where it reaches into the padding. A window's row inside the input
     * is {@code kw * c} contiguous values, copied in one piece.
     */
    void im2col(float[] x, int xOff, int rows, float[] cols) {
      int patch = patch();
      int rowSpan = kw * c;
      int at = 0;
      for (int r = 0; r < rows; r++) {
        int base = xOff + r * h * w * c;
        for (int oy = 0; oy < oh; oy++) {
          for (int ox = 0; ox < ow; ox++) {
            int x0 = ox * sw - left;
            boolean inside = dw == 1 && x0 >= 0 && x0 + kw <= w;
            for (int i = 0; i < kh; i++) {
              int y = oy * sh - top + i * dh;
              if (y < 0 || y >= h) {
                java.util.Arrays.fill(cols, at, at + rowSpan, 0f);
              } else if (inside) {
                copy(x, base + (y * w + x0) * c, cols, at, rowSpan);
              } else {
                int to = at;
                for (int j = 0; j < kw; j++) {
                  int xx = x0 + j * dw;
                  if (xx < 0 || xx >= w) {
                    java.util.Arrays.fill(cols, to, to + c, 0f);
                  } else {
                    copy(x, base + (y * w + xx) * c, cols, to, c);
                  }
                  to += c;
                }
              }
              at += rowSpan;
            }
          }
        }
      }
      assert at == rows * positions() * patch;
    }

    /**
     * {@code to[toOff ..] = from[fromOff ..]}, {@code n} values: a plain loop for short pieces (a
     * first layer's 3 pixels), where {@code System.arraycopy}'s call costs more than the copy.
     */
    private static void copy(float[] from, int fromOff, float[] to, int toOff, int n) {
      if (n >= 16) {
        System.arraycopy(from, fromOff, to, toOff, n);
      } else {
        for (int k = 0; k < n; k++) {
          to[toOff + k] = from[fromOff + k];
        }
      }
    }

    /**
     * {@code dx[rows, h, w, c] = } the sum of each window's {@code dCols} at its input values,
     * added window by window and tap by tap (a window's row inside the input as one contiguous run
     * of {@code kw * c} sums).
     */
    void col2im(float[] dCols, int rows, float[] dx) {
      col2im(dCols, rows, dx, 0);
    }

    /** {@link #col2im(float[], int, float[])} into {@code dx} from {@code dxOff}. */
    void col2im(float[] dCols, int rows, float[] dx, int dxOff) {
      java.util.Arrays.fill(dx, dxOff, dxOff + rows * h * w * c, 0f);
      int rowSpan = kw * c;
      int at = 0;
      for (int r = 0; r < rows; r++) {
        int base = dxOff + r * h * w * c;
        for (int oy = 0; oy < oh; oy++) {
          for (int ox = 0; ox < ow; ox++) {
            int x0 = ox * sw - left;
            boolean inside = dw == 1 && x0 >= 0 && x0 + kw <= w;
            for (int i = 0; i < kh; i++) {
              int y = oy * sh - top + i * dh;
              if (y >= 0 && y < h) {
                if (inside) {
                  int o = base + (y * w + x0) * c;
                  for (int k = 0; k < rowSpan; k++) {
                    dx[o + k] += dCols[at + k];
                  }
                } else {
                  for (int j = 0; j < kw; j++) {
                    int xx = x0 + j * dw;
                    if (xx >= 0 && xx < w) {
                      int o = base + (y * w + xx) * c;
                      int from = at + j * c;
                      for (int k = 0; k < c; k++) {
                        dx[o + k] += dCols[from + k];
                      }
                    }
                  }
                }
              }
              at += rowSpan;
            }
          }
        }
      }
    }
  }

  /**
   * {@code out = f(im2col(x) K + b)} in one {@code sgemm} of {@code [rows * oh * ow, patch] x
   * [patch, filters]}; backward {@code dZ = dOut * f'(z)}, {@code dK += cols^T dZ}, {@code db +=
   * sum dZ}, {@code dCols = dZ K^T} (into the columns' scratch) and {@code dIn = col2im(dCols)}.
   * Scratch: the columns, then {@code z} unless the activation can do without it: linear, and relu,
   * which is applied in place on the output ({@code relu(z) > 0} exactly where {@code z > 0}, so
   * backward's mask reads the output).
   */
  record Conv2DKernel(Window win, int filters, int kernel, int bias, Activation activation)
      implements Kernel {
    /** Whether {@code z} is computed in the output and needs no scratch of its own. */
    private boolean inPlace() {
      return activation == Activation.LINEAR || activation == Activation.RELU;
    }

    @Override
    public int scratch(int rows) {
      long m = (long) rows * win.positions();
      long n = m * win.patch() + (inPlace() ? 0 : m * filters);
      if (n > Integer.MAX_VALUE - 8) {
        throw new ConfigException(
            "a conv2d layer needs "
                + n
                + " floats of scratch for "
                + rows
                + " examples, more than one array holds (use a smaller batch)");
      }
      return (int) n;
    }

    @Override
    public void forward(
        float[] params, float[] x, int xOff, int rows, float[] out, float[] scratch, Workspace ws) {
      int m = rows * win.positions();
      int patch = win.patch();
      float[] z = inPlace() ? out : scratch;
      int zAt = inPlace() ? 0 : m * patch;
      win.im2col(x, xOff, rows, scratch);
      if (bias >= 0) {
        Kernels.repeatRows(params, bias, z, zAt, m, filters);
      }
      Blas.gemm(
          false,
          false,
          m,
          filters,
          patch,
          1f,
          scratch,
          0,
          params,
          kernel,
          bias >= 0 ? 1f : 0f,
          z,
          zAt);
      activation.apply(z, zAt, out, 0, m, filters);
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
      int m = rows * win.positions();
      int patch = win.patch();
      if (activation == Activation.RELU && bias >= 0) {
        reluAndBiasGradient(out, dz, m, grad);
      } else {
        if (inPlace()) {
          activation.backward(out, 0, out, 0, dz, 0, m, filters);
        } else {
          activation.backward(scratch, m * patch, out, 0, dz, 0, m, filters);
        }
        if (bias >= 0) {
          Kernels.addColumnSums(dz, m, filters, grad, bias);
        }
      }
      Blas.gemm(true, false, patch, filters, m, 1f, scratch, 0, dz, 0, 1f, grad, kernel);
      if (dIn != null) {
        // The columns are spent: their scratch takes dCols.
        Blas.gemm(false, true, m, patch, filters, 1f, dz, 0, params, kernel, 0f, scratch, 0);
        win.col2im(scratch, rows, dIn);
      }
    }

    /**
     * Each example's kernel gradient {@code cols_r^T dZ_r} is materialised in {@code rowGrad} from
     * the forward pass's columns (no second im2col, no forward on one row), its bias gradient is
     * the column sums of {@code dZ_r}, and {@code dIn} is computed example by example through
     * {@code rowScratch}, since the columns must stay for the second backward pass.
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
      int positions = win.positions();
      int m = rows * positions;
      int patch = win.patch();
      if (inPlace()) {
        activation.backward(out, 0, out, 0, dz, 0, m, filters);
      } else {
        activation.backward(scratch, m * patch, out, 0, dz, 0, m, filters);
      }
      int inSize = win.h() * win.w() * win.c();
      for (int r = 0; r < rows; r++) {
        int dzAt = r * positions * filters;
        Blas.gemm(
            true,
            false,
            patch,
            filters,
            positions,
            1f,
            scratch,
            r * positions * patch,
            dz,
            dzAt,
            0f,
            rowGrad,
            kernel);
        double squares = 0;
        for (int i = kernel, end = kernel + patch * filters; i < end; i++) {
          squares += (double) rowGrad[i] * rowGrad[i];
        }
        if (bias >= 0) {
          for (int j = 0; j < filters; j++) {
            double sum = 0;
            for (int p = 0; p < positions; p++) {
              sum += dz[dzAt + p * filters + j];
            }
            squares += sum * sum;
          }
        }
        norms[r] += squares;
        if (dIn != null) {
          Blas.gemm(
              false,
              true,
              positions,
              patch,
              filters,
              1f,
              dz,
              dzAt,
              params,
              kernel,
              0f,
              rowScratch,
              0);
          win.col2im(rowScratch, 1, dIn, r * inSize);
        }
      }
      return true;
    }

    /**
     * Relu's mask and the bias gradient in one pass over {@code dz}: {@code dz = out > 0 ? dz : 0}
     * and {@code db += } its rows, row by row (the order of {@link Kernels#addColumnSums}).
     */
    private void reluAndBiasGradient(float[] out, float[] dz, int m, float[] grad) {
      for (int r = 0; r < m; r++) {
        int o = r * filters;
        for (int j = 0; j < filters; j++) {
          float d = out[o + j] > 0f ? dz[o + j] : 0f;
          dz[o + j] = d;
          grad[bias + j] += d;
        }
      }
    }
  }
}
