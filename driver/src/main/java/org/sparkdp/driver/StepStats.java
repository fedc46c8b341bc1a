package org.sparkdp.driver;

/** Counts steps and adds up the compute time the tasks reported for them (the slowest task of each step). */
public final class StepStats {
  private long steps;
  private long computeNanos;

  void add(long nanos) {
    steps++;
    computeNanos += nanos;
  }

  public long steps() {
    return steps;
  }

  /** Seconds of task compute over all steps so far. */
  public double computeSeconds() {
    return computeNanos / 1e9;
  }
}
