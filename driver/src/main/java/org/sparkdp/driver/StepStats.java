package org.sparkdp.driver;

import org.sparkdp.FitStats;

/**
 * Counts steps and adds up the compute time the tasks reported for them (the slowest task of each
 * step), and the time spent starting the driver channel's tasks. Mutable, filled in as a fit runs;
 * {@link #snapshot} gives the public record.
 */
final class StepStats {
  private String path = "";
  private long steps;
  private long computeNanos;
  private long startNanos;

  void path(String value) {
    path = value;
  }

  void add(long nanos) {
    steps++;
    computeNanos += nanos;
  }

  void addStart(long nanos) {
    startNanos += nanos;
  }

  FitStats snapshot() {
    return new FitStats(path, steps, computeNanos / 1e9, startNanos / 1e9);
  }
}
