package org.sparkdp.jobs;

import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.sparkdp.Evaluation;
import org.sparkdp.Sequential;
import org.sparkdp.io.HadoopFiles;
import org.sparkdp.ops.ConfigException;

/**
 * {@code bin/sparkdp evaluate --model DIR --data PATH [--label-column C] [--output metrics.json]
 * [--plot confusion-matrix.png]}: the loss and metrics of a saved model on labelled data, and for a
 * classifier its confusion matrix, printed and optionally written as JSON and drawn as a PNG.
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
    org.apache.hadoop.conf.Configuration local = JobRunner.hadoopConf();
    Sequential model = Sequential.load(modelDir, !cli.flag("--no-manifest-check"));
    for (String file : source.files()) {
      if (!HadoopFiles.exists(file, local)) {
        throw new org.sparkdp.DataException("data: " + file + ": no such file or directory");
      }
    }
    SparkSession spark = JobRunner.session("sparkdp evaluate", Map.of());
    Evaluation evaluation =
        model.evaluation(
            Readers.read(spark, source, "evaluation", model.spec().inputDim()),
            "features",
            "label",
            source.describe("evaluation"));
    StringBuilder line = new StringBuilder("Evaluation");
    evaluation
        .metrics()
        .forEach((k, v) -> line.append(String.format(Locale.ROOT, " - %s: %.4f", k, v)));
    System.out.println(line);
    long[][] confusion = evaluation.confusionMatrix();
    if (confusion != null && confusion.length <= MAX_PRINTED_CLASSES) {
      System.out.print(confusionTable(confusion));
    }
    if (cli.has("--output")) {
      HadoopFiles.writeAtomically(
          cli.get("--output"),
          TrainJob.JSON.writeValueAsBytes(evaluation.toMap()),
          spark.sparkContext().hadoopConfiguration());
    }
    if (cli.has("--plot")) {
      if (confusion == null) {
        throw new ConfigException(
            "--plot: the model is not a classifier with one class per example: it has no"
                + " confusion matrix to draw");
      }
      HadoopFiles.writeAtomically(
          cli.get("--plot"),
          ConfusionMatrixChart.renderPng(confusion),
          spark.sparkContext().hadoopConfiguration());
    }
    return 0;
  }

  /** Confusion matrices up to this many classes are printed. */
  static final int MAX_PRINTED_CLASSES = 20;

  /** The confusion matrix as text: a row per true class, a column per predicted class. */
  static String confusionTable(long[][] matrix) {
    int width = 4;
    for (long[] row : matrix) {
      for (long c : row) {
        width = Math.max(width, String.valueOf(c).length() + 1);
      }
    }
    StringBuilder s =
        new StringBuilder("Confusion matrix (rows: true class, columns: predicted)\n");
    s.append(" ".repeat(6));
    for (int c = 0; c < matrix.length; c++) {
      s.append(String.format(Locale.ROOT, "%" + width + "d", c));
    }
    s.append('\n');
    for (int r = 0; r < matrix.length; r++) {
      s.append(String.format(Locale.ROOT, "%6d", r));
      for (long c : matrix[r]) {
        s.append(String.format(Locale.ROOT, "%" + width + "d", c));
      }
      s.append('\n');
    }
    return s.toString();
  }

  static DataSource withLabel(DataSource s, String label) {
    return label == null
        ? s
        : new DataSource(
            s.format(), s.path(), s.images(), s.labels(), label, s.featureColumns(), s.scale());
  }
}
