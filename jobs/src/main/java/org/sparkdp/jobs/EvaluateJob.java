package org.sparkdp.jobs;

import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.sparkdp.Evaluation;
import org.sparkdp.Sequential;
import org.sparkdp.io.HadoopFiles;
import org.sparkdp.io.Keys;
import org.sparkdp.io.OutputFile;
import org.sparkdp.ops.ConfigException;

/**
 * {@code bin/sparkdp evaluate --model DIR --data PATH [--label-column C] [--output metrics.json]
 * [--plot confusion-matrix.png] [--require-signer STEM.pub | --no-manifest-check]}: the loss and
 * metrics of a saved model on labelled data, and for a classifier its confusion matrix, printed and
 * optionally written as JSON and drawn as a PNG.
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
    Sequential model = loadModel(cli, modelDir);
    for (String file : source.files()) {
      if (!HadoopFiles.exists(file, local)) {
        throw new org.sparkdp.DataException("data: " + file + ": no such file or directory");
      }
    }
    boolean overwrite = cli.flag("--overwrite");
    // Before the evaluation: an --output or --plot that may not be replaced is refused at once.
    for (String option : new String[] {"--output", "--plot"}) {
      if (cli.has(option)) {
        outputKind(option).checkReplaceable(cli.get(option), what(cli, option), overwrite, local);
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
      outputKind("--output")
          .write(
              cli.get("--output"),
              what(cli, "--output"),
              overwrite,
              TrainJob.JSON.writeValueAsBytes(evaluation.toMap()),
              spark.sparkContext().hadoopConfiguration());
    }
    if (cli.has("--plot")) {
      if (confusion == null) {
        throw new ConfigException(
            "--plot: the model is not a classifier with one class per example: it has no"
                + " confusion matrix to draw");
      }
      outputKind("--plot")
          .write(
              cli.get("--plot"),
              what(cli, "--plot"),
              overwrite,
              ConfusionMatrixChart.renderPng(confusion),
              spark.sparkContext().hadoopConfiguration());
    }
    return 0;
  }

  /**
   * The model in {@code modelDir}, checked as {@code --require-signer} or {@code
   * --no-manifest-check} asks (evaluate's and predict's options).
   */
  static Sequential loadModel(Cli cli, String modelDir) throws IOException {
    if (!cli.has("--require-signer")) {
      return Sequential.load(modelDir, !cli.flag("--no-manifest-check"));
    }
    if (cli.flag("--no-manifest-check")) {
      throw new ConfigException(
          "--require-signer and --no-manifest-check contradict each other: a model its owner"
              + " signed is one that matches its manifest");
    }
    String file = cli.require("--require-signer");
    return Sequential.load(modelDir, Keys.readPublic(file, "--require-signer " + file));
  }

  /** What evaluate writes to {@code --output} and {@code --plot}. */
  private static OutputFile outputKind(String option) {
    return option.equals("--plot") ? OutputFile.PNG : OutputFile.METRICS_JSON;
  }

  private static String what(Cli cli, String option) {
    return option + " " + cli.get(option);
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
            s.format(),
            s.path(),
            s.images(),
            s.labels(),
            label,
            s.featureColumns(),
            s.scale(),
            s.table(),
            s.query(),
            s.options());
  }
}
