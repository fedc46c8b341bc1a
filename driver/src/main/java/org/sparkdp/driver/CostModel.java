package org.sparkdp.driver;

import org.sparkdp.FitOptions;
import org.sparkdp.driver.channel.Ring;

/**
 * The fixed cost per step of each synchronous path, from docs/cost-model.md, and the path {@code
 * sync_path: auto} takes by it: the driver channel ({@code 8nT / BW} through the driver's link),
 * the executor allreduce ({@code 8n / BW} through it, plus {@code 2 (T - 1)} hops of a piece) or a
 * Spark job per step ({@code J} plus a reduction tree), for {@code n} parameters and {@code T}
 * tasks. The figures are a 10 GbE cluster's, not measured: the README's "When auto takes it".
 */
final class CostModel {
  /** The driver's link: 10 GbE. */
  static final double LINK_BYTES_PER_SECOND = 1.25e9;

  /** The latency of one hop between executors, in seconds. */
  static final double HOP_LATENCY = 2e-4;

  /** Spark's fixed cost of one job, in seconds. */
  static final double JOB_SECONDS = 0.03;

  private CostModel() {}

  /**
   * Whether the driver's share of a step, {@code 8 n T} bytes for {@code T} tasks, costs less than
   * a Spark job with a reduction tree would: {@code n (T - sqrt(T)) <= 4.7M}, from a driver link of
   * 1.25 GB/s and 30 ms per job.
   */
  static boolean channelSuits(int tasks, int parameters) {
    return (double) parameters * (tasks - Math.sqrt(tasks)) <= 4.7e6;
  }

  /** The driver channel's fixed cost per step: {@code 8nT / BW}, the driver's link both ways. */
  static double channelSeconds(int tasks, int parameters) {
    return 8.0 * parameters * tasks / LINK_BYTES_PER_SECOND;
  }

  /**
   * The executor allreduce's fixed cost per step: {@code 8n / BW + 2 (T - 1) (4 min(n, S) / BW +
   * alpha)}: the driver's link carries the parameters out and the sum in, and each of the two
   * pipelines of pieces of {@code S} floats ({@link Ring#PIECE_FLOATS}) fills through {@code T - 1}
   * hops.
   */
  static double ringSeconds(int tasks, int parameters) {
    double hop =
        4.0 * Math.min(parameters, Ring.PIECE_FLOATS) / LINK_BYTES_PER_SECOND + HOP_LATENCY;
    return 8.0 * parameters / LINK_BYTES_PER_SECOND + 2 * (tasks - 1) * hop;
  }

  /**
   * A Spark job per step's fixed cost: {@code J + 4n (1 + 2 sqrt(T)) / BW}, the parameters out and
   * about {@code 2 sqrt(T)} sums in through a reduction tree.
   */
  static double jobSeconds(int tasks, int parameters) {
    return JOB_SECONDS + 4.0 * parameters * (1 + 2 * Math.sqrt(tasks)) / LINK_BYTES_PER_SECOND;
  }

  /**
   * The path {@code sync_path: auto} takes for {@code tasks} tasks and a model of {@code
   * parameters} parameters: the channel while it {@link #channelSuits} and costs no more than the
   * ring; else the ring while it costs no more than a job per step; else a job per step.
   */
  static FitOptions.SyncPath auto(int tasks, int parameters) {
    return auto(tasks, parameters, 0);
  }

  /**
   * {@link #auto(int, int)} for a model whose steps have {@code phases} phases ({@link
   * org.sparkdp.ops.Phases}, two per {@code batch_normalization}): each costs the channel and the
   * ring one more round trip of a few bytes through the driver ({@code 2 alpha}), and a job per
   * step one more Spark job ({@code J}); so the channel suits while {@code n (T - sqrt(T)) <= 4.7M
   * (1 + p (1 - 2 alpha / J))}.
   */
  static FitOptions.SyncPath auto(int tasks, int parameters, int phases) {
    double links = phases * 2 * HOP_LATENCY;
    double ring = ringSeconds(tasks, parameters) + links;
    double jobs = jobSeconds(tasks, parameters) + phases * JOB_SECONDS;
    boolean suits =
        (double) parameters * (tasks - Math.sqrt(tasks))
            <= 4.7e6 * (1 + phases * (1 - 2 * HOP_LATENCY / JOB_SECONDS));
    if (suits && channelSeconds(tasks, parameters) + links <= ring) {
      return FitOptions.SyncPath.CHANNEL;
    }
    return ring <= jobs ? FitOptions.SyncPath.ALLREDUCE : FitOptions.SyncPath.JOBS;
  }
}
