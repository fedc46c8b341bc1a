package org.sparkdp.driver;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparkdp.Callback;
import org.sparkdp.History;
import org.sparkdp.ops.Totals;

/**
 * The one training loop, whatever the strategy: epoch after epoch, the strategy's {@link Steps}
 * (checkpointing every {@code checkpointEverySteps} within an epoch when asked), then validation,
 * the history row, a checkpoint, and the callbacks' {@code onEpochEnd}. A failed attempt is retried
 * from the last checkpoint by {@link Recovery}.
 */
final class EpochLoop {
  private final JavaSparkContext jsc;
  private final Steps steps;
  private final int epochs;
  private final int checkpointEverySteps;
  private final boolean accuracy;
  private final boolean validating;
  private final Recovery recovery;
  private final FitStop stop;
  private final List<Callback> callbacks;

  EpochLoop(
      JavaSparkContext jsc,
      Steps steps,
      int epochs,
      int checkpointEverySteps,
      boolean accuracy,
      boolean validating,
      Recovery recovery,
      FitStop stop,
      List<Callback> callbacks) {
    this.jsc = jsc;
    this.steps = steps;
    this.epochs = epochs;
    this.checkpointEverySteps = checkpointEverySteps;
    this.accuracy = accuracy;
    this.validating = validating;
    this.recovery = recovery;
    this.stop = stop;
    this.callbacks = callbacks;
  }

  /** Trains {@code state} (updated in place) up to the last epoch; returns its history. */
  History run(TrainingState state) {
    try {
      recovery.run(state, this::attempt);
    } finally {
      jsc.setJobDescription(null);
    }
    return state.history();
  }

  private void attempt(TrainingState state) {
    steps.begin(state);
    try {
      while (state.epoch() < epochs) {
        int epoch = state.epoch();
        long started = System.nanoTime() - (long) (state.epochSeconds() * 1e9);
        callbacks.forEach(c -> c.onEpochBegin(epoch));
        jsc.setJobDescription(String.format(Locale.ROOT, "sparkdp epoch %d/%d", epoch + 1, epochs));
        int perEpoch = steps.perEpoch();
        while (state.step() < perEpoch) {
          stop.check();
          steps.take(state);
          if (checkpointEverySteps > 0
              && state.step() % checkpointEverySteps == 0
              && state.step() < perEpoch) {
            state.noteEpochSeconds((System.nanoTime() - started) / 1e9);
            recovery.save(state);
          }
        }
        Totals validated = null;
        if (validating) {
          jsc.setJobDescription(
              String.format(Locale.ROOT, "sparkdp epoch %d/%d validation", epoch + 1, epochs));
          validated = steps.validate(state.params());
        }
        Map<String, Double> logs =
            state.finishEpoch(validated, accuracy, (System.nanoTime() - started) / 1e9);
        recovery.save(state);
        callbacks.forEach(c -> c.onEpochEnd(epoch, logs));
      }
    } finally {
      steps.close();
    }
  }
}
