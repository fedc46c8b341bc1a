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
 * {@link Conv2D} and {@link MaxPooling2D} against a direct convolution and pooling in double
 * written here (not im2col, not BLAS): the forward pass, and the backward pass against central
 * differences of {@code L = sum(out * G)} in double for a fixed random {@code G}, for each padding,
 * stride and dilation. Each check is also run on the kernel with its backward pass broken on
 * purpose (one gradient value off by 1%), and must fail there.
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
        new Case("max_pooling2d 2 valid", new int[] {6, 5, 2}, MaxPooling2D.of(2)),
        new Case(
            "max_pooling2d 3x2 strides (2, 1) same",
            new int[] {7, 5, 2},
            new MaxPooling2D(List.of(3, 2), List.of(2, 1), Padding.SAME, 0)));
  }

  private static ModelSpec spec(Case c) {
    return new ModelSpec(
        List.of(c.layer(), Flatten.of()), java.util.Arrays.stream(c.shape()).boxed().toList());
  }

  /** The layer's output in double, computed directly from its definition. */
  static double[] reference(Case c, double[] params, double[] x, int rows) {
    ModelSpec spec = spec(c);
    ParameterLayout layout = spec.layout();
    int[] in = c.shape();
    int[] out = layout.outputShapes()[0];
    double[] y = new double[rows * Layer.size(out)];
    int h = in[0];
    int w = in[1];
    int ch = in[2];
    if (c.layer() instanceof Conv2D conv) {
      int kh = conv.kernelSize().get(0);
      int kw = conv.kernelSize().get(1);
      int sh = conv.strides().get(0);
      int sw = conv.strides().get(1);
      int dh = conv.dilationRate().get(0);
      int dw = conv.dilationRate().get(1);
      // TensorFlow's 'same': pad_total = max((ceil(in / s) - 1) s + (k - 1) d + 1 - in, 0).
      int top = 0;
      int left = 0;
      if (conv.padding() == Padding.SAME) {
        top = Math.max((out[0] - 1) * sh + (kh - 1) * dh + 1 - h, 0) / 2;
        left = Math.max((out[1] - 1) * sw + (kw - 1) * dw + 1 - w, 0) / 2;
      }
      int kernel = layout.offset(0, "kernel");
      int bias = layout.offset(0, "bias");
      int f = conv.filters();
      for (int r = 0; r < rows; r++) {
        for (int oy = 0; oy < out[0]; oy++) {
          for (int ox = 0; ox < out[1]; ox++) {
            for (int o = 0; o < f; o++) {
              double z = bias >= 0 ? params[bias + o] : 0;
              for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                  int yy = oy * sh + i * dh - top;
                  int xx = ox * sw + j * dw - left;
                  if (yy < 0 || yy >= h || xx < 0 || xx >= w) {
                    continue;
                  }
                  for (int k = 0; k < ch; k++) {
                    z +=
                        x[r * h * w * ch + (yy * w + xx) * ch + k]
                            * params[kernel + ((i * kw + j) * ch + k) * f + o];
                  }
                }
              }
              y[r * Layer.size(out) + (oy * out[1] + ox) * f + o] =
                  conv.activation() == Activation.TANH ? Math.tanh(z) : z;
            }
          }
        }
      }
    } else {
      MaxPooling2D pool = (MaxPooling2D) c.layer();
      int ph = pool.poolSize().get(0);
      int pw = pool.poolSize().get(1);
      int sh = pool.effectiveStrides().get(0);
      int sw = pool.effectiveStrides().get(1);
      int top = 0;
      int left = 0;
      if (pool.padding() == Padding.SAME) {
        top = Math.max((out[0] - 1) * sh + ph - h, 0) / 2;
        left = Math.max((out[1] - 1) * sw + pw - w, 0) / 2;
      }
      for (int r = 0; r < rows; r++) {
        for (int oy = 0; oy < out[0]; oy++) {
          for (int ox = 0; ox < out[1]; ox++) {
            for (int k = 0; k < ch; k++) {
              double best = Double.NEGATIVE_INFINITY;
              for (int i = 0; i < ph; i++) {
                for (int j = 0; j < pw; j++) {
                  int yy = oy * sh + i - top;
                  int xx = ox * sw + j - left;
                  if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
                    best = Math.max(best, x[r * h * w * ch + (yy * w + xx) * ch + k]);
                  }
                }
              }
              y[r * Layer.size(out) + (oy * out[1] + ox) * ch + k] = best;
            }
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
    Kernel real = bind(c);
    Kernel broken =
        new Kernel() {
          @Override
          public int scratch(int rows) {
            return real.scratch(rows);
          }

          @Override
          public void forward(
              float[] params,
              float[] in,
              int inOff,
              int rows,
              float[] out,
              float[] s,
              Workspace ws) {
            real.forward(params, in, inOff, rows, out, s, ws);
          }

          @Override
          public void backward(
              float[] params,
              float[] in,
              int inOff,
              int rows,
              float[] out,
              float[] s,
              float[] dOut,
              float[] dIn,
              float[] grad,
              Workspace ws) {
            real.backward(params, in, inOff, rows, out, s, dOut, dIn, grad, ws);
            // Broken on purpose: the input gradient of the last value 1% off.
            float[] target = dIn;
            int at = target.length - 1;
            while (at > 0 && target[at] == 0) {
              at--;
            }
            target[at] *= 1.01f;
          }
        };
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
