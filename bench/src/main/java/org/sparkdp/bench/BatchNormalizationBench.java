package org.sparkdp.bench;

import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.sparkdp.FitOptions;
import org.sparkdp.FitOptions.Strategy;
import org.sparkdp.FitOptions.SyncPath;
import org.sparkdp.History;
import org.sparkdp.Sequential;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.BatchNormalization;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.ModelSpec;

/**
 * The cost of exact {@code batch_normalization} on the driver channel: the bench's model with one
 * normalisation after its first hidden layer against the same model without it, {@code sync} at
 * batch 256 on 2 partitions of {@code local-cluster}. The layer adds two phases per step (its
 * forward statistics, its backward sums: a round trip of a few hundred bytes through the driver
 * each), whose time the tasks do not count as compute, so the difference of the fixed costs per
 * step is the phases' cost; the difference of the whole steps adds the layer's own arithmetic.
 */
final class BatchNormalizationBench {
  private static final int EPOCHS = 3;

  private static final ModelSpec PLAIN =
      ModelSpec.of(
          Dense.of(64, "relu").withInputDim(784), Dense.of(64, "relu"), Dense.of(10, "softmax"));

  private static final ModelSpec NORMALISED =
      ModelSpec.of(
          Dense.of(64, "relu").withInputDim(784),
          BatchNormalization.defaults(),
          Dense.of(64, "relu"),
          Dense.of(10, "softmax"));

  private BatchNormalizationBench() {}

  /** One fit's time per step and fixed cost per step (both in ms), after its warm-up. */
  private record Step(double totalMs, double fixedMs) {}

  static void run(Report report, Dataset<Row> train, String master) {
    report.section(
        "Exact batch_normalization on the driver channel, "
            + master
            + " (sync, batch 256, 2 partitions, "
            + EPOCHS
            + " epochs; one BatchNormalization after the first hidden layer: 2 phases per step)");
    fit(PLAIN, train, 1); // warm-up: the JVMs compile the channel's and the kernels' code
    fit(NORMALISED, train, 1);
    Step plain = fit(PLAIN, train, EPOCHS);
    Step normalised = fit(NORMALISED, train, EPOCHS);
    double phases = normalised.fixedMs() - plain.fixedMs();
    report.put(
        "bn_channel_fixed_ms_per_step",
        "fixed cost per step with one BatchNormalization",
        normalised.fixedMs(),
        "%.3f",
        String.format(Locale.ROOT, "ms (without it: %.3f ms)", plain.fixedMs()));
    report.put(
        "bn_channel_phases_ms_per_step",
        "  its two phases: extra fixed cost per step",
        phases,
        "%.3f",
        String.format(Locale.ROOT, "ms (%.3f ms per phase)", phases / 2));
    report.put(
        "bn_channel_extra_ms_per_step",
        "  the whole step's extra time (phases and the layer's arithmetic)",
        normalised.totalMs() - plain.totalMs(),
        "%.3f",
        String.format(
            Locale.ROOT,
            "ms (%.3f ms against %.3f ms per step)",
            normalised.totalMs(),
            plain.totalMs()));
  }

  private static Step fit(ModelSpec spec, Dataset<Row> train, int epochs) {
    Sequential model = new Sequential(spec);
    model.compile(Adam.defaults(), "sparse_categorical_crossentropy", "accuracy");
    History history =
        model.fit(
            train,
            new FitOptions()
                .strategy(Strategy.SYNC)
                .syncPath(SyncPath.CHANNEL)
                .batchSize(256)
                .partitions(2)
                .epochs(epochs)
                .seed(42)
                .verbose(0));
    List<Double> seconds = history.epochSeconds();
    double total = seconds.stream().mapToDouble(Double::doubleValue).sum();
    long steps = model.lastFitStats().steps();
    double start = model.lastFitStats().startSeconds();
    return new Step(
        (total - start) / steps * 1e3,
        (total - start - model.lastFitStats().computeSeconds()) / steps * 1e3);
  }
}
