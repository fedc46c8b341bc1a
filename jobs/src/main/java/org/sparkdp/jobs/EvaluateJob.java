package org.sparkdp.jobs;

import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.sparkdp.Sequential;
import org.sparkdp.io.HadoopFiles;

/**
 * {@code bin/sparkdp evaluate --model DIR --data PATH [--label-column C] [--output metrics.json]}:
 * the loss and metrics of a saved model on labelled data, printed and optionally written as JSON.
 */
public final class EvaluateJob {
  private EvaluateJob() {}

  public static void main(String[] args) {
    JobRunner.main("evaluate", args, EvaluateJob::run);
  }

  static int run(String[] args) throws Exception {
    Cli cli = Cli.parse(Cli.evaluate(), args);
    if (cli == null) {
      return 0;
    }
    String modelDir = cli.require("--model");
    DataSource source =
        withLabel(DataSource.fromPath(cli.require("--data"), "--data"), cli.get("--label-column"));
    org.apache.hadoop.conf.Configuration local = new org.apache.hadoop.conf.Configuration();
    Sequential model = Sequential.load(modelDir, !cli.flag("--no-manifest-check"));
    for (String file : source.files()) {
      if (!HadoopFiles.exists(file, local)) {
        throw new org.sparkdp.DataException("data: " + file + ": no such file or directory");
      }
    }
    SparkSession spark = JobRunner.session("sparkdp evaluate", Map.of());
    Map<String, Double> metrics =
        model.evaluate(
            Readers.read(spark, source, "evaluation", model.spec().inputDim()),
            "features",
            "label",
            source.describe("evaluation"));
    StringBuilder line = new StringBuilder("Evaluation");
    metrics.forEach((k, v) -> line.append(String.format(Locale.ROOT, " - %s: %.4f", k, v)));
    System.out.println(line);
    if (cli.has("--output")) {
      HadoopFiles.writeAtomically(
          cli.get("--output"),
          TrainJob.JSON.writeValueAsBytes(metrics),
          spark.sparkContext().hadoopConfiguration());
    }
    return 0;
  }

  static DataSource withLabel(DataSource s, String label) {
    return label == null
        ? s
        : new DataSource(
            s.format(), s.path(), s.images(), s.labels(), label, s.featureColumns(), s.scale());
  }
}
