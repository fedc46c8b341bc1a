package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.sparkdp.Sequential;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.Comparisons;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.OptimizerState;
import org.sparkdp.ops.Permutation;
import org.sparkdp.ops.Seeds;
import org.sparkdp.ops.Totals;

class LocalTrainerTest {
  private static final List<Row> ROWS = TestSpark.blobs(400, 5, 3, 17);

  private static Sequential model() {
    Sequential model = new Sequential(Dense.of(8, "tanh").withInputDim(5), Dense.of(3, "softmax"));
    model.compile(Adam.withLearningRate(0.01), "sparse_categorical_crossentropy", "accuracy");
    return model;
  }

  private static Sequential fit(FitOptions options) {
    Sequential model = model();
    model.fit(TestSpark.frame(ROWS), options.strategy("local").seed(5).verbose(0));
    return model;
  }

  @Test
  void onePartitionIsPlainMiniBatchTrainingInItsOwnShuffledOrder() {
    int batch = 30;
    int epochs = 2;
    float[] actual = fit(new FitOptions().partitions(1).batchSize(batch).epochs(epochs)).weights();

    Network network = new Network(model().spec(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, 1);
    int n = ROWS.size();
    float[] x = new float[n * 5];
    float[] y = new float[n];
    for (int r = 0; r < n; r++) {
      double[] v = ((Vector) ROWS.get(r).get(0)).toArray();
      for (int j = 0; j < 5; j++) {
        x[r * 5 + j] = (float) v[j];
      }
      y[r] = (float) ROWS.get(r).getDouble(1);
    }
    float[] params = network.spec().initialParameters(5);
    Adam adam = Adam.withLearningRate(0.01);
    OptimizerState state = adam.newState(params.length);
    for (int epoch = 0; epoch < epochs; epoch++) {
      Permutation shuffle = new Permutation(n, Seeds.mix(5, 0x10ca1L, epoch, 0));
      int[] order = new int[n];
      for (int r = 0; r < n; r++) {
        order[(int) shuffle.apply(r)] = r;
      }
      for (int start = 0; start < n; start += batch) {
        int rows = Math.min(batch, n - start);
        float[] bx = new float[rows * 5];
        float[] by = new float[rows];
        for (int i = 0; i < rows; i++) {
          System.arraycopy(x, order[start + i] * 5, bx, i * 5, 5);
          by[i] = y[order[start + i]];
        }
        float[] grad = new float[params.length];
        network.accumulate(
            params, bx, 0, by, 0, rows, grad, new Totals(), network.newWorkspace(rows));
        for (int i = 0; i < grad.length; i++) {
          grad[i] /= rows;
        }
        adam.step(params, grad, state);
      }
    }
    assertTrue(
        Comparisons.maxRelativeDifference(actual, params) < 1e-5,
        "relative difference " + Comparisons.maxRelativeDifference(actual, params));
  }

  @Test
  void synchronisingEveryFewStepsChangesNothingForOnePartition() {
    float[] perEpoch = fit(new FitOptions().partitions(1).batchSize(25).epochs(2)).weights();
    float[] everyFour =
        fit(new FitOptions().partitions(1).batchSize(25).epochs(2).syncEvery(4)).weights();
    assertTrue(Comparisons.maxRelativeDifference(everyFour, perEpoch) < 1e-6);
  }

  @Test
  void nesterovWithoutMomentumAndUnitRateIsPlainAveraging() {
    float[] average =
        fit(new FitOptions().partitions(3).batchSize(20).epochs(2).syncEvery(3)).weights();
    float[] nesterov =
        fit(new FitOptions()
                .partitions(3)
                .batchSize(20)
                .epochs(2)
                .syncEvery(3)
                .outerOptimizer("nesterov")
                .outerLearningRate(1)
                .outerMomentum(0))
            .weights();
    assertTrue(Comparisons.maxRelativeDifference(nesterov, average) < 1e-6);
    float[] momentum =
        fit(new FitOptions()
                .partitions(3)
                .batchSize(20)
                .epochs(2)
                .syncEvery(3)
                .outerOptimizer("nesterov"))
            .weights();
    assertTrue(
        Comparisons.maxRelativeDifference(momentum, average) > 1e-3, "momentum changes the result");
  }

  @Test
  void learnsWithSeveralPartitionsAndReportsHistory() {
    Sequential model = model();
    History history =
        model.fit(
            TestSpark.frame(ROWS),
            new FitOptions()
                .strategy("local")
                .partitions(3)
                .batchSize(16)
                .epochs(4)
                .validationSplit(0.25)
                .verbose(0));
    assertEquals(4, history.history().get("val_accuracy").size());
    assertTrue(history.last("val_accuracy") > 0.9, history.history().toString());
    assertEquals(4, model.lastStepStats().steps(), "one synchronisation per epoch");
  }
}
