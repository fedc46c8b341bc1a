package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.sparkdp.FitOptions;
import org.sparkdp.FitOptions.OuterOptimizer;
import org.sparkdp.FitOptions.Strategy;
import org.sparkdp.History;
import org.sparkdp.Sequential;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.Comparisons;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.Network;
import org.sparkdp.testkit.Blobs;
import org.sparkdp.testkit.ReferenceTraining;
import org.sparkdp.testkit.TestSpark;

class LocalTrainingTest {
  private static final Blobs DATA = Blobs.of(400, 5, 3, 17);

  private static Sequential model() {
    Sequential model = new Sequential(Dense.of(8, "tanh").withInputDim(5), Dense.of(3, "softmax"));
    model.compile(Adam.withLearningRate(0.01), "sparse_categorical_crossentropy", "accuracy");
    return model;
  }

  private static Sequential fit(FitOptions options) {
    Sequential model = model();
    model.fit(TestSpark.frame(DATA), options.strategy(Strategy.LOCAL).seed(5).verbose(0));
    return model;
  }

  @Test
  void onePartitionIsPlainMiniBatchTrainingInItsOwnShuffledOrder() {
    float[] actual = fit(new FitOptions().partitions(1).batchSize(30).epochs(2)).weights();
    Network network = new Network(model().spec(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, 1);
    float[] expected =
        ReferenceTraining.train(
            network,
            Adam.withLearningRate(0.01),
            network.spec().initialParameters(5),
            DATA,
            30,
            2,
            ReferenceTraining.localOrder(DATA.rows(), 5, 0));
    assertTrue(
        Comparisons.maxRelativeDifference(actual, expected) < 1e-5,
        "relative difference " + Comparisons.maxRelativeDifference(actual, expected));
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
                .outerOptimizer(OuterOptimizer.NESTEROV)
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
                .outerOptimizer(OuterOptimizer.NESTEROV))
            .weights();
    assertTrue(
        Comparisons.maxRelativeDifference(momentum, average) > 1e-3, "momentum changes the result");
  }

  @Test
  void learnsWithSeveralPartitionsAndReportsHistory() {
    Sequential model = model();
    History history =
        model.fit(
            TestSpark.frame(DATA),
            new FitOptions()
                .strategy(Strategy.LOCAL)
                .partitions(3)
                .batchSize(16)
                .epochs(4)
                .validationSplit(0.25)
                .verbose(0));
    assertEquals(4, history.history().get("val_accuracy").size());
    assertTrue(history.last("val_accuracy") > 0.9, history.history().toString());
    assertEquals(4, model.lastFitStats().steps(), "one synchronisation per epoch");
  }
}
