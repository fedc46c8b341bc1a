package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.Callback;
import org.sparkdp.CsvLogger;
import org.sparkdp.EarlyStopping;
import org.sparkdp.FitOptions;
import org.sparkdp.History;
import org.sparkdp.ModelCheckpoint;
import org.sparkdp.ReduceLROnPlateau;
import org.sparkdp.Sequential;
import org.sparkdp.TrainingRun;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.Comparisons;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.Network;
import org.sparkdp.testkit.Blobs;
import org.sparkdp.testkit.ReferenceTraining;
import org.sparkdp.testkit.TestSpark;

/**
 * Callbacks in real fits: early stopping that restores the best epoch on a run that overfits, the
 * callbacks' states across a resume from checkpoints (the resumed run ends as the uninterrupted
 * one), {@code initial_epoch}, and a Java callback that stops training and lowers the rate.
 */
class CallbackTrainingTest {
  /** Few rows, 40% of them relabelled at random: a wide model learns the noise and overfits. */
  private static final Blobs NOISY = noisy(Blobs.of(160, 10, 4, 3, 4));

  private static final Blobs DATA = Blobs.of(300, 5, 3, 21);

  private static Blobs noisy(Blobs clean) {
    float[] labels = clean.labels().clone();
    java.util.SplittableRandom random = new java.util.SplittableRandom(9);
    for (int r = 0; r < labels.length; r++) {
      if (random.nextDouble() < 0.4) {
        labels[r] = random.nextInt(clean.classes());
      }
    }
    return new Blobs(clean.rows(), clean.dim(), clean.classes(), clean.x(), labels);
  }

  private static Sequential wide() {
    Sequential model =
        new Sequential(
            Dense.of(64, "relu").withInputDim(10), Dense.of(64, "relu"), Dense.of(4, "softmax"));
    model.compile(Adam.withLearningRate(0.02), "sparse_categorical_crossentropy", "accuracy");
    return model;
  }

  private static Sequential small() {
    Sequential model = new Sequential(Dense.of(8, "relu").withInputDim(5), Dense.of(3, "softmax"));
    model.compile(Adam.withLearningRate(0.01), "sparse_categorical_crossentropy", "accuracy");
    return model;
  }

  @Test
  void earlyStoppingRestoresTheBestEpochOfARunThatOverfits() {
    Sequential model = wide();
    EarlyStopping stopping =
        EarlyStopping.of(
            Map.of("monitor", "val_loss", "patience", 3, "restore_best_weights", true));
    History history =
        model.fit(
            TestSpark.frame(NOISY.slice(0, 80)),
            TestSpark.frame(NOISY.slice(80, 160)),
            new FitOptions().epochs(60).batchSize(16).seed(5).verbose(0).callbacks(stopping));
    List<Double> val = history.history().get("val_loss");
    double best = Collections.min(val);
    int bestEpoch = val.indexOf(best);
    assertTrue(stopping.stoppedEpoch() > 0, "it overfits and stops: " + val);
    assertEquals(stopping.stoppedEpoch() + 1, history.epochs(), "stopped after that epoch");
    assertEquals(bestEpoch + 3, stopping.stoppedEpoch(), "three epochs without improvement");
    assertTrue(val.get(val.size() - 1) > best, "the last epoch is worse than the best: " + val);
    double evaluated = model.evaluate(TestSpark.frame(NOISY.slice(80, 160))).get("loss");
    System.out.printf(
        "early stopping: best val_loss %.6f at epoch %d, stopped at %d; evaluated %.6f%n",
        best, bestEpoch + 1, stopping.stoppedEpoch() + 1, evaluated);
    assertEquals(best, evaluated, 1e-6, "the model holds the best epoch's weights");
  }

  /** Adds each epoch's learning rate to {@code rates}. */
  private static Callback rateRecorder(List<Double> rates) {
    return new Callback() {
      private TrainingRun run;

      @Override
      public void setRun(TrainingRun value) {
        run = value;
      }

      @Override
      public void onEpochEnd(int epoch, Map<String, Double> logs) {
        rates.add(run.learningRate());
      }
    };
  }

  private static FitOptions callbacksOptions(Path dir, List<Double> rates) {
    return new FitOptions()
        .batchSize(20)
        .seed(8)
        .verbose(0)
        .validationSplit(0.3)
        .checkpointDir(dir.resolve("checkpoints").toString())
        .callbacks(
            EarlyStopping.of(
                Map.of("patience", 2, "min_delta", 0.02, "restore_best_weights", true)),
            ReduceLROnPlateau.of(Map.of("patience", 1, "factor", 0.5, "min_delta", 0.02)),
            CsvLogger.of(Map.of("filename", dir.resolve("log.csv").toString())),
            rateRecorder(rates));
  }

