package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The convolutions ({@link Conv2D}, {@link Conv1D}) and poolings (max, average, global; 1-D and
 * 2-D) against a direct convolution and pooling in double written here (not im2col, not BLAS): the
 * forward pass, and the backward pass against central differences of {@code L = sum(out * G)} in
 * double for a fixed random {@code G}, for each padding, stride and dilation. Each check is also
 * run on the kernel with its backward pass broken on purpose (the largest input gradient off by
 * 1%), and must fail there.
 */
class ConvolutionTest {

  /** One layer on an input of {@code shape}. */
  record Case(String name, int[] shape, Layer layer) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    Conv2D c = Conv2D.of(3, 3, "tanh");
    Conv1D c1 = Conv1D.of(3, 3, "tanh");
    return Stream.of(
        new Case("conv2d 3x3 valid", new int[] {6, 5, 2}, c),
        new Case(
            "conv2d 3x3 same",
            new int[] {6, 5, 2},
            c.with(List.of(1, 1), Padding.SAME, List.of(1, 1))),
        new Case(
            "conv2d 3x3 strides 2 same",
            new int[] {7, 6, 2},
            c.with(List.of(2, 2), Padding.SAME, List.of(1, 1))),
        new Case(
            "conv2d 3x3 strides (2, 1) valid",
            new int[] {7, 6, 2},
            c.with(List.of(2, 1), Padding.VALID, List.of(1, 1))),
        new Case(
            "conv2d 2x2 dilation 2 valid, no bias",
            new int[] {6, 6, 3},
            Conv2D.of(2, 2, "linear")
                .with(List.of(1, 1), Padding.VALID, List.of(2, 2))
                .withUseBias(false)),
        new Case(
            "conv2d 3x3 dilation (2, 1) same",
            new int[] {6, 5, 2},
            c.with(List.of(1, 1), Padding.SAME, List.of(2, 1))),
        new Case("conv1d 3 valid", new int[] {7, 2}, c1),
        new Case(
            "conv1d 4 same (padding 1 before, 2 after)",
            new int[] {7, 2},
            Conv1D.of(3, 4, "tanh").with(1, Padding.SAME, 1, true)),
        new Case(
            "conv1d 3 strides 2 same, odd length",
            new int[] {8, 3},
            c1.with(2, Padding.SAME, 1, true)),
        new Case("conv1d 3 strides 3 valid", new int[] {10, 2}, c1.with(3, Padding.VALID, 1, true)),
        new Case(
            "conv1d 2 dilation 3 valid, no bias",
            new int[] {9, 3},
            Conv1D.of(2, 2, "linear").with(1, Padding.VALID, 3, false)),
        new Case("conv1d 3 dilation 2 same", new int[] {7, 2}, c1.with(1, Padding.SAME, 2, true)),
        new Case(
            "conv1d 3 dilation 2 causal", new int[] {7, 2}, c1.with(1, Padding.CAUSAL, 2, true)),
        new Case(
            "conv1d 3 strides 2 causal", new int[] {8, 2}, c1.with(2, Padding.CAUSAL, 1, true)),
        new Case("max_pooling2d 2 valid", new int[] {6, 5, 2}, MaxPooling2D.of(2)),
        new Case(
            "max_pooling2d 3x2 strides (2, 1) same",
            new int[] {7, 5, 2},
            new MaxPooling2D(List.of(3, 2), List.of(2, 1), Padding.SAME, 0)),
        new Case("max_pooling1d 2 valid, odd length", new int[] {7, 3}, MaxPooling1D.of(2)),
        new Case(
            "max_pooling1d 3 strides 2 same",
            new int[] {8, 2},
            new MaxPooling1D(List.of(3), List.of(2), Padding.SAME, 0)),
        new Case("average_pooling1d 2 valid", new int[] {7, 3}, AveragePooling1D.of(2)),
        new Case(
            "average_pooling1d 3 strides 2 same (edge windows of 2)",
            new int[] {8, 2},
            new AveragePooling1D(List.of(3), List.of(2), Padding.SAME, 0)),
        new Case(
            "average_pooling1d 4 strides 1 same",
            new int[] {6, 2},
            new AveragePooling1D(List.of(4), List.of(1), Padding.SAME, 0)),
        new Case("average_pooling2d 2 valid", new int[] {6, 5, 2}, AveragePooling2D.of(2)),
        new Case(
            "average_pooling2d 3x2 strides (2, 1) same",
            new int[] {7, 5, 2},
            new AveragePooling2D(List.of(3, 2), List.of(2, 1), Padding.SAME, 0)),
        new Case(
            "average_pooling2d 2x3 strides (1, 2) valid",
            new int[] {5, 7, 2},
            new AveragePooling2D(List.of(2, 3), List.of(1, 2), Padding.VALID, 0)),
        new Case("global_average_pooling1d", new int[] {5, 3}, GlobalAveragePooling1D.of()),
        new Case(
            "global_average_pooling2d keepdims",
            new int[] {4, 3, 2},
            new GlobalAveragePooling2D(true, 0)),
        new Case("global_max_pooling1d", new int[] {5, 3}, GlobalMaxPooling1D.of()),
        new Case("global_max_pooling2d", new int[] {4, 3, 2}, GlobalMaxPooling2D.of()),
        new Case(
            "global_max_pooling1d keepdims", new int[] {6, 2}, new GlobalMaxPooling1D(true, 0)));
  }

  private static ModelSpec spec(Case c) {
    return new ModelSpec(
        List.of(c.layer(), Flatten.of()), java.util.Arrays.stream(c.shape()).boxed().toList());
  }

  /**
   * A layer's window over its input seen as an image {@code [h, w, ch]} (a sequence has height 1),
   * written here from Keras' definitions: window, strides, dilation, the padding before, the output
   * positions {@code oh x ow} and channels {@code f}.
   */
  record Geometry(
      int h,
      int w,
      int ch,
      int kh,
      int kw,
      int sh,
      int sw,
      int dh,
      int dw,
      int top,
      int left,
      int oh,
      int ow,
      int f) {

    /** Valid: floor((in - (k - 1) d - 1) / s) + 1; same and causal: ceil(in / s). */
    static int out(int in, int k, int s, int d, Padding p) {
      return p == Padding.VALID ? (in - (k - 1) * d - 1) / s + 1 : (in + s - 1) / s;
    }

    /** TensorFlow's 'same': pad_total = max((ceil(in / s) - 1) s + (k - 1) d + 1 - in, 0). */
    static int sameBefore(int in, int k, int s, int d) {
      int out = (in + s - 1) / s;
      return Math.max((out - 1) * s + (k - 1) * d + 1 - in, 0) / 2;
    }

    static Geometry of(Layer layer, int[] shape) {
      int[] in = shape.length == 2 ? new int[] {1, shape[0], shape[1]} : shape;
      List<Integer> k;
      List<Integer> s;
      List<Integer> d = List.of(1, 1);
      Padding p;
      int f = in[2];
      if (layer instanceof Conv2D conv) {
        k = conv.kernelSize();
        s = conv.strides();
        d = conv.dilationRate();
        p = conv.padding();
        f = conv.filters();
      } else if (layer instanceof Conv1D conv) {
        k = List.of(1, conv.kernelSize().get(0));
        s = List.of(1, conv.strides().get(0));
        d = List.of(1, conv.dilationRate().get(0));
        p = conv.padding();
        f = conv.filters();
      } else if (layer instanceof MaxPooling2D pool) {
        k = pool.poolSize();
        s = pool.effectiveStrides();
        p = pool.padding();
      } else if (layer instanceof AveragePooling2D pool) {
        k = pool.poolSize();
        s = pool.effectiveStrides();
        p = pool.padding();
      } else if (layer instanceof MaxPooling1D pool) {
        k = List.of(1, pool.poolSize().get(0));
        s = List.of(1, pool.effectiveStrides().get(0));
        p = pool.padding();
      } else if (layer instanceof AveragePooling1D pool) {
        k = List.of(1, pool.poolSize().get(0));
        s = List.of(1, pool.effectiveStrides().get(0));
        p = pool.padding();
      } else {
        // A global pooling: one window over everything.
        k = List.of(in[0], in[1]);
        s = List.of(1, 1);
        p = Padding.VALID;
      }
      int top = 0;
      int left = 0;
      if (p == Padding.SAME) {
        top = sameBefore(in[0], k.get(0), s.get(0), d.get(0));
        left = sameBefore(in[1], k.get(1), s.get(1), d.get(1));
      } else if (p == Padding.CAUSAL) {
        left = (k.get(1) - 1) * d.get(1);
      }
      return new Geometry(
          in[0],
          in[1],
          in[2],
          k.get(0),
          k.get(1),
          s.get(0),
          s.get(1),
          d.get(0),
          d.get(1),
          top,
          left,
          out(in[0], k.get(0), s.get(0), d.get(0), p),
          out(in[1], k.get(1), s.get(1), d.get(1), p),
          f);
    }
  }

  /** The layer's output in double, computed directly from its definition. */
  static double[] reference(Case c, double[] params, double[] x, int rows) {
    ParameterLayout layout = spec(c).layout();
    Geometry g = Geometry.of(c.layer(), c.shape());
    int h = g.h();
    int w = g.w();
    int ch = g.ch();
    int f = g.f();
    int outSize = g.oh() * g.ow() * f;
    double[] y = new double[rows * outSize];
    Layer layer = c.layer();
    boolean conv = layer instanceof Conv2D || layer instanceof Conv1D;
    boolean average =
        layer instanceof AveragePooling1D
            || layer instanceof AveragePooling2D
            || layer instanceof GlobalAveragePooling1D
            || layer instanceof GlobalAveragePooling2D;
    int kernel = layout.offset(0, "kernel");
    int bias = layout.offset(0, "bias");
    for (int r = 0; r < rows; r++) {
      for (int oy = 0; oy < g.oh(); oy++) {
        for (int ox = 0; ox < g.ow(); ox++) {
          for (int o = 0; o < f; o++) {
            double z = conv && bias >= 0 ? params[bias + o] : 0;
            double best = Double.NEGATIVE_INFINITY;
            int taken = 0;
            for (int i = 0; i < g.kh(); i++) {
              for (int j = 0; j < g.kw(); j++) {
                int yy = oy * g.sh() + i * g.dh() - g.top();
                int xx = ox * g.sw() + j * g.dw() - g.left();
                if (yy < 0 || yy >= h || xx < 0 || xx >= w) {
                  continue;
                }
                int at = r * h * w * ch + (yy * w + xx) * ch;
                if (conv) {
                  for (int k = 0; k < ch; k++) {
                    z += x[at + k] * params[kernel + ((i * g.kw() + j) * ch + k) * f + o];
                  }
                } else {
                  z += x[at + o];
                  best = Math.max(best, x[at + o]);
                  taken++;
                }
              }
            }
            double v =
                conv
                    ? (layer.activation() == Activation.TANH ? Math.tanh(z) : z)
                    : average ? z / taken : best;
            y[r * outSize + (oy * g.ow() + ox) * f + o] = v;
          }
        }
      }
    }
    return y;
  }

  /** The analytic gradients of {@code sum(out * g)}: the weights', then the inputs'. */
  record Gradients(float[] weights, float[] inputs) {}

  static Gradients analytic(
      Kernel kernel, ParameterLayout layout, float[] p, float[] x, float[] g, int rows) {
    float[] out = new float[rows * layout.outputs()[0]];
    float[] scratch = new float[kernel.scratch(rows)];
    kernel.forward(p, x, 0, rows, out, scratch, null);
    float[] grad = new float[p.length];
    float[] dIn = new float[x.length];
    kernel.backward(p, x, 0, rows, out, scratch, g.clone(), dIn, grad, null);
    return new Gradients(grad, dIn);
  }

  private static double loss(Case c, double[] p, double[] x, double[] g, int rows) {
    double[] y = reference(c, p, x, rows);
    double s = 0;
    for (int i = 0; i < y.length; i++) {
      s += y[i] * g[i];
    }
    return s;
  }

  private static double[] doubles(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i];
    }
    return d;
  }

  /**
   * The largest difference between the analytic gradients and central differences ({@code h = 1e-6}
   * in double), relative to the largest gradient.
   */
  static double check(Case c, Kernel kernel, Random random) {
    ModelSpec spec = spec(c);
    ParameterLayout layout = spec.layout();
    int rows = 3;
    float[] p = new float[layout.size()];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) (0.4 * random.nextGaussian());
    }
    float[] x = new float[rows * layout.inputs()[0]];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    float[] g = new float[rows * layout.outputs()[0]];
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) random.nextGaussian();
    }
    Gradients a = analytic(kernel, layout, p, x, g, rows);
    double[] pd = doubles(p);
    double[] xd = doubles(x);
    double[] gd = doubles(g);
    double step = 1e-6;
    double worst = 0;
    double largest = 1e-12;
    for (int which = 0; which < 2; which++) {
      double[] v = which == 0 ? pd : xd;
      float[] analytic = which == 0 ? a.weights() : a.inputs();
      for (int i = 0; i < v.length; i++) {
        double keep = v[i];
        v[i] = keep + step;
        double up = loss(c, pd, xd, gd, rows);
        v[i] = keep - step;
        double down = loss(c, pd, xd, gd, rows);
        v[i] = keep;
        double numeric = (up - down) / (2 * step);
        worst = Math.max(worst, Math.abs(numeric - analytic[i]));
        largest = Math.max(largest, Math.abs(numeric));
      }
    }
    return worst / largest;
  }

  private static Kernel bind(Case c) {
    ModelSpec spec = spec(c);
    return c.layer().kernel(new Binding(spec.layout(), 0, c.layer().activation(), 1));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void theForwardPassIsTheDirectComputationInDouble(Case c) {
    ModelSpec spec = spec(c);
    ParameterLayout layout = spec.layout();
    Random random = new Random(5);
    int rows = 4;
    float[] p = new float[layout.size()];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) random.nextGaussian();
    }
    float[] x = new float[rows * layout.inputs()[0]];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    float[] out = new float[rows * layout.outputs()[0]];
    Kernel kernel = bind(c);
    kernel.forward(p, x, 0, rows, out, new float[kernel.scratch(rows)], null);
    double[] expected = reference(c, doubles(p), doubles(x), rows);
    assertEquals(expected.length, out.length, c + ": the output's width");
    double worst = 0;
    for (int i = 0; i < out.length; i++) {
      worst = Math.max(worst, Math.abs(out[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
    }
    assertTrue(worst < 1e-5, c + ": forward differs by " + worst);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void theBackwardPassAgreesWithCentralDifferencesAndABrokenOneDoesNot(Case c) {
    double error = check(c, bind(c), new Random(7));
    assertTrue(error < 1e-4, c + ": relative gradient error " + error);
    Kernel broken =
        BrokenBackward.after(
            bind(c),
            (dIn, grad) -> {
              // Broken on purpose: the largest input gradient 1% off (a small one's 1% could hide
              // below the check's tolerance).
              int at = 0;
              for (int i = 1; i < dIn.length; i++) {
                if (Math.abs(dIn[i]) > Math.abs(dIn[at])) {
                  at = i;
                }
              }
              dIn[at] *= 1.01f;
            });
    double brokenError = check(c, broken, new Random(7));
    assertTrue(brokenError > 1e-4, c + ": the broken backward pass passed with " + brokenError);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void aRowGivesTheSameOutputInABatchOfTwoAsAloneThroughOneScratch(Case c) {
    // Two batches through one scratch buffer give the results of separate buffers.
    Kernel kernel = bind(c);
    ParameterLayout layout = spec(c).layout();
    Random random = new Random(3);
    float[] p = new float[layout.size()];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) random.nextGaussian();
    }
    float[] x = new float[2 * layout.inputs()[0]];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    float[] shared = new float[kernel.scratch(2)];
    float[] both = new float[2 * layout.outputs()[0]];
    kernel.forward(p, x, 0, 2, both, shared, null);
    float[] second = new float[layout.outputs()[0]];
    kernel.forward(p, x, layout.inputs()[0], 1, second, shared, null);
    assertArrayEquals(
        java.util.Arrays.copyOfRange(both, layout.outputs()[0], both.length), second, 0f);
    assertEquals(2 * layout.outputs()[0], both.length);
  }
}
