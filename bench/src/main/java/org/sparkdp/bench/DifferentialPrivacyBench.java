package org.sparkdp.bench;

import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkdp.FitOptions;
import org.sparkdp.FitOptions.Strategy;
import org.sparkdp.FitOptions.SyncPath;
import org.sparkdp.History;
import org.sparkdp.Sequential;
import org.sparkdp.jobs.DataSource;
import org.sparkdp.jobs.Readers;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.LSTM;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Permutation;
import org.sparkdp.ops.Totals;
import org.sparkdp.ops.Workspace;
import org.sparkdp.ops.privacy.DifferentialPrivacy;
import org.sparkdp.ops.privacy.GaussianNoise;

/**
 * {@code bin/sparkdp bench --only differential_privacy} (and part of the full bench): what DP-SGD
 * costs per step against plain training, in one run. First one core without Spark: a plain step
 * ({@link Network#accumulate}) against a private one ({@link Network#accumulateClipped} plus the
 * driver's seeded noise on every parameter) for the seed model, the convnet of {@code
 * conf/fashion-mnist-cnn.yaml} and a row-by-row LSTM, in alternating blocks (plain, private, plain,
 * ...) so that the machine's load falls on both alike, median of the rounds. Then the secure noise
 * (AES-CTR) against the seeded noise on the seed model's parameters. Last, whole fits of the seed
 * model on {@code local[2]} through the driver channel, plain against {@code {l2_norm_clip: 1.0,
 * noise_multiplier: 1.1}} with Poisson sampling, in the order plain, private, private, plain so
 * that a drift of the load does not favour either.
 */
final class DifferentialPrivacyBench {
  private static final double CLIP = 1.0;
  private static final double NOISE_MULTIPLIER = 1.1;
  private static final long SEED = 42;
  private static final int ROUNDS = 7;

  /** Each block of steps lasts about this long (its step count is set from a plain step's time). */
  private static final double BLOCK_SECONDS = 0.15;

  private static final int FIT_EPOCHS = 2;
  private static final String MASTER = "local[2]";

  /** Fashion-MNIST's rows as 28 time steps of 28 pixels: LSTM(64), then the softmax layer. */
  private static final ModelSpec LSTM_SPEC =
      new ModelSpec(List.of(LSTM.of(64), Dense.of(10, "softmax")), List.of(28, 28));

  /** One model of the kernel comparison and its batch size. */
  private record Case(String key, String label, ModelSpec spec, int batch) {}

  /**
   * A comparison's medians over the rounds, in ms per step; {@code noiseMs} is part of {@code
   * privateMs}.
   */
  private record Comparison(double plainMs, double privateMs, double noiseMs) {
    double ratio() {
      return privateMs / plainMs;
    }
  }

  private DifferentialPrivacyBench() {}

