package org.sparkdp.driver;

import org.sparkdp.ops.Phases;

/**
 * The phases of a task's share of a step computed by several threads, each on a range of its rows:
 * at each phase every thread hands over its partial, the last to arrive adds them in range order
 * and takes the task's phase through {@code outer} (the path's exchange), and every thread goes on
 * with the total. A thread that fails makes the others fail too, instead of waiting for it.
 */
final class SharedPhases {
  private final Phases outer;
  private final double[][] partials;
  private int arrived;
  private long generation;
  private double[] total;
  private RuntimeException failure;

  SharedPhases(Phases outer, int parts) {
    this.outer = outer;
    this.partials = new double[parts][];
  }

  /** The phases as thread {@code part} (the {@code part}-th range of rows) sees them. */
  Phases of(int part) {
    return (phase, partial) -> exchange(part, phase, partial);
  }

  private synchronized double[] exchange(int part, int phase, double[] partial) {
    if (failure != null) {
      throw failure;
    }
    partials[part] = partial;
    long current = generation;
    if (++arrived == partials.length) {
      arrived = 0;
      try {
        double[] sum = partials[0].clone();
        for (int t = 1; t < partials.length; t++) {
          for (int i = 0; i < sum.length; i++) {
            sum[i] += partials[t][i];
          }
        }
        total = outer.exchange(phase, sum);
      } catch (RuntimeException e) {
        failure = e;
      }
      generation++;
      notifyAll();
    } else {
      while (generation == current && failure == null) {
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          fail(new IllegalStateException("interrupted while waiting for a phase's total", e));
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
    return total;
  }

  /** Fails every thread waiting at a phase, and every later one, with {@code e}. */
  synchronized void fail(RuntimeException e) {
    if (failure == null) {
      failure = e;
    }
    notifyAll();
  }
}
