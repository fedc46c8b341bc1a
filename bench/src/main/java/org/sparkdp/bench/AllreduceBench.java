package org.sparkdp.bench;

import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkdp.FitOptions;
import org.sparkdp.FitOptions.Strategy;
import org.sparkdp.FitOptions.SyncPath;
import org.sparkdp.driver.channel.Ring;
import org.sparkdp.jobs.DataSource;
import org.sparkdp.jobs.Readers;
import org.sparkdp.ops.Comparisons;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.ModelSpec;

/**
 * A large model's step on separate executor JVMs ({@code local-cluster[2,1,1024]} by default):
 * 784-2048-2048-10 (5.8M parameters, 23 MB) with {@code sync} at batch 256 on 2 partitions, through
 * the executor allreduce, the driver channel and a Spark job per step, in one session, each after a
 * warm-up epoch of its own (and two epochs before all of them, for the JIT). The step time is the
 * median epoch's over its steps; the fixed cost is that less the slowest task's compute. Beside
 * them, the cost model's prediction of both exchanges from constants measured here, and the weights
 * of the allreduce against the channel's and the jobs'.
 */
final class AllreduceBench {
  static final ModelSpec SPEC =
      ModelSpec.of(
          Dense.of(2048, "relu").withInputDim(784),
          Dense.of(2048, "relu"),
          Dense.of(10, "softmax"));

  /** Rows trained on: 12 steps of 256 per epoch. */
  private static final int ROWS = 3072;

  private static final int STEPS = ROWS / 256;
  private static final int EPOCHS = 3;

  private AllreduceBench() {}

  static void run(Report report, String master, String dataDir) throws Exception {
    int n = SPEC.layout().size();
    report.section(
        String.format(
            Locale.ROOT,
            "Executor allreduce on %s (784-2048-2048-10: %d parameters; sync, batch 256, 2 partitions, "
                + "%d steps per epoch, median of %d epochs after a warm-up epoch per path and two before all)",
            master,
            n,
            STEPS,
            EPOCHS));
    Bench.Run ring;
    Bench.Run channel;
    Bench.Run jobs;
    try (SparkSession spark =
        SparkSession.builder()
            .appName("sparkdp bench: allreduce")
            .master(master)
            .config("spark.ui.enabled", "false")
            .config("spark.executorEnv.OPENBLAS_NUM_THREADS", "1")
            .getOrCreate()) {
      Dataset<Row> train =
          Readers.read(
                  spark,
                  DataSource.fromPath(dataDir + "/train-images-idx3-ubyte.gz", "--data"),
                  "train",
                  784)
              .limit(ROWS)
              .cache();
      train.count();
      // The executors' compute code is compiled by the JIT over the first epochs, whatever the
      // path: two epochs first, so that the first path measured is not the one that pays for it.
      Bench.run(SPEC, train, options(SyncPath.CHANNEL, 2), null);
      Bench.run(SPEC, train, options(SyncPath.ALLREDUCE, 1), null);
      ring = Bench.run(SPEC, train, options(SyncPath.ALLREDUCE, EPOCHS), null);
      Bench.run(SPEC, train, options(SyncPath.CHANNEL, 1), null);
      channel = Bench.run(SPEC, train, options(SyncPath.CHANNEL, EPOCHS), null);
      Bench.run(SPEC, train, options(SyncPath.JOBS, 1), null);
      jobs = Bench.run(SPEC, train, options(SyncPath.JOBS, EPOCHS), null);
    }
    report.put(
        "allreduce_5m_step_ms",
        "executor allreduce: step",
        ring.epochSeconds() / STEPS * 1e3,
        "%.1f",
        String.format(
            Locale.ROOT,
            "ms (fixed cost %.1f ms; the path taken: %s)",
            ring.fixedMsPerStep(),
            ring.path()));
    report.put(
        "channel_5m_step_ms",
        "driver channel: step",
        channel.epochSeconds() / STEPS * 1e3,
        "%.1f",
        String.format(
            Locale.ROOT,
            "ms (fixed cost %.1f ms; the allreduce's step is %.2f of it)",
            channel.fixedMsPerStep(),
            ring.epochSeconds() / channel.epochSeconds()));
    report.put(
        "jobs_5m_step_ms",
        "a Spark job per step: step",
        jobs.epochSeconds() / STEPS * 1e3,
        "%.1f",
        String.format(
            Locale.ROOT,
            "ms (fixed cost %.1f ms; the allreduce's step is %.2f of it)",
            jobs.fixedMsPerStep(),
            ring.epochSeconds() / jobs.epochSeconds()));
    report.put(
        "allreduce_5m_fixed_ms_per_step",
        "  allreduce: fixed cost per step",
        ring.fixedMsPerStep(),
        "%.1f",
        String.format(
            Locale.ROOT, "ms (the start of the tasks: %.1f ms of it)", ring.startMsPerStep()));
    report.put(
        "channel_5m_fixed_ms_per_step",
        "  channel: fixed cost per step",
        channel.fixedMsPerStep(),
        "%.1f",
        "ms");
    report.put(
        "jobs_5m_fixed_ms_per_step",
        "  jobs: fixed cost per step",
        jobs.fixedMsPerStep(),
        "%.1f",
        "ms");
    report.put(
        "allreduce_5m_max_rel_diff_vs_channel",
        "  allreduce weights vs the channel's",
        Comparisons.maxRelativeDifference(ring.weights(), channel.weights()),
        "%.2e",
        "max |diff| / max |w| after " + (EPOCHS * STEPS) + " steps (the same additions: 0)");
    report.put(
        "allreduce_5m_max_rel_diff_vs_jobs",
        "  allreduce weights vs a job per step's",
        Comparisons.maxRelativeDifference(ring.weights(), jobs.weights()),
        "%.2e",
        "max |diff| / max |w| (float summation order)");

    ChannelModel.Constants model = ChannelModel.measure(n);
    double piece = ChannelModel.pieceSeconds(Math.min(n, Ring.PIECE_FLOATS));
    double adam = KernelBench.adamSeconds(n);
    report.put(
        "model_5m_message_ms",
        "  cost model: t_msg, " + 4L * n + " bytes one way on loopback",
        model.message() * 1e3,
        "%.2f",
        String.format(Locale.ROOT, "ms (t_piece %.3f ms, Adam %.2f ms)", piece * 1e3, adam * 1e3));
    report.put(
        "model_5m_channel_exchange_ms",
        "  predicted channel exchange, 2 tasks",
        model.predict(2, adam) * 1e3,
        "%.1f",
        String.format(
            Locale.ROOT, "ms (measured, less the start: %.1f ms)", channel.exchangeMsPerStep()));
    report.put(
        "model_5m_allreduce_exchange_ms",
        "  predicted allreduce exchange, 2 tasks",
        ChannelModel.predictRing(model, piece, 2, adam) * 1e3,
        "%.1f",
        String.format(
            Locale.ROOT, "ms (measured, less the start: %.1f ms)", ring.exchangeMsPerStep()));
  }

  private static FitOptions options(SyncPath path, int epochs) {
    return new FitOptions()
        .strategy(Strategy.SYNC)
        .syncPath(path)
        .batchSize(256)
        .partitions(2)
        .epochs(epochs);
  }
}