  static void run(Report report, String dataDir) throws java.io.IOException {
    KernelBench.Data data = Bench.load(dataDir);
    report.section(
        "Differential privacy, one core, no Spark: a plain step (forward, backward) against a"
            + " private one (per-example clipping to "
            + CLIP
            + ", then the driver's seeded noise, multiplier "
            + NOISE_MULTIPLIER
            + ", on every parameter); alternating blocks, median of "
            + ROUNDS
            + " rounds");
    List<Case> cases =
        List.of(
            new Case("seed", "Dense 784-64-64-10, batch 256", Bench.SPEC, 256),
            new Case(
                "cnn", "conf/fashion-mnist-cnn.yaml's convnet, batch 64", ConvnetBench.SPEC, 64),
            new Case(
                "lstm", "LSTM(64) over 28 rows of 28 pixels, dense 10, batch 64", LSTM_SPEC, 64));
    for (Case c : cases) {
      Comparison m = compare(c, data);
      report.put(
          "dp_" + c.key() + "_plain_step_ms",
          c.label() + ": plain step",
          m.plainMs(),
          "%.3f",
          String.format(Locale.ROOT, "ms (%d parameters)", c.spec().layout().size()));
      report.put(
          "dp_" + c.key() + "_private_step_ms",
          "  private step",
          m.privateMs(),
          "%.3f",
          String.format(Locale.ROOT, "ms (the noise: %.3f ms of it)", m.noiseMs()));
      report.put("dp_" + c.key() + "_step_ratio", "  private / plain", m.ratio(), "%.2f", "");
      report.put(
          "dp_" + c.key() + "_clipping_ratio",
          "  clipping alone / plain",
          (m.privateMs() - m.noiseMs()) / m.plainMs(),
          "%.2f",
          "(what the tasks pay; the noise is the driver's)");
    }

    int size = Bench.SPEC.layout().size();
    report.section(
        "The driver's noise on the seed model's " + size + " parameters, alternating blocks");
    Comparison noise = noiseComparison(size);
    report.put(
        "dp_noise_seeded_ms",
        "seeded (counter-based, reproducible)",
        noise.plainMs(),
        "%.3f",
        "ms per step");
    report.put(
        "dp_noise_secure_ms",
        "secure (AES-256-CTR from SecureRandom)",
        noise.privateMs(),
        "%.3f",
        String.format(Locale.ROOT, "ms per step (%.2f x seeded)", noise.ratio()));

    report.section(
        "Differential privacy on Spark, "
            + MASTER
            + " (the seed model, sync through the driver channel, batch 256, 2 partitions;"
            + " fits of "
            + FIT_EPOCHS
            + " epochs in the order plain, private, private, plain after a one-epoch warm-up of"
            + " each; private: l2_norm_clip "
            + CLIP
            + ", noise_multiplier "
            + NOISE_MULTIPLIER
            + ", Poisson sampling)");
    DifferentialPrivacy settings = DifferentialPrivacy.of(CLIP, NOISE_MULTIPLIER);
    Fits plain;
    Fits dp;
    try (SparkSession spark =
        SparkSession.builder()
            .appName("sparkdp bench: differential privacy")
            .master(MASTER)
            .config("spark.ui.enabled", "false")
            .getOrCreate()) {
      Dataset<Row> train =
          Readers.read(
              spark,
              DataSource.fromPath(dataDir + "/train-images-idx3-ubyte.gz", "--data"),
              "train",
              784);
      // Cached: each fit would otherwise read and decode the IDX files again (seconds per fit).
      train = train.cache();
      train.count();
      fit(train, null, 1); // warm-up: the JIT compiles both paths' code before anything counts
      fit(train, settings, 1);
      Fit plainFirst = fit(train, null, FIT_EPOCHS);
      Fit dpFirst = fit(train, settings, FIT_EPOCHS);
      Fit dpSecond = fit(train, settings, FIT_EPOCHS);
      Fit plainSecond = fit(train, null, FIT_EPOCHS);
      plain = new Fits(plainFirst, plainSecond);
      dp = new Fits(dpFirst, dpSecond);
      train.unpersist();
    }
    report.put(
        "dp_fit_plain_step_ms",
        "plain: time per step",
        plain.stepMs(),
        "%.3f",
        String.format(
            Locale.ROOT,
            "ms (the slowest task's compute: %.3f ms; %d steps)",
            plain.computeMs(),
            plain.steps()));
    report.put(
        "dp_fit_private_step_ms",
        "private: time per step",
        dp.stepMs(),
        "%.3f",
        String.format(
            Locale.ROOT,
            "ms (the slowest task's compute: %.3f ms; %d steps)",
            dp.computeMs(),
            dp.steps()));
    report.put(
        "dp_fit_step_ratio",
        "  private / plain, per step",
        dp.stepMs() / plain.stepMs(),
        "%.2f",
        String.format(
            Locale.ROOT,
            "(%+.3f ms per step; the seeded noise alone took %.3f ms above)",
            dp.stepMs() - plain.stepMs(),
            noise.plainMs()));
    report.put(
        "dp_fit_plain_epoch_s",
        "plain: epoch (median)",
        plain.epochSeconds(),
        "%.3f",
        String.format(Locale.ROOT, "s (loss after %d epochs %.4f)", FIT_EPOCHS, plain.loss()));
    report.put(
        "dp_fit_private_epoch_s",
        "private: epoch (median)",
        dp.epochSeconds(),
        "%.3f",
        String.format(
            Locale.ROOT,
            "s (loss after %d epochs %.4f; epsilon %.3f at delta %s)",
            FIT_EPOCHS,
            dp.loss(),
            dp.epsilon(),
            org.sparkdp.ops.Setting.formatNumber(settings.delta())));
    report.put(
        "dp_fit_epoch_ratio",
        "  private / plain, per epoch",
        dp.epochSeconds() / plain.epochSeconds(),
        "%.2f",
        "");
  }

