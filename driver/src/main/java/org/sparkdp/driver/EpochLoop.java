package org.sparkdp.driver;

import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparkdp.History;
import org.sparkdp.ops.Metrics;
import org.sparkdp.ops.Totals;

/**
 * The one training loop, whatever the strategy: epoch after epoch, the strategy's {@link Steps}
 * (checkpointing every {@code checkpointEverySteps} within an epoch when asked), then validation,
 * the history row with the metrics, the callbacks' {@code onEpochEnd}, and a checkpoint that holds
 * what they did; it ends after the last epoch, or after the epoch at which a callback stopped
 * training. A failed attempt is retried from the last checkpoint by {@link Recovery}.
 */
final class EpochLoop {
  private final JavaSparkContext jsc;
  private final Steps steps;
  private final int epochs;
  private final int checkpointEverySteps;
  private final Metrics metrics;
  private final boolean validating;
  private final Recovery recovery;
  private final FitStop stop;
  private final FitCallbacks callbacks;

  EpochLoop(
      JavaSparkContext jsc,
      Steps steps,
      int epochs,
      int checkpointEverySteps,
      Metrics metrics,
      boolean validating,
      Recovery recovery,
      FitStop stop,
      FitCallbacks callbacks) {
    this.jsc = jsc;
    this.steps = steps;
    this.epochs = epochs;
    this.checkpointEverySteps = checkpointEverySteps;
    this.metrics = metrics;
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
      while (state.epoch() < epochs && !state.stopped()) {
        int epoch = state.epoch();
        long started = System.nanoTime() - (long) (state.epochSeconds() * 1e9);
        callbacks.epochBegin(epoch);
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
            state.finishEpoch(validated, metrics, (System.nanoTime() - started) / 1e9);
        callbacks.epochEnd(epoch, logs);
        recovery.save(state);
      }
    } finally {
      steps.close();
    }
  }
}
