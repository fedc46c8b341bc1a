package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Every metric against a plain computation over the predictions (written out here, without {@link
 * MetricRow}); AUC against Keras' formula worked by hand on a small case and against the exact rank
 * AUC on a large one.
 */
class MetricsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The logs of {@code metrics} over predictions {@code out [rows, units]} and labels. */
  private static Map<String, Double> logs(
      List<Metric> metrics, Loss loss, int units, int width, float[] out, float[] y) {
    Metrics m = new Metrics(metrics, loss, units, width, false);
    Totals totals = new Totals();
    int rows = out.length / units;
    // In two parts added together, as two partitions would be.
    Totals second = new Totals();
    int half = rows / 2;
    m.add(out, y, 0, half, totals);
    totals.count += half;
    float[] rest = java.util.Arrays.copyOfRange(out, half * units, out.length);
    m.add(rest, y, half * width, rows - half, second);
    second.count += rows - half;
    return m.results(totals.add(second), "");
  }

  private static Metric metric(String config) {
    try {
      return Metric.fromConfig(JSON.readTree(config.replace('\'', '"')), "metrics[0]");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Softmax-like rows: positive, summing to 1. */
  private static float[] probabilities(int rows, int units, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] out = new float[rows * units];
    for (int r = 0; r < rows; r++) {
      double sum = 0;
      double[] e = new double[units];
      for (int j = 0; j < units; j++) {
        e[j] = Math.exp(2 * random.nextGaussian());
        sum += e[j];
      }
      for (int j = 0; j < units; j++) {
        out[r * units + j] = (float) (e[j] / sum);
      }
    }
    return out;
  }

  private static float[] classes(int rows, int units, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] y = new float[rows];
    for (int r = 0; r < rows; r++) {
      y[r] = random.nextInt(units);
    }
    return y;
  }

  @Test
  void binaryPrecisionAndRecallCountOutputsAboveTheThreshold() {
    int rows = 501;
    SplittableRandom random = new SplittableRandom(3);
    float[] out = new float[rows];
    float[] y = new float[rows];
    for (int r = 0; r < rows; r++) {
      y[r] = random.nextInt(3) == 0 ? 1 : 0;
      out[r] = (float) Math.min(1, Math.max(0, 0.35 * y[r] + 0.6 * random.nextDouble()));
    }
    for (double threshold : new double[] {0.5, 0.4, 0.55}) {
      int tp = 0;
      int fp = 0;
      int fn = 0;
      for (int r = 0; r < rows; r++) {
        boolean predicted = out[r] > (float) threshold;
        boolean actual = y[r] == 1;
        tp += predicted && actual ? 1 : 0;
        fp += predicted && !actual ? 1 : 0;
        fn += !predicted && actual ? 1 : 0;
      }
      Map<String, Double> logs =
          logs(
              List.of(
                  metric("{'type':'precision','thresholds':" + threshold + "}"),
                  metric("{'type':'recall','thresholds':" + threshold + "}")),
              Loss.BINARY_CROSSENTROPY,
              1,
              1,
              out,
              y);
      assertTrue(tp > 0 && fp > 0 && fn > 0, "a case with every kind of error");
      assertEquals((double) tp / (tp + fp), logs.get("precision"), 1e-12, "at " + threshold);
      assertEquals((double) tp / (tp + fn), logs.get("recall"), 1e-12, "at " + threshold);
    }
  }

  @Test
  void multiClassPrecisionAndRecallAsKerasWithClassIdAndTopK() {
    int rows = 400;
    int units = 5;
    float[] out = probabilities(rows, units, 7);
    float[] y = classes(rows, units, 8);
    for (Integer classId : new Integer[] {null, 2}) {
      for (Integer topK : new Integer[] {null, 1, 2}) {
        long tp = 0;
        long fp = 0;
        long fn = 0;
        for (int r = 0; r < rows; r++) {
          int row = r;
          // The top k by a stable sort on descending outputs.
          List<Integer> order = new ArrayList<>(IntStream.range(0, units).boxed().toList());
          order.sort(Comparator.comparingDouble(j -> -out[row * units + j]));
          List<Integer> top = topK == null ? order : order.subList(0, topK);
          for (int j = 0; j < units; j++) {
            if (classId != null && j != classId) {
              continue;
            }
            boolean predicted = top.contains(j) && (topK != null || out[r * units + j] > 0.5f);
            boolean actual = j == (int) y[r];
            tp += predicted && actual ? 1 : 0;
            fp += predicted && !actual ? 1 : 0;
            fn += !predicted && actual ? 1 : 0;
          }
        }
        String args =
            (classId == null ? "" : ",'class_id':" + classId)
                + (topK == null ? "" : ",'top_k':" + topK);
        Map<String, Double> logs =
            logs(
                List.of(
                    metric("{'type':'precision'" + args + "}"),
                    metric("{'type':'recall'" + args + "}")),
                Loss.SPARSE_CATEGORICAL_CROSSENTROPY,
                units,
                1,
                out,
                y);
        String what = "class_id " + classId + ", top_k " + topK;
        assertEquals(tp == 0 ? 0 : (double) tp / (tp + fp), logs.get("precision"), 1e-12, what);
        assertEquals((double) tp / (tp + fn), logs.get("recall"), 1e-12, what);
      }
    }
  }

  @Test
  void aucOfKerasDocumentedExampleWorkedByHand() {
    // Keras' AUC docstring: thresholds [-1e-7, 0.5, 1 + 1e-7]; tp [2, 1, 0], fp [2, 0, 0],
    // fn [0, 1, 2], tn [0, 2, 2]; recall [1, 0.5, 0], fp rate [1, 0, 0].
    float[] out = {0, 0.5f, 0.3f, 0.9f};
    float[] y = {0, 0, 1, 1};
    Map<String, Double> logs =
        logs(
            List.of(
                metric("{'type':'auc','num_thresholds':3}"),
                metric("{'type':'auc','num_thresholds':3,'curve':'PR','name':'pr'}"),
                metric(
                    "{'type':'auc','num_thresholds':3,'summation_method':'minoring','name':'rmin'}"),
                metric(
                    "{'type':'auc','num_thresholds':3,'summation_method':'majoring','name':'rmaj'}"),
                metric(
                    "{'type':'auc','num_thresholds':3,'curve':'pr','summation_method':'minoring',"
                        + "'name':'pmin'}"),
                metric(
                    "{'type':'auc','num_thresholds':3,'curve':'pr','summation_method':'majoring',"
                        + "'name':'pmaj'}")),
            Loss.BINARY_CROSSENTROPY,
            1,
            1,
            out,
            y);
    // ROC, trapezoids: (1 - 0) * (1 + 0.5) / 2 + (0 - 0) * (0.5 + 0) / 2.
    assertEquals(0.75, logs.get("auc"), 1e-12);
    // ROC by the lower and the higher height of each interval.
    assertEquals(0.5, logs.get("rmin"), 1e-12);
    assertEquals(1.0, logs.get("rmaj"), 1e-12);
    // PR: precision [2/4, 1/1, 0] against recall [1, 0.5, 0].
    assertEquals(0.5 * 0.5 + 0.5 * 0, logs.get("pmin"), 1e-12);
    assertEquals(0.5 * 1 + 0.5 * 1, logs.get("pmaj"), 1e-12);
    // PR, Davis and Goadrich: on [t0, t1] dTP = 1, P from 4 to 1, slope 1/3, intercept
    // 1 - 1/3 = 2/3: (1/3) (1 + (2/3) ln 4) / (TP + FN = 2); on [t1, t2] slope 1, intercept 0:
    // 1 * 1 / 2.
    assertEquals(
        (1 + 2.0 / 3 * Math.log(4)) / 6 + 0.5, logs.get("pr"), 1e-12, "interpolated PR AUC");
  }

  @Test
  void aucWithTwoHundredThresholdsIsCloseToTheExactRankAuc() {
    int rows = 20_000;
    SplittableRandom random = new SplittableRandom(11);
    float[] out = new float[rows];
    float[] y = new float[rows];
    for (int r = 0; r < rows; r++) {
      y[r] = random.nextInt(4) == 0 ? 1 : 0;
      double score = 1 / (1 + Math.exp(-(1.2 * y[r] + random.nextGaussian())));
      out[r] = (float) score;
    }
    // Mann-Whitney: the share of (positive, negative) pairs ordered right, ties half.
    Integer[] order = IntStream.range(0, rows).boxed().toArray(Integer[]::new);
    java.util.Arrays.sort(order, Comparator.comparingDouble(r -> out[r]));
    double rankSum = 0;
    long positives = 0;
    for (int i = 0; i < rows; ) {
      int j = i;
      while (j < rows && out[order[j]] == out[order[i]]) {
        j++;
      }
      double rank = (i + 1 + j) / 2.0;
      for (int k = i; k < j; k++) {
        if (y[order[k]] == 1) {
          rankSum += rank;
          positives++;
        }
      }
      i = j;
    }
    long negatives = rows - positives;
    double exact = (rankSum - positives * (positives + 1) / 2.0) / (positives * negatives);
    Map<String, Double> logs =
        logs(
            List.of(metric("'auc'"), metric("{'type':'auc','num_thresholds':2000,'name':'fine'}")),
            Loss.BINARY_CROSSENTROPY,
            1,
            1,
            out,
            y);
    assertTrue(exact > 0.7 && exact < 0.9, "a model with some skill: " + exact);
    System.out.printf(
        "AUC of %d examples: exact %.6f, 200 thresholds %.6f, 2000 thresholds %.6f%n",
        rows, exact, logs.get("auc"), logs.get("fine"));
    assertEquals(exact, logs.get("auc"), 1e-3, "200 thresholds");
    assertEquals(exact, logs.get("fine"), 1e-4, "2000 thresholds");
  }

  @Test
  void topKAccuracyCountsTheLabelAmongTheKHighestWithTiesAsHits() {
    int rows = 300;
    int units = 6;
    float[] out = probabilities(rows, units, 21);
    out[0] = out[1] = out[2] = out[3] = 0.2f; // a tie around the label
    float[] y = classes(rows, units, 22);
    y[0] = 3;
    float[] oneHot = new float[rows * units];
    for (int r = 0; r < rows; r++) {
      oneHot[r * units + (int) y[r]] = 1;
    }
    for (int k : new int[] {1, 2, 5}) {
      int hits = 0;
      for (int r = 0; r < rows; r++) {
        float mine = out[r * units + (int) y[r]];
        int higher = 0;
        for (int j = 0; j < units; j++) {
          higher += out[r * units + j] > mine ? 1 : 0;
        }
        hits += higher < k ? 1 : 0;
      }
      Map<String, Double> sparse =
          logs(
              List.of(metric("{'type':'sparse_top_k_categorical_accuracy','k':" + k + "}")),
              Loss.SPARSE_CATEGORICAL_CROSSENTROPY,
              units,
              1,
              out,
              y);
      Map<String, Double> dense =
          logs(
              List.of(metric("{'type':'top_k_categorical_accuracy','k':" + k + "}")),
              Loss.CATEGORICAL_CROSSENTROPY,
              units,
              units,
              out,
              oneHot);
      assertEquals((double) hits / rows, sparse.get("sparse_top_k_categorical_accuracy"), 1e-12);
      assertEquals((double) hits / rows, dense.get("top_k_categorical_accuracy"), 1e-12);
    }
    assertEquals(
        1.0,
        logs(
                List.of(metric("{'type':'top_k_categorical_accuracy','k':1}")),
                Loss.SPARSE_CATEGORICAL_CROSSENTROPY,
                units,
                1,
                new float[] {0.2f, 0.2f, 0.2f, 0.2f, 0.1f, 0.1f},
                new float[] {3})
            .get("top_k_categorical_accuracy"),
        "four outputs tied at the top: each is a hit at k = 1, as in_top_k");
  }

  @Test
  void errorMetricsAverageOverUnitsThenExamples() {
    int rows = 250;
    int units = 3;
    SplittableRandom random = new SplittableRandom(5);
    float[] out = new float[rows * units];
    float[] y = new float[rows * units];
    double abs = 0;
    double squares = 0;
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) random.nextGaussian();
      y[i] = (float) random.nextGaussian();
      abs += Math.abs((double) out[i] - y[i]);
      squares += ((double) out[i] - y[i]) * ((double) out[i] - y[i]);
    }
    Map<String, Double> logs =
        logs(
            List.of(
                metric("'mae'"),
                metric("'mse'"),
                metric("'rmse'"),
                metric("'mean_absolute_error'")),
            Loss.MEAN_SQUARED_ERROR,
            units,
            units,
            out,
            y);
    assertEquals(abs / out.length, logs.get("mae"), 1e-9);
    assertEquals(abs / out.length, logs.get("mean_absolute_error"), 1e-9);
    assertEquals(squares / out.length, logs.get("mse"), 1e-9);
    assertEquals(Math.sqrt(squares / out.length), logs.get("rmse"), 1e-9);
    assertEquals(
        List.of("loss", "mae", "mse", "rmse", "mean_absolute_error"),
        List.copyOf(logs.keySet()),
        "keys as written, in order");
  }

  @Test
  void theConfusionMatrixCountsTrueAgainstPredictedClasses() {
    int rows = 333;
    int units = 4;
    float[] out = probabilities(rows, units, 31);
    float[] y = classes(rows, units, 32);
    long[][] expected = new long[units][units];
    for (int r = 0; r < rows; r++) {
      int best = 0;
      for (int j = 1; j < units; j++) {
        if (out[r * units + j] > out[r * units + best]) {
          best = j;
        }
      }
      expected[(int) y[r]][best]++;
    }
    Metrics m =
        new Metrics(List.of(metric("'auc'")), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, units, 1, true);
    Totals totals = new Totals();
    m.add(out, y, 0, rows, totals);
    totals.count = rows;
    long[][] matrix = m.confusionMatrix(totals);
    for (int r = 0; r < units; r++) {
      assertArrayEquals(expected[r], matrix[r], "row " + r);
    }
    long diagonal = 0;
    for (int r = 0; r < units; r++) {
      diagonal += matrix[r][r];
    }
    assertEquals(
        (double) diagonal / rows, totals.accuracy(), 1e-12, "the diagonal is the correct count");
    assertEquals(2, Metrics.confusionClasses(Loss.BINARY_CROSSENTROPY, 1, 1), "one sigmoid unit");
    assertEquals(0, Metrics.confusionClasses(Loss.BINARY_CROSSENTROPY, 3, 3), "multi-label");
    assertEquals(0, Metrics.confusionClasses(Loss.MEAN_SQUARED_ERROR, 3, 3), "regression");
  }

  @Test
  void totalsTravelAndAddWithTheirMetricSums() throws IOException {
    Totals a = new Totals();
    a.loss = 1.5;
    a.correct = 3;
    a.count = 7;
    a.metrics = new double[] {1, 2, 3};
    Totals b = new Totals();
    b.addFrom(ByteBuffer.wrap(a.toBytes()));
    b.addFrom(ByteBuffer.wrap(a.toBytes()));
    assertEquals(3.0, b.loss);
    assertEquals(6.0, b.correct);
    assertEquals(14, b.count);
    assertArrayEquals(new double[] {2, 4, 6}, b.metrics);
    byte[] cut = java.util.Arrays.copyOf(a.toBytes(), a.encodedBytes() - 8);
    assertThrows(IOException.class, () -> new Totals().addFrom(ByteBuffer.wrap(cut)));
    Totals other = new Totals();
    other.metrics = new double[2];
    assertThrows(IOException.class, () -> other.addFrom(ByteBuffer.wrap(a.toBytes())));
  }

  @Test
  void weightedExamplesScaleTheirLossAndGradient() {
    ModelSpec spec = ModelSpec.of(Dense.of(4, "tanh").withInputDim(3), Dense.of(3, "softmax"));
    Network network = new Network(spec, Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, 1);
    float[] params = spec.initialParameters(4);
    int rows = 5;
    SplittableRandom random = new SplittableRandom(9);
    float[] x = new float[rows * 3];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    float[] y = {0, 2, 1, 1, 0};
    float[] w = {1, 0, 2.5f, 0.5f, 1};
    float[] weighted = new float[params.length];
    Totals totals = new Totals();
    network.accumulate(
        params,
        x,
        0,
        y,
        0,
        new long[rows],
        0,
        w,
        0,
        0,
        rows,
        weighted,
        totals,
        network.newWorkspace(2));
    float[] expected = new float[params.length];
    double loss = 0;
    for (int r = 0; r < rows; r++) {
      float[] one = new float[params.length];
      Totals t = new Totals();
      network.accumulate(params, x, r * 3, y, r, 1, one, t, network.newWorkspace(1));
      loss += w[r] * t.loss;
      for (int i = 0; i < one.length; i++) {
        expected[i] += w[r] * one[i];
      }
    }
    assertEquals(loss, totals.loss, 1e-6);
    assertEquals(rows, totals.count, "the count is of examples, not of weight");
    assertTrue(Comparisons.maxRelativeDifference(weighted, expected) < 1e-6);
  }

  @Test
  void metricsReadAndWriteAsKerasNamesThem() {
    assertEquals("mae", metric("'mae'").name());
    assertTrue(metric("'mae'") instanceof Metric.MeanAbsoluteError);
    assertEquals("accuracy", metric("'acc'").name());
    assertEquals("root_mean_squared_error", metric("{'type':'root_mean_squared_error'}").name());
    JsonNode plain = metric("'precision'").toConfig();
    assertTrue(plain.isTextual(), plain.toString());
    Metric configured = metric("{'type':'auc','curve':'pr','name':'pr_auc'}");
    assertEquals(configured, Metric.fromConfig(configured.toConfig(), "m"));
    assertEquals(metric("'rmse'"), Metric.fromConfig(metric("'rmse'").toConfig(), "m"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new Metrics(
                    List.of(metric("{'type':'precision','class_id':3}")),
                    Loss.SPARSE_CATEGORICAL_CROSSENTROPY,
                    3,
                    1,
                    false));
    assertTrue(e.getMessage().contains("class_id 3"), e.getMessage());
  }
}
