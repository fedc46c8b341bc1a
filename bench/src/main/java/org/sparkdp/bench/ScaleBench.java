package org.sparkdp.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Data larger than the cache: synthetic Parquet (Gaussian blobs, {@code features} floats, 10
 * classes) at a quarter, half and full size, each trained by {@code bin/sparkdp train} in its own
 * JVM whose heap ({@code memory}) caches a fifth or less of the full data. Reports the epoch times
 * and a straight line through them, the process's peak resident memory, and the cache's capacity
 * against the data's size.
 */
final class ScaleBench {
  private static final int CLASSES = 10;
  private static final long RESERVED_BYTES = 300L << 20;
  private static final double MEMORY_FRACTION = 0.6;

  private ScaleBench() {}

  static void run(
      SparkSession spark, Report report, long rows, int features, String memory, Path dir)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    long heap = parseBytes(memory);
    long cache = (long) ((heap - RESERVED_BYTES) * MEMORY_FRACTION);
    long packed = rows * (4L * (features + 1) + 8);
    report.put("scale_executor_memory", "executor (local driver) heap", memory, "");
    report.put(
        "scale_cache_mb",
        "  its cache (storage) capacity, at most",
        cache / 1e6,
        "%.0f",
        "MB: (heap - 300 MB) x spark.memory.fraction 0.6");
    report.put(
        "scale_data_mb",
        "packed training data, full size",
        packed / 1e6,
        "%.0f",
        String.format(
            Locale.ROOT,
            "MB: %d rows x %d floats (%.1f times the cache)",
            rows,
            features,
            (double) packed / cache));
    long[] sizes = {rows / 4, rows / 2, rows};
    String[] names = {"quarter", "half", "full"};
    double[] epochSeconds = new double[sizes.length];
    for (int i = 0; i < sizes.length; i++) {
      Path data = dir.resolve("rows-" + sizes[i] + ".parquet");
      if (!Files.exists(data.resolve("_SUCCESS"))) {
        generate(spark, sizes[i], features, data);
      }
      Result r = train(dir, data, sizes[i], features, memory);
      epochSeconds[i] = r.epochSeconds();
      report.put(
          "scale_" + names[i] + "_rows",
          names[i] + " size: rows",
          sizes[i],
          "%.0f",
          String.format(
              Locale.ROOT, "(%.1f times the cache)", (double) sizes[i] * packed / rows / cache));
      report.put(
          "scale_" + names[i] + "_epoch_s",
          "  epoch (local, batch 256, fastest of epochs 2-4)",
          r.epochSeconds(),
          "%.2f",
          String.format(Locale.ROOT, "s (%.0f samples/s)", sizes[i] / r.epochSeconds()));
      report.put(
          "scale_" + names[i] + "_peak_rss_mb",
          "  peak resident memory of the JVM",
          r.peakRssBytes() / 1e6,
          "%.0f",
          "MB");
      report.put(
          "scale_" + names[i] + "_train_accuracy",
          "  training accuracy, last epoch",
          r.accuracy(),
          "%.4f",
          "");
    }
    // Least squares: epoch seconds = intercept + slope * rows.
    double meanX = 0;
    double meanY = 0;
    for (int i = 0; i < sizes.length; i++) {
      meanX += sizes[i] / (double) sizes.length;
      meanY += epochSeconds[i] / sizes.length;
    }
    double sxy = 0;
    double sxx = 0;
    double syy = 0;
    for (int i = 0; i < sizes.length; i++) {
      sxy += (sizes[i] - meanX) * (epochSeconds[i] - meanY);
      sxx += (sizes[i] - meanX) * (sizes[i] - meanX);
      syy += (epochSeconds[i] - meanY) * (epochSeconds[i] - meanY);
    }
    double slope = sxy / sxx;
    double intercept = meanY - slope * meanX;
    report.put(
        "scale_seconds_per_million_rows",
        "linear fit: seconds per million rows",
        slope * 1e6,
        "%.2f",
        String.format(
            Locale.ROOT, "(intercept %.2f s, r^2 %.3f)", intercept, sxy * sxy / (sxx * syy)));
    report.put(
        "scale_time_ratio",
        "epoch time, full / half size",
        epochSeconds[2] / epochSeconds[1],
        "%.2f",
        "(2.00 is linear in rows)");
  }

  private record Result(double epochSeconds, long peakRssBytes, double accuracy) {}

  /** Writes {@code rows} seeded rows of {@code features} floats and a class label as Parquet. */
  private static void generate(SparkSession spark, long rows, int features, Path path) {
    System.err.printf(Locale.ROOT, "bench: writing %d synthetic rows to %s%n", rows, path);
    int chunks = (int) Math.max(1, rows / 50_000);
    List<Integer> ids = new ArrayList<>();
    for (int c = 0; c < chunks; c++) {
      ids.add(c);
    }
    StructType schema =
        new StructType()
            .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false)
            .add("label", DataTypes.DoubleType, false);
    var rdd =
        JavaSparkContext.fromSparkContext(spark.sparkContext())
            .parallelize(ids, chunks)
            .flatMap(
                chunk -> {
                  SplittableRandom centres = new SplittableRandom(2024);
                  float[][] centre = new float[CLASSES][features];
                  for (float[] c : centre) {
                    for (int j = 0; j < features; j++) {
                      c[j] = (float) (0.3 * centres.nextGaussian());
                    }
                  }
                  SplittableRandom random = new SplittableRandom(chunk * 7919L + 1);
                  long from = rows * chunk / chunks;
                  long to = rows * (chunk + 1) / chunks;
                  return new java.util.Iterator<Row>() {
                    long next = from;

                    @Override
                    public boolean hasNext() {
                      return next < to;
                    }

                    @Override
                    public Row next() {
                      next++;
                      int label = random.nextInt(CLASSES);
                      Float[] x = new Float[features];
                      for (int j = 0; j < features; j++) {
                        x[j] = (float) (centre[label][j] + random.nextGaussian());
                      }
                      return RowFactory.create(x, (double) label);
                    }
                  };
                });
    spark.createDataFrame(rdd, schema).write().mode(SaveMode.Overwrite).parquet(path.toString());
  }

  /** Trains two epochs in a fresh {@code bin/sparkdp} JVM, polling its resident memory. */
  private static Result train(Path dir, Path data, long rows, int features, String memory)
      throws IOException, InterruptedException {
    Path config = dir.resolve("scale.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "model:",
            "  layers:",
            "    - {type: dense, units: 64, activation: relu, input_dim: " + features + "}",
            "    - {type: dense, units: " + CLASSES + ", activation: softmax}",
            "compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}",
            "fit: {epochs: 4, batch_size: 256, strategy: local, seed: 1}",
            ""));
    Path output = dir.resolve("model-" + rows);
    String home = System.getProperty("sparkdp.home", ".");
    ProcessBuilder pb =
        new ProcessBuilder(
                home + "/bin/sparkdp",
                "train",
                "--config",
                config.toString(),
                "--train",
                data.toString(),
                "--output",
                output.toString(),
                "--master",
                "local[2]",
                "--conf",
                "spark.sql.files.maxPartitionBytes=64m",
                "--conf",
                "spark.ui.enabled=false")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("train-" + rows + ".log").toFile());
    pb.environment().put("SPARKDP_DRIVER_MEMORY", memory);
    pb.environment().remove("SPARK_HOME");
    System.err.printf(Locale.ROOT, "bench: training on %d rows with a %s heap%n", rows, memory);
    Process p = pb.start();
    long peak = 0;
    Path status = Path.of("/proc/" + p.pid() + "/status");
    while (!p.waitFor(200, TimeUnit.MILLISECONDS)) {
      try {
        for (String line : Files.readAllLines(status, StandardCharsets.UTF_8)) {
          if (line.startsWith("VmHWM:")) {
            peak = Math.max(peak, 1024 * Long.parseLong(line.replaceAll("[^0-9]", "")));
          }
        }
      } catch (IOException e) {
        // the process is ending
      }
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException(
          "the scale run on "
              + rows
              + " rows failed; see "
              + dir.resolve("train-" + rows + ".log"));
    }
    JsonNode history = new ObjectMapper().readTree(output.resolve("history.json").toFile());
    // The fastest of epochs 2-4: the first one also writes the blocks that do not fit the cache to
    // disk.
    double fastest = Double.MAX_VALUE;
    for (int e = 1; e < 4; e++) {
      fastest = Math.min(fastest, history.get("epoch_seconds").get(e).asDouble());
    }
    return new Result(fastest, peak, history.get("accuracy").get(3).asDouble());
  }

  static long parseBytes(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    long unit =
        t.endsWith("g") ? 1L << 30 : t.endsWith("m") ? 1L << 20 : t.endsWith("k") ? 1L << 10 : 1;
    return Long.parseLong(unit == 1 ? t : t.substring(0, t.length() - 1)) * unit;
  }
}
