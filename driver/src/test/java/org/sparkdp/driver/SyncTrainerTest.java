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
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.OptimizerState;
import org.sparkdp.ops.Permutation;
import org.sparkdp.ops.Seeds;
import org.sparkdp.ops.Sgd;
import org.sparkdp.ops.Totals;

class SyncTrainerTest {
  private static final List<Row> ROWS = TestSpark.blobs(500, 6, 3, 5);

  private static Sequential model() {
    Sequential model = new Sequential(Dense.of(8, "relu").withInputDim(6), Dense.of(3, "softmax"));
    model.compile(Adam.withLearningRate(0.01), "sparse_categorical_crossentropy", "accuracy");
    return model;
  }

  private static float[] train(int partitions, int batchSize, int epochs) {
    return train(new FitOptions().partitions(partitions), batchSize, epochs);
  }

  private static float[] train(FitOptions options, int batchSize, int epochs) {
    Sequential model = model();
    model.fit(
        TestSpark.frame(ROWS), options.epochs(epochs).batchSize(batchSize).seed(11).verbose(0));
    return model.weights();
  }

  /**
   * The same training on one machine, written out plainly: shuffle ids by the epoch's permutation,
   * take consecutive batches, mean gradient of each batch, Adam step.
   */
  private static float[] plainTraining(
      int batchSize, int epochs, Network network, CompileConfig compile) {
    int n = ROWS.size();
    int in = 6;
    float[] x = new float[n * in];
    float[] y = new float[n];
    for (int r = 0; r < n; r++) {
      double[] v = ((Vector) ROWS.get(r).get(0)).toArray();
      for (int j = 0; j < in; j++) {
        x[r * in + j] = (float) v[j];
      }
      y[r] = (float) ROWS.get(r).getDouble(1);
    }
    float[] params = network.spec().initialParameters(11);
    OptimizerState state = compile.optimizer().newState(params.length);
    for (int epoch = 0; epoch < epochs; epoch++) {
      Permutation permutation = new Permutation(n, Seeds.mix(11, 0x5ef1eL, epoch));
      int[] order = new int[n];
      for (int id = 0; id < n; id++) {
        order[(int) permutation.apply(id)] = id;
      }
      for (int start = 0; start < n; start += batchSize) {
        int rows = Math.min(batchSize, n - start);
        float[] bx = new float[rows * in];
        float[] by = new float[rows];
        for (int i = 0; i < rows; i++) {
          System.arraycopy(x, order[start + i] * in, bx, i * in, in);
          by[i] = y[order[start + i]];
        }
        float[] grad = new float[params.length];
        network.accumulate(
            params, bx, 0, by, 0, rows, grad, new Totals(), network.newWorkspace(rows));
        for (int i = 0; i < grad.length; i++) {
          grad[i] /= rows;
        }
        compile.optimizer().step(params, grad, state);
      }
    }
    return params;
  }

  @Test
  void weightsDoNotDependOnThePartitioning() {
    float[] one = train(1, 32, 3);
    float[] three = train(3, 32, 3);
    float[] seven = train(7, 32, 3);
    assertTrue(
        Comparisons.maxRelativeDifference(three, one) < 1e-5,
        "1 vs 3 partitions: " + Comparisons.maxRelativeDifference(three, one));
    assertTrue(
        Comparisons.maxRelativeDifference(seven, one) < 1e-5,
        "1 vs 7 partitions: " + Comparisons.maxRelativeDifference(seven, one));
  }

  @Test
  void theDriverChannelAndAJobPerStepGiveTheSameWeights() {
    float[] jobs = train(new FitOptions().partitions(2).syncPath("jobs"), 32, 2);
    float[] channel = train(new FitOptions().partitions(2).syncPath("channel"), 32, 2);
    assertTrue(
        Comparisons.maxRelativeDifference(channel, jobs) < 1e-6,
        "channel vs jobs: " + Comparisons.maxRelativeDifference(channel, jobs));
  }

  @Test
  void validationThroughTheChannelEqualsValidationByAJob() {
    java.util.Map<String, History> histories = new java.util.LinkedHashMap<>();
    for (String path : new String[] {"jobs", "channel"}) {
      Sequential split = model();
      histories.put(
          path + " split",
          split.fit(
              TestSpark.frame(ROWS),
              new FitOptions()
                  .partitions(2)
                  .syncPath(path)
                  .epochs(2)
                  .batchSize(40)
                  .validationSplit(0.2)
                  .verbose(0)));
      Sequential separate = model();
      histories.put(
          path + " separate",
          separate.fit(
              TestSpark.frame(ROWS.subList(0, 400)),
              TestSpark.frame(ROWS.subList(400, 500)),
              new FitOptions().partitions(2).syncPath(path).epochs(2).batchSize(40).verbose(0)));
    }
    for (String kind : new String[] {"split", "separate"}) {
      java.util.Map<String, java.util.List<Double>> jobs = histories.get("jobs " + kind).history();
      java.util.Map<String, java.util.List<Double>> channel =
          histories.get("channel " + kind).history();
      for (String metric : List.of("loss", "accuracy", "val_loss", "val_accuracy")) {
        for (int e = 0; e < 2; e++) {
          assertEquals(
              jobs.get(metric).get(e), channel.get(metric).get(e), 1e-6, kind + " " + metric);
        }
      }
    }
    assertEquals(
        histories.get("jobs split").last("val_loss"),
        histories.get("jobs separate").last("val_loss"),
        1e-6,
        "a 0.2 split of 500 rows validates on the same last 100 rows");
  }

