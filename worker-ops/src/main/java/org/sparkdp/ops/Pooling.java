package org.sparkdp.ops;

import java.util.Arrays;
import java.util.List;

/**
 * What every pooling layer computes, given its kind's settings: the largest value ({@code max}) or
 * the mean ({@code average}) of each channel over a window of a sequence {@code [T, C]} ({@code
 * rank} 1, seen as an image of height 1) or an image {@code [H, W, C]} ({@code rank} 2). A global
 * pooling's window is the whole input. Windows with {@code same} padding take only the input's
 * values: a maximum ignores the padding and a mean divides by the values it took (as Keras does).
 *
 * @param type the layer's configuration type, for messages
 * @param rank 1 for sequences, 2 for images
 * @param average the mean if true, else the maximum
 * @param poolSize the window, or {@code null} for a global pooling
 * @param strides the steps between windows (ignored for a global pooling)
 * @param padding valid or same (ignored for a global pooling)
 * @param keepdims whether a global pooling keeps its spatial axes as 1s
 */
record Pooling(
    String type,
    int rank,
    boolean average,
    List<Integer> poolSize,
    List<Integer> strides,
    Padding padding,
    boolean keepdims) {

  /** A 1-D layer's {@code pool_size}: 2 or [2]. */
  static final Setting<List<Integer>> POOL_SIZE_1D =
      Setting.tuple("pool_size", 1, List.of(2), "the window's length");

  /** A 1-D layer's {@code strides}: the pool size unless given. */
  static final Setting<List<Integer>> STRIDES_1D =
      Setting.tuple("strides", 1, null, "the step between windows").optional().shownAs("pool_size");

  /** A global pooling's {@code keepdims}. */
  static final Setting<Boolean> KEEPDIMS =
      Setting.bool(
          "keepdims",
          false,
          "whether the output keeps the spatial axes as 1s: [1, C] for a sequence, [1, 1, C] for an"
              + " image");

  /** Keras' fixed keys of a pooling layer. */
  static final java.util.Map<String, List<com.fasterxml.jackson.databind.JsonNode>> FIXED =
      Layer.Kind.fixed("data_format", Arrays.asList("channels_last", null));

  /** A window pooling of {@code pool_size} with {@code strides}. */
  static Pooling window(
      String type,
      int rank,
      boolean average,
      List<Integer> poolSize,
      List<Integer> strides,
      Padding padding) {
    return new Pooling(type, rank, average, poolSize, strides, padding, false);
  }

  /** A global pooling: one window over the whole input. */
  static Pooling global(String type, int rank, boolean average, boolean keepdims) {
    return new Pooling(type, rank, average, null, null, Padding.VALID, keepdims);
  }

  /** Checks a pooling's {@code input_dim}: 0 (not given) or positive. */
  static void checkInputDim(int inputDim) {
    if (inputDim != 0) {
      Layer.INPUT_DIM.check(inputDim);
    }
  }

  /** The message of a pooling given {@code input_dim}. */
  ConfigException noInputDim() {
    return new ConfigException(
        type
            + " takes "
            + (rank == 1 ? "a sequence [steps, features]" : "an image [height, width, channels]")
            + ": give input_shape, not input_dim");
  }

  /** The output shape for {@code in}: the windows' positions, then the channels. */
  int[] outputShape(int[] in) {
    Conv2D.checkShape(in, rank, type);
    int c = in[rank];
    if (poolSize == null) {
      int[] out = new int[keepdims ? rank + 1 : 1];
      Arrays.fill(out, 1);
      out[out.length - 1] = c;
      return out;
    }
    int[] out =
        Arrays.copyOf(
            Conv2D.Window.outputs(
                in,
                "pool_size",
                poolSize,
                strides,
                java.util.Collections.nCopies(rank, 1),
                padding),
            rank + 1);
    out[rank] = c;
    return out;
  }

  /** The window over the input {@code in} (a sequence as an image of height 1). */
  Conv2D.Window window(int[] in) {
    int[] image = rank == 1 ? Conv2D.Window.row(in) : in;
    if (poolSize == null) {
      return new Conv2D.Window(
          image[0], image[1], image[2], 1, 1, image[0], image[1], 1, 1, 1, 1, 0, 0);
    }
    int[] out = outputShape(in);
    List<Integer> ones = List.of(1, 1);
    return rank == 1
        ? Conv2D.Window.of(
            image,
            Conv2D.Window.row(out),
            Conv2D.Window.row(poolSize),
            Conv2D.Window.row(strides),
            ones,
            padding)
        : Conv2D.Window.of(image, out, poolSize, strides, ones, padding);
  }

  /** The kernel for the layer's binding. */
  Kernel kernel(Binding b) {
    Conv2D.Window win = window(b.inShape());
    return average ? new AverageKernel(win) : new MaxKernel(win);
  }

  /**
   * ONNX's {@code MaxPool} or {@code AveragePool} (explicit pads, which neither takes as a value:
   * {@code count_include_pad} 0) between transposes to NCHW and back; a global pooling is {@code
   * GlobalMaxPool} or {@code GlobalAveragePool}, whose {@code [N, C, 1, 1]} is already the flat
   * row.
   */
  String onnx(OnnxGraph g, String x) {
    Conv2D.Window win = window(g.inputShape());
    String name = g.name();
    String nchw = win.nchw(g, x);
    if (poolSize == null) {
      String pool =
          g.node(average ? "GlobalAveragePool" : "GlobalMaxPool", name + "/pool", List.of(nchw));
      return g.reshape(pool, name + "/flat", win.c());
    }
    String pool =
        average
            ? g.node(
                "AveragePool",
                name + "/pool",
                List.of(nchw),
                OnnxGraph.Attribute.ints("kernel_shape", win.kh(), win.kw()),
                OnnxGraph.Attribute.ints("strides", win.sh(), win.sw()),
                OnnxGraph.Attribute.ints("pads", win.pads()),
                OnnxGraph.Attribute.of("count_include_pad", 0L))
            : g.node(
                "MaxPool",
                name + "/pool",
                List.of(nchw),
                OnnxGraph.Attribute.ints("kernel_shape", win.kh(), win.kw()),
                OnnxGraph.Attribute.ints("strides", win.sh(), win.sw()),
                OnnxGraph.Attribute.ints("pads", win.pads()));
    return win.flat(g, pool, win.c());
  }

  /**
   * The largest value of each window and channel; the index (within its example) of the input that
   * gave it is kept in scratch for backward, which adds each output's gradient there. Of equal
   * values the first (in row-major order) wins, as TensorFlow's does.
   */
  record MaxKernel(Conv2D.Window win) implements Kernel {
    @Override
    public int scratch(int rows) {
      return rows * win.positions() * win.c();
    }

    @Override
    public void forward(
        float[] params, float[] x, int xOff, int rows, float[] out, float[] argmax, Workspace ws) {
      int c = win.c();
      int w = win.w();
      int inSize = win.h() * w * c;
      int at = 0;
      for (int r = 0; r < rows; r++) {
        int base = xOff + r * inSize;
        for (int oy = 0; oy < win.oh(); oy++) {
          for (int ox = 0; ox < win.ow(); ox++) {
            // Channels innermost: each tap compares c contiguous values.
            boolean first = true;
            for (int y = win.rowFrom(oy); y < win.rowTo(oy); y++) {
              for (int xx = win.colFrom(ox); xx < win.colTo(ox); xx++) {
                int idx = (y * w + xx) * c;
                int from = base + idx;
                for (int k = 0; k < c; k++) {
                  float v = x[from + k];
                  if (first || v > out[at + k]) {
                    out[at + k] = v;
                    argmax[at + k] = Float.intBitsToFloat(idx + k); // exact past 2^24
                  }
                }
                first = false;
              }
            }
            at += c;
          }
        }
      }
    }

    @Override
    public void backward(
        float[] params,
        float[] x,
        int xOff,
        int rows,
        float[] out,
        float[] argmax,
        float[] dOut,
        float[] dIn,
        float[] grad,
        Workspace ws) {
      if (dIn == null) {
        return;
      }
      int inSize = win.h() * win.w() * win.c();
      int outSize = win.positions() * win.c();
      Arrays.fill(dIn, 0, rows * inSize, 0f);
      for (int r = 0; r < rows; r++) {
        for (int o = 0; o < outSize; o++) {
          int at = r * outSize + o;
          dIn[r * inSize + Float.floatToRawIntBits(argmax[at])] += dOut[at];
        }
      }
    }
  }

  /**
   * The mean of each window and channel over the input values it covers (padding excluded);
   * backward spreads each output's gradient evenly over those values. No scratch.
   */
  record AverageKernel(Conv2D.Window win) implements Kernel {
    @Override
    public int scratch(int rows) {
      return 0;
    }

    @Override
    public void forward(
        float[] params, float[] x, int xOff, int rows, float[] out, float[] scratch, Workspace ws) {
      int c = win.c();
      int w = win.w();
      int inSize = win.h() * w * c;
      int at = 0;
      for (int r = 0; r < rows; r++) {
        int base = xOff + r * inSize;
        for (int oy = 0; oy < win.oh(); oy++) {
          for (int ox = 0; ox < win.ow(); ox++) {
            Arrays.fill(out, at, at + c, 0f);
            for (int y = win.rowFrom(oy); y < win.rowTo(oy); y++) {
              for (int xx = win.colFrom(ox); xx < win.colTo(ox); xx++) {
                int from = base + (y * w + xx) * c;
                for (int k = 0; k < c; k++) {
                  out[at + k] += x[from + k];
                }
              }
            }
            float count = win.taps(oy, ox);
            for (int k = 0; k < c; k++) {
              out[at + k] /= count;
            }
            at += c;
          }
        }
      }
    }

    @Override
    public void backward(
        float[] params,
        float[] x,
        int xOff,
        int rows,
        float[] out,
        float[] scratch,
        float[] dOut,
        float[] dIn,
        float[] grad,
        Workspace ws) {
      if (dIn == null) {
        return;
      }
      int c = win.c();
      int w = win.w();
      int inSize = win.h() * w * c;
      Arrays.fill(dIn, 0, rows * inSize, 0f);
      int at = 0;
      for (int r = 0; r < rows; r++) {
        int base = r * inSize;
        for (int oy = 0; oy < win.oh(); oy++) {
          for (int ox = 0; ox < win.ow(); ox++) {
            float count = win.taps(oy, ox);
            for (int y = win.rowFrom(oy); y < win.rowTo(oy); y++) {
              for (int xx = win.colFrom(ox); xx < win.colTo(ox); xx++) {
                int to = base + (y * w + xx) * c;
                for (int k = 0; k < c; k++) {
                  dIn[to + k] += dOut[at + k] / count;
                }
              }
            }
            at += c;
          }
        }
      }
    }
  }
}
