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
 * {@link BatchNormalization} against a direct computation in double written here from the formulas
 * (Keras 3's semantics): the backward pass against central differences of {@code L = sum(out * G)}
 * with and without gamma and beta, on features (after a dense layer) and on an image's channels
 * (after a convolution), each also with its backward pass broken on purpose, which must fail;
 * inference with the moving statistics; and a whole model trained full-batch by plain gradient
 * descent against the same model in double, its gradients by central differences and its moving
 * statistics by Keras' rule.
 */
class BatchNormalizationTest {

  /** A normalisation of an input of {@code shape}. */
  record Case(String name, int[] shape, BatchNormalization layer) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    BatchNormalization bn = BatchNormalization.defaults();
    return Stream.of(
        new Case("features, center and scale", new int[] {5}, bn),
        new Case("features, scale only", new int[] {5}, bn.with(false, true)),
        new Case("features, center only", new int[] {5}, bn.with(true, false)),
        new Case("features, neither", new int[] {5}, bn.with(false, false)),
        new Case("image channels, center and scale", new int[] {3, 4, 2}, bn),
        new Case("image channels, neither", new int[] {3, 4, 2}, bn.with(false, false)),
        new Case("image channels, scale only", new int[] {2, 3, 3}, bn.with(false, true)));
  }

  private static ModelSpec spec(Case c) {
    return new ModelSpec(List.of(c.layer()), java.util.Arrays.stream(c.shape()).boxed().toList());
  }

  /** The layer's training output in double: each channel by its batch mean and biased variance. */
  static double[] reference(Case c, double[] p, double[] x, int rows) {
    ParameterLayout layout = spec(c).layout();
    int channels = c.shape()[c.shape().length - 1];
    int values = rows * layout.inputs()[0] / channels;
    int gamma = layout.offset(0, "gamma");
    int beta = layout.offset(0, "beta");
    double[] y = new double[x.length];
    for (int ch = 0; ch < channels; ch++) {
      double mean = 0;
      for (int v = 0; v < values; v++) {
        mean += x[v * channels + ch];
      }
      mean /= values;
      double var = 0;
      for (int v = 0; v < values; v++) {
        double d = x[v * channels + ch] - mean;
        var += d * d;
      }
      var /= values;
      for (int v = 0; v < values; v++) {
        double z = (x[v * channels + ch] - mean) / Math.sqrt(var + c.layer().epsilon());
        z = gamma >= 0 ? z * p[gamma + ch] : z;
        y[v * channels + ch] = beta >= 0 ? z + p[beta + ch] : z;
      }
    }
    return y;
  }

  private static Workspace training(ModelSpec spec, int rows) {
    Workspace ws =
        new Network(spec, Loss.MEAN_SQUARED_ERROR, false, spec.outputUnits()).newWorkspace(rows);
    ws.pass(true, null, 0, 0, Phases.local());
    return ws;
  }

  /**
   * The largest difference between the kernel's gradients (weights, then inputs) of {@code sum(out
   * * G)} and central differences ({@code h = 1e-6}) of the reference, relative to the largest.
   */
  static double check(Case c, Kernel kernel, Random random) {
    ModelSpec spec = spec(c);
    ParameterLayout layout = spec.layout();
    int rows = 4;
    float[] p = new float[layout.size()];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) (1 + 0.4 * random.nextGaussian());
    }
    float[] x = new float[rows * layout.inputs()[0]];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (2 + random.nextGaussian());
    }
    float[] g = new float[x.length];
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) random.nextGaussian();
    }
    Workspace ws = training(spec, rows);
    float[] out = new float[x.length];
    float[] scratch = new float[kernel.scratch(rows)];
    kernel.forward(p, x, 0, rows, out, scratch, ws);
    float[] grad = new float[p.length];
    float[] dIn = new float[x.length];
    kernel.backward(p, x, 0, rows, out, scratch, g.clone(), dIn, grad, ws);
    double[] pd = doubles(p);
    double[] xd = doubles(x);
    double step = 1e-6;
    double worst = 0;
    double largest = 1e-12;
    for (int which = 0; which < 2; which++) {
      double[] v = which == 0 ? pd : xd;
      float[] analytic = which == 0 ? grad : dIn;
      for (int i = 0; i < v.length; i++) {
        double keep = v[i];
        v[i] = keep + step;
        double up = dot(reference(c, pd, xd, rows), g);
        v[i] = keep - step;
        double down = dot(reference(c, pd, xd, rows), g);
        v[i] = keep;
        double numeric = (up - down) / (2 * step);
        worst = Math.max(worst, Math.abs(numeric - analytic[i]));
        largest = Math.max(largest, Math.abs(numeric));
      }
    }
    return worst / largest;
  }

  private static double dot(double[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  static double[] doubles(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i];
    }
    return d;
  }

  private static Kernel bind(Case c) {
    return c.layer().kernel(new Binding(spec(c).layout(), 0, Activation.LINEAR, 1));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void theBackwardPassAgreesWithCentralDifferencesAndABrokenOneDoesNot(Case c) {
    double error = check(c, bind(c), new Random(7));
    assertTrue(error < 1e-4, c + ": relative gradient error " + error);
    Kernel broken =
        BrokenBackward.after(
            bind(c),
            (dIn, grad) -> dIn[dIn.length - 1] *= 1.01f); // on purpose: one input gradient 1% off
    double brokenError = check(c, broken, new Random(7));
    System.out.printf(
        "batch_normalization, %s: gradient error %.2g, broken on purpose %.2g%n",
        c, error, brokenError);
    assertTrue(brokenError > 1e-4, c + ": the broken backward pass passed with " + brokenError);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void theMovingStatisticsGetNoGradient(Case c) {
    ModelSpec spec = spec(c);
    ParameterLayout layout = spec.layout();
    Random random = new Random(11);
    int rows = 3;
    float[] p = spec.initialParameters(3);
    float[] x = new float[rows * layout.inputs()[0]];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    Kernel kernel = bind(c);
    Workspace ws = training(spec, rows);
    float[] out = new float[x.length];
    float[] scratch = new float[kernel.scratch(rows)];
    kernel.forward(p, x, 0, rows, out, scratch, ws);
    float[] grad = new float[p.length];
    kernel.backward(p, x, 0, rows, out, scratch, out.clone(), new float[x.length], grad, ws);
    for (ParameterLayout.View v : layout.views()) {
      for (int i = v.offset(); i < v.offset() + v.size(); i++) {
        if (!v.trainable()) {
          assertEquals(0f, grad[i], v.name());
        }
      }
      assertEquals(!v.name().contains("moving"), v.trainable(), v.name());
    }
  }

  @Test
  void inferenceNormalisesByTheMovingStatistics() {
    BatchNormalization bn = BatchNormalization.defaults();
    ModelSpec spec = new ModelSpec(List.of(bn), List.of(2, 2, 3));
    ParameterLayout layout = spec.layout();
    float[] p = new float[layout.size()];
    Random random = new Random(2);
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) (1 + 0.5 * random.nextGaussian());
    }
    float[] x = new float[2 * 12];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    Network net = new Network(spec, Loss.MEAN_SQUARED_ERROR, false, 12);
    Workspace ws = net.newWorkspace(2);
    net.forward(p, x, 0, 2, ws);
    for (int i = 0; i < x.length; i++) {
      int ch = i % 3;
      double expected =
          (x[i] - p[layout.offset(0, "moving_mean") + ch])
                  / Math.sqrt(p[layout.offset(0, "moving_variance") + ch] + 1e-3)
                  * p[layout.offset(0, "gamma") + ch]
              + p[layout.offset(0, "beta") + ch];
      assertEquals(expected, ws.lastOutputs()[i], 1e-5, "value " + i);
    }
  }

  @Test
  void theWeightsAreKerasOrderAndTheSummaryCountsTheMovingOnesAsNonTrainable() {
    ModelSpec spec =
        new ModelSpec(List.of(Dense.of(4, "relu").withInputDim(3), BatchNormalization.defaults()));
    assertEquals(
        List.of(
            "dense/kernel",
            "dense/bias",
            "batch_normalization/gamma",
            "batch_normalization/beta",
            "batch_normalization/moving_mean",
            "batch_normalization/moving_variance"),
        spec.weightNames());
    String summary = spec.summary("m", false);
    assertTrue(summary.contains("Trainable params: 24 "), summary);
    assertTrue(summary.contains("Non-trainable params: 8 "), summary);
    float[] p = spec.initialParameters(1);
    assertArrayEquals(
        new float[] {0, 0, 0, 0, 1, 1, 1, 1}, java.util.Arrays.copyOfRange(p, 24, 32));
  }

  @Test
  void badSettingsAreRefusedNamingTheSetting() throws Exception {
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    for (String[] bad :
        new String[][] {
          {"{\"type\": \"batch_normalization\", \"momentum\": 1.5}", "momentum"},
          {"{\"type\": \"batch_normalization\", \"epsilon\": 0}", "epsilon"},
          {"{\"type\": \"batch_normalization\", \"axis\": 1}", "axis"},
          {
            "{\"type\": \"batch_normalization\", \"moving_variance_initializer\": \"nope\"}",
            "moving_variance_initializer"
          }
        }) {
      ConfigException e =
          assertThrows(
              ConfigException.class, () -> Configs.layer(json.readTree(bad[0]), "model.layers[0]"));
      assertTrue(e.getMessage().contains(bad[1]), bad[0] + ": " + e.getMessage());
    }
  }

  @Test
  void aModelWithBatchStatisticsTrainsOnAWholeBatchAtOnce() {
    ModelSpec spec =
        new ModelSpec(List.of(Dense.of(4, "relu").withInputDim(3), BatchNormalization.defaults()));
    Network net = new Network(spec, Loss.MEAN_SQUARED_ERROR, false, 4);
    Workspace ws = net.newWorkspace(2);
    float[] p = spec.initialParameters(1);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                net.accumulate(
                    p,
                    new float[9],
                    0,
                    new float[12],
                    0,
                    3,
                    new float[p.length],
                    new Totals(),
                    ws));
    assertTrue(e.getMessage().contains("whole batch"), e.getMessage());
    // Forward: the count and two sums per unit; backward: two sums per unit.
    assertArrayEquals(new int[] {1 + 2 * 4, 2 * 4}, net.phaseWidths());
    Network first =
        new Network(
            new ModelSpec(List.of(BatchNormalization.defaults().withInputDim(3))),
            Loss.MEAN_SQUARED_ERROR,
            false,
            3);
    assertArrayEquals(new int[] {1 + 2 * 3}, first.phaseWidths()); // a first layer: no dIn
  }

  // ---- a whole model, trained full-batch, against the same model in double ----

  /** Dense(6, tanh) on 4 features, BatchNormalization (momentum 0.9), Dense(2): MSE. */
  private static ModelSpec model() {
    return new ModelSpec(
        List.of(
            Dense.of(6, "tanh").withInputDim(4),
            BatchNormalization.defaults().withMomentum(0.9),
            Dense.of(2, "linear")));
  }

  /**
   * The model's mean loss over the batch in double, from the formulas: {@code h = tanh(x W1 + b1)};
   * per unit the batch's mean and biased variance; {@code z = (h - mean) / sqrt(var + 1e-3) gamma +
   * beta}; {@code p = z W2 + b2}; {@code mean_rows mean_units (p - y)^2}. When {@code stats} is not
   * null it receives the batch's means and variances of {@code h}.
   */
  static double referenceLoss(
      ParameterLayout l, double[] w, double[] x, double[] y, int rows, double[] stats) {
    int k1 = l.offset(0, "kernel");
    int b1 = l.offset(0, "bias");
    int gamma = l.offset(1, "gamma");
    int beta = l.offset(1, "beta");
    int k2 = l.offset(2, "kernel");
    int b2 = l.offset(2, "bias");
    double[][] h = new double[rows][6];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < 6; j++) {
        double z = w[b1 + j];
        for (int i = 0; i < 4; i++) {
          z += x[r * 4 + i] * w[k1 + i * 6 + j];
        }
        h[r][j] = Math.tanh(z);
      }
    }
    double[][] n = new double[rows][6];
    for (int j = 0; j < 6; j++) {
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
        stats[6 + j] = var;
      }
      for (int r = 0; r < rows; r++) {
        n[r][j] = (h[r][j] - mean) / Math.sqrt(var + 1e-3) * w[gamma + j] + w[beta + j];
      }
    }
    double loss = 0;
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < 2; o++) {
        double p = w[b2 + o];
        for (int j = 0; j < 6; j++) {
          p += n[r][j] * w[k2 + j * 2 + o];
        }
        loss += (p - y[r * 2 + o]) * (p - y[r * 2 + o]) / 2;
      }
    }
    return loss / rows;
  }

  @Test
  void fullBatchTrainingAgreesWithTheModelInDoubleMovingStatisticsIncluded() {
    ModelSpec spec = model();
    ParameterLayout layout = spec.layout();
    int rows = 16;
    Random random = new Random(21);
    float[] x = new float[rows * 4];
    float[] y = new float[rows * 2];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (0.5 + random.nextGaussian());
    }
    for (int i = 0; i < y.length; i++) {
      y[i] = (float) random.nextGaussian();
    }
    float[] params = spec.initialParameters(5);
    double lr = 0.1;
    int steps = 8;
    // In double: gradients by central differences, then SGD, then Keras' moving statistics.
    double[] w = doubles(params);
    double[] xd = doubles(x);
    double[] yd = doubles(y);
    int mean = layout.offset(1, "moving_mean");
    int variance = layout.offset(1, "moving_variance");
    for (int s = 0; s < steps; s++) {
      double[] stats = new double[12];
      referenceLoss(layout, w, xd, yd, rows, stats);
      double[] g = new double[w.length];
      for (int i = 0; i < w.length; i++) {
        double keep = w[i];
        w[i] = keep + 1e-6;
        double up = referenceLoss(layout, w, xd, yd, rows, null);
        w[i] = keep - 1e-6;
        double down = referenceLoss(layout, w, xd, yd, rows, null);
        w[i] = keep;
        g[i] = (up - down) / 2e-6;
      }
      for (int i = 0; i < w.length; i++) {
        w[i] -= lr * g[i];
      }
      for (int j = 0; j < 6; j++) {
        w[mean + j] = 0.9 * w[mean + j] + 0.1 * stats[j];
        w[variance + j] = 0.9 * w[variance + j] + 0.1 * stats[6 + j];
      }
    }
    // The code under test: one pass per step over the whole batch, then Network#update.
    Network net = new Network(spec, Loss.MEAN_SQUARED_ERROR, false, 2);
    Workspace ws = net.newWorkspace(rows);
    Optimizer sgd = new Sgd(lr, 0, false);
    OptimizerState state = sgd.newState(params.length);
    for (int s = 0; s < steps; s++) {
      float[] grad = new float[params.length];
      Phases.Local phases = Phases.local();
      net.accumulate(params, x, 0, y, 0, null, 0, null, 0, 0, rows, grad, new Totals(), ws, phases);
      for (int i = 0; i < grad.length; i++) {
        grad[i] /= rows;
      }
      net.update(sgd, params, grad, state, phases.totals());
    }
    double largest = 0;
    double worst = 0;
    double worstMoving = 0;
    for (int i = 0; i < w.length; i++) {
      largest = Math.max(largest, Math.abs(w[i]));
      worst = Math.max(worst, Math.abs(w[i] - params[i]));
      if (i >= mean && i < variance + 6) {
        worstMoving = Math.max(worstMoving, Math.abs(w[i] - params[i]));
      }
    }
    System.out.printf(
        "batch_normalization, Network against the double model: max|w - w_ref| / max|w_ref| = %.3g,"
            + " moving statistics max|diff| = %.3g%n",
        worst / largest, worstMoving);
    assertTrue(worst / largest < 1e-4, "max|w - w_ref| / max|w_ref| = " + worst / largest);
    assertTrue(worstMoving < 1e-5, "the moving statistics differ by " + worstMoving);
    // And the moving statistics did move: from 0 and 1 to the hidden units' statistics.
    assertTrue(Math.abs(params[mean]) > 1e-2, "moving_mean[0] = " + params[mean]);
  }

  @Test
  void weightDecayLeavesTheMovingStatisticsToTheirOwnRule() {
    ModelSpec spec = model();
    ParameterLayout layout = spec.layout();
    Network net = new Network(spec, Loss.MEAN_SQUARED_ERROR, false, 2);
    float[] params = spec.initialParameters(5);
    int mean = layout.offset(1, "moving_mean");
    int variance = layout.offset(1, "moving_variance");
    params[mean] = 0.5f;
    params[variance] = 2f;
    double[][] totals = new double[net.phaseWidths().length][];
    for (int p = 0; p < totals.length; p++) {
      totals[p] = new double[net.phaseWidths()[p]];
    }
    // The forward phase: 4 values, sums of (x - K) and (x - K)^2 for unit 0 of 0.4 and 1.0.
    totals[0][0] = 4;
    totals[0][1] = 0.4;
    totals[0][1 + 6] = 1.0;
    Optimizer adamw = AdamW.defaults(); // weight decay 0.004
    net.update(adamw, params, new float[params.length], adamw.newState(params.length), totals);
    double batchMean = 0.5 + 0.1;
    double batchVariance = 1.0 / 4 - 0.01;
    assertEquals(0.9 * 0.5 + 0.1 * batchMean, params[mean], 1e-6);
    assertEquals(0.9 * 2 + 0.1 * batchVariance, params[variance], 1e-6);
  }
}
