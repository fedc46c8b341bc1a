package org.sparkdp.ops;

import java.util.List;

/**
 * Keras' {@code MaxPooling2D}, channels_last: {@code input [batch, H, W, C] -> output [batch, OH,
 * OW, C]}, each output the largest value of its {@code pool_size} window in its channel; {@code
 * same} padding pads with values no window takes. Backward routes each output's gradient to the
 * input that was largest (the first of equal ones), as TensorFlow does.
 *
 * @param poolSize the window's height and width
 * @param strides the steps between windows, or {@code null} for {@code pool_size}
 * @param padding valid or same (see {@link Padding})
 * @param inputDim 0: pooling takes {@code input_shape} on a model's first layer
 */
public record MaxPooling2D(
    List<Integer> poolSize, List<Integer> strides, Padding padding, int inputDim) implements Layer {
  public static final Setting<List<Integer>> POOL_SIZE =
      Setting.pair("pool_size", List.of(2, 2), "the window's height and width");
  public static final Setting<List<Integer>> STRIDES =
      Setting.pair("strides", null, "the steps between windows").optional().shownAs("pool_size");
  public static final RecordSettings<MaxPooling2D> SETTINGS =
      RecordSettings.of(MaxPooling2D.class, POOL_SIZE, STRIDES, Conv2D.PADDING, Layer.INPUT_DIM);

  /** Keras' {@code MaxPooling2D}, channels_last. */
  public static final Kind KIND =
      new Kind(
          "max_pooling2d",
          "MaxPooling2D",
          SETTINGS,
          Kind.fixed("data_format", java.util.Arrays.asList("channels_last", null)));

  public MaxPooling2D {
    POOL_SIZE.check(poolSize);
    poolSize = List.copyOf(poolSize);
    if (strides != null) {
      STRIDES.check(strides);
      strides = List.copyOf(strides);
    }
    Conv2D.PADDING.check(padding);
    if (inputDim != 0) {
      Layer.INPUT_DIM.check(inputDim);
    }
  }

  /** {@code MaxPooling2D(pool_size)}: strides the pool size, valid padding. */
  public static MaxPooling2D of(int poolSize) {
    return new MaxPooling2D(List.of(poolSize, poolSize), null, Padding.VALID, 0);
  }

  /** The strides in effect: {@code pool_size} when not given. */
  public List<Integer> effectiveStrides() {
    return strides != null ? strides : poolSize;
  }

  @Override
  public String type() {
    return "max_pooling2d";
  }

  @Override
  public String className() {
    return "MaxPooling2D";
  }

  @Override
  public MaxPooling2D withInputDim(int dim) {
    throw new ConfigException(
        "max_pooling2d takes an image [height, width, channels]: give input_shape, not input_dim");
  }

  @Override
  public int[] outputShape(int[] in) {
    Conv2D.checkImage(in, "max_pooling2d");
    List<Integer> s = effectiveStrides();
    int oh = padding.out(in[0], poolSize.get(0), s.get(0), 1);
    int ow = padding.out(in[1], poolSize.get(1), s.get(1), 1);
    if (oh <= 0 || ow <= 0) {
      throw new ConfigException(
          "pool_size "
              + poolSize
              + " does not fit an input of shape "
              + java.util.Arrays.toString(in)
              + " with padding valid");
    }
    return new int[] {oh, ow, in[2]};
  }

  @Override
  public List<Weight> weights(int[] in) {
    return List.of();
  }

  @Override
  public boolean drawsNoise() {
    return false;
  }

  @Override
  public Kernel kernel(Binding b) {
    int[] in = b.inShape();
    int[] out = b.outShape();
    List<Integer> s = effectiveStrides();
    return new PoolKernel(
        new Conv2D.Window(
            in[0],
            in[1],
            in[2],
            out[0],
            out[1],
            poolSize.get(0),
            poolSize.get(1),
            s.get(0),
            s.get(1),
            1,
            1,
            padding.before(in[0], poolSize.get(0), s.get(0), 1),
            padding.before(in[1], poolSize.get(1), s.get(1), 1)));
  }

  /**
   * ONNX's {@code MaxPool} between transposes to NCHW and back; explicit pads, which ONNX's MaxPool
   * never takes as a maximum.
   */
  @Override
  public String onnx(OnnxGraph g, String x) {
    int[] in = g.inputShape();
    int[] out = outputShape(in);
    List<Integer> s = effectiveStrides();
    String name = g.name();
    int ph = poolSize.get(0);
    int pw = poolSize.get(1);
    long top = padding.before(in[0], ph, s.get(0), 1);
    long left = padding.before(in[1], pw, s.get(1), 1);
    long bottom = Math.max((long) (out[0] - 1) * s.get(0) + ph - in[0] - top, 0);
    long right = Math.max((long) (out[1] - 1) * s.get(1) + pw - in[1] - left, 0);
    String nhwc = g.reshape(x, name + "/nhwc", in);
    String nchw =
        g.node(
            "Transpose",
            name + "/nchw",
            List.of(nhwc),
            OnnxGraph.Attribute.ints("perm", 0, 3, 1, 2));
    String pool =
        g.node(
            "MaxPool",
            name + "/pool",
            List.of(nchw),
            OnnxGraph.Attribute.ints("kernel_shape", ph, pw),
            OnnxGraph.Attribute.ints("strides", s.get(0), s.get(1)),
            OnnxGraph.Attribute.ints("pads", top, left, bottom, right));
    String back =
        g.node(
            "Transpose",
            name + "/nhwc_out",
            List.of(pool),
            OnnxGraph.Attribute.ints("perm", 0, 2, 3, 1));
    return g.reshape(back, name + "/flat", Layer.size(out));
  }

  /**
   * The largest value of each window and channel; the index (within its example) of the input that
   * gave it is kept in scratch for backward, which adds each output's gradient there. The index is
   * stored as a float's bits ({@link Float#intBitsToFloat}), exact for any index a Java array has.
   * Each window's taps inside the input are found once per window, not tested tap by tap.
   */
  record PoolKernel(Conv2D.Window win) implements Kernel {
    @Override
    public int scratch(int rows) {
      return rows * win.positions() * win.c();
    }

    @Override
    public void forward(
        float[] params, float[] x, int xOff, int rows, float[] out, float[] argmax, Workspace ws) {
      int c = win.c();
      int h = win.h();
      int w = win.w();
      int inSize = h * w * c;
      int at = 0;
      for (int r = 0; r < rows; r++) {
        int base = xOff + r * inSize;
        for (int oy = 0; oy < win.oh(); oy++) {
          int y0 = oy * win.sh() - win.top();
          int iFrom = Math.max(0, -y0);
          int iTo = Math.min(win.kh(), h - y0);
          for (int ox = 0; ox < win.ow(); ox++) {
            int x0 = ox * win.sw() - win.left();
            int jFrom = Math.max(0, -x0);
            int jTo = Math.min(win.kw(), w - x0);
            // Channels innermost: each tap compares c contiguous values; the first maximum wins.
            int first = ((y0 + iFrom) * w + x0 + jFrom) * c;
            for (int k = 0; k < c; k++) {
              out[at + k] = x[base + first + k];
              argmax[at + k] = Float.intBitsToFloat(first + k);
            }
            for (int i = iFrom; i < iTo; i++) {
              for (int j = i == iFrom ? jFrom + 1 : jFrom; j < jTo; j++) {
                int idx = ((y0 + i) * w + x0 + j) * c;
                int from = base + idx;
                for (int k = 0; k < c; k++) {
                  float v = x[from + k];
                  if (v > out[at + k]) {
                    out[at + k] = v;
                    argmax[at + k] = Float.intBitsToFloat(idx + k);
                  }
                }
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
      java.util.Arrays.fill(dIn, 0, rows * inSize, 0f);
      for (int r = 0; r < rows; r++) {
        int base = r * inSize;
        int at = r * outSize;
        for (int o = 0; o < outSize; o++) {
          dIn[base + Float.floatToRawIntBits(argmax[at + o])] += dOut[at + o];
        }
      }
    }
  }
}
