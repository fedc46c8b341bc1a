package org.sparkdp.driver;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.sparkdp.Callback;
import org.sparkdp.DataException;
import org.sparkdp.Evaluation;
import org.sparkdp.FitOptions;
import org.sparkdp.FitStats;
import org.sparkdp.History;
import org.sparkdp.io.Provenance;
import org.sparkdp.ops.ActivationBudget;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.Metrics;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Totals;

/**
 * The engine's door, for {@link org.sparkdp.Sequential}: fit, evaluate and predict on data frames.
 * Everything behind it (packing, strategies, the channel, checkpoints) is package-private.
 */
public final class Engine {
  private Engine() {}

  /**
   * What a fit did: its history, its cost, and the data it trained on as the model's provenance
   * records it.
   *
   * @param labelWidth floats per example's label in the training data
   * @param resumedFrom the checkpoint a resumed fit started from, or {@code null}
   */
  public record FitResult(
      History history,
      FitStats stats,
      Provenance.Data data,
      int labelWidth,
      Provenance.Predecessor resumedFrom,
      com.fasterxml.jackson.databind.JsonNode privacy) {}

  /**
   * Trains {@code state} (updated in place) on {@code train}, validating on {@code validationData}
   * (when not {@code null}) or on the options' {@code validation_split} of {@code train}, calling
   * {@code callbacks}.
   */
  public static FitResult fit(
      ModelSpec spec,
      CompileConfig compile,
      FitOptions options,
      Dataset<Row> train,
      Dataset<Row> validationData,
      TrainingState state,
      List<Callback> callbacks) {
    SparkLine.check();
    options.check();
    // Before the data is packed: a batch whose activations do not fit a task is refused at once.
    ActivationBudget.check(
        spec,
        StepCompute.passRows(
            options.batchSize() == FitOptions.ALL ? Long.MAX_VALUE : options.batchSize()),
        "layers");
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(train.sparkSession().sparkContext());
    BlasThreads.check(jsc);
    DataPacker.Target target = DataPacker.Target.of(spec, compile.loss());
    checkClassWeight(options.classWeight(), spec, compile);
    PackedData data =
        DataPacker.pack(
            train,
            options.featuresCol(),
            options.labelCol(),
            target,
            validationData == null ? options.validationSplit() : 0,
            options.partitions(),
            options.trainName(),
            new DataPacker.Weighting(options.sampleWeightCol(), options.classWeight()));
    PackedData separate = null;
    try {
      Validation validation = null;
      if (validationData != null) {
        separate =
            DataPacker.pack(
                validationData,
                options.featuresCol(),
                options.labelCol(),
                target,
                0,
                options.partitions(),
                options.validationName(),
                // As Keras' (x, y, sample_weight) validation data: weighted when it has the column.
                options.sampleWeightCol() != null
                        && List.of(validationData.columns()).contains(options.sampleWeightCol())
                    ? new DataPacker.Weighting(options.sampleWeightCol(), null)
                    : DataPacker.Weighting.NONE);
        if (separate.labelWidth() != data.labelWidth()) {
          throw new DataException(
              options.validationName()
                  + ": labels have width "
                  + separate.labelWidth()
                  + " but the training labels "
                  + data.labelWidth());
        }
        validation = new Validation(separate.train(), separate.trainRows(), false);
      } else if (data.validation() != null) {
        validation = new Validation(data.validation(), data.validationRows(), true);
      }
      Network network = new Network(spec, compile, data.labelWidth(), options.seed());
      StepStats stats = new StepStats();
      Trainer trainer = new Trainer(jsc, network, compile, options);
      History history = trainer.fit(state, data, validation, stats, new ArrayList<>(callbacks));
      Provenance.DataSet trained =
          new Provenance.DataSet(
              data.name(),
              data.trainRows(),
              data.validationRows() > 0 ? data.validationRows() : null,
              data.train().getNumPartitions(),
              String.format("%016x", data.fingerprint()));
      Provenance.DataSet validated =
          separate == null
              ? null
              : new Provenance.DataSet(
                  separate.name(),
                  separate.trainRows(),
                  null,
                  separate.train().getNumPartitions(),
                  String.format("%016x", separate.fingerprint()));
      return new FitResult(
          history,
          stats.snapshot(),
          new Provenance.Data(trained, validated),
          data.labelWidth(),
          trainer.resumedFrom(),
          trainer.privacy(state));
    } finally {
      data.unpersist();
      if (separate != null) {
        separate.unpersist();
      }
    }
  }

