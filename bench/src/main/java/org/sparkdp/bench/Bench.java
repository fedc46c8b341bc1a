package org.sparkdp.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkdp.FitOptions;
import org.sparkdp.FitOptions.Strategy;
import org.sparkdp.FitOptions.SyncPath;
import org.sparkdp.History;
import org.sparkdp.Sequential;
import org.sparkdp.jobs.DataSource;
import org.sparkdp.jobs.Idx;
import org.sparkdp.jobs.Readers;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.Blas;
import org.sparkdp.ops.Comparisons;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Network;

/**
 * {@code bin/sparkdp bench [--data DIR] [--epochs N] [--json FILE] [--skip-mllib] [--skip-torch]
 * [--scale-rows N --scale-features F --scale-memory M] [--cluster-master M] [--only channel]}: the
 * Fashion-MNIST model (Dense 784-64-64-10, Adam) measured every way at once: one core's kernel
 * against {@code sgemm}, sparkdp's {@code sync} (driver channel and a job per step) and {@code
 * local} strategies, one multi-threaded task against a task per core, Spark MLlib's {@code
 * MultilayerPerceptronClassifier}, PyTorch, and last the driver channel on separate executor JVMs
 * ({@link ClusterChannelBench}, on {@code --cluster-master}, {@code local-cluster[2,1,1024]} unless
 * given; {@code --only channel} runs that part alone), and Keras' simple MNIST convnet on one core
 * against {@code sgemm} and PyTorch ({@link ConvnetBench}, alone with {@code --only convnet}), and
 * the cost of differential privacy per step ({@link DifferentialPrivacyBench}, alone with {@code
 * --only differential_privacy}). Prints one table; {@code --json} writes the figures.
 */
public final class Bench {
  static final ModelSpec SPEC =
      ModelSpec.of(
          Dense.of(64, "relu").withInputDim(784), Dense.of(64, "relu"), Dense.of(10, "softmax"));

