package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkdp.Callback;
import org.sparkdp.FitOptions;
import org.sparkdp.FitOptions.SyncPath;
import org.sparkdp.History;
import org.sparkdp.ProgressLogger;
import org.sparkdp.Sequential;
import org.sparkdp.TrainingPlan;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.Comparisons;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Sgd;
import org.sparkdp.ops.Totals;
import org.sparkdp.testkit.Blobs;
import org.sparkdp.testkit.ReferenceTraining;
import org.sparkdp.testkit.Schedules;
import org.sparkdp.testkit.TestSpark;

class SyncTrainingTest {
  private static final Blobs DATA = Blobs.of(500, 6, 3, 5);

  private static Sequential model() {
    Sequential model = new Sequential(Dense.of(8, "relu").withInputDim(6), Dense.of(3, "softmax"));
    model.compile(Adam.withLearningRate(0.01), "sparse_categorical_crossentropy", "accuracy");
    return model;
  }

  private static float[] train(FitOptions options, int batchSize, int epochs) {
    Sequential model = model();
    model.fit(
        TestSpark.frame(DATA), options.epochs(epochs).batchSize(batchSize).seed(11).verbose(0));
    return model.weights();
  }

  private static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
    double d = Comparisons.maxRelativeDifference(actual, expected);
    assertTrue(d < tolerance, what + ": max |diff| / max |w| = " + d);
  }

  @Test
  void weightsDoNotDependOnThePartitioning() {
    float[] one = train(new FitOptions().partitions(1), 32, 3);
    assertClose(one, train(new FitOptions().partitions(3), 32, 3), 1e-5, "1 vs 3 partitions");
    assertClose(one, train(new FitOptions().partitions(7), 32, 3), 1e-5, "1 vs 7 partitions");
  }

  @Test
  void aJobPerStepTheDriverChannelAndTheAllreduceGiveTheSameBits() {
    // Two partitions on local[2]: a task each on every path, and each path adds the same two sums
    // (StepPathTest drives the paths step by step).
    float[] jobs = train(new FitOptions().partitions(2).syncPath(SyncPath.JOBS), 32, 2);
    float[] channel = train(new FitOptions().partitions(2).syncPath(SyncPath.CHANNEL), 32, 2);
    float[] ring = train(new FitOptions().partitions(2).syncPath(SyncPath.ALLREDUCE), 32, 2);
    assertArrayEquals(jobs, channel, "channel vs jobs");
    assertArrayEquals(jobs, ring, "allreduce vs jobs");
  }

  @Test
  void morePartitionsThanSlotsTakeTheChannelWithATaskPerSlotAndTheSameWeights() {
    Schedules schedules = new Schedules();
    FitOptions seven = new FitOptions().partitions(7).callbacks(schedules);
    float[] channel = train(seven, 32, 3);
    assertEquals(
        "16 steps of batch 32 per epoch (sync, driver channel: 2 tasks for 7 partitions, 2 task slots)",
        schedules.get(0),
        "local[2] has 2 slots: sync_path auto takes the channel with one task per slot");
    float[] jobs = train(new FitOptions().partitions(7).syncPath(SyncPath.JOBS), 32, 3);
    assertClose(jobs, channel, 1e-5, "7 partitions on 2 tasks vs a job per step");
    assertClose(train(new FitOptions().partitions(2), 32, 3), channel, 1e-5, "vs 2 partitions");
  }

  @Test
  void twoHundredPartitionsOnTwoSlotsTakeTheChannelAndKeepTheWeights() {
    Schedules schedules = new Schedules();
    float[] many = train(new FitOptions().partitions(200).callbacks(schedules), 32, 2);
    assertEquals(
        "16 steps of batch 32 per epoch (sync, driver channel: 2 tasks for 200 partitions, 2 task slots)",
        schedules.get(0),
        "as input read from 200 files or blocks would come");
    assertClose(train(new FitOptions().partitions(2), 32, 2), many, 1e-6, "200 vs 2 partitions");
  }

  @Test
  void validationThroughTheChannelEqualsValidationByAJob() {
    Map<String, History> histories = new LinkedHashMap<>();
    for (SyncPath path : List.of(SyncPath.JOBS, SyncPath.CHANNEL)) {
      histories.put(
          path + " split",
          model()
              .fit(
                  TestSpark.frame(DATA),
                  new FitOptions()
                      .partitions(2)
                      .syncPath(path)
                      .epochs(2)
                      .batchSize(40)
                      .validationSplit(0.2)
                      .verbose(0)));
      histories.put(
          path + " separate",
          model()
              .fit(
                  TestSpark.frame(DATA.slice(0, 400)),
                  TestSpark.frame(DATA.slice(400, 500)),
                  new FitOptions()
                      .partitions(2)
                      .syncPath(path)
                      .epochs(2)
                      .batchSize(40)
                      .verbose(0)));
    }
    for (String kind : List.of("split", "separate")) {
      Map<String, List<Double>> jobs = histories.get("JOBS " + kind).history();
      Map<String, List<Double>> channel = histories.get("CHANNEL " + kind).history();
      for (String metric : List.of("loss", "accuracy", "val_loss", "val_accuracy")) {
        for (int e = 0; e < 2; e++) {
          assertEquals(
              jobs.get(metric).get(e), channel.get(metric).get(e), 1e-6, kind + " " + metric);
        }
      }
    }
    assertEquals(
        histories.get("JOBS split").last("val_loss"),
        histories.get("JOBS separate").last("val_loss"),
        1e-6,
        "a 0.2 split of 500 rows validates on the same last 100 rows");
  }

  @Test
  void threadsWithinATaskGiveTheSameWeightsAsOneThread() {
    float[] one = train(new FitOptions().partitions(1), 64, 2);
    assertClose(
        one, train(new FitOptions().partitions(1).threads(3), 64, 2), 1e-5, "3 threads vs 1");
    assertClose(
        one,
        train(new FitOptions().partitions(2).threads(2).syncPath(SyncPath.JOBS), 64, 2),
        1e-5,
        "jobs, 2 threads");
  }

  @Test
  void sparkTrainingEqualsThePlainSingleMachineLoop() {
    Sequential model = model();
    Network network = new Network(model.spec(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, 1);
    float[] expected =
        ReferenceTraining.train(
            network,
            model.compileConfig().optimizer(),
            model.spec().initialParameters(11),
            DATA,
            50,
            2,
            ReferenceTraining.syncOrder(DATA.rows(), 11));
    assertClose(
        expected, train(new FitOptions().partitions(3), 50, 2), 1e-5, "Spark vs the plain loop");
  }

  @Test
  void fullBatchIsOneGradientStepPerEpoch() {
    Sequential model = new Sequential(Dense.of(3, "softmax").withInputDim(6));
    Sgd sgd = new Sgd(0.1, 0, false);
    model.compile(sgd, "sparse_categorical_crossentropy");
    model.fit(
        TestSpark.frame(DATA),
        new FitOptions().epochs(1).batchSize(FitOptions.ALL).partitions(2).verbose(0).seed(42));
    // One step on the mean gradient of every example, in any order, from the seed's weights.
    float[] start = model.spec().initialParameters(42);
    float[] grad = new float[start.length];
    Network network = new Network(model.spec(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, 1);
    network.accumulate(
        start,
        DATA.x(),
        0,
        DATA.labels(),
        0,
        DATA.rows(),
        grad,
        new Totals(),
        network.newWorkspace(64));
    float[] expected = start.clone();
    for (int i = 0; i < start.length; i++) {
      expected[i] -= 0.1f * grad[i] / DATA.rows();
    }
    assertClose(expected, model.weights(), 1e-5, "full batch");
  }

  @Test
  void weightsAndPredictBeforeFitDoNotFixTheSeedOfTheFirstFit() {
    Sequential looked = model();
    float[] before = looked.weights();
    looked.predict(TestSpark.frame(DATA.slice(0, 10))).count();
    assertArrayEquals(model().spec().initialParameters(FitOptions.SEED.defaultValue()), before);
    looked.fit(TestSpark.frame(DATA), new FitOptions().epochs(1).seed(11).verbose(0));
    Sequential fresh = model();
    fresh.fit(TestSpark.frame(DATA), new FitOptions().epochs(1).seed(11).verbose(0));
    assertArrayEquals(fresh.weights(), looked.weights(), "the first fit starts from its own seed");
  }

  @Test
  void learnsSeparableBlobsAndReportsKerasHistory() {
    Sequential model = model();
    History history =
        model.fit(
            TestSpark.frame(DATA),
            new FitOptions().epochs(5).batchSize(16).validationSplit(0.2).verbose(0));
    assertEquals(
        List.of("loss", "accuracy", "val_loss", "val_accuracy"),
        List.copyOf(history.history().keySet()));
    assertEquals(5, history.epochs());
    List<Double> loss = history.history().get("loss");
    assertTrue(loss.get(4) < loss.get(0), "loss falls: " + loss);
    assertTrue(history.last("val_accuracy") > 0.9, "val_accuracy " + history.last("val_accuracy"));
    Map<String, Double> metrics = model.evaluate(TestSpark.frame(Blobs.of(300, 6, 3, 5, 99)));
    assertTrue(
        metrics.get("accuracy") > 0.9, "accuracy on other samples of the same blobs: " + metrics);
  }

  @Test
  void epochLossIsTheMeanOverTheEpochsBatchesAsTrained() {
    // One epoch of full-batch training: the reported loss is the loss at the starting weights.
    Sequential model = model();
    History history =
        model.fit(
            TestSpark.frame(DATA), new FitOptions().epochs(1).batchSize(FitOptions.ALL).verbose(0));
    Sequential atStart = model();
    atStart.setWeights(model().spec().initialParameters(FitOptions.SEED.defaultValue()));
    assertEquals(atStart.evaluate(TestSpark.frame(DATA)).get("loss"), history.last("loss"), 1e-5);
  }

  @Test
  void callbacksSeeThePlanEveryEpochsLogsAndTheHistory() {
    List<String> calls = new ArrayList<>();
    Callback recorder =
        new Callback() {
          @Override
          public void onTrainBegin(TrainingPlan plan) {
            calls.add(
                "begin "
                    + plan.trainRows()
                    + " rows, "
                    + plan.validationRows()
                    + " validating, "
                    + plan.schedule());
          }

          @Override
          public void onEpochEnd(int epoch, Map<String, Double> logs) {
            calls.add("epoch " + epoch + " " + logs.keySet());
          }

          @Override
          public void onTrainEnd(History history) {
            calls.add("end " + history.epochs());
          }
        };
    model()
        .fit(
            TestSpark.frame(DATA),
            new FitOptions()
                .epochs(2)
                .batchSize(100)
                .partitions(2)
                .validationSplit(0.2)
                .syncPath(SyncPath.JOBS)
                .verbose(0)
                .callbacks(recorder));
    assertEquals(
        List.of(
            "begin 400 rows, 100 validating, 4 steps of batch 100 per epoch (sync, a Spark job per step)",
            "epoch 0 [loss, accuracy, val_loss, val_accuracy]",
            "epoch 1 [loss, accuracy, val_loss, val_accuracy]",
            "end 2"),
        calls);
  }

  @Test
  void progressLineHasKerasShape() {
    Map<String, Double> logs = new LinkedHashMap<>();
    logs.put("loss", 0.41234);
    logs.put("accuracy", 0.85);
    logs.put("val_loss", 0.5);
    logs.put("val_accuracy", 0.8);
    assertEquals(
        "Epoch 3/10 - 2.1s - loss: 0.4123 - accuracy: 0.8500 - val_loss: 0.5000 - val_accuracy: 0.8000",
        ProgressLogger.line(2, 10, 2.06, logs));
  }
}
