package org.sparkdp.bench;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkdp.FitOptions;
import org.sparkdp.FitOptions.Strategy;
import org.sparkdp.FitOptions.SyncPath;
import org.sparkdp.jobs.DataSource;
import org.sparkdp.jobs.Readers;
import org.sparkdp.ops.Comparisons;

/**
 * The driver channel on separate executor JVMs ({@code local-cluster[2,1,1024]} by default: two
 * executors of one core): {@code sync} at batch 256 with 2 partitions and with 8 (one task per
 * slot, each owning four partitions), then with 8 on a second session with {@code
 * spark.authenticate} and {@code spark.network.crypto.enabled} on, where every frame is encrypted
 * and authenticated (2 partitions, then 8, as on the plain session: each run is measured after as
 * many epochs in its JVMs as its plain counterpart). Each session first trains {@link #WARM_UP}
 * warm-up epochs, so that the JVMs' code is compiled before anything is measured (AES-GCM runs at
 * full speed only once the JIT has compiled it, after some hundreds of frames: the warm-up's first
 * epoch shows that one-time cost); the fixed cost per step includes the start of the tasks.
 */
final class ClusterChannelBench {
  private static final int EPOCHS = 5;
  private static final int WARM_UP = 3;

  private ClusterChannelBench() {}

  static void run(Report report, String master, String dataDir) throws java.io.IOException {
    report.section(
        "Driver channel on "
            + master
            + " (sync, batch 256, "
            + EPOCHS
            + " epochs; fixed cost = step time minus the slowest task's compute)");
    Bench.Run two;
    Bench.Run eight;
    Bench.Run plainWarmUp;
    try (SparkSession spark = session(master, false)) {
      Dataset<Row> train = train(spark, dataDir);
      plainWarmUp = Bench.run(train, options(8, WARM_UP), null);
      two = Bench.run(train, options(2, EPOCHS), null);
      eight = Bench.run(train, options(8, EPOCHS), null);
    }
    // The same runs in the same order: each measured run follows as many epochs in its JVMs.
    Bench.Run sealedTwo;
    Bench.Run sealed;
    Bench.Run sealedWarmUp;
    try (SparkSession spark = session(master, true)) {
      Dataset<Row> train = train(spark, dataDir);
      sealedWarmUp = Bench.run(train, options(8, WARM_UP), null);
      sealedTwo = Bench.run(train, options(2, EPOCHS), null);
      sealed = Bench.run(train, options(8, EPOCHS), null);
    }
    report.put(
        "channel_cluster_p2_fixed_ms_per_step",
        "2 partitions, 2 tasks: fixed cost per step",
        two.fixedMsPerStep(),
        "%.3f",
        String.format(
            Locale.ROOT, "ms (the start of the tasks: %.3f ms of it)", two.startMsPerStep()));
    report.put(
        "channel_cluster_p8_fixed_ms_per_step",
        "8 partitions on 2 slots (2 tasks): fixed cost per step",
        eight.fixedMsPerStep(),
        "%.3f",
        String.format(
            Locale.ROOT,
            "ms (%.2f x 2 partitions; the start: %.3f ms of it)",
            eight.fixedMsPerStep() / two.fixedMsPerStep(),
            eight.startMsPerStep()));
    report.put(
        "channel_cluster_p8_vs_p2_ratio",
        "  ratio to 2 partitions",
        eight.fixedMsPerStep() / two.fixedMsPerStep(),
        "%.2f",
        "");
    report.put(
        "channel_cluster_p8_exchange_ms_per_step",
        "  without the start (paid once per fit): the exchange",
        eight.exchangeMsPerStep(),
        "%.3f",
        String.format(Locale.ROOT, "ms (2 partitions: %.3f ms)", two.exchangeMsPerStep()));
    report.put(
        "channel_cluster_p8_epoch_s",
        "  epoch",
        eight.epochSeconds(),
        "%.3f",
        String.format(
            Locale.ROOT, "s (2 partitions: %.3f s; median of %d)", two.epochSeconds(), EPOCHS));
    report.put(
        "channel_cluster_p8_max_rel_diff_vs_p2",
        "  weights vs 2 partitions",
        Comparisons.maxRelativeDifference(eight.weights(), two.weights()),
        "%.2e",
        "max |diff| / max |w| after " + EPOCHS + " epochs (float summation order)");
    report.put(
        "channel_cluster_sealed_p8_fixed_ms_per_step",
        "8 partitions, spark.authenticate + network crypto: fixed cost per step",
        sealed.fixedMsPerStep(),
        "%.3f",
        String.format(
            Locale.ROOT,
            "ms (%.2f x the plain channel's; every frame AES-GCM; the start: %.3f ms of it)",
            sealed.fixedMsPerStep() / eight.fixedMsPerStep(),
            sealed.startMsPerStep()));
    report.put(
        "channel_cluster_sealed_p2_fixed_ms_per_step",
        "  2 partitions, encrypted: fixed cost per step",
        sealedTwo.fixedMsPerStep(),
        "%.3f",
        String.format(
            Locale.ROOT,
            "ms (%.2f x the plain channel's)",
            sealedTwo.fixedMsPerStep() / two.fixedMsPerStep()));
    report.put(
        "channel_cluster_sealed_vs_plain_ratio",
        "  ratio to the plain channel",
        sealed.fixedMsPerStep() / eight.fixedMsPerStep(),
        "%.2f",
        "");
    report.put(
        "channel_cluster_sealed_exchange_ms_per_step",
        "  without the start: the exchange",
        sealed.exchangeMsPerStep(),
        "%.3f",
        String.format(
            Locale.ROOT,
            "ms (%.2f x the plain channel's; 2 partitions: %.3f ms, %.2f x)",
            sealed.exchangeMsPerStep() / eight.exchangeMsPerStep(),
            sealedTwo.exchangeMsPerStep(),
            sealedTwo.exchangeMsPerStep() / two.exchangeMsPerStep()));
    report.put(
        "channel_cluster_sealed_exchange_vs_plain_ratio",
        "  its ratio to the plain channel's",
        sealed.exchangeMsPerStep() / eight.exchangeMsPerStep(),
        "%.2f",
        "");
    report.put(
        "channel_cluster_sealed_first_epoch_s",
        "  the first epoch of a fresh session (a one-time cost)",
        sealedWarmUp.firstEpochSeconds(),
        "%.2f",
        String.format(
            Locale.ROOT,
            "s (plain: %.2f s; JIT compilation, block fetches, the start)",
            plainWarmUp.firstEpochSeconds()));
    report.put(
        "channel_cluster_sealed_max_rel_diff_vs_plain",
        "  weights vs the plain channel",
        Comparisons.maxRelativeDifference(sealed.weights(), eight.weights()),
        "%.2e",
        "max |diff| / max |w|: the same sums, so 0");
    batchNormalization(report, master, dataDir);
  }

