package org.sparkdp.jobs;

import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.sparkdp.Sequential;
import org.sparkdp.driver.Engine;
import org.sparkdp.io.HadoopFiles;

/**
 * {@code bin/sparkdp predict --model DIR --data PATH --output OUT [--format parquet|csv]
 * [--require-signer STEM.pub | --no-manifest-check]}: the model's outputs and predictions for every
 * row, written as Parquet (with the {@code output} vector) or CSV (one {@code output_j} column per
 * unit). The data's label column, if any, is kept beside the prediction.
 */
public final class PredictJob {
  private PredictJob() {}

  public static void main(String[] args) {
    JobRunner.main("predict", args, PredictJob::run);
  }

  static int run(String[] args) throws Exception {
    Cli cli = Cli.parse(Cli.predict(), args);
    if (cli == null) {
      return 0;
    }
    String modelDir = cli.require("--model");
    String output = cli.require("--output");
    String format = cli.has("--format") ? cli.get("--format") : "parquet";
    if (!format.equals("parquet") && !format.equals("csv")) {
      throw new org.sparkdp.ops.ConfigException(
          "--format must be parquet or csv, got '" + format + "'");
    }
    DataSource source =
        EvaluateJob.withLabel(
            DataSource.fromPath(cli.require("--data"), "--data"), cli.get("--label-column"));
    org.apache.hadoop.conf.Configuration local = JobRunner.hadoopConf();
    if (HadoopFiles.exists(output, local)) {
      throw new org.sparkdp.ops.ConfigException(
          "--output " + output + " exists; predictions go to a new path");
    }
    HadoopFiles.checkCreatable(output, local);
    Sequential model = EvaluateJob.loadModel(cli, modelDir);
    SparkSession spark = JobRunner.session("sparkdp predict", Map.of());
    // New data has no label: one is kept beside the predictions only when the data has it.
    Dataset<Row> data =
        Readers.read(
            spark, source, "predict", model.spec().inputDim(), null, !cli.has("--label-column"));
    // Bad rows are named before anything is written (a failure while writing leaves part files).
    Engine.checkFeatures(data, "features", model.spec(), source.describe("predict"));
    Dataset<Row> predicted = model.predict(data).drop("features");
    if (format.equals("csv")) {
      int units = model.spec().outputUnits();
      Dataset<Row> flat =
          predicted.withColumn(
              "output_array",
              org.apache.spark.ml.functions.vector_to_array(functions.col("output"), "float64"));
      for (int j = 0; j < units; j++) {
        flat = flat.withColumn("output_" + j, functions.col("output_array").getItem(j));
      }
      flat.drop("output", "output_array").write().option("header", "true").csv(output);
    } else {
      predicted.write().parquet(output);
    }
    System.out.println("Predictions written to " + output);
    return 0;
  }
}
