package org.sparkdp.driver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Consumer;
import org.apache.hadoop.fs.FSError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkdp.DataException;
import org.sparkdp.TrainingDivergedException;
import org.sparkdp.TrainingInterruptedException;

/**
 * Saves the training state at checkpoints (to files when a checkpoint directory is set, always in
 * memory) and, when a training attempt fails because of the cluster (a Spark job that failed, as
 * when executors are lost beyond Spark's own retries, or a {@link ClusterFault}: a timeout, channel
 * tasks lost past their restarts), reloads the last checkpoint and tries again, up to {@code
 * maxRetries} times, saying so in the log. Anything else (bad data or configuration, divergence, a
 * bug in the driver) would fail the same way again, so it is not retried. Nor is anything after a
 * stop request ({@link FitStop}): the attempt ends with {@link TrainingInterruptedException},
 * naming where it stopped and the last checkpoint.
 */
final class Recovery {
  private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

  private final Checkpoints checkpoints;
  private final int maxRetries;
  private final FitStop stop;
  private TrainingState last;
  private String lastPath;

  /**
   * @param resumedFrom the checkpoint {@code start} was read from, or {@code null}
   */
  Recovery(
      Checkpoints checkpoints,
      int maxRetries,
      TrainingState start,
      String resumedFrom,
      FitStop stop) {
    this.checkpoints = checkpoints;
    this.maxRetries = maxRetries;
    this.last = start.copy();
    this.lastPath = resumedFrom;
    this.stop = stop;
  }

  /**
   * Records {@code state} as the point to return to (and writes it, with a checkpoint directory).
   */
  void save(TrainingState state) {
    if (checkpoints != null) {
      try {
        lastPath = checkpoints.save(state);
      } catch (IOException | UncheckedIOException | FSError e) {
        // A file system hiccup (or a full local disk, which Hadoop reports as an FSError) costs
        // this checkpoint, not the run: the one in memory below still counts.
        LOG.warn(
            "could not write the checkpoint of epoch {}, step {} to {} ({}); training goes on",
            state.epoch() + 1,
            state.step() + 1,
            checkpoints.dir(),
            e instanceof FSError && e.getCause() != null
                ? e.getCause().getMessage()
                : e.getMessage());
      }
    }
    last = state.copy();
  }

  /**
   * Runs {@code attempt} on {@code state}, restoring the last checkpoint and retrying after a
   * failure.
   */
  void run(TrainingState state, Consumer<TrainingState> attempt) {
    int retries = 0;
    while (true) {
      try {
        attempt.accept(state);
        return;
      } catch (RuntimeException e) {
        if (stop.requested()) {
          throw new TrainingInterruptedException(
              stop.reason(), state.epoch() + 1, state.step() + 1, lastPath, e);
        }
        if (!retriable(e)) {
          throw e;
        }
        if (retries >= maxRetries) {
          throw new IllegalStateException(
              "training failed at epoch "
                  + (state.epoch() + 1)
                  + ", step "
                  + (state.step() + 1)
                  + " and "
                  + (maxRetries == 0
                      ? "retries are off"
                      : "gave up after " + maxRetries + " retries")
                  + ": "
                  + JobFailures.message(e),
              e);
        }
        retries++;
        TrainingState back = reload(state.params().length);
        LOG.warn(
            "training failed at epoch {}, step {} ({}); reloading the checkpoint of epoch {}, step {} and "
                + "retrying ({} of {})",
            state.epoch() + 1,
            state.step() + 1,
            JobFailures.message(e),
            back.epoch() + 1,
            back.step() + 1,
            retries,
            maxRetries);
        state.restore(back);
      }
    }
  }

  private TrainingState reload(int parameters) {
    if (checkpoints != null) {
      try {
        TrainingState saved = checkpoints.latest(parameters);
        if (saved != null
            && (saved.epoch() > last.epoch()
                || saved.epoch() == last.epoch() && saved.step() >= last.step())) {
          return saved;
        }
      } catch (IOException | IllegalArgumentException e) {
        LOG.warn(
            "cannot read the last checkpoint ({}); returning to the state kept in memory",
            e.getMessage());
      }
    }
    return last.copy();
  }

  /**
   * Whether {@code e} is the cluster's failure (retried) rather than the data's, the settings' or a
   * bug.
   */
  static boolean retriable(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof TrainingDivergedException || c instanceof DataException) {
        return false;
      }
    }
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof ClusterFault || c instanceof org.apache.spark.SparkException) {
        return true;
      }
    }
    return false;
  }
}
