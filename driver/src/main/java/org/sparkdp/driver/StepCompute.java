package org.sparkdp.driver;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Phases;

/**
 * A task's part of one synchronous step: the gradient sum, loss, correct count and count of its
 * rows in the step, in chunks of {@link #CHUNK_ROWS}. With {@code threads > 1} the rows are split
 * into that many contiguous ranges computed in parallel (one task per executor using all its cores)
 * and added up in range order, so the result does not depend on thread timing.
 */
final class StepCompute {
  /**
   * Rows one kernel call handles at most; a larger share is processed in chunks whose gradients add
   * up.
   */
  static final int CHUNK_ROWS = 256;

  private static ExecutorService pool;

  /**
   * The rows of a training pass at global batch size {@code batchSize}: the workspace a task
   * allocates, which the {@link org.sparkdp.ops.ActivationBudget} checks.
   */
  static int passRows(long batchSize) {
    return (int) Math.min(CHUNK_ROWS, batchSize);
  }

  private StepCompute() {}

  static GradientSum gradient(
      List<Block> blocks,
      EpochOrder order,
      int step,
      float[] params,
      Network network,
      int threads) {
    return gradient(blocks, order, step, params, network, threads, null);
  }

  /**
   * The task's part of step {@code step}; a model whose layers need the whole batch's statistics
   * gets them from {@code phases} (its path's exchanges), and computes the task's share as one pass
   * in one thread (a task without rows in the step still takes part in every phase).
   */
  static GradientSum gradient(
      List<Block> blocks,
      EpochOrder order,
      int step,
      float[] params,
      Network network,
      int threads,
      Phases phases) {
    long started = System.nanoTime();
    int begin = order.stepBegin(step);
    int end = order.stepEnd(step);
    GradientSum sum = new GradientSum();
    boolean phased = network.phaseWidths().length > 0;
    if (phased && phases == null) {
      throw new IllegalArgumentException("a model with batch_normalization steps in phases");
    }
    if (begin == end) {
      if (phased) {
        network.skipPhases(phases);
      }
      return sum;
    }
    int parts = Math.max(1, Math.min(threads, (end - begin + 7) / 8));
    if (phased) {
      sum = phased(blocks, order, begin, end, params, network, parts, phases);
      sum.computeNanos = System.nanoTime() - started;
      return sum;
    }
    if (parts == 1) {
      sum.gradient = new float[params.length];
      range(blocks, order, begin, end, params, network, sum);
    } else {
      List<Future<GradientSum>> futures = new ArrayList<>();
      ExecutorService executor = pool(parts);
      for (int t = 0; t < parts; t++) {
        int from = begin + (int) ((long) (end - begin) * t / parts);
        int to = begin + (int) ((long) (end - begin) * (t + 1) / parts);
        futures.add(
            executor.submit(
                () -> {
                  GradientSum part = new GradientSum();
                  part.gradient = new float[params.length];
                  range(blocks, order, from, to, params, network, part);
                  return part;
                }));
      }
      for (Future<GradientSum> f : futures) {
        try {
          sum = sum.merge(f.get());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while computing a step", e);
        } catch (ExecutionException e) {
          throw new IllegalStateException("a compute thread failed: " + e.getCause(), e.getCause());
        }
      }
    }
    sum.computeNanos = System.nanoTime() - started;
    return sum;
  }

  /**
   * A share with phases: in one pass per thread, each on a contiguous range of the rows, whose
   * partials {@link SharedPhases} adds in range order at each phase.
   */
  private static GradientSum phased(
      List<Block> blocks,
      EpochOrder order,
      int begin,
      int end,
      float[] params,
      Network network,
      int parts,
      Phases phases) {
    if (parts == 1) {
      return pass(blocks, order, begin, end, params, network, phases);
    }
    SharedPhases shared = new SharedPhases(phases, parts);
    List<Future<GradientSum>> futures = new ArrayList<>();
    ExecutorService executor = pool(parts);
    for (int t = 0; t < parts; t++) {
      int from = begin + (int) ((long) (end - begin) * t / parts);
      int to = begin + (int) ((long) (end - begin) * (t + 1) / parts);
      Phases own = shared.of(t);
      futures.add(
          executor.submit(
              () -> {
                try {
                  return pass(blocks, order, from, to, params, network, own);
                } catch (RuntimeException e) {
                  shared.fail(e);
                  throw e;
                }
              }));
    }
    GradientSum sum = new GradientSum();
    for (Future<GradientSum> f : futures) {
      try {
        sum = sum.merge(f.get());
      } catch (InterruptedException e) {
        shared.fail(new IllegalStateException("interrupted while computing a step", e));
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while computing a step", e);
      } catch (ExecutionException e) {
        // The failure itself: a lost exchange stays what it was, for the task to report.
        throw e.getCause() instanceof RuntimeException r
            ? r
            : new IllegalStateException("a compute thread failed: " + e.getCause(), e.getCause());
      }
    }
    return sum;
  }

  /** Rows {@code [begin, end)} of the step as one pass. */
  private static GradientSum pass(
      List<Block> blocks,
      EpochOrder order,
      int begin,
      int end,
      float[] params,
      Network network,
      Phases phases) {
    GradientSum sum = new GradientSum();
    sum.gradient = new float[params.length];
    TaskBuffers buffers = TaskBuffers.whole(network, end - begin);
    for (int i = 0; i < end - begin; i++) {
      int local = order.rowAt(begin + i);
      int b = order.block(local);
      buffers.gather(blocks.get(b), order.row(local, b), i);
    }
    buffers.accumulate(params, blocks.get(0), order.epoch(), end - begin, 0, sum, phases);
    return sum;
  }

  private static void range(
      List<Block> blocks,
      EpochOrder order,
      int begin,
      int end,
      float[] params,
      Network network,
      GradientSum sum) {
    // No share of a step is longer than the batch (with Poisson sampling it may be, and is cut
    // into chunks of the workspace's rows): a workspace of that many rows chunks alike.
    int chunk = passRows(order.batchSize());
    TaskBuffers buffers = TaskBuffers.get(network, chunk);
    double clip = order.l2NormClip();
    for (int k = begin; k < end; k += chunk) {
      int n = Math.min(chunk, end - k);
      for (int i = 0; i < n; i++) {
        int local = order.rowAt(k + i);
        int b = order.block(local);
        buffers.gather(blocks.get(b), order.row(local, b), i);
      }
      // With differential privacy, each example's gradient clipped (the noise is the driver's).
      buffers.accumulate(params, blocks.get(0), order.epoch(), n, clip, sum, null);
    }
  }

  /** A daemon pool shared by the tasks of this JVM; idle threads end after a minute. */
  private static synchronized ExecutorService pool(int threads) {
    if (pool == null) {
      pool =
          Executors.newCachedThreadPool(
              r -> {
                Thread t = new Thread(r, "sparkdp-compute");
                t.setDaemon(true);
                return t;
              });
    }
    return pool;
  }
}