  /** The cost of exact batch_normalization's phases ({@link BatchNormalizationBench}). */
  static void batchNormalization(Report report, String master, String dataDir)
      throws java.io.IOException {
    try (SparkSession spark = session(master, false)) {
      BatchNormalizationBench.run(report, train(spark, dataDir), master);
    }
  }

  private static FitOptions options(int partitions, int epochs) {
    return new FitOptions()
        .strategy(Strategy.SYNC)
        .syncPath(SyncPath.CHANNEL)
        .batchSize(256)
        .partitions(partitions)
        .epochs(epochs);
  }

  private static Dataset<Row> train(SparkSession spark, String dataDir) throws java.io.IOException {
    return Readers.read(
        spark,
        DataSource.fromPath(dataDir + "/train-images-idx3-ubyte.gz", "--data"),
        "train",
        784);
  }

  /** A session of its own on {@code master}; {@code secured}: authenticated and encrypted RPC. */
  private static SparkSession session(String master, boolean secured) {
    SparkSession.Builder builder =
        SparkSession.builder()
            .appName("sparkdp bench: channel" + (secured ? ", secured" : ""))
            .master(master)
            .config("spark.ui.enabled", "false")
            .config("spark.executorEnv.OPENBLAS_NUM_THREADS", "1");
    if (secured) {
      byte[] secret = new byte[32];
      new SecureRandom().nextBytes(secret);
      builder
          .config("spark.authenticate", "true")
          .config("spark.authenticate.secret", HexFormat.of().formatHex(secret))
          .config("spark.network.crypto.enabled", "true");
    }
    return builder.getOrCreate();
  }
}
