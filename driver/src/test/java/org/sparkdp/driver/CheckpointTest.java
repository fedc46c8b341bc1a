package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.Callback;
import org.sparkdp.DataException;
import org.sparkdp.FitOptions;
import org.sparkdp.FitOptions.Strategy;
import org.sparkdp.FitOptions.SyncPath;
import org.sparkdp.History;
import org.sparkdp.Sequential;
import org.sparkdp.TrainingDivergedException;
import org.sparkdp.TrainingInterruptedException;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.Metrics;
import org.sparkdp.ops.Totals;
import org.sparkdp.testkit.Blobs;
import org.sparkdp.testkit.TestSpark;

class CheckpointTest {
  private static final Blobs DATA = Blobs.of(300, 4, 3, 23);

  private static Sequential model() {
    Sequential model = new Sequential(Dense.of(6, "relu").withInputDim(4), Dense.of(3, "softmax"));
    model.compile(Adam.withLearningRate(0.02), "sparse_categorical_crossentropy", "accuracy");
    return model;
  }

  private static FitOptions options(Strategy strategy, String dir, int epochs) {
    return new FitOptions()
        .strategy(strategy)
        .epochs(epochs)
        .batchSize(25)
        .partitions(2)
        .validationSplit(0.2)
        .seed(9)
        .verbose(0)
        .checkpointDir(dir);
  }

