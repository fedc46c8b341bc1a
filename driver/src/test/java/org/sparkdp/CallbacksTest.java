package org.sparkdp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.ModelSpec;

/**
 * Each callback's rule, epoch by epoch, against Keras' as worked out by hand from its source, on a
 * run that stands in for the engine (no Spark): what it monitors, when it stops, lowers the rate,
 * saves or writes, and that a state saved and restored midway continues as an uninterrupted run.
 */
class CallbacksTest {

  /** The run a callback sees, recording what it does. */
  static class FakeRun implements TrainingRun {
    final Set<String> keys =
        new LinkedHashSet<>(List.of("loss", "accuracy", "val_loss", "val_accuracy"));
    float[] weights = {0};
    double learningRate = 0.1;
    boolean stop;
    int epoch;
    History history = History.empty();
    final List<String> saved = new ArrayList<>();
    final List<String> said = new ArrayList<>();

    @Override
    public void say(String line) {
      said.add(line);
    }

    @Override
    public void stopTraining() {
      stop = true;
    }

    @Override
    public boolean stopTrainingRequested() {
      return stop;
    }

    @Override
    public float[] getWeights() {
      return weights.clone();
    }

    @Override
    public void setWeights(float[] w) {
      weights = w.clone();
    }

    @Override
    public double learningRate() {
      return learningRate;
    }

    @Override
    public void setLearningRate(double lr) {
      learningRate = lr;
    }

    @Override
    public ModelSpec spec() {
      throw new UnsupportedOperationException();
    }

    @Override
    public int epoch() {
      return epoch;
    }

    @Override
    public int epochs() {
      return 100;
    }

    @Override
    public History history() {
      return history;
    }

    @Override
    public Set<String> logKeys() {
      return keys;
    }

    @Override
    public Boolean higherIsBetter(String key) {
      return !keys.contains(key) ? null : key.endsWith("accuracy");
    }

    @Override
    public String saveModel(String dir) {
      saved.add(dir);
      return "sha";
    }
  }

  private static final TrainingPlan PLAN = new TrainingPlan(1, 1, 1, 1, 100, "", null, null);

  /**
   * Runs {@code callback} over epochs whose {@code key} takes {@code values} (weights {epoch}), and
   * returns the epoch at whose end it asked to stop, or -1.
   */
  private static int run(Callback callback, FakeRun run, String key, double... values) {
    callback.setRun(run);
    callback.onTrainBegin(PLAN);
    return epochs(callback, run, 0, key, values);
  }

  private static int epochs(
      Callback callback, FakeRun run, int first, String key, double... values) {
    for (int i = 0; i < values.length; i++) {
      int epoch = first + i;
      run.weights = new float[] {epoch};
      Map<String, Double> logs = new LinkedHashMap<>();
      logs.put("loss", 1.0);
      logs.put(key, values[i]);
      callback.onEpochEnd(epoch, logs);
      if (run.stop) {
        return epoch;
      }
    }
    return -1;
  }

