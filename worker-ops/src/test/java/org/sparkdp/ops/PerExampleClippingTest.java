package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sparkdp.interop.EveryLayerKindTest;

/**
 * {@link Network#accumulateClipped} (DP-SGD's per-example clipping) against each example's gradient
 * computed alone, through the plain backward pass on a batch of one, and clipped in double: for
 * every sample model of every layer kind that differential privacy accepts ({@link
 * EveryLayerKindTest#samples()}). The plain backward pass itself is checked against finite
 * differences by {@link GradientCheckTest}, so no finite differences here.
 */
class PerExampleClippingTest {
  private static final int ROWS = 9;

  /** Rows per pass: smaller than {@link #ROWS}, so the block is split into chunks. */
  private static final int MAX_ROWS = 4;

  /** One model to check: its name, spec, loss and label width. */
  record Case(String name, ModelSpec spec, Loss loss, int labelWidth) {}

  /** Every sample of every kind but batch_normalization, plus a loss fused with softmax. */
  static List<Case> cases() {
    List<Case> cases = new ArrayList<>();
    for (Map.Entry<String, List<ModelSpec>> e : EveryLayerKindTest.samples().entrySet()) {
      if (!e.getKey().equals("batch_normalization")) {
        for (ModelSpec spec : e.getValue()) {
          cases.add(new Case(e.getKey() + " " + spec.names(), spec, Loss.MEAN_SQUARED_ERROR, 3));
        }
      }
    }
    cases.add(
        new Case(
            "softmax with categorical_crossentropy",
            ModelSpec.of(Dense.of(5, "relu").withInputDim(6), Dense.of(4, "softmax")),
            Loss.CATEGORICAL_CROSSENTROPY,
            4));
    return cases;
  }

  /** The inputs, labels, ids, weights and parameters of one check. */
  record Batch(float[] x, float[] y, long[] ids, float[] weights, float[] params) {}