  /**
   * Plain against private steps of {@code c}'s model on batches of the data in a shuffled order:
   * after a warm-up, {@link #ROUNDS} rounds of a block of plain steps then a block of as many
   * private steps.
   */
  private static Comparison compare(Case c, KernelBench.Data data) {
    Network network = new Network(c.spec(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, 1);
    Batch batch = new Batch(data, c.batch());
    Workspace plainWs = network.newWorkspace(c.batch());
    Workspace privateWs = network.newWorkspace(c.batch());
    float[] params = c.spec().initialParameters(SEED);
    float[] grad = new float[params.length];
    GaussianNoise noise = GaussianNoise.seeded(SEED);
    double stddev = NOISE_MULTIPLIER * CLIP;
    int[] step = {0};
    Timed plain =
        () -> {
          int n = batch.next();
          java.util.Arrays.fill(grad, 0f);
          network.accumulate(
              params, batch.x, 0, batch.y, 0, batch.ids, 0, 0, n, grad, new Totals(), plainWs);
          return 0;
        };
    Timed dp =
        () -> {
          int n = batch.next();
          java.util.Arrays.fill(grad, 0f);
          network.accumulateClipped(
              params,
              batch.x,
              0,
              batch.y,
              0,
              batch.ids,
              0,
              null,
              0,
              0,
              n,
              CLIP,
              grad,
              new Totals(),
              privateWs);
          long t = System.nanoTime();
          noise.add(grad, stddev, 0, step[0]++);
          return System.nanoTime() - t;
        };
    return alternate(plain, dp);
  }

  /** The seeded noise against the secure noise on {@code size} parameters. */
  private static Comparison noiseComparison(int size) {
    float[] sum = new float[size];
    GaussianNoise seeded = GaussianNoise.seeded(SEED);
    GaussianNoise secure = GaussianNoise.secure();
    double stddev = NOISE_MULTIPLIER * CLIP;
    int[] step = {0, 0};
    return alternate(
        () -> {
          seeded.add(sum, stddev, 0, step[0]++);
          return 0;
        },
        () -> {
          secure.add(sum, stddev, 0, step[1]++);
          return 0;
        });
  }

  /** A step to time; returns the nanoseconds of the part reported apart (the noise), or 0. */
  @FunctionalInterface
  private interface Timed {
    long run();
  }

  /**
   * {@code a} against {@code b}: a warm-up of each, then {@link #ROUNDS} rounds of a block of
   * {@code a} then a block of {@code b}, each block as many steps as {@code a} takes in about
   * {@link #BLOCK_SECONDS}; the medians over the rounds, in ms per step.
   */
  private static Comparison alternate(Timed a, Timed b) {
    long warmUp = System.nanoTime();
    int warmSteps = 0;
    while (warmSteps < 3 || System.nanoTime() - warmUp < 1_000_000_000L) {
      a.run();
      b.run();
      warmSteps++;
    }
    long t0 = System.nanoTime();
    for (int i = 0; i < 3; i++) {
      a.run();
    }
    double aSeconds = (System.nanoTime() - t0) / 3e9;
    int steps = (int) Math.max(1, Math.round(BLOCK_SECONDS / aSeconds));
    double[] aMs = new double[ROUNDS];
    double[] bMs = new double[ROUNDS];
    double[] partMs = new double[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
      long start = System.nanoTime();
      for (int s = 0; s < steps; s++) {
        a.run();
      }
      long middle = System.nanoTime();
      long part = 0;
      for (int s = 0; s < steps; s++) {
        part += b.run();
      }
      long end = System.nanoTime();
      aMs[r] = (middle - start) / 1e6 / steps;
      bMs[r] = (end - middle) / 1e6 / steps;
      partMs[r] = part / 1e6 / steps;
    }
    return new Comparison(Bench.median(aMs), Bench.median(bMs), Bench.median(partMs));
  }

  /** Batches of the data in a seeded shuffled order, copied into buffers of one batch. */
  private static final class Batch {
    private final KernelBench.Data data;
    private final int size;
    private final int[] order;
    final float[] x;
    final float[] y;
    final long[] ids;
    private int position;

    Batch(KernelBench.Data data, int size) {
      this.data = data;
      this.size = size;
      Permutation p = new Permutation(data.rows(), 7);
      order = new int[data.rows()];
      for (int i = 0; i < data.rows(); i++) {
        order[(int) p.apply(i)] = i;
      }
      x = new float[size * data.in()];
      y = new float[size];
      ids = new long[size];
    }

    /** Fills the buffers with the next full batch; its size. */
    int next() {
      if (position + size > data.rows()) {
        position = 0;
      }
      for (int i = 0; i < size; i++) {
        int r = order[position + i];
        System.arraycopy(data.x(), r * data.in(), x, i * data.in(), data.in());
        y[i] = data.y()[r];
        ids[i] = r;
      }
      position += size;
      return size;
    }
  }

  /** One fit's figures. */
  private record Fit(
      List<Double> epochSeconds,
      long steps,
      double startSeconds,
      double computeSeconds,
      double loss,
      double epsilon) {}

  /** Two fits of the same settings taken as one: their steps and epochs together. */
  private record Fits(Fit first, Fit second) {
    /** ms per step, the channel's start excluded. */
    double stepMs() {
      return (busySeconds(first) + busySeconds(second)) / steps() * 1e3;
    }

    /** The slowest task's compute, ms per step. */
    double computeMs() {
      return (first.computeSeconds() + second.computeSeconds()) / steps() * 1e3;
    }

    long steps() {
      return first.steps() + second.steps();
    }

    double epochSeconds() {
      List<Double> all = new java.util.ArrayList<>(first.epochSeconds());
      all.addAll(second.epochSeconds());
      return Bench.median(all);
    }

    double loss() {
      return second.loss();
    }

    double epsilon() {
      return second.epsilon();
    }

    private static double busySeconds(Fit fit) {
      return fit.epochSeconds().stream().mapToDouble(Double::doubleValue).sum()
          - fit.startSeconds();
    }
  }

  private static Fit fit(Dataset<Row> train, DifferentialPrivacy dp, int epochs) {
    Sequential model = new Sequential(Bench.SPEC);
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
                .seed(SEED)
                .differentialPrivacy(dp)
                .verbose(0));
    return new Fit(
        history.epochSeconds(),
        model.lastFitStats().steps(),
        model.lastFitStats().startSeconds(),
        model.lastFitStats().computeSeconds(),
        history.last("loss"),
        history.history().containsKey("epsilon") ? history.last("epsilon") : Double.NaN);
  }
}
