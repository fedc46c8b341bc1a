package org.sparkdp.jobs;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.sparkdp.DataException;
import org.sparkdp.driver.Engine;
import org.sparkdp.io.HadoopFiles;
import org.sparkdp.ops.ConfigException;

/**
 * {@code bin/sparkdp fingerprint --data PATH | --config job.yaml}: the fingerprint that a model
 * trained on the data records in {@code provenance.data.train.fingerprint}, from the data alone:
 * the same readers, the same row ids (positions in the input), the same per-row hash, added up in
 * any order. It covers every row, those a {@code validation_split} holds out too.
 */
public final class FingerprintJob {
  private FingerprintJob() {}

  public static void main(String[] args) {
    JobRunner.main("fingerprint", args, FingerprintJob::run);
  }

  static int run(String[] args) throws Exception {
    Cli cli = Cli.parse(Cli.fingerprint(), args);
    if (cli == null) {
      return 0;
    }
    Configuration local = JobRunner.hadoopConf();
    JobConfig config = null;
    if (cli.has("--config")) {
      String file = cli.get("--config");
      config =
          JobConfig.parse(
              new String(HadoopFiles.read(file, local, 1 << 20), StandardCharsets.UTF_8),
              file,
              cli);
    } else if (!cli.has("--data")) {
      throw new ConfigException(
          "give --data PATH or --config FILE; see sparkdp fingerprint --help");
    }
    DataSource source =
        EvaluateJob.withLabel(
            cli.has("--data") ? DataSource.fromPath(cli.get("--data"), "--data") : config.train(),
            cli.get("--label-column"));
    int inputDim = 0;
    if (cli.has("--input-dim")) {
      inputDim = parsePositive(cli.get("--input-dim"), "--input-dim");
    } else if (config != null) {
      inputDim = config.model().inputDim();
    } else if (source.format().equals("csv") || source.format().equals("libsvm")) {
      throw new ConfigException(
          "--input-dim: needed for "
              + source.format()
              + " data (the number of features), or give the job file with --config");
    }
    for (String file : source.files()) {
      if (!HadoopFiles.exists(file, local)) {
        throw new DataException("data: " + file + ": no such file or directory");
      }
    }
    SparkSession spark = JobRunner.session("sparkdp fingerprint", Map.of());
    String name = source.describe("train");
    String fingerprint =
        Engine.fingerprint(
            Readers.read(spark, source, "train", inputDim), "features", "label", inputDim, name);
    System.out.println(fingerprint + "  " + name);
    return 0;
  }

  private static int parsePositive(String text, String option) {
    try {
      int n = Integer.parseInt(text.trim());
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // named below
    }
    throw new ConfigException(option + ": must be a positive integer, got '" + text + "'");
  }
}