  private Bench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = options(args);
    if (options.containsKey("json")) {
      // Before minutes of measuring: a --json that may not be replaced is refused at once.
      try {
        org.sparkdp.io.OutputFile.BENCH_JSON.checkReplaceable(
            Path.of(options.get("json")).toAbsolutePath().toString(),
            "--json " + options.get("json"),
            options.containsKey("overwrite"),
            new org.apache.hadoop.conf.Configuration());
      } catch (org.sparkdp.ops.ConfigException e) {
        System.err.println("sparkdp bench: error: " + e.getMessage());
        System.exit(2);
      }
    }
    String dataDir = options.getOrDefault("data", "/usr/share/datasets/fashion-mnist");
    int epochs = Integer.parseInt(options.getOrDefault("epochs", "10"));
    String clusterMaster = options.getOrDefault("cluster-master", "local-cluster[2,1,1024]");
    Report report = new Report();
    if (options.containsKey("only")) {
      switch (options.get("only")) {
        case "channel" -> ClusterChannelBench.run(report, clusterMaster, dataDir);
        case "allreduce" -> AllreduceBench.run(report, clusterMaster, dataDir);
        case "convnet" -> ConvnetBench.run(report, dataDir, !options.containsKey("skip-torch"));
        case "batch_normalization" ->
            ClusterChannelBench.batchNormalization(report, clusterMaster, dataDir);
        case "differential_privacy" -> DifferentialPrivacyBench.run(report, dataDir);
        default ->
            throw new IllegalArgumentException(
                "--only: the parts that run alone are 'channel', 'allreduce', 'convnet',"
                    + " 'batch_normalization' and 'differential_privacy'");
      }
      finish(report, options);
      return;
    }
    SparkSession spark = SparkSession.builder().appName("sparkdp bench").getOrCreate();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());

    report.section("Machine");
    report.put(
        "blas", "BLAS", Blas.implementation(), "netlib's choice: JNIBLAS is native (OpenBLAS)");
    report.put(
        "openblas_coretype",
        "OPENBLAS_CORETYPE",
        String.valueOf(System.getenv("OPENBLAS_CORETYPE")),
        "as set in the environment");
    report.put(
        "openblas_num_threads",
        "OPENBLAS_NUM_THREADS",
        String.valueOf(System.getenv("OPENBLAS_NUM_THREADS")),
        "");
    report.put(
        "spark_master",
        "Spark",
        spark.version() + " " + spark.sparkContext().master(),
        jsc.defaultParallelism() + " task slots");
    report.put("cores", "cores", Runtime.getRuntime().availableProcessors(), "%.0f", "");

    KernelBench.Data data = load(dataDir);
    Network network = new Network(SPEC, Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, 1);
    report.section(
        "One core, no Spark (forward + backward over a shuffled epoch of cached float blocks)");
    for (int b : new int[] {32, 256}) {
      double sgemm = KernelBench.sgemmGflops(SPEC, b);
      double seconds = KernelBench.epochSeconds(network, data, b, false, 3);
      double withAdam = KernelBench.epochSeconds(network, data, b, true, 3);
      double gflops = KernelBench.flopsPerStep(SPEC, b) / b * data.rows() / seconds / 1e9;
      report.put(
          "sgemm_b" + b + "_gflops",
          "sgemm, the step's shapes, batch " + b,
          sgemm,
          "%.1f",
          "GFLOP/s");
      report.put(
          "compute_b" + b + "_epoch_s",
          "forward+backward epoch, batch " + b,
          seconds,
          "%.3f",
          String.format(Locale.ROOT, "s (%.1f GFLOP/s)", gflops));
      report.put(
          "compute_b" + b + "_fraction_of_sgemm",
          "  as a fraction of sgemm's rate",
          gflops / sgemm,
          "%.2f",
          "");
      report.put(
          "compute_adam_b" + b + "_epoch_s",
          "with Adam's step: one core's epoch, batch " + b,
          withAdam,
          "%.3f",
          String.format(Locale.ROOT, "s (%.0f samples/s)", data.rows() / withAdam));
    }
    report.put(
        "adam_step_ms",
        "Adam step, " + SPEC.layout().size() + " parameters",
        KernelBench.adamSeconds(SPEC.layout().size()) * 1e3,
        "%.3f",
        "ms");

    report.section("Spark's fixed costs (" + spark.sparkContext().master() + ")");
    sparkCosts(jsc, report);

    Dataset<Row> train =
        Readers.read(
            spark,
            DataSource.fromPath(dataDir + "/train-images-idx3-ubyte.gz", "--data"),
            "train",
            784);
    Dataset<Row> test =
        Readers.read(
            spark,
            DataSource.fromPath(dataDir + "/t10k-images-idx3-ubyte.gz", "--data"),
            "test",
            784);
    int slots = jsc.defaultParallelism();

    report.section("sparkdp sync (exact: the same weights on any partitioning)");
    Run plain =
        run(
            train,
            new FitOptions()
                .strategy(Strategy.SYNC)
                .syncPath(SyncPath.JOBS)
                .batchSize(256)
                .epochs(1),
            null);
    Run channelOne =
        run(
            train,
            new FitOptions()
                .strategy(Strategy.SYNC)
                .syncPath(SyncPath.CHANNEL)
                .batchSize(256)
                .epochs(1),
            null);
    Run channel =
        run(
            train,
            new FitOptions()
                .strategy(Strategy.SYNC)
                .syncPath(SyncPath.CHANNEL)
                .batchSize(256)
                .epochs(5),
            null);
    Run channel32 =
        run(
            train,
            new FitOptions()
                .strategy(Strategy.SYNC)
                .syncPath(SyncPath.CHANNEL)
                .batchSize(32)
                .epochs(2),
            null);
    Run threaded =
        run(
            train,
            new FitOptions()
                .strategy(Strategy.SYNC)
                .syncPath(SyncPath.CHANNEL)
                .batchSize(256)
                .epochs(3)
                .partitions(1)
                .threads(slots),
            null);
    Run single =
        run(
            train,
            new FitOptions()
                .strategy(Strategy.SYNC)
                .syncPath(SyncPath.CHANNEL)
                .batchSize(256)
                .epochs(5)
                .partitions(1),
            null);
    report.put(
        "sync_b256_jobs_epoch_s",
        "a Spark job per step, batch 256: epoch",
        plain.epochSeconds(),
        "%.2f",
        "s");
    report.put(
        "sync_b256_jobs_fixed_ms_per_step",
        "  fixed cost per step",
        plain.fixedMsPerStep(),
        "%.2f",
        "ms (step time minus the slowest task's compute)");
    report.put(
        "sync_b256_epoch_s",
        "driver channel, batch 256: epoch",
        channel.epochSeconds(),
        "%.3f",
        String.format(Locale.ROOT, "s (%.0f samples/s)", channel.rows() / channel.epochSeconds()));
    report.put(
        "sync_b256_fixed_ms_per_step",
        "  fixed cost per step",
        channel.fixedMsPerStep(),
        "%.3f",
        String.format(
            Locale.ROOT,
            "ms (%.1f times less than a job per step)",
            plain.fixedMsPerStep() / channel.fixedMsPerStep()));
    report.put(
        "sync_b256_max_rel_diff_vs_plain",
        "  weights vs a job per step, 1 epoch",
        Comparisons.maxRelativeDifference(channelOne.weights(), plain.weights()),
        "%.2e",
        "max |diff| / max |w|");
    report.put(
        "sync_b32_epoch_s",
        "driver channel, batch 32: epoch",
        channel32.epochSeconds(),
        "%.3f",
        String.format(
            Locale.ROOT, "s (%.0f samples/s)", channel32.rows() / channel32.epochSeconds()));
    report.put(
        "sync_b32_fixed_ms_per_step",
        "  fixed cost per step",
        channel32.fixedMsPerStep(),
        "%.3f",
        "ms");
    report.put(
        "sync_b256_one_task_epoch_s",
        "1 task x " + slots + " threads, batch 256: epoch",
        threaded.epochSeconds(),
        "%.3f",
        String.format(
            Locale.ROOT,
            "s (%.2f x the time of %d tasks x 1 thread)",
            threaded.epochSeconds() / channel.epochSeconds(),
            slots));

    report.section(
        "Cost model of the driver channel (docs/cost-model.md), checked against the runs above");
    ChannelModel.Constants model = ChannelModel.measure(SPEC.layout().size());
    double adam = report.get("adam_step_ms") / 1e3;
    report.put(
        "model_latency_ms",
        "alpha: loopback round trip of a small message",
        model.latency() * 1e3,
        "%.3f",
        "ms");
    report.put(
        "model_message_ms",
        "t_msg: one parameter vector (" + 4 * SPEC.layout().size() + " bytes) one way",
        model.message() * 1e3,
        "%.3f",
        "ms");
    report.put(
        "model_add_ms", "t_add: adding one vector into the sum", model.add() * 1e3, "%.3f", "ms");
    report.put(
        "sync_b256_p1_exchange_ms_per_step",
        "measured, 1 task: fixed cost per step less the start",
        single.exchangeMsPerStep(),
        "%.3f",
        String.format(
            Locale.ROOT,
            "ms (model: %.3f ms; the start adds %.3f ms)",
            model.predict(1, adam) * 1e3,
            single.startMsPerStep()));
    report.put("model_p1_exchange_ms", "  predicted", model.predict(1, adam) * 1e3, "%.3f", "ms");
    report.put(
        "sync_b256_p2_exchange_ms_per_step",
        "measured, 2 tasks: fixed cost per step less the start",
        channel.exchangeMsPerStep(),
        "%.3f",
        String.format(
            Locale.ROOT,
            "ms (model: %.3f ms; the start adds %.3f ms)",
            model.predict(2, adam) * 1e3,
            channel.startMsPerStep()));
    report.put("model_p2_exchange_ms", "  predicted", model.predict(2, adam) * 1e3, "%.3f", "ms");

    report.section("sparkdp local (partitions step on their own, synchronised once per epoch)");
    Run local32 =
        run(train, new FitOptions().strategy(Strategy.LOCAL).batchSize(32).epochs(epochs), test);
    Run local256 =
        run(train, new FitOptions().strategy(Strategy.LOCAL).batchSize(256).epochs(3), null);
    report.put(
        "local_b32_epoch_s",
        "batch 32: epoch",
        local32.epochSeconds(),
        "%.3f",
        String.format(
            Locale.ROOT,
            "s (%.0f samples/s; median of %d epochs)",
            local32.rows() / local32.epochSeconds(),
            epochs));
    report.put(
        "local_b32_test_accuracy",
        "  test accuracy after " + epochs + " epochs",
        local32.testAccuracy(),
        "%.4f",
        "");
    report.put(
        "local_b256_epoch_s",
        "batch 256: epoch",
        local256.epochSeconds(),
        "%.3f",
        String.format(
            Locale.ROOT, "s (%.0f samples/s)", local256.rows() / local256.epochSeconds()));

    double sparkdpPass = local32.epochSeconds();
    report.section(
        "Spark MLlib MultilayerPerceptronClassifier (L-BFGS, layers 784-64-64-10, same data frames)");
    if (!options.containsKey("skip-mllib")) {
      PeerBench.mllib(train, test, 1); // warms up the JIT and MLlib's code paths
      PeerBench.MllibRun shorter = PeerBench.mllib(train, test, 5);
      PeerBench.MllibRun longer = PeerBench.mllib(train, test, 25);
      double pass = (longer.seconds() - shorter.seconds()) / 20;
      double setup = Math.max(0, shorter.seconds() - 5 * pass);
      double sparkdpTotal = local32.totalSeconds();
      int sameTime = (int) Math.max(1, Math.round((sparkdpTotal - setup) / pass));
      PeerBench.MllibRun equal = PeerBench.mllib(train, test, sameTime);
      report.put(
          "mllib_pass_s",
          "time per L-BFGS iteration (at least one pass over the data)",
          pass,
          "%.3f",
          String.format(Locale.ROOT, "s (plus %.1f s to set up each fit)", setup));
      report.put(
          "sparkdp_pass_s",
          "sparkdp local, batch 32: time per pass",
          sparkdpPass,
          "%.3f",
          String.format(Locale.ROOT, "s (MLlib takes %.1f times as long)", pass / sparkdpPass));
      report.put(
          "mllib_same_time_iterations",
          "MLlib iterations in sparkdp's " + epochs + "-epoch time",
          sameTime,
          "%.0f",
          String.format(
              Locale.ROOT, "(%.1f s against sparkdp's %.1f s)", equal.seconds(), sparkdpTotal));
      report.put(
          "mllib_test_accuracy",
          "MLlib test accuracy after that",
          equal.testAccuracy(),
          "%.4f",
          String.format(Locale.ROOT, "(sparkdp: %.4f)", local32.testAccuracy()));
      report.put(
          "mllib_25_iterations_test_accuracy",
          "MLlib test accuracy after 25 iterations",
          longer.testAccuracy(),
          "%.4f",
          String.format(Locale.ROOT, "(%.1f s)", longer.seconds()));
      PeerBench.MllibRun hundred = PeerBench.mllib(train, test, 100);
      report.put(
          "mllib_100_iterations_test_accuracy",
          "MLlib test accuracy after 100 iterations",
          hundred.testAccuracy(),
          "%.4f",
          String.format(
              Locale.ROOT,
              "(%.1f s; sparkdp %.4f in %.1f s)",
              hundred.seconds(),
              local32.testAccuracy(),
              sparkdpTotal));
    }

    report.section("PyTorch " + "(/usr/bin/python3, one thread, same model and optimizer)");
    if (!options.containsKey("skip-torch")) {
      JsonNode t32 = PeerBench.torch(dataDir, 32, epochs);
      JsonNode t256 = PeerBench.torch(dataDir, 256, 3);
      if (t32 != null && t256 != null) {
        double e32 = median(t32.get("epoch_seconds"));
        double e256 = median(t256.get("epoch_seconds"));
        report.put("torch_version", "version", t32.get("torch_version").asText(), "");
        report.put(
            "torch_b32_epoch_s",
            "batch 32: epoch",
            e32,
            "%.3f",
            String.format(
                Locale.ROOT,
                "s; sparkdp local is %.2f of it, one sparkdp core %.2f",
                local32.epochSeconds() / e32,
                report.get("compute_adam_b32_epoch_s") / e32));
        report.put(
            "torch_b32_test_accuracy",
            "  test accuracy after " + epochs + " epochs",
            t32.get("test_accuracy").asDouble(),
            "%.4f",
            "");
        report.put(
            "torch_b256_epoch_s",
            "batch 256: epoch",
            e256,
            "%.3f",
            String.format(
                Locale.ROOT,
                "s; sparkdp local is %.2f of it, one sparkdp core %.2f",
                local256.epochSeconds() / e256,
                report.get("compute_adam_b256_epoch_s") / e256));
      }
    }

    ConvnetBench.run(report, dataDir, !options.containsKey("skip-torch"));

    if (options.containsKey("scale-rows")) {
      report.section("Scale: synthetic Parquet larger than the executors' cache");
      ScaleBench.run(
          spark,
          report,
          Long.parseLong(options.get("scale-rows")),
          Integer.parseInt(options.getOrDefault("scale-features", "256")),
          options.getOrDefault("scale-memory", "1g"),
          Path.of(options.getOrDefault("scale-dir", "runs/bench-scale")));
    }

    spark.stop();
    DifferentialPrivacyBench.run(report, dataDir); // a local[2] session of its own
    ClusterChannelBench.run(report, clusterMaster, dataDir);
    AllreduceBench.run(report, clusterMaster, dataDir);
    finish(report, options);
  }

  private static void finish(Report report, Map<String, String> options)
      throws java.io.IOException {
    report.print();
    if (options.containsKey("json")) {
      report.writeJson(Path.of(options.get("json")), options.containsKey("overwrite"));
      System.out.println("\nfigures written to " + options.get("json"));
    }
  }

  /**
   * One sparkdp fit: its median epoch time, fixed cost per step, weights and, with test data, test
   * accuracy.
   */
  record Run(
      double epochSeconds,
      double firstEpochSeconds,
      double totalSeconds,
      double fixedMsPerStep,
      double startMsPerStep,
      float[] weights,
      double testAccuracy,
      long rows,
      String path) {
    /**
     * Fixed cost per step without the amortised start of the channel's tasks: the exchange itself.
     */
    double exchangeMsPerStep() {
      return fixedMsPerStep - startMsPerStep;
    }
  }

  static Run run(Dataset<Row> train, FitOptions options, Dataset<Row> test) {
    return run(SPEC, train, options, test);
  }

  /** One sparkdp fit of the model {@code spec}, as {@link #run(Dataset, FitOptions, Dataset)}. */
  static Run run(ModelSpec spec, Dataset<Row> train, FitOptions options, Dataset<Row> test) {
    Sequential model = new Sequential(spec.layers().toArray(new Dense[0]));
    model.compile(Adam.defaults(), "sparse_categorical_crossentropy", "accuracy");
    History history = model.fit(train, options.seed(42).verbose(0));
    List<Double> seconds = history.epochSeconds();
    double total = seconds.stream().mapToDouble(Double::doubleValue).sum();
    long steps = model.lastFitStats().steps();
    double fixed = (total - model.lastFitStats().computeSeconds()) / steps * 1e3;
    double start = model.lastFitStats().startSeconds() / steps * 1e3;
    double accuracy = test == null ? Double.NaN : model.evaluate(test).get("accuracy");
    long rows = model.provenance().data().train().rows();
    return new Run(
        median(seconds),
        seconds.get(0),
        total,
        fixed,
        start,
        model.weights(),
        accuracy,
        rows,
        model.lastFitStats().path());
  }

  /**
   * An empty job, and a broadcast plus {@code treeAggregate} of one parameter vector, each timed
   * 100 times.
   */
  private static void sparkCosts(JavaSparkContext jsc, Report report) {
    int slots = jsc.defaultParallelism();
    List<Integer> items = new ArrayList<>();
    for (int i = 0; i < slots; i++) {
      items.add(i);
    }
    JavaRDD<Integer> rdd = jsc.parallelize(items, slots).cache();
    rdd.count();
    float[] params = SPEC.initialParameters(1);
    double[] empty = new double[100];
    double[] round = new double[100];
    double[] closure = new double[100];
    for (int i = 0; i < 100; i++) {
      long t0 = System.nanoTime();
      rdd.foreachPartition(it -> {});
      long t1 = System.nanoTime();
      float[] captured = params.clone();
      rdd.foreachPartition(
          it -> {
            if (captured.length == 0) {
              throw new IllegalStateException();
            }
          });
      closure[i] = (System.nanoTime() - t1) / 1e6;
      t1 = System.nanoTime();
      Broadcast<float[]> b = jsc.broadcast(params);
      float[] sum =
          rdd.treeAggregate(
              new float[params.length],
              (acc, x) -> {
                float[] p = b.value();
                for (int j = 0; j < p.length; j++) {
                  acc[j] += p[j];
                }
                return acc;
              },
              (x, y) -> {
                for (int j = 0; j < x.length; j++) {
                  x[j] += y[j];
                }
                return x;
              },
              2);
      b.destroy();
      long t2 = System.nanoTime();
      empty[i] = (t1 - t0) / 1e6;
      round[i] = (t2 - t1) / 1e6 + sum[0] * 0;
    }
    rdd.unpersist();
    report.put(
        "spark_empty_job_ms",
        "an empty job on " + slots + " cached partitions",
        median(empty),
        "%.2f",
        "ms (median of 100)");
    report.put(
        "spark_closure_job_ms",
        "a job whose closure holds " + params.length + " floats",
        median(closure),
        "%.2f",
        "ms (median of 100)");
    report.put(
        "spark_round_ms",
        "broadcast + treeAggregate of " + params.length + " floats",
        median(round),
        "%.2f",
        "ms (median of 100)");
  }

  static KernelBench.Data load(String dir) throws java.io.IOException {
    Idx.Images images =
        Idx.images(
            java.nio.file.Files.readAllBytes(Path.of(dir, "train-images-idx3-ubyte.gz")),
            dir + "/train-images-idx3-ubyte.gz");
    byte[] labels =
        Idx.labels(
            java.nio.file.Files.readAllBytes(Path.of(dir, "train-labels-idx1-ubyte.gz")),
            dir + "/train-labels-idx1-ubyte.gz");
    float[] x = new float[images.pixels().length];
    for (int i = 0; i < x.length; i++) {
      x[i] = (images.pixels()[i] & 0xff) / 255f;
    }
    float[] y = new float[labels.length];
    for (int i = 0; i < y.length; i++) {
      y[i] = labels[i] & 0xff;
    }
    return new KernelBench.Data(x, y, labels.length, images.dim());
  }

  static double median(List<Double> values) {
    return median(values.stream().mapToDouble(Double::doubleValue).toArray());
  }

  static double median(JsonNode values) {
    List<Double> list = new ArrayList<>();
    values.forEach(v -> list.add(v.asDouble()));
    return median(list);
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> map = new java.util.LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument " + args[i]);
      }
      String key = args[i].substring(2);
      if (key.startsWith("skip-") || key.equals("overwrite")) {
        map.put(key, "true");
      } else if (i + 1 < args.length) {
        map.put(key, args[++i]);
      } else {
        throw new IllegalArgumentException("--" + key + " needs a value");
      }
    }
    return map;
  }
}
