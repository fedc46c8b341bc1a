package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link SimpleRNN}, {@link LSTM} and {@link GRU} against Keras' step formulas computed here in
 * double, one example and one step at a time (not the kernels' batched layout, not BLAS): the
 * forward pass, and the backward pass (BPTT) against central differences of {@code L = sum(out *
 * G)} in double for a fixed random {@code G}, for each option. Each check is also run on the kernel
 * with its backward pass broken on purpose (the largest input gradient 1% off; one recurrent-kernel
 * gradient off by 1% of the largest), and must fail there.
 */
class RecurrentTest {
  static final int STEPS = 4;
  static final int FEATURES = 3;
  static final int UNITS = 3;

  /** One layer on sequences of {@code STEPS x FEATURES}. */
  record Case(String name, Layer layer) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static RecurrentCell cell(String activation) {
    return RecurrentCell.of(UNITS).withActivation(Activation.valueOf(activation.toUpperCase()));
  }

  static Stream<Case> cases() {
    Activation sigmoid = Activation.SIGMOID;
    return Stream.of(
        new Case("simple_rnn tanh, last step", SimpleRNN.of(UNITS)),
        new Case(
            "simple_rnn tanh, return_sequences", SimpleRNN.of(UNITS).withReturnSequences(true)),
        new Case(
            "simple_rnn gelu, no bias, return_sequences",
            SimpleRNN.of(UNITS).with(cell("gelu").withUseBias(false)).withReturnSequences(true)),
        new Case("lstm defaults, last step", LSTM.of(UNITS)),
        new Case("lstm return_sequences", LSTM.of(UNITS).withReturnSequences(true)),
        new Case(
            "lstm without unit_forget_bias", LSTM.of(UNITS).with(cell("tanh"), sigmoid, false)),
        new Case(
            "lstm no bias, return_sequences",
            LSTM.of(UNITS)
                .with(cell("tanh").withUseBias(false), sigmoid, true)
                .withReturnSequences(true)),
        new Case(
            "lstm softsign, gates hard_sigmoid",
            LSTM.of(UNITS).with(cell("softsign"), Activation.HARD_SIGMOID, true)),
        new Case("gru reset_after, last step", GRU.of(UNITS)),
        new Case("gru reset_after, return_sequences", GRU.of(UNITS).withReturnSequences(true)),
        new Case(
            "gru reset_after false, last step", GRU.of(UNITS).with(cell("tanh"), sigmoid, false)),
        new Case(
            "gru reset_after false, return_sequences",
            GRU.of(UNITS).with(cell("tanh"), sigmoid, false).withReturnSequences(true)),
        new Case(
            "gru reset_after, no bias",
            GRU.of(UNITS).with(cell("tanh").withUseBias(false), sigmoid, true)),
        new Case(
            "gru reset_after false, no bias, return_sequences",
            GRU.of(UNITS)
                .with(cell("tanh").withUseBias(false), sigmoid, false)
                .withReturnSequences(true)),
        new Case(
            "gru elu, gates softsign, reset_after false",
            GRU.of(UNITS).with(cell("elu"), Activation.SOFTSIGN, false)),
        new Case(
            "gru softplus, gates sigmoid, reset_after, return_sequences",
            GRU.of(UNITS).with(cell("softplus"), sigmoid, true).withReturnSequences(true)));
  }

  static ModelSpec spec(Case c) {
    return new ModelSpec(List.of(c.layer(), Flatten.of()), List.of(STEPS, FEATURES));
  }

  private static double[] matVec(
      double[] p, int at, int rows, int cols, double[] v, int vOff, int from, int count) {
    // v[vOff .. vOff + rows) times columns [from, from + count) of the [rows, cols] matrix at at.
    double[] out = new double[count];
    for (int j = 0; j < count; j++) {
      double s = 0;
      for (int k = 0; k < rows; k++) {
        s += v[vOff + k] * p[at + k * cols + from + j];
      }
      out[j] = s;
    }
    return out;
  }

  private static double[] apply(Activation f, double[] z) {
    double[] a = new double[z.length];
    for (int j = 0; j < z.length; j++) {
      a[j] = f.value(z[j]);
    }
    return a;
  }

  /** The layer's output in double, step by step from Keras' formulas. */
  static double[] reference(Case c, double[] p, double[] x, int rows) {
    ParameterLayout layout = spec(c).layout();
    int kernel = layout.offset(0, "kernel");
    int recurrent = layout.offset(0, "recurrent_kernel");
    int bias = layout.offset(0, "bias");
    int u = UNITS;
    boolean sequences;
    int gates;
    if (c.layer() instanceof SimpleRNN s) {
      sequences = s.returnSequences();
      gates = 1;
    } else if (c.layer() instanceof LSTM l) {
      sequences = l.returnSequences();
      gates = 4;
    } else {
      sequences = ((GRU) c.layer()).returnSequences();
      gates = 3;
    }
    int width = gates * u;
    double[] y = new double[rows * (sequences ? STEPS * u : u)];
    for (int r = 0; r < rows; r++) {
      double[] h = new double[u];
      double[] cs = new double[u];
      for (int t = 0; t < STEPS; t++) {
        int xt = (r * STEPS + t) * FEATURES;
        double[] xk = matVec(p, kernel, FEATURES, width, x, xt, 0, width);
        if (bias >= 0) {
          for (int j = 0; j < width; j++) {
            xk[j] += p[bias + j];
          }
        }
        double[] next = new double[u];
        if (c.layer() instanceof SimpleRNN s) {
          double[] hr = matVec(p, recurrent, u, width, h, 0, 0, u);
          for (int j = 0; j < u; j++) {
            next[j] = s.cell().activation().value(xk[j] + hr[j]);
          }
        } else if (c.layer() instanceof LSTM l) {
          double[] hr = matVec(p, recurrent, u, width, h, 0, 0, width);
          Activation g = l.recurrentActivation();
          Activation f = l.cell().activation();
          for (int j = 0; j < u; j++) {
            double i = g.value(xk[j] + hr[j]);
            double fg = g.value(xk[u + j] + hr[u + j]);
            double cand = f.value(xk[2 * u + j] + hr[2 * u + j]);
            double o = g.value(xk[3 * u + j] + hr[3 * u + j]);
            cs[j] = fg * cs[j] + i * cand;
            next[j] = o * f.value(cs[j]);
          }
        } else {
          GRU gru = (GRU) c.layer();
          Activation g = gru.recurrentActivation();
          Activation f = gru.cell().activation();
          if (gru.resetAfter()) {
            double[] hr = matVec(p, recurrent, u, width, h, 0, 0, width);
            if (bias >= 0) {
              for (int j = 0; j < width; j++) {
                hr[j] += p[bias + width + j];
              }
            }
            for (int j = 0; j < u; j++) {
              double z = g.value(xk[j] + hr[j]);
              double rr = g.value(xk[u + j] + hr[u + j]);
              double hh = f.value(xk[2 * u + j] + rr * hr[2 * u + j]);
              next[j] = z * h[j] + (1 - z) * hh;
            }
          } else {
            double[] hzr = matVec(p, recurrent, u, width, h, 0, 0, 2 * u);
            double[] z = new double[u];
            double[] rh = new double[u];
            for (int j = 0; j < u; j++) {
              z[j] = g.value(xk[j] + hzr[j]);
              rh[j] = g.value(xk[u + j] + hzr[u + j]) * h[j];
            }
            double[] hh = matVec(p, recurrent, u, width, rh, 0, 2 * u, u);
            for (int j = 0; j < u; j++) {
              next[j] = z[j] * h[j] + (1 - z[j]) * f.value(xk[2 * u + j] + hh[j]);
            }
          }
        }
        h = next;
        if (sequences) {
          System.arraycopy(h, 0, y, (r * STEPS + t) * u, u);
        }
      }
      if (!sequences) {
        System.arraycopy(h, 0, y, r * u, u);
      }
    }
    return y;
  }

  private static double[] doubles(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i];
    }
    return d;
  }

  private static float[] gaussian(Random random, int n, double scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (scale * random.nextGaussian());
    }
    return v;
  }

  private static Kernel bind(Case c) {
    return c.layer().kernel(new Binding(spec(c).layout(), 0, Activation.LINEAR, 1));
  }

  /** How a backward pass is broken on purpose. */
  enum Breakage {
    NONE,
    INPUT_GRADIENT,
    RECURRENT_KERNEL_GRADIENT
  }

  /**
   * The largest difference between the analytic gradients (weights and inputs) and central
   * differences ({@code h = 1e-6} in double), relative to the largest gradient.
   */
  static double check(Case c, Breakage breakage) {
    Random random = new Random(7);
    ParameterLayout layout = spec(c).layout();
    int rows = 3;
    float[] p = gaussian(random, layout.size(), 0.5);
    float[] x = gaussian(random, rows * layout.inputs()[0], 1);
    float[] g = gaussian(random, rows * layout.outputs()[0], 1);
    Kernel kernel = bind(c);
    float[] out = new float[rows * layout.outputs()[0]];
    float[] scratch = new float[kernel.scratch(rows)];
    kernel.forward(p, x, 0, rows, out, scratch, null);
    float[] grad = new float[p.length];
    float[] dIn = new float[x.length];
    kernel.backward(p, x, 0, rows, out, scratch, g.clone(), dIn, grad, null);
    double largestAnalytic = 0;
    for (float v : grad) {
      largestAnalytic = Math.max(largestAnalytic, Math.abs(v));
    }
    switch (breakage) {
      case INPUT_GRADIENT -> {
        int at = 0;
        for (int i = 1; i < dIn.length; i++) {
          at = Math.abs(dIn[i]) > Math.abs(dIn[at]) ? i : at;
        }
        dIn[at] *= 1.01f;
      }
      case RECURRENT_KERNEL_GRADIENT ->
          grad[layout.offset(0, "recurrent_kernel")] += (float) (0.01 * largestAnalytic);
      case NONE -> {}
    }
    double[] pd = doubles(p);
    double[] xd = doubles(x);
    double[] gd = doubles(g);
    double step = 1e-6;
    double worst = 0;
    double largest = 1e-12;
    for (int which = 0; which < 2; which++) {
      double[] v = which == 0 ? pd : xd;
      float[] analytic = which == 0 ? grad : dIn;
      for (int i = 0; i < v.length; i++) {
        double keep = v[i];
        v[i] = keep + step;
        double up = dot(reference(c, pd, xd, rows), gd);
        v[i] = keep - step;
        double down = dot(reference(c, pd, xd, rows), gd);
        v[i] = keep;
        double numeric = (up - down) / (2 * step);
        worst = Math.max(worst, Math.abs(numeric - analytic[i]));
        largest = Math.max(largest, Math.abs(numeric));
      }
    }
    return worst / largest;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  @ParameterizedTest
  @MethodSource("cases")
  void theForwardPassIsKerasStepFormulaInDouble(Case c) {
    ParameterLayout layout = spec(c).layout();
    Random random = new Random(5);
    int rows = 5;
    float[] p = gaussian(random, layout.size(), 0.7);
    float[] x = gaussian(random, rows * layout.inputs()[0], 1);
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
  void backpropagationThroughTimeAgreesWithCentralDifferencesAndBrokenOnesDoNot(Case c) {
    double error = check(c, Breakage.NONE);
    assertTrue(error < 1e-4, c + ": relative gradient error " + error);
    for (Breakage broken : List.of(Breakage.INPUT_GRADIENT, Breakage.RECURRENT_KERNEL_GRADIENT)) {
      double brokenError = check(c, broken);
      System.out.printf(
          "%s: relative gradient error %.2g, broken in its %s %.2g%n",
          c, error, broken, brokenError);
      assertTrue(brokenError > 1e-4, c + ": the backward pass broken in its " + broken + " passed");
    }
  }

  @ParameterizedTest
  @MethodSource("cases")
  void aRowGivesTheSameBitsInABatchOfThreeAsAloneThroughOneScratch(Case c) {
    Kernel kernel = bind(c);
    ParameterLayout layout = spec(c).layout();
    Random random = new Random(3);
    int in = layout.inputs()[0];
    int width = layout.outputs()[0];
    float[] p = gaussian(random, layout.size(), 0.5);
    float[] x = gaussian(random, 3 * in, 1);
    float[] shared = new float[kernel.scratch(3)];
    float[] all = new float[3 * width];
    kernel.forward(p, x, 0, 3, all, shared, null);
    float[] g = gaussian(random, 3 * width, 1);
    float[] gradAll = new float[p.length];
    float[] dInAll = new float[3 * in];
    kernel.backward(p, x, 0, 3, all, shared, g.clone(), dInAll, gradAll, null);
    float[] second = new float[width];
    kernel.forward(p, x, in, 1, second, shared, null);
    assertArrayEquals(java.util.Arrays.copyOfRange(all, width, 2 * width), second, 0f);
    // The same rows again give the same bits, gradients included.
    float[] again = new float[3 * width];
    kernel.forward(p, x, 0, 3, again, shared, null);
    float[] gradAgain = new float[p.length];
    float[] dInAgain = new float[3 * in];
    kernel.backward(p, x, 0, 3, again, shared, g.clone(), dInAgain, gradAgain, null);
    assertArrayEquals(all, again, 0f);
    assertArrayEquals(gradAll, gradAgain, 0f);
    assertArrayEquals(dInAll, dInAgain, 0f);
  }

  /** The summed MSE of lstm (sequences) -> gru -> dense in double, layer by layer. */
  private static double stackLoss(ModelSpec spec, double[] p, double[] x, float[] y, int rows) {
    ParameterLayout layout = spec.layout();
    double[] h = x;
    for (int l = 0; l < 2; l++) {
      Case c = new Case("layer " + l, spec.layers().get(l));
      int from = layout.offset(l, "kernel");
      int to = l == 0 ? layout.offset(1, "kernel") : layout.offset(2, "kernel");
      h = reference(c, java.util.Arrays.copyOfRange(p, from, to), h, rows);
    }
    int kernel = layout.offset(2, "kernel");
    int bias = layout.offset(2, "bias");
    double loss = 0;
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < 2; j++) {
        double out = p[bias + j];
        for (int k = 0; k < UNITS; k++) {
          out += h[r * UNITS + k] * p[kernel + k * 2 + j];
        }
        double d = out - y[r * 2 + j];
        loss += d * d / 2;
      }
    }
    return loss;
  }

  @Test
  void aStackTrainedThroughTheNetworkInChunksHasTheGradientOfItsDoubleLoss() {
    ModelSpec spec =
        new ModelSpec(
            List.of(
                LSTM.of(UNITS).withReturnSequences(true),
                GRU.of(UNITS).with(RecurrentCell.of(UNITS), Activation.SIGMOID, false),
                Dense.of(2, "linear")),
            List.of(STEPS, FEATURES));
    Network network = new Network(spec, Loss.MEAN_SQUARED_ERROR, false, 2);
    Random random = new Random(11);
    int rows = 7;
    float[] params = spec.initialParameters(5);
    for (int i = 0; i < params.length; i++) {
      params[i] += (float) (0.2 * random.nextGaussian());
    }
    float[] x = gaussian(random, rows * STEPS * FEATURES, 1);
    float[] y = gaussian(random, rows * 2, 1);
    long[] ids = new long[rows];
    float[] grad = new float[params.length];
    Totals totals = new Totals();
    // A workspace of 3 rows: the batch runs in chunks of 3, 3 and 1.
    network.accumulate(params, x, 0, y, 0, ids, 0, 0, rows, grad, totals, network.newWorkspace(3));
    double[] p = doubles(params);
    double[] xd = doubles(x);
    double reference = stackLoss(spec, p, xd, y, rows);
    assertEquals(reference, totals.loss, 1e-5 * Math.max(1, reference), "summed loss");
    double worst = 0;
    double largest = 0;
    for (int i = 0; i < p.length; i++) {
      double keep = p[i];
      p[i] = keep + 1e-6;
      double up = stackLoss(spec, p, xd, y, rows);
      p[i] = keep - 1e-6;
      double down = stackLoss(spec, p, xd, y, rows);
      p[i] = keep;
      double numeric = (up - down) / 2e-6;
      worst = Math.max(worst, Math.abs(numeric - grad[i]));
      largest = Math.max(largest, Math.abs(numeric));
    }
    System.out.printf(
        "lstm -> gru -> dense through Network: gradient error %.2g of %.2g%n", worst, largest);
    assertTrue(largest > 1e-3 && worst <= 2e-4 * Math.max(1, largest), worst + " of " + largest);
  }

  @Test
  void weightsHaveKerasNamesShapesAndTheLstmForgetGateStartsAtOne() {
    int[] in = {7, 5};
    assertEquals(
        List.of("kernel [5, 32]", "recurrent_kernel [8, 32]", "bias [32]"),
        described(LSTM.of(8).weights(in)));
    assertEquals(
        List.of("kernel [5, 24]", "recurrent_kernel [8, 24]", "bias [2, 24]"),
        described(GRU.of(8).weights(in)));
    assertEquals(
        List.of("kernel [5, 24]", "recurrent_kernel [8, 24]", "bias [24]"),
        described(GRU.of(8).with(RecurrentCell.of(8), Activation.SIGMOID, false).weights(in)));
    assertEquals(
        List.of("kernel [5, 8]", "recurrent_kernel [8, 8]", "bias [8]"),
        described(SimpleRNN.of(8).weights(in)));
    ModelSpec spec = new ModelSpec(List.of(LSTM.of(8)), List.of(7, 5));
    float[] p = spec.initialParameters(3);
    int bias = spec.layout().offset(0, "bias");
    for (int j = 0; j < 32; j++) {
      assertEquals(j >= 8 && j < 16 ? 1f : 0f, p[bias + j], "bias " + j);
    }
    ModelSpec plain =
        new ModelSpec(
            List.of(LSTM.of(8).with(RecurrentCell.of(8), Activation.SIGMOID, false)),
            List.of(7, 5));
    float[] q = plain.initialParameters(3);
    for (int j = 0; j < 32; j++) {
      assertEquals(0f, q[bias + j]);
    }
    // The recurrent kernel [8, 32] starts orthogonal: its rows are orthonormal.
    int rk = spec.layout().offset(0, "recurrent_kernel");
    for (int a = 0; a < 8; a++) {
      for (int b = 0; b < 8; b++) {
        double dot = 0;
        for (int j = 0; j < 32; j++) {
          dot += (double) p[rk + a * 32 + j] * p[rk + b * 32 + j];
        }
        assertEquals(a == b ? 1 : 0, dot, 1e-5);
      }
    }
  }

  private static List<String> described(List<Layer.Weight> weights) {
    return weights.stream()
        .map(w -> w.name() + " " + java.util.Arrays.toString(w.shape()))
        .toList();
  }

  @Test
  void shapesAndRefusalsNameWhatIsWrong() {
    assertArrayEquals(new int[] {6}, LSTM.of(6).outputShape(new int[] {10, 4}));
    assertArrayEquals(
        new int[] {10, 6}, GRU.of(6).withReturnSequences(true).outputShape(new int[] {10, 4}));
    ConfigException flat =
        assertThrows(ConfigException.class, () -> LSTM.of(6).outputShape(new int[] {40}));
    assertTrue(
        flat.getMessage().contains("lstm takes sequences [timesteps, features]"),
        flat.getMessage());
    IllegalArgumentException dim =
        assertThrows(
            IllegalArgumentException.class,
            () -> new ModelSpec(List.of(GRU.of(3), Dense.of(2, "linear")), List.of(12)));
    assertTrue(dim.getMessage().contains("give input_shape"), dim.getMessage());
    ConfigException softmax =
        assertThrows(
            ConfigException.class,
            () ->
                Configs.layer(
                    ModelFile.JSON.readTree(
                        "{\"type\": \"lstm\", \"units\": 4, \"activation\": \"softmax\"}"),
                    "model.layers[0]"));
    assertTrue(softmax.getMessage().contains("activation: must be one of"), softmax.getMessage());
    for (String option : List.of("dropout", "go_backwards", "stateful", "return_state")) {
      ConfigException e =
          assertThrows(
              ConfigException.class,
              () ->
                  Configs.layer(
                      ModelFile.JSON.readTree(
                          "{\"type\": \"gru\", \"units\": 4, \"" + option + "\": true}"),
                      "model.layers[0]"));
      assertTrue(e.getMessage().contains(option), e.getMessage());
    }
  }
}
