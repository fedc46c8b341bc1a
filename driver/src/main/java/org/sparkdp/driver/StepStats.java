package org.sparkdp.driver;

/**
 * Counts steps and adds up the compute time the tasks reported for them (the slowest task of each
 * step), and the time spent starting the driver channel's tasks.
 */
public final class StepStats {
  private long steps;
  private long computeNanos;
  private long startNanos;

  void add(long nanos) {
    steps++;
    computeNanos += nanos;
  }

  void addStart(long nanos) {
    startNanos += nanos;
  }

  public long steps() {
    return steps;
  }

  /**
   * Seconds spent starting the driver channel's tasks until they had all connected (0 for a job per
   * step).
   */
  public double startSeconds() {
    return startNanos / 1e9;
  }

  /** Seconds of task compute over all steps so far. */
  public double computeSeconds() {
    return computeNanos / 1e9;
  }
}