  private static EarlyStopping early(Object... settings) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < settings.length; i += 2) {
      m.put((String) settings[i], settings[i + 1]);
    }
    return EarlyStopping.of(m);
  }

  @Test
  void earlyStoppingWaitsPatienceEpochsWithoutImprovement() {
    // val_loss 1.0, 0.9 improve; 0.95 waits 1; 0.92 waits 2 = patience: stop at epoch 3.
    assertEquals(
        3, run(early("patience", 2), new FakeRun(), "val_loss", 1.0, 0.9, 0.95, 0.92, 0.8));
    assertEquals(
        -1, run(early("patience", 3), new FakeRun(), "val_loss", 1.0, 0.9, 0.95, 0.92, 0.8));
    // patience 0 stops at the first epoch (after the first) that does not improve.
    assertEquals(2, run(early(), new FakeRun(), "val_loss", 1.0, 0.9, 0.95));
  }

  @Test
  void earlyStoppingCountsOnlyImprovementsBeyondMinDelta() {
    // 0.95 is 0.05 better than 1.0: an improvement without min_delta, not with 0.1.
    assertEquals(-1, run(early("patience", 1), new FakeRun(), "val_loss", 1.0, 0.95, 0.9));
    assertEquals(
        1, run(early("patience", 1, "min_delta", 0.1), new FakeRun(), "val_loss", 1.0, 0.95, 0.9));
    assertEquals(
        1,
        run(early("patience", 1, "min_delta", -0.1), new FakeRun(), "val_loss", 1.0, 0.95, 0.9),
        "its absolute value, as Keras");
  }

  @Test
  void earlyStoppingTakesTheDirectionFromModeOrTheMetric() {
    double[] rising = {0.5, 0.6, 0.7};
    assertEquals(
        -1,
        run(early("monitor", "val_accuracy"), new FakeRun(), "val_accuracy", rising),
        "auto: accuracy should rise");
    assertEquals(
        1,
        run(
            early("monitor", "val_accuracy", "mode", "min"),
            new FakeRun(),
            "val_accuracy",
            rising));
    assertEquals(1, run(early("mode", "max"), new FakeRun(), "val_loss", 1.0, 0.9, 0.8));
    EarlyStopping custom = early("monitor", "custom");
    custom.setRun(
        new FakeRun() {
          @Override
          public Boolean higherIsBetter(String key) {
            return null;
          }
        });
    ConfigException e = assertThrows(ConfigException.class, () -> custom.onTrainBegin(PLAN));
    assertTrue(e.getMessage().contains("give mode: max or mode: min"), e.getMessage());
  }

  @Test
  void earlyStoppingResetsTheWaitOnlyForValuesBeyondTheBaseline() {
    // Each of 0.8, 0.7, 0.6 improves, none beats the baseline 0.5: the wait goes on (1, 2, 3) but
    // an improving epoch never stops; 0.65 does not improve and the wait (4) exceeds 2.
    assertEquals(
        3,
        run(early("patience", 2, "baseline", 0.5), new FakeRun(), "val_loss", 0.8, 0.7, 0.6, 0.65));
    assertEquals(-1, run(early("patience", 2), new FakeRun(), "val_loss", 0.8, 0.7, 0.6, 0.65));
  }

  @Test
  void earlyStoppingStartsFromItsEpoch() {
    assertEquals(1, run(early(), new FakeRun(), "val_loss", 1, 2, 3, 4));
    assertEquals(3, run(early("start_from_epoch", 2), new FakeRun(), "val_loss", 1, 2, 3, 4));
  }

  @Test
  void earlyStoppingRestoresTheBestEpochsWeightsAtTheEnd() {
    FakeRun run = new FakeRun();
    EarlyStopping callback = early("patience", 2, "restore_best_weights", true, "verbose", 1);
    assertEquals(3, run(callback, run, "val_loss", 0.9, 0.5, 0.7, 0.6, 0.1));
    assertEquals(1, callback.bestEpoch());
    callback.onTrainEnd(run.history());
    assertArrayEquals(new float[] {1}, run.weights, "the weights of epoch 1");
    FakeRun toTheEnd = new FakeRun();
    EarlyStopping notStopped = early("patience", 5, "restore_best_weights", true);
    assertEquals(-1, run(notStopped, toTheEnd, "val_loss", 0.9, 0.5, 0.7));
    notStopped.onTrainEnd(toTheEnd.history());
    assertArrayEquals(
        new float[] {1}, toTheEnd.weights, "restored also when training ran to the end (Keras 3)");
  }

  @Test
  void earlyStoppingContinuesFromItsSavedState() {
    double[] values = {0.9, 0.5, 0.7, 0.6, 0.8, 0.4};
    FakeRun whole = new FakeRun();
    EarlyStopping uninterrupted = early("patience", 3, "restore_best_weights", true);
    int stoppedAt = run(uninterrupted, whole, "val_loss", values);
    assertEquals(4, stoppedAt);

    FakeRun first = new FakeRun();
    EarlyStopping before = early("patience", 3, "restore_best_weights", true);
    assertEquals(-1, run(before, first, "val_loss", java.util.Arrays.copyOf(values, 3)));
    CallbackState saved = before.saveState();
    FakeRun second = new FakeRun();
    EarlyStopping after = early("patience", 3, "restore_best_weights", true);
    after.setRun(second);
    after.onTrainBegin(PLAN);
    after.restoreState(saved);
    assertEquals(
        stoppedAt,
        epochs(after, second, 3, "val_loss", java.util.Arrays.copyOfRange(values, 3, 6)),
        "the resumed callback stops where the uninterrupted one did");
    after.onTrainEnd(second.history());
    assertArrayEquals(new float[] {1}, second.weights, "and restores the same best weights");
  }

  private static ReduceLROnPlateau plateau(Object... settings) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < settings.length; i += 2) {
      m.put((String) settings[i], settings[i + 1]);
    }
    return ReduceLROnPlateau.of(m);
  }

  /** The learning rate after each epoch of {@code values}. */
  private static List<Double> rates(ReduceLROnPlateau callback, FakeRun run, double... values) {
    List<Double> rates = new ArrayList<>();
    callback.setRun(run);
    callback.onTrainBegin(PLAN);
    for (int e = 0; e < values.length; e++) {
      callback.onEpochEnd(e, Map.of("loss", 1.0, "val_loss", values[e]));
      rates.add(run.learningRate);
    }
    return rates;
  }

  @Test
  void plateauLowersTheRateAfterPatienceWithCooldownDownToMinLr() {
    // Flat val_loss: epoch 0 sets the best; epoch 1 waits 1 = patience: 0.1 -> 0.05 and a cooldown
    // of 1; epoch 2 ends the cooldown (wait 0), then waits 1: -> 0.025; epoch 3: -> max(0.0125,
    // 0.02); epoch 4: the rate is at min_lr, nothing changes.
    assertEquals(
        List.of(0.1, 0.05, 0.025, 0.02, 0.02),
        rates(
            plateau("factor", 0.5, "patience", 1, "cooldown", 1, "min_lr", 0.02),
            new FakeRun(),
            1,
            1,
            1,
            1,
            1));
    // A cooldown of 2: epoch 2 is in it, epoch 3 ends it and waits 1 = patience: -> 0.025.
    assertEquals(
        List.of(0.1, 0.05, 0.05, 0.025, 0.025),
        rates(plateau("factor", 0.5, "patience", 1, "cooldown", 2), new FakeRun(), 1, 1, 1, 1, 1));
  }

  @Test
  void plateauCountsImprovementsBeyondMinDeltaInTheMonitorsDirection() {
    // Falling by 0.05 a time: improvements with min_delta 0.01, a plateau with 0.1.
    assertEquals(
        List.of(0.1, 0.1, 0.1),
        rates(plateau("patience", 1, "min_delta", 0.01), new FakeRun(), 1.0, 0.95, 0.9));
    List<Double> coarse =
        rates(plateau("patience", 1, "min_delta", 0.1), new FakeRun(), 1.0, 0.95, 0.9);
    assertEquals(0.1, coarse.get(0));
    assertEquals(0.01, coarse.get(1), 1e-15);
    FakeRun accuracy = new FakeRun();
    ReduceLROnPlateau rising = plateau("monitor", "val_accuracy", "patience", 1);
    rising.setRun(accuracy);
    rising.onTrainBegin(PLAN);
    for (int e = 0; e < 3; e++) {
      rising.onEpochEnd(e, Map.of("val_accuracy", 0.5 + e * 0.1));
    }
    assertEquals(0.1, accuracy.learningRate, "auto: a monitor named *acc* should rise");
  }

  @Test
  void plateauContinuesFromItsSavedState() {
    double[] values = {1, 1, 0.5, 0.5, 0.5, 0.5, 0.5};
    FakeRun whole = new FakeRun();
    List<Double> expected =
        rates(plateau("factor", 0.5, "patience", 2, "cooldown", 1), whole, values);
    FakeRun run = new FakeRun();
    ReduceLROnPlateau before = plateau("factor", 0.5, "patience", 2, "cooldown", 1);
    rates(before, run, java.util.Arrays.copyOf(values, 4));
    ReduceLROnPlateau after = plateau("factor", 0.5, "patience", 2, "cooldown", 1);
    after.setRun(run);
    after.onTrainBegin(PLAN);
    after.restoreState(before.saveState());
    for (int e = 4; e < values.length; e++) {
      after.onEpochEnd(e, Map.of("val_loss", values[e]));
    }
    assertEquals(expected.get(expected.size() - 1), run.learningRate);
    assertTrue(run.learningRate < 0.1, "a reduction happened after the restore: " + expected);
  }

  private static ModelCheckpoint checkpoint(Object... settings) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < settings.length; i += 2) {
      m.put((String) settings[i], settings[i + 1]);
    }
    return ModelCheckpoint.of(m);
  }

  @Test
  void checkpointPathsAreFilledAsPythonsFormat() {
    Map<String, Double> logs = Map.of("val_loss", 0.123456, "loss", 1e-5);
    assertEquals("m-03-0.1235", ModelCheckpoint.path("m-{epoch:02d}-{val_loss:.4f}", 2, logs));
    assertEquals(
        "m-3-0.123456-1e-05", ModelCheckpoint.path("m-{epoch}-{val_loss}-{loss}", 2, logs));
    assertEquals("best", ModelCheckpoint.path("best", 7, logs));
    assertEquals("e1.23e-01", ModelCheckpoint.path("e{val_loss:.2e}", 0, logs));
    for (String bad : List.of("m-{epoch", "m-{val_loss:x}", "m}")) {
      ConfigException e =
          assertThrows(ConfigException.class, () -> checkpoint("filepath", bad), bad);
      assertTrue(e.getMessage().startsWith("model_checkpoint.filepath: "), e.getMessage());
    }
    ModelCheckpoint unknown = checkpoint("filepath", "m-{val_auc:.2f}");
    unknown.setRun(new FakeRun());
    ConfigException e = assertThrows(ConfigException.class, () -> unknown.onTrainBegin(PLAN));
    assertTrue(e.getMessage().contains("{val_auc} is not among the logs"), e.getMessage());
  }

  @Test
  void checkpointsSaveEveryEpochOrOnlyTheBest() {
    FakeRun every = new FakeRun();
    run(checkpoint("filepath", "m-{epoch}"), every, "val_loss", 0.5, 0.6, 0.4);
    assertEquals(List.of("m-1", "m-2", "m-3"), every.saved);

    FakeRun best = new FakeRun();
    run(
        checkpoint("filepath", "m-{epoch}", "save_best_only", true),
        best,
        "val_loss",
        0.5,
        0.6,
        0.4);
    assertEquals(List.of("m-1", "m-3"), best.saved);

    FakeRun threshold = new FakeRun();
    run(
        checkpoint(
            "filepath", "m-{epoch}", "save_best_only", true, "initial_value_threshold", 0.45),
        threshold,
        "val_loss",
        0.5,
        0.6,
        0.4);
    assertEquals(List.of("m-3"), threshold.saved);

    FakeRun accuracy = new FakeRun();
    run(
        checkpoint("filepath", "a{epoch}", "save_best_only", true, "monitor", "val_accuracy"),
        accuracy,
        "val_accuracy",
        0.5,
        0.6,
        0.4);
    assertEquals(List.of("a1", "a2"), accuracy.saved, "auto: accuracy should rise");

    ModelCheckpoint before = checkpoint("filepath", "b{epoch}", "save_best_only", true);
    FakeRun resumed = new FakeRun();
    run(before, resumed, "val_loss", 0.5);
    ModelCheckpoint after = checkpoint("filepath", "b{epoch}", "save_best_only", true);
    after.setRun(resumed);
    after.onTrainBegin(PLAN);
    after.restoreState(before.saveState());
    epochs(after, resumed, 1, "val_loss", 0.6, 0.45);
    assertEquals(List.of("b1", "b3"), resumed.saved, "the best survives a resume");
  }

  @Test
  void csvLoggerWritesAHeaderOfSortedKeysAndARowPerEpoch(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("log.csv");
    FakeRun run = new FakeRun();
    CsvLogger logger = CsvLogger.of(Map.of("filename", file.toString()));
    logger.setRun(run);
    logger.onTrainBegin(PLAN);
    logger.onEpochEnd(0, logs(0.5, 0.7, 0.25));
    logger.onEpochEnd(1, logs(0.4, 0.8, 1e-5));
    assertEquals(
        "epoch,accuracy,loss,val_loss\n0,0.7,0.5,0.25\n1,0.8,0.4,1e-05\n", Files.readString(file));

    // A new run without append starts the file afresh; with append it adds rows, no header.
    CsvLogger fresh = CsvLogger.of(Map.of("filename", file.toString(), "separator", ";"));
    fresh.setRun(run);
    fresh.onTrainBegin(PLAN);
    assertEquals("", Files.readString(file), "truncated at the start, as Keras opens it for w");
    fresh.onEpochEnd(0, logs(0.5, 0.7, 0.25));
    CsvLogger appending =
        CsvLogger.of(Map.of("filename", file.toString(), "separator", ";", "append", true));
    appending.setRun(run);
    appending.onTrainBegin(PLAN);
    appending.onEpochEnd(0, logs(0.3, 0.9, 0.2));
    assertEquals(
        "epoch;accuracy;loss;val_loss\n0;0.7;0.5;0.25\n0;0.9;0.3;0.2\n", Files.readString(file));
  }

  private static Map<String, Double> logs(double loss, double accuracy, double valLoss) {
    Map<String, Double> logs = new LinkedHashMap<>();
    logs.put("loss", loss);
    logs.put("accuracy", accuracy);
    logs.put("val_loss", valLoss);
    return logs;
  }

  @Test
  void aResumedCsvLoggerKeepsWhatCameBeforeTheRunAndTheCheckpointsRows(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("log.csv");
    Files.writeString(file, "from an earlier run\n");
    FakeRun run = new FakeRun();
    CsvLogger logger = CsvLogger.of(Map.of("filename", file.toString(), "append", true));
    logger.setRun(run);
    logger.onTrainBegin(PLAN);
    logger.onEpochEnd(3, logs(0.5, 0.7, 0.25));
    CallbackState saved = logger.saveState();
    logger.onEpochEnd(4, logs(0.4, 0.8, 0.2)); // lost: the checkpoint is of epoch 3's end

    FakeRun resumed = new FakeRun();
    resumed.history = History.empty().plus(logs(0.5, 0.7, 0.25), 1.0);
    resumed.epoch = 4;
    CsvLogger again = CsvLogger.of(Map.of("filename", file.toString(), "append", true));
    again.setRun(resumed);
    again.onTrainBegin(PLAN);
    again.restoreState(saved);
    again.onEpochEnd(4, logs(0.45, 0.75, 0.22));
    assertEquals(
        "from an earlier run\n3,0.7,0.5,0.25\n4,0.75,0.45,0.22\n",
        Files.readString(file),
        "the earlier run's line, epoch 3 from the history, epoch 4 once");
    assertNull(saved.value("best"));
    assertFalse(saved.values().isEmpty());
  }
}