  /**
   * The fingerprint that a fit on {@code data} records for it (in hex): the same packing, row
   * checks, ids (the rows' positions in the input) and per-row hash, added up in any order. The
   * features must have {@code inputDim} values (0: as many as the first row has); a vector label
   * has its own length, as for a loss with one target per output unit.
   */
  public static String fingerprint(
      Dataset<Row> data, String featuresCol, String labelCol, int inputDim, String name) {
    RowValues.checkColumn(data.schema(), featuresCol, name, false);
    RowValues.checkColumn(data.schema(), labelCol, name, true);
    Row[] first = (Row[]) data.select(featuresCol, labelCol).head(1);
    if (first.length == 0) {
      throw new DataException(name + " has no rows");
    }
    int features = inputDim > 0 ? inputDim : RowValues.width(first[0].get(0));
    if (features <= 0) {
      throw new DataException(name + " row 1: features is not a vector or an array of numbers");
    }
    int labelWidth = Math.max(1, RowValues.width(first[0].get(1)));
    PackedData packed =
        DataPacker.pack(
            data,
            featuresCol,
            labelCol,
            new DataPacker.Target(features, labelWidth, org.sparkdp.ops.Loss.MEAN_SQUARED_ERROR),
            0,
            0,
            name);
    try {
      return String.format("%016x", packed.fingerprint());
    } finally {
      packed.unpersist();
    }
  }

  /**
   * Asks every fit running in this JVM to stop at once; returns whether one was running. See {@link
   * org.sparkdp.Sequential#interruptTraining}.
   */
  public static boolean interrupt(String reason) {
    return FitStop.requestAll(reason);
  }

  /**
   * The loss (with the regularizers' penalty, as Keras' {@code evaluate}), the compiled metrics
   * and, for a single-label classifier, the confusion matrix of {@code params} over {@code data};
   * {@code name} names it in errors.
   */
  public static Evaluation evaluate(
      ModelSpec spec,
      CompileConfig compile,
      float[] params,
      Dataset<Row> data,
      String featuresCol,
      String labelCol,
      String name) {
    SparkLine.check();
    PackedData packed =
        DataPacker.pack(
            data, featuresCol, labelCol, DataPacker.Target.of(spec, compile.loss()), 0, 0, name);
    try {
      Network network = new Network(spec, compile, packed.labelWidth(), 0).withConfusionMatrix();
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(data.sparkSession().sparkContext());
      Totals totals = Evaluator.evaluate(jsc, network, params, packed.train());
      totals.loss += network.regularization().apply(params, null) * totals.count;
      Metrics metrics = network.metrics();
      return new Evaluation(
          metrics.results(totals, ""),
          metrics.confusionClasses() == 0 ? null : metrics.confusionMatrix(totals));
    } finally {
      packed.unpersist();
    }
  }

  /**
   * Fails as {@link #evaluate} would on {@code data} (a missing column, a bad row, a label the loss
   * does not take), without evaluating: a run checks its test data with it before it trains.
   */
  public static void checkEvaluationData(
      ModelSpec spec,
      CompileConfig compile,
      Dataset<Row> data,
      String featuresCol,
      String labelCol,
      String name) {
    SparkLine.check();
    DataPacker.pack(
            data, featuresCol, labelCol, DataPacker.Target.of(spec, compile.loss()), 0, 0, name)
        .unpersist();
  }

  /** Fails naming a class of {@code class_weight} that the model does not have. */
  private static void checkClassWeight(
      Map<Integer, Double> classWeight, ModelSpec spec, CompileConfig compile) {
    if (classWeight == null || !compile.loss().classifies()) {
      return;
    }
    int classes = Math.max(2, spec.outputUnits());
    for (int c : classWeight.keySet()) {
      if (c >= classes) {
        throw new ConfigException(
            "class_weight: class "
                + c
                + " is not one of the model's "
                + classes
                + " classes (0 to "
                + (classes - 1)
                + ")");
      }
    }
  }

  /**
   * Fails with the first row of {@code data} whose features are not {@code inputDim} finite
   * numbers, in a pass of its own (the prediction is lazy; a bad row would fail one of its tasks).
   */
  public static void checkFeatures(
      Dataset<Row> data, String featuresCol, int inputDim, String name) {
    Predictor.check(data, featuresCol, inputDim, null, name);
  }

  /**
   * {@link #checkFeatures(Dataset, String, int, String)} for {@code model}'s inputs: also each
   * embedding id in range.
   */
  public static void checkFeatures(
      Dataset<Row> data, String featuresCol, ModelSpec model, String name) {
    Predictor.check(data, featuresCol, model.inputDim(), model, name);
  }

  /**
   * {@code data} with the model's {@code output} vector and {@code prediction}; see {@link
   * Predictor}.
   */
  public static Dataset<Row> predict(
      ModelSpec spec,
      CompileConfig compile,
      float[] params,
      Dataset<Row> data,
      String featuresCol,
      String name) {
    return predict(spec, compile, params, data, featuresCol, name, "output", "prediction");
  }

  /**
   * {@code data} with the model's outputs in {@code outputCol} and the prediction in {@code
   * predictionCol} (none when {@code null}).
   */
  public static Dataset<Row> predict(
      ModelSpec spec,
      CompileConfig compile,
      float[] params,
      Dataset<Row> data,
      String featuresCol,
      String name,
      String outputCol,
      String predictionCol) {
    SparkLine.check();
    return Predictor.predict(
        data, featuresCol, spec, compile, params, name, outputCol, predictionCol);
  }
}