  @Test
  void threadsWithinATaskGiveTheSameWeightsAsOneThread() {
    float[] one = train(new FitOptions().partitions(1), 64, 2);
    float[] three = train(new FitOptions().partitions(1).threads(3), 64, 2);
    float[] jobs = train(new FitOptions().partitions(2).threads(2).syncPath("jobs"), 64, 2);
    assertTrue(
        Comparisons.maxRelativeDifference(three, one) < 1e-5,
        "3 threads vs 1: " + Comparisons.maxRelativeDifference(three, one));
    assertTrue(
        Comparisons.maxRelativeDifference(jobs, one) < 1e-5,
        "jobs, 2 threads: " + Comparisons.maxRelativeDifference(jobs, one));
  }

  @Test
  void sparkTrainingEqualsThePlainSingleMachineLoop() {
    Sequential model = model();
    ModelSpec spec = model.spec();
    Network network = new Network(spec, Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, 1);
    float[] expected = plainTraining(50, 2, network, model.compileConfig());
    float[] actual = train(3, 50, 2);
    assertTrue(
        Comparisons.maxRelativeDifference(actual, expected) < 1e-5,
        "relative difference " + Comparisons.maxRelativeDifference(actual, expected));
  }

  @Test
  void fullBatchIsOneGradientStepPerEpoch() {
    Sequential model = new Sequential(Dense.of(3, "softmax").withInputDim(6));
    model.compile(new Sgd(0.1, 0, false), "sparse_categorical_crossentropy");
    float[] start = model.weights();
    model.fit(
        TestSpark.frame(ROWS),
        new FitOptions().epochs(1).batchSize(FitOptions.ALL).partitions(2).verbose(0).seed(42));
    Network network = new Network(model.spec(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, 1);
    float[] expected =
        plainTraining(
            ROWS.size(),
            1,
            network,
            new CompileConfig(
                new Sgd(0.1, 0, false), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, List.of()));
    // plainTraining starts from seed 11; redo from the model's start instead.
    float[] grad = new float[start.length];
    float[] x = new float[ROWS.size() * 6];
    float[] y = new float[ROWS.size()];
    for (int r = 0; r < ROWS.size(); r++) {
      double[] v = ((Vector) ROWS.get(r).get(0)).toArray();
      for (int j = 0; j < 6; j++) {
        x[r * 6 + j] = (float) v[j];
      }
      y[r] = (float) ROWS.get(r).getDouble(1);
    }
    network.accumulate(
        start, x, 0, y, 0, ROWS.size(), grad, new Totals(), network.newWorkspace(64));
    for (int i = 0; i < start.length; i++) {
      expected[i] = start[i] - 0.1f * grad[i] / ROWS.size();
    }
    assertTrue(Comparisons.maxRelativeDifference(model.weights(), expected) < 1e-5);
  }

  @Test
  void learnsSeparableBlobsAndReportsKerasHistory() {
    Sequential model = model();
    History history =
        model.fit(
            TestSpark.frame(ROWS),
            new FitOptions().epochs(5).batchSize(16).validationSplit(0.2).verbose(0));
    assertEquals(
        List.of("loss", "accuracy", "val_loss", "val_accuracy"),
        List.copyOf(history.history().keySet()));
    assertEquals(5, history.epochs());
    List<Double> loss = history.history().get("loss");
    assertTrue(loss.get(4) < loss.get(0), "loss falls: " + loss);
    assertTrue(history.last("val_accuracy") > 0.9, "val_accuracy " + history.last("val_accuracy"));
    Totals check = new Totals();
    assertEquals(0, check.count);
    java.util.Map<String, Double> metrics = model.evaluate(TestSpark.frame(ROWS));
    assertTrue(metrics.get("accuracy") > 0.9, metrics.toString());
  }

  @Test
  void epochLossIsTheMeanOverTheEpochsBatchesAsTrained() {
    // One epoch of full-batch training: the reported loss is the loss at the starting weights.
    Sequential model = model();
    float[] start = model.weights();
    History history =
        model.fit(
            TestSpark.frame(ROWS), new FitOptions().epochs(1).batchSize(FitOptions.ALL).verbose(0));
    Sequential atStart = model();
    atStart.setWeights(start);
    assertEquals(atStart.evaluate(TestSpark.frame(ROWS)).get("loss"), history.last("loss"), 1e-5);
  }

  @Test
  void progressLineHasKerasShape() {
    History h = new History();
    h.add("loss", 0.41234);
    h.add("accuracy", 0.85);
    h.add("val_loss", 0.5);
    h.add("val_accuracy", 0.8);
    assertEquals(
        "Epoch 3/10 - 2.1s - loss: 0.4123 - accuracy: 0.8500 - val_loss: 0.5000 - val_accuracy: 0.8000",
        SyncTrainer.progressLine(h, 2, 10, 2.06));
  }
}
