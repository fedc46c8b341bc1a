package org.sparkdp.driver;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.sparkdp.Callback;
import org.sparkdp.DataException;
import org.sparkdp.FitOptions;
import org.sparkdp.FitStats;
import org.sparkdp.History;
import org.sparkdp.io.Provenance;
import org.sparkdp.ops.CompileConfig;
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
   */
  public record FitResult(History history, FitStats stats, Provenance.Data data, int labelWidth) {}

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
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(train.sparkSession().sparkContext());
    DataPacker.Target target =
        new DataPacker.Target(spec.inputDim(), spec.outputUnits(), compile.loss());
    PackedData data =
        DataPacker.pack(
            train,
            options.featuresCol(),
            options.labelCol(),
            target,
            validationData == null ? options.validationSplit() : 0,
            options.partitions(),
            options.trainName());
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
                options.validationName());
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
      History history =
          new Trainer(jsc, network, compile, options)
              .fit(state, data, validation, stats, new ArrayList<>(callbacks));
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
          history, stats.snapshot(), new Provenance.Data(trained, validated), data.labelWidth());
    } finally {
      data.unpersist();
      if (separate != null) {
        separate.unpersist();
      }
    }
  }

  /**
   * Summed loss, correct count and count of {@code params} over {@code data}; {@code name} names it
   * in errors.
   */
  public static Totals evaluate(
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
            data,
            featuresCol,
            labelCol,
            new DataPacker.Target(spec.inputDim(), spec.outputUnits(), compile.loss()),
            0,
            0,
            name);
    try {
      Network network = new Network(spec, compile, packed.labelWidth(), 0);
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(data.sparkSession().sparkContext());
      Totals totals = Evaluator.evaluate(jsc, network, params, packed.train());
      // As Keras' evaluate, the loss includes the regularizers' penalty.
      totals.loss += network.regularization().apply(params, null) * totals.count;
      return totals;
    } finally {
      packed.unpersist();
    }
  }

  /**
   * Fails with the first row of {@code data} whose features are not {@code inputDim} finite
   * numbers, in a pass of its own (the prediction is lazy; a bad row would fail one of its tasks).
   */
  public static void checkFeatures(
      Dataset<Row> data, String featuresCol, int inputDim, String name) {
    Predictor.check(data, featuresCol, inputDim, name);
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
