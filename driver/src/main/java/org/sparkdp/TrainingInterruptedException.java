package org.sparkdp;

import java.util.Locale;

/**
 * A fit stopped on request ({@link Sequential#interruptTraining}, which {@code bin/sparkdp} and the
 * jobs call on SIGTERM and SIGINT) before it finished. Nothing was retried and no file was left
 * half-written; training resumes from {@link #checkpoint()} with {@code resume}.
 */
public final class TrainingInterruptedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String reason;
  private final int epoch;
  private final int step;
  private final String checkpoint;

  /**
   * @param reason what asked for the stop, e.g. {@code "SIGTERM"}
   * @param epoch the epoch it stopped in, counted from 1
   * @param step the step of that epoch it stopped before finishing, counted from 1
   * @param checkpoint the newest checkpoint written (or resumed from), or {@code null}
   */
  public TrainingInterruptedException(
      String reason, int epoch, int step, String checkpoint, Throwable cause) {
    super(
        String.format(
            Locale.ROOT,
            "training interrupted (%s) at epoch %d, step %d; %s",
            reason,
            epoch,
            step,
            checkpoint == null
                ? "no checkpoint was written"
                : "the last checkpoint is " + checkpoint),
        cause);
    this.reason = reason;
    this.epoch = epoch;
    this.step = step;
    this.checkpoint = checkpoint;
  }

  public String reason() {
    return reason;
  }

  public int epoch() {
    return epoch;
  }

  public int step() {
    return step;
  }

  /** The newest checkpoint of the run, or {@code null} if none was written yet. */
  public String checkpoint() {
    return checkpoint;
  }
}