  static Batch batch(Case c, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] x = flat(EveryLayerKindTest.input(c.spec(), ROWS, new java.util.Random(seed)));
    float[] y = new float[ROWS * c.labelWidth()];
    for (int r = 0; r < ROWS; r++) {
      for (int j = 0; j < c.labelWidth(); j++) {
        y[r * c.labelWidth() + j] =
            c.loss() == Loss.CATEGORICAL_CROSSENTROPY
                ? (j == r % c.labelWidth() ? 1f : 0f)
                : (float) random.nextDouble(-2, 2);
      }
    }
    long[] ids = new long[ROWS];
    float[] weights = new float[ROWS];
    for (int r = 0; r < ROWS; r++) {
      ids[r] = 1000 + 7L * r;
      weights[r] = (float) random.nextDouble(0.5, 1.5);
    }
    float[] params = c.spec().initialParameters(seed);
    for (int i = 0; i < params.length; i++) {
      params[i] += (float) (0.2 * random.nextDouble(-1, 1));
    }
    return new Batch(x, y, ids, weights, params);
  }

  static float[] flat(float[][] rows) {
    int width = rows[0].length;
    float[] x = new float[rows.length * width];
    for (int r = 0; r < rows.length; r++) {
      System.arraycopy(rows[r], 0, x, r * width, width);
    }
    return x;
  }

  static Network network(Case c) {
    return new Network(c.spec(), c.loss(), false, c.labelWidth());
  }

  /** Each example's gradient alone: the plain backward pass on a batch of one, in double. */
  static double[][] perExampleGradients(Case c, Batch b, float[] weights, int epoch) {
    Network net = network(c);
    Workspace ws = net.newWorkspace(MAX_ROWS);
    int in = c.spec().inputDim();
    double[][] g = new double[ROWS][];
    for (int r = 0; r < ROWS; r++) {
      float[] one = new float[b.params().length];
      net.accumulate(
          b.params(),
          b.x(),
          r * in,
          b.y(),
          r * c.labelWidth(),
          b.ids(),
          r,
          weights,
          r,
          epoch,
          1,
          one,
          new Totals(),
          ws);
      g[r] = new double[one.length];
      for (int i = 0; i < one.length; i++) {
        g[r][i] = one[i];
      }
    }
    return g;
  }

  static double norm(double[] v) {
    double s = 0;
    for (double d : v) {
      s += d * d;
    }
    return Math.sqrt(s);
  }

  /** A clip norm halfway between the 4th and 5th smallest per-example norms: 5 of 9 clipped. */
  static double midClip(double[][] g, String name) {
    double[] norms = Arrays.stream(g).mapToDouble(PerExampleClippingTest::norm).sorted().toArray();
    assertTrue(
        norms[4] > norms[3] * (1 + 1e-5),
        name + ": per-example norms too close to split: " + Arrays.toString(norms));
    return (norms[3] + norms[4]) / 2;
  }

  @Test
  void theCasesCoverEveryLayerKindButBatchNormalization() {
    java.util.Set<String> covered = new java.util.TreeSet<>();
    for (Case c : cases()) {
      c.spec().layers().forEach(l -> covered.add(l.type()));
    }
    java.util.Set<String> kinds = new java.util.TreeSet<>(Layer.kinds().keySet());
    kinds.remove("batch_normalization");
    assertEquals(kinds, covered);
  }

  @Test
  void theClippedSumIsTheSumOfEachExamplesGradientComputedAloneAndClippedForEveryKindDpAccepts() {
    for (Case c : cases()) {
      for (boolean weighted : new boolean[] {false, true}) {
        String name = c.name() + (weighted ? ", weighted" : "");
        Batch b = batch(c, 31);
        float[] weights = weighted ? b.weights() : null;
        int epoch = 2;
        double[][] g = perExampleGradients(c, b, weights, epoch);
        double clip = midClip(g, name);
        double[] expected = new double[b.params().length];
        int expectedClipped = 0;
        for (double[] gi : g) {
          double n = norm(gi);
          double factor = Math.min(1, clip / n);
          expectedClipped += n > clip ? 1 : 0;
          for (int i = 0; i < expected.length; i++) {
            expected[i] += factor * gi[i];
          }
        }
        Network net = network(c);
        float[] grad = new float[b.params().length];
        Totals totals = new Totals();
        int clipped =
            net.accumulateClipped(
                b.params(),
                b.x(),
                0,
                b.y(),
                0,
                b.ids(),
                0,
                weights,
                0,
                epoch,
                ROWS,
                clip,
                grad,
                totals,
                net.newWorkspace(MAX_ROWS));
        assertEquals(expectedClipped, clipped, name + ": examples clipped");
        assertEquals(5, clipped, name + ": examples clipped");
        assertEquals(ROWS, totals.count, name + ": count");
        double scale = Arrays.stream(expected).map(Math::abs).max().orElseThrow();
        assertTrue(scale > 0, name + ": a zero gradient checks nothing");
        for (int i = 0; i < expected.length; i++) {
          assertEquals(
              expected[i],
              grad[i],
              2e-6 * scale,
              name + ": parameter " + i + " of the clipped sum");
        }
      }
    }
  }

  @Test
  void withAClipNoExampleReachesTheClippedSumIsExactlyThePlainBatchGradient() {
    for (Case c : cases()) {
      Batch b = batch(c, 47);
      double[][] g = perExampleGradients(c, b, null, 0);
      double above =
          2 * Arrays.stream(g).mapToDouble(PerExampleClippingTest::norm).max().orElseThrow();
      Network net = network(c);
      float[] plain = new float[b.params().length];
      Totals plainTotals = new Totals();
      net.accumulate(
          b.params(),
          b.x(),
          0,
          b.y(),
          0,
          b.ids(),
          0,
          0,
          ROWS,
          plain,
          plainTotals,
          net.newWorkspace(MAX_ROWS));
      float[] clipped = new float[b.params().length];
      Totals totals = new Totals();
      int count =
          net.accumulateClipped(
              b.params(),
              b.x(),
              0,
              b.y(),
              0,
              b.ids(),
              0,
              null,
              0,
              0,
              ROWS,
              above,
              clipped,
              totals,
              net.newWorkspace(MAX_ROWS));
      assertEquals(0, count, c.name() + ": examples clipped");
      assertArrayEquals(plain, clipped, c.name() + ": the clipped sum against the plain gradient");
      assertEquals(plainTotals.loss, totals.loss, c.name() + ": loss");
    }
  }

  @Test
  void aClipBelowEveryNormClipsEveryExampleToThatNorm() {
    Case c =
        new Case(
            "dense",
            ModelSpec.of(Dense.of(5, "tanh").withInputDim(6), Dense.of(3, "linear")),
            Loss.MEAN_SQUARED_ERROR,
            3);
    Batch b = batch(c, 5);
    Network net = network(c);
    Workspace ws = net.newWorkspace(MAX_ROWS);
    double clip =
        1e-3
            * Arrays.stream(perExampleGradients(c, b, null, 0))
                .mapToDouble(PerExampleClippingTest::norm)
                .min()
                .orElseThrow();
    int in = c.spec().inputDim();
    for (int r = 0; r < ROWS; r++) {
      float[] one = new float[b.params().length];
      int count =
          net.accumulateClipped(
              b.params(),
              b.x(),
              r * in,
              b.y(),
              r * 3,
              b.ids(),
              r,
              null,
              0,
              0,
              1,
              clip,
              one,
              new Totals(),
              ws);
      assertEquals(1, count, "example " + r + " clipped");
      double[] d = new double[one.length];
      for (int i = 0; i < one.length; i++) {
        d[i] = one[i];
      }
      assertEquals(clip, norm(d), 1e-6 * clip, "example " + r + "'s clipped norm");
    }
  }

  @Test
  void batchNormalizationIsRefusedNamingItsLayer() {
    ModelSpec spec = EveryLayerKindTest.samples().get("batch_normalization").get(0);
    Network net = new Network(spec, Loss.MEAN_SQUARED_ERROR, false, 3);
    float[] params = spec.initialParameters(1);
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                net.accumulateClipped(
                    params,
                    new float[2 * spec.inputDim()],
                    0,
                    new float[6],
                    0,
                    new long[2],
                    0,
                    null,
                    0,
                    0,
                    2,
                    1.0,
                    new float[params.length],
                    new Totals(),
                    net.newWorkspace(2)));
    assertTrue(
        e.getMessage()
            .startsWith(
                "fit.differential_privacy: layer 1 (batch_normalization) mixes the examples of a"
                    + " batch"),
        e.getMessage());
    ConfigException early = assertThrows(ConfigException.class, net::checkPerExampleGradients);
    assertEquals(e.getMessage(), early.getMessage());
  }

  @Test
  void aClipNormThatIsNotPositiveAndFiniteIsRefused() {
    Case c = cases().get(0);
    Network net = network(c);
    Batch b = batch(c, 1);
    for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  net.accumulateClipped(
                      b.params(),
                      b.x(),
                      0,
                      b.y(),
                      0,
                      b.ids(),
                      0,
                      null,
                      0,
                      0,
                      ROWS,
                      bad,
                      new float[b.params().length],
                      new Totals(),
                      net.newWorkspace(MAX_ROWS)));
      assertTrue(e.getMessage().contains("l2_norm_clip"), e.getMessage());
    }
  }
}
