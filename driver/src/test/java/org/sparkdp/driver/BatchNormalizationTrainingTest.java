package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkdp.testkit.Weights.relativeDifference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sparkdp.FitOptions;
import org.sparkdp.FitOptions.Strategy;
import org.sparkdp.FitOptions.SyncPath;
import org.sparkdp.Sequential;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.BatchNormalization;
import org.sparkdp.ops.Conv2D;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Flatten;
import org.sparkdp.ops.ParameterLayout;
import org.sparkdp.ops.Sgd;
import org.sparkdp.testkit.BatchNormalizationReference;
import org.sparkdp.testkit.Blobs;
import org.sparkdp.testkit.TestSpark;

/**
 * Exact {@code batch_normalization} in {@code sync} on {@code local[2]}: the mean and variance of a
 * step are the whole global batch's on every path (the driver channel, the executor allreduce, a
 * Spark job per step), so 1 and 4 partitions (one task, or two tasks owning two partitions each)
 * give the same weights, moving statistics included, within float rounding; the order of the
 * additions differs, so not bit for bit.
 */
class BatchNormalizationTrainingTest {
  private static final Blobs DATA = Blobs.of(500, 12, 3, 5);

  private static Sequential dense() {
    return new Sequential(
        Dense.of(8, "relu").withInputDim(12),
        BatchNormalization.defaults(),
        Dense.of(3, "softmax"));
  }

  private static Sequential conv() {
    return new Sequential(
            // No bias before a normalisation: its gradient would be rounding noise, which Adam
            // turns into whole steps (as in Keras: use_bias=False before BatchNormalization).
            Conv2D.of(4, 2, "linear").withUseBias(false),
            BatchNormalization.defaults().withMomentum(0.9),
            Flatten.of(),
            Dense.of(3, "softmax"))
        .inputShape(2, 3, 2);
  }

  private static float[] train(Sequential model, FitOptions options) {
    model.compile(Adam.withLearningRate(0.01), "sparse_categorical_crossentropy", "accuracy");
    model.fit(TestSpark.frame(DATA), options.epochs(2).batchSize(64).seed(11).verbose(0));
    return model.weights();
  }

  /** The moving statistics' values in {@code weights}, which must have left their start. */
  private static void assertMoved(Sequential model, float[] weights) {
    ParameterLayout layout = model.spec().layout();
    boolean moved = false;
    for (ParameterLayout.View v : layout.views()) {
      if (v.weight().equals("moving_variance")) {
        for (int i = v.offset(); i < v.offset() + v.size(); i++) {
          moved |= Math.abs(weights[i] - 1) > 1e-3;
        }
      }
    }
    assertTrue(moved, "the moving variance never left its start");
  }

  @ParameterizedTest
  @EnumSource(
      value = SyncPath.class,
      names = {"CHANNEL", "ALLREDUCE", "JOBS"})
  void onePartitionAndFourGiveTheSameWeightsAndMovingStatistics(SyncPath path) {
    float[] one = train(dense(), new FitOptions().syncPath(path).partitions(1));
    float[] four = train(dense(), new FitOptions().syncPath(path).partitions(4));
    double difference = relativeDifference(one, four);
    System.out.printf("batch_normalization, %s: max|w1 - w4| / max|w1| = %.3g%n", path, difference);
    assertTrue(difference < 1e-6, path + ": max|w1 - w4| / max|w1| = " + difference);
    assertMoved(dense(), four);
  }

  @ParameterizedTest
  @EnumSource(
      value = SyncPath.class,
      names = {"CHANNEL", "JOBS"})
  void tasksOfTwoThreadsAddTheirThreadsPartialsAndKeepTheWeights(SyncPath path) {
    float[] one = train(dense(), new FitOptions().syncPath(path).partitions(1));
    float[] threads = train(dense(), new FitOptions().syncPath(path).partitions(4).threads(2));
    double difference = relativeDifference(one, threads);
    assertTrue(difference < 1e-6, path + ", 2 threads: max|w1 - w4| / max|w1| = " + difference);
  }

  @Test
  void theAllreduceGivesTheChannelsBitsAndAJobPerStepTheirWeights() {
    float[] channel = train(dense(), new FitOptions().syncPath(SyncPath.CHANNEL).partitions(3));
    float[] ring = train(dense(), new FitOptions().syncPath(SyncPath.ALLREDUCE).partitions(3));
    // The same tasks, the same additions in group order: the same bits.
    assertEquals(0.0, relativeDifference(channel, ring), "the allreduce against the channel");
    // A job per step sums per partition where a channel task sums its run of partitions at once.
    float[] jobs = train(dense(), new FitOptions().syncPath(SyncPath.JOBS).partitions(3));
    double difference = relativeDifference(channel, jobs);
    assertTrue(difference < 1e-6, "a job per step against the channel: " + difference);
  }

  @ParameterizedTest
  @EnumSource(
      value = SyncPath.class,
      names = {"CHANNEL", "ALLREDUCE", "JOBS"})
  void afterAConvolutionTheStatisticsArePerChannelOverTheGlobalBatch(SyncPath path) {
    float[] one = train(conv(), new FitOptions().syncPath(path).partitions(1));
    float[] four = train(conv(), new FitOptions().syncPath(path).partitions(4));
    double difference = relativeDifference(one, four);
    assertTrue(difference < 1e-6, "max|w1 - w4| / max|w1| = " + difference);
    assertMoved(conv(), four);
  }

  @Test
  void fullBatchTrainingAgreesWithAnIndependentComputationInDoubleMovingStatisticsIncluded() {
    Blobs data = Blobs.of(96, 4, 3, 8);
    Sequential model =
        new Sequential(
            Dense.of(6, "tanh").withInputDim(4),
            BatchNormalization.defaults().withMomentum(0.9),
            Dense.of(3, "softmax"));
    ParameterLayout layout = model.spec().layout();
    float[] start = model.spec().initialParameters(3);
    model.setWeights(start);
    model.compile(new Sgd(0.1, 0, false), "sparse_categorical_crossentropy");
    int steps = 6;
    model.fit(
        TestSpark.frame(data),
        new FitOptions()
            .syncPath(SyncPath.CHANNEL)
            .partitions(3)
            .batchSize(96)
            .epochs(steps)
            .verbose(0));
    double[] x = new double[data.x().length];
    for (int i = 0; i < x.length; i++) {
      x[i] = data.x()[i];
    }
    double[] w0 = new double[start.length];
    for (int i = 0; i < w0.length; i++) {
      w0[i] = start[i];
    }
    double[] expected =
        BatchNormalizationReference.train(layout, w0, x, data.labels(), 96, 0.1, steps, 0.9);
    float[] actual = model.weights();
    double worst = 0;
    double largest = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
      largest = Math.max(largest, Math.abs(expected[i]));
    }
    System.out.printf(
        "batch_normalization, full batch against the double reference: max|w - w_ref| / max|w_ref|"
            + " = %.3g%n",
        worst / largest);
    assertTrue(worst / largest < 1e-4, "max|w - w_ref| / max|w_ref| = " + worst / largest);
    assertMoved(model, actual);
  }

  @Test
  void inLocalEachTaskNormalisesByItsOwnBatch() {
    float[] local =
        train(dense(), new FitOptions().strategy(Strategy.LOCAL).partitions(2).syncEvery(2));
    assertMoved(dense(), local);
    float[] sync = train(dense(), new FitOptions().syncPath(SyncPath.CHANNEL).partitions(2));
    assertTrue(relativeDifference(sync, local) > 1e-3, "local trained as sync does");
  }
}