  @Test
  void callbacksContinueAcrossAResumeAsIfTheRunNeverStopped(@TempDir Path dir) throws IOException {
    List<Double> wholeRates = new ArrayList<>();
    Sequential whole = wide();
    History wholeHistory =
        whole.fit(
            TestSpark.frame(NOISY), callbacksOptions(dir.resolve("whole"), wholeRates).epochs(40));
    int epochs = wholeHistory.epochs();
    assertTrue(epochs > 3 && epochs < 40, "early stopping ended the run: " + wholeHistory);
    assertTrue(
        wholeRates.get(wholeRates.size() - 1) < 0.02,
        "the plateau lowered the rate: " + wholeRates);

    // The same run, cut after 3 epochs (its checkpoint is of epoch 3's end), then resumed with new
    // callback objects of the same settings.
    Path cut = dir.resolve("cut");
    wide().fit(TestSpark.frame(NOISY), callbacksOptions(cut, new ArrayList<>()).epochs(3));
    List<Double> resumedRates = new ArrayList<>();
    Sequential resumed = wide();
    History resumedHistory =
        resumed.fit(
            TestSpark.frame(NOISY), callbacksOptions(cut, resumedRates).epochs(40).resume(true));
    assertEquals(wholeHistory.history(), resumedHistory.history(), "the same history");
    assertEquals(
        wholeRates.subList(3, wholeRates.size()), resumedRates, "the same rates after the resume");
    assertTrue(
        Comparisons.maxRelativeDifference(whole.weights(), resumed.weights()) < 1e-6,
        "the same restored best weights");
    assertEquals(
        Files.readString(dir.resolve("whole/log.csv")),
        Files.readString(cut.resolve("log.csv")),
        "the same CSV log");
    assertEquals(
        epochs + 1, Files.readAllLines(cut.resolve("log.csv")).size(), "a header, a row per epoch");

    // Resuming a run that a callback stopped trains nothing more.
    Sequential again = wide();
    History after =
        again.fit(
            TestSpark.frame(NOISY),
            callbacksOptions(cut, new ArrayList<>()).epochs(60).resume(true));
    assertEquals(wholeHistory.history(), after.history());
    assertArrayEquals(whole.weights(), again.weights());
  }

  @Test
  void modelCheckpointsAreModelDirectoriesOfTheirEpochs(@TempDir Path dir) throws IOException {
    Sequential model = small();
    ModelCheckpoint best =
        ModelCheckpoint.of(
            Map.of(
                "filepath",
                dir.resolve("best").toString(),
                "save_best_only",
                true,
                "monitor",
                "val_accuracy"));
    ModelCheckpoint each =
        ModelCheckpoint.of(Map.of("filepath", dir.resolve("m-{epoch:02d}").toString()));
    History history =
        model.fit(
            TestSpark.frame(DATA),
            new FitOptions()
                .epochs(4)
                .batchSize(30)
                .validationSplit(0.2)
                .verbose(0)
                .callbacks(best, each));
    assertEquals(
        List.of("m-01", "m-02", "m-03", "m-04"),
        each.saved().stream().map(p -> Path.of(p).getFileName().toString()).toList());
    Sequential last = Sequential.load(dir.resolve("m-04").toString());
    assertArrayEquals(model.weights(), last.weights(), "the last epoch's model");
    List<Double> accuracy = history.history().get("val_accuracy");
    double top = Collections.max(accuracy);
    Sequential saved = Sequential.load(dir.resolve("best").toString());
    assertEquals(
        top,
        saved.evaluate(TestSpark.frame(DATA.slice(240, 300))).get("accuracy"),
        1e-12,
        "best holds the epoch of the highest val_accuracy");
  }

  @Test
  void initialEpochCountsAndShufflesFromIt(@TempDir Path dir) {
    Sequential model = small();
    List<Integer> epochs = new ArrayList<>();
    History history =
        model.fit(
            TestSpark.frame(DATA),
            new FitOptions()
                .epochs(4)
                .initialEpoch(2)
                .batchSize(50)
                .seed(11)
                .verbose(0)
                .checkpointDir(dir.toString())
                .callbacks(
                    new Callback() {
                      @Override
                      public void onEpochEnd(int epoch, Map<String, Double> logs) {
                        epochs.add(epoch);
                      }
                    }));
    assertEquals(List.of(2, 3), epochs);
    assertEquals(2, history.epochs(), "epochs - initial_epoch rows");
    assertTrue(
        new java.io.File(dir.toFile(), "ckpt-00003-00000000").isDirectory(),
        "checkpoints named by the epoch counted from 0: " + List.of(dir.toFile().list()));
    Sequential reference = small();
    float[] expected =
        ReferenceTraining.train(
            new Network(reference.spec(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, 1),
            reference.compileConfig().optimizer(),
            reference.spec().initialParameters(11),
            DATA,
            50,
            2,
            e -> ReferenceTraining.syncOrder(DATA.rows(), 11).apply(e + 2));
    assertTrue(
        Comparisons.maxRelativeDifference(model.weights(), expected) < 1e-5,
        "epochs 2 and 3 shuffled as epochs 2 and 3");
  }

  @Test
  void aJavaCallbackStopsTrainingAndSetsTheRate() {
    List<Double> rates = new ArrayList<>();
    Callback halveThenStop =
        new Callback() {
          private TrainingRun run;

          @Override
          public void setRun(TrainingRun value) {
            run = value;
          }

          @Override
          public void onEpochEnd(int epoch, Map<String, Double> logs) {
            rates.add(run.learningRate());
            run.setLearningRate(run.learningRate() / 2);
            if (epoch == 2) {
              run.stopTraining();
            }
          }
        };
    History history =
        small()
            .fit(
                TestSpark.frame(DATA),
                new FitOptions().epochs(10).batchSize(50).verbose(0).callbacks(halveThenStop));
    assertEquals(3, history.epochs());
    assertEquals(List.of(0.01, 0.005, 0.0025), rates);
  }

  @Test
  void aMonitorThatTheLogsLackIsNamed() {
    ConfigException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            ConfigException.class,
            () ->
                small()
                    .fit(
                        TestSpark.frame(DATA),
                        new FitOptions()
                            .verbose(0)
                            .callbacks(EarlyStopping.of(Map.of("monitor", "val_loss")))));
    assertEquals(
        "fit.callbacks[0] (early_stopping).monitor: 'val_loss' is not among this fit's logs"
            + " (loss, accuracy); validation needs validation_split or validation data",
        e.getMessage());
  }
}