  private static List<String> checkpoints(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("ckpt-"))
          .sorted()
          .toList();
    }
  }

  @Test
  void resumingAfterTwoOfFourEpochsGivesTheUninterruptedWeightsAndHistory(@TempDir Path dir)
      throws IOException {
    for (Strategy strategy : Strategy.values()) {
      Sequential whole = model();
      History full =
          whole.fit(
              TestSpark.frame(DATA), options(strategy, dir.resolve(strategy + "-a").toString(), 4));

      String resumed = dir.resolve(strategy + "-b").toString();
      model().fit(TestSpark.frame(DATA), options(strategy, resumed, 2));
      Sequential second = model();
      History rest = second.fit(TestSpark.frame(DATA), options(strategy, resumed, 4).resume(true));

      assertArrayEquals(
          whole.weights(), second.weights(), strategy + ": the same weights, bit for bit");
      assertEquals(full.history(), rest.history(), strategy + ": the same history");
      assertEquals(
          List.of("ckpt-00002-00000000", "ckpt-00003-00000000", "ckpt-00004-00000000"),
          checkpoints(dir.resolve(strategy + "-b")),
          strategy + ": the newest three are kept");
    }
  }

  @Test
  void aDamagedNewestCheckpointIsPassedOverForTheNewestIntactOne(@TempDir Path dir)
      throws IOException {
    Sequential whole = model();
    whole.fit(TestSpark.frame(DATA), options(Strategy.SYNC, dir.resolve("a").toString(), 4));
    Path b = dir.resolve("b");
    model().fit(TestSpark.frame(DATA), options(Strategy.SYNC, b.toString(), 3));
    assertEquals(
        List.of("ckpt-00001-00000000", "ckpt-00002-00000000", "ckpt-00003-00000000"),
        checkpoints(b));
    // The newest checkpoint.json cut in half; the one before it with one byte of its state
    // changed.
    Path json = b.resolve("ckpt-00003-00000000").resolve("checkpoint.json");
    byte[] bytes = Files.readAllBytes(json);
    Files.write(json, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    Path state = b.resolve("ckpt-00002-00000000").resolve("state.npz");
    byte[] arrays = Files.readAllBytes(state);
    arrays[arrays.length / 2] ^= 4;
    Files.write(state, arrays);

    Sequential resumed = model();
    resumed.fit(TestSpark.frame(DATA), options(Strategy.SYNC, b.toString(), 4).resume(true));
    assertArrayEquals(
        whole.weights(),
        resumed.weights(),
        "resumed from the checkpoint of epoch 1, the newest intact one");

    // With every checkpoint damaged, resuming fails naming each.
    Path c = dir.resolve("c");
    model().fit(TestSpark.frame(DATA), options(Strategy.SYNC, c.toString(), 1));
    Path sums = c.resolve("ckpt-00001-00000000").resolve("SHA256SUMS");
    String text = Files.readString(sums);
    Files.writeString(sums, (text.charAt(0) == '0' ? "1" : "0") + text.substring(1));
    java.io.UncheckedIOException e =
        assertThrows(
            java.io.UncheckedIOException.class,
            () ->
                model()
                    .fit(
                        TestSpark.frame(DATA),
                        options(Strategy.SYNC, c.toString(), 2).resume(true)));
    assertTrue(
        e.getMessage()
            .contains(
                "no intact checkpoint in "
                    + c
                    + ": ckpt-00001-00000000 ("
                    + c.resolve("ckpt-00001-00000000").resolve("checkpoint.json")
                    + ": its SHA-256 differs from the one in SHA256SUMS (altered or truncated))"),
        e.getMessage());
  }

  @Test
  void aMidEpochCheckpointResumesAtItsStep(@TempDir Path dir) throws IOException {
    Sequential whole = model();
    History full =
        whole.fit(TestSpark.frame(DATA), options(Strategy.SYNC, dir.resolve("a").toString(), 2));

    String path = dir.resolve("b").toString();
    model()
        .fit(
            TestSpark.frame(DATA),
            options(Strategy.SYNC, path, 2).checkpointEverySteps(4).keepCheckpoints(10));
    // Keep nothing newer than step 8 of the second epoch, as if the driver had died there.
    for (String name : checkpoints(dir.resolve("b"))) {
      if (name.compareTo("ckpt-00001-00000008") > 0) {
        Files.walk(dir.resolve("b").resolve(name))
            .sorted(java.util.Comparator.reverseOrder())
            .forEach(p -> p.toFile().delete());
      }
    }
    assertEquals(
        "ckpt-00001-00000008",
        checkpoints(dir.resolve("b")).get(checkpoints(dir.resolve("b")).size() - 1));
    Sequential second = model();
    History rest = second.fit(TestSpark.frame(DATA), options(Strategy.SYNC, path, 2).resume(true));
    assertArrayEquals(whole.weights(), second.weights());
    assertEquals(
        full.history().get("loss"),
        rest.history().get("loss"),
        "the epoch's loss includes its first 8 steps");
  }

  @Test
  void aRunThatDoesNotResumeReplacesTheCheckpointsOfAnEarlierOne(@TempDir Path dir)
      throws IOException {
    model().fit(TestSpark.frame(DATA), options(Strategy.SYNC, dir.toString(), 3));
    assertEquals(3, checkpoints(dir).size());
    model().fit(TestSpark.frame(DATA), options(Strategy.SYNC, dir.toString(), 1).seed(10));
    assertEquals(
        List.of("ckpt-00001-00000000"), checkpoints(dir), "only the new run's checkpoint is left");
  }

  @Test
  void aResumeWithAChangedModelNamesTheSettingThatDiffers(@TempDir Path dir) {
    String path = dir.toString();
    model().fit(TestSpark.frame(DATA), options(Strategy.SYNC, path, 1));
    Sequential wider = new Sequential(Dense.of(7, "relu").withInputDim(4), Dense.of(3, "softmax"));
    wider.compile(Adam.withLearningRate(0.03), "sparse_categorical_crossentropy", "accuracy");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> wider.fit(TestSpark.frame(DATA), options(Strategy.SYNC, path, 2).resume(true)));
    assertTrue(
        e.getMessage()
            .endsWith(
                "it was made by a different run: model.layers[0].units: 6 in the checkpoint, 7"
                    + " now; compile.optimizer.learning_rate: 0.02 in the checkpoint, 0.03 now"),
        e.getMessage());
  }

  @Test
  void aCheckpointOfAnotherRunIsNotResumed(@TempDir Path dir) {
    String path = dir.toString();
    model().fit(TestSpark.frame(DATA), options(Strategy.SYNC, path, 1));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                model()
                    .fit(
                        TestSpark.frame(DATA),
                        options(Strategy.SYNC, path, 2).batchSize(50).resume(true)));
    assertTrue(
        e.getMessage()
            .contains("it was made by a different run: batch_size: 25 in the checkpoint, 50 now"),
        e.getMessage());
    IllegalArgumentException none =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                model()
                    .fit(
                        TestSpark.frame(DATA),
                        options(Strategy.SYNC, dir.resolve("empty").toString(), 2).resume(true)));
    assertTrue(
        none.getMessage().startsWith("nothing to resume: no checkpoint in"), none.getMessage());
  }

  @Test
  void divergenceStopsNamingEpochAndStepAndKeepsTheGoodCheckpoints(@TempDir Path dir)
      throws IOException {
    // Linear regression with a learning rate past the stable limit: the error grows about 5 times
    // per step, so the
    // loss overflows to infinity after a few epochs of ten steps.
    java.util.SplittableRandom random = new java.util.SplittableRandom(3);
    List<org.apache.spark.sql.Row> rows = new java.util.ArrayList<>();
    for (int i = 0; i < 100; i++) {
      double[] x = {
        random.nextGaussian(), random.nextGaussian(), random.nextGaussian(), random.nextGaussian()
      };
      rows.add(
          org.apache.spark.sql.RowFactory.create(
              org.apache.spark.ml.linalg.Vectors.dense(x), x[0] - x[1]));
    }
    Sequential model = new Sequential(Dense.of(1, "linear").withInputDim(4));
    model.compile(new org.sparkdp.ops.Sgd(3, 0, false), "mse");
    TrainingDivergedException e =
        assertThrows(
            TrainingDivergedException.class,
            () ->
                model.fit(
                    TestSpark.session().createDataFrame(rows, TestSpark.SCHEMA),
                    new FitOptions()
                        .epochs(20)
                        .batchSize(10)
                        .partitions(1)
                        .verbose(0)
                        .checkpointDir(dir.toString())));
    assertTrue(
        e.getMessage()
            .matches(
                "training diverged: the loss became (NaN|Infinity) at epoch [2-9], step \\d+ .*"),
        e.getMessage());
    int epoch = Integer.parseInt(e.getMessage().replaceAll(".* at epoch (\\d+), .*", "$1"));
    List<String> kept = checkpoints(dir);
    assertEquals(
        String.format("ckpt-%05d-00000000", epoch - 1),
        kept.get(kept.size() - 1),
        "the last checkpoint is the last good epoch's");
  }

  @Test
  void aFailedAttemptIsRetriedFromTheLastCheckpoint(@TempDir Path dir) throws IOException {
    TrainingState state = TrainingState.start(new float[] {1, 2, 3});
    state.ensureOptimizer(Adam.defaults());
    Checkpoints checkpoints =
        new Checkpoints(
            dir.toString(),
            TestSpark.session().sparkContext().hadoopConfiguration(),
            2,
            new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("run", 1));
    Recovery recovery = new Recovery(checkpoints, 2, state, null, FitStop.begin());
    AtomicInteger attempts = new AtomicInteger();
    recovery.run(
        state,
        s -> {
          if (attempts.incrementAndGet() == 1) {
            s.params()[0] = 10;
            s.finishEpoch(null, new Metrics(List.of(), Loss.MEAN_SQUARED_ERROR, 3, 3, false), 1);
            recovery.save(s); // the checkpoint of epoch 1
            s.params()[0] = 99; // progress after it, lost with the failure
            s.advance(new Totals());
            throw new ClusterFault("an executor was lost", null);
          }
          assertEquals(
              10, s.params()[0], "restarted from the checkpoint, not from where it failed");
          assertEquals(0, s.step());
          assertEquals(1, s.epoch());
        });
    assertEquals(2, attempts.get());

    Recovery strict = new Recovery(null, 1, state, null, FitStop.begin());
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                strict.run(
                    state,
                    s -> {
                      throw new ClusterFault("executors keep dying", null);
                    }));
    assertTrue(
        e.getMessage().contains("gave up after 1 retries: executors keep dying"), e.getMessage());
  }

  @Test
  void bugsDataErrorsAndDivergenceAreNotRetried() {
    TrainingState state = TrainingState.start(new float[] {1, 2, 3});
    Recovery recovery = new Recovery(null, 3, state, null, FitStop.begin());
    for (RuntimeException failure :
        List.of(
            new NullPointerException("a bug"),
            new DataException("row 3: NaN"),
            new TrainingDivergedException("diverged"),
            new IllegalStateException("a bug too"))) {
      AtomicInteger attempts = new AtomicInteger();
      RuntimeException thrown =
          assertThrows(
              RuntimeException.class,
              () ->
                  recovery.run(
                      state,
                      s -> {
                        attempts.incrementAndGet();
                        throw failure;
                      }));
      assertEquals(failure, thrown, "the failure itself, not wrapped");
      assertEquals(1, attempts.get(), failure + " was tried once");
    }
    assertTrue(
        Recovery.retriable(new org.apache.spark.SparkException("Job aborted: executor lost")));
  }

  @Test
  void aJobThatCannotFinishInTimeIsCancelledWithAMessage() {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
    long start = System.nanoTime();
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                SparkWaits.call(
                    jsc,
                    "the sleepy job",
                    1000,
                    () ->
                        jsc.parallelize(List.of(1, 2), 2)
                            .map(
                                x -> {
                                  Thread.sleep(60_000);
                                  return x;
                                })
                            .collect()));
    assertTrue(
        e.getMessage().startsWith("timed out after 1 s waiting for the sleepy job"),
        e.getMessage());
    assertTrue((System.nanoTime() - start) / 1e9 < 30, "it did not wait for the job");
  }

  @Test
  void aStopRequestEndsTheAttemptWithoutARetryAndNamesTheLastCheckpoint(@TempDir Path dir)
      throws IOException {
    TrainingState state = TrainingState.start(new float[] {1, 2, 3});
    state.ensureOptimizer(Adam.defaults());
    Checkpoints checkpoints =
        new Checkpoints(
            dir.toString(),
            TestSpark.session().sparkContext().hadoopConfiguration(),
            2,
            new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("run", 1));
    FitStop stop = FitStop.begin();
    try {
      Recovery recovery = new Recovery(checkpoints, 3, state, null, stop);
      AtomicInteger attempts = new AtomicInteger();
      TrainingInterruptedException e =
          assertThrows(
              TrainingInterruptedException.class,
              () ->
                  recovery.run(
                      state,
                      s -> {
                        attempts.incrementAndGet();
                        s.finishEpoch(
                            null, new Metrics(List.of(), Loss.MEAN_SQUARED_ERROR, 3, 3, false), 1);
                        recovery.save(s);
                        s.advance(new Totals());
                        assertTrue(FitStop.requestAll("SIGTERM"), "a fit is running");
                        throw new ClusterFault("the step's job was cancelled", null);
                      }));
      assertEquals(1, attempts.get(), "not retried");
      assertEquals("SIGTERM", e.reason());
      assertEquals(2, e.epoch());
      assertEquals(2, e.step(), "the second step of the second epoch was in flight");
      assertEquals(dir + "/ckpt-00001-00000000", e.checkpoint());
    } finally {
      stop.end();
    }
  }

  @Test
  void interruptingAFitMidEpochThenResumingEndsBitIdenticalToAnUndisturbedRun(@TempDir Path dir)
      throws Exception {
    for (SyncPath path : List.of(SyncPath.CHANNEL, SyncPath.ALLREDUCE, SyncPath.JOBS)) {
      Sequential undisturbed = model();
      undisturbed.fit(
          TestSpark.frame(DATA),
          options(Strategy.SYNC, dir.resolve(path + "-a").toString(), 3).syncPath(path));

      String out = dir.resolve(path + "-b").toString();
      Callback interrupter =
          new Callback() {
            @Override
            public void onEpochBegin(int epoch) {
              if (epoch == 1) {
                // From another thread, as a signal handler would, while the second epoch runs.
                new Thread(() -> Sequential.interruptTraining("a test")).start();
              }
            }
          };
      long start = System.nanoTime();
      TrainingInterruptedException e =
          assertThrows(
              TrainingInterruptedException.class,
              () ->
                  model()
                      .fit(
                          TestSpark.frame(DATA),
                          options(Strategy.SYNC, out, 3).syncPath(path).callbacks(interrupter)));
      assertEquals("a test", e.reason());
      assertTrue(e.epoch() == 2 || e.epoch() == 3, path + ": " + e.getMessage());
      assertEquals(
          String.format("%s/ckpt-%05d-00000000", out, e.epoch() - 1),
          e.checkpoint(),
          "the checkpoint of the epoch before");
      assertTrue((System.nanoTime() - start) / 1e9 < 60, "it stopped");

      Sequential resumed = model();
      resumed.fit(
          TestSpark.frame(DATA), options(Strategy.SYNC, out, 3).syncPath(path).resume(true));
      assertArrayEquals(undisturbed.weights(), resumed.weights(), path + ": bit-identical");
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void tasksThatCannotAllStartEndTheRunWithAMessage() {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
    // Once the data is packed, every slot of local[2] is taken by a job that outlasts the connect
    // timeout.
    Callback occupy =
        new Callback() {
          @Override
          public void onTrainBegin(org.sparkdp.TrainingPlan plan) {
            new Thread(
                    () -> {
                      jsc.setJobGroup("busy", "holds every slot", true);
                      try {
                        jsc.parallelize(List.of(1, 2), 2).foreach(x -> Thread.sleep(120_000));
                      } catch (Exception ignored) {
                        // cancelled at the end of the test
                      }
                    })
                .start();
            while (running(jsc) < 2) {
              sleep(20);
            }
          }
        };
    long start = System.nanoTime();
    try {
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () ->
                  model()
                      .fit(
                          TestSpark.frame(DATA),
                          new FitOptions()
                              .partitions(3)
                              .syncPath(SyncPath.CHANNEL)
                              .connectTimeout(2)
                              .maxRetries(1)
                              .verbose(0)
                              .callbacks(occupy)));
      // The retry launched the tasks again (a failed launch leaves nothing half set up) and failed
      // alike.
      assertTrue(
          e.getMessage()
              .contains("gave up after 1 retries: timed out after 2 s waiting for 2 training"),
          e.getMessage());
      assertTrue((System.nanoTime() - start) / 1e9 < 60);
    } finally {
      jsc.cancelJobGroup("busy");
    }
  }

  private static int running(JavaSparkContext jsc) {
    int tasks = 0;
    for (int stage : jsc.statusTracker().getActiveStageIds()) {
      tasks += jsc.statusTracker().getStageInfo(stage).numActiveTasks();
    }
    return tasks;
  }
}
