package org.sparkdp.ml;

import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.Params;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sparkdp.driver.Engine;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.ModelSpec;

/**
 * The columns a {@link SequentialModel} adds, as Spark's classifiers and regressors add them.
 *
 * <ul>
 *   <li>A classifier (a crossentropy loss): {@code prediction}, the class index (argmax, or the one
 *       output above 0.5); {@code rawPrediction}, the outputs (with one sigmoid unit {@code [1 - p,
 *       p]}; on logits {@code [-z, z]}); {@code probability}, the class probabilities (the softmax
 *       or sigmoid of logits).
 *   <li>A regressor: {@code prediction}, the output (a vector when there are several units).
 * </ul>
 *
 * An empty column name leaves that column out.
 */
final class Columns {
  private Columns() {}

  static void require(StructType schema, String column, String param) {
    if (!java.util.Arrays.asList(schema.fieldNames()).contains(column)) {
      throw new IllegalArgumentException(
          param
              + ": no column '"
              + column
              + "' in the data (columns: "
              + String.join(", ", schema.fieldNames())
              + ")");
    }
  }

  private static void requireNew(StructType schema, String column, String param) {
    if (java.util.Arrays.asList(schema.fieldNames()).contains(column)) {
      throw new IllegalArgumentException(
          param + ": the data already has a column '" + column + "'");
    }
  }

  /** The schema with the columns {@link #add} adds. */
  static StructType output(
      Params owner, StageParams p, StructType schema, ModelSpec spec, CompileConfig compile) {
    require(schema, owner.getOrDefault(p.featuresCol), "featuresCol");
    boolean classes = compile.loss().classifies();
    StructType out = schema;
    String prediction = owner.getOrDefault(p.predictionCol);
    if (!prediction.isEmpty()) {
      requireNew(out, prediction, "predictionCol");
      out =
          out.add(
              prediction,
              classes || spec.outputUnits() == 1 ? DataTypes.DoubleType : SQLDataTypes.VectorType(),
              false);
    }
    if (classes) {
      for (String column :
          new String[] {
            owner.getOrDefault(p.rawPredictionCol), owner.getOrDefault(p.probabilityCol)
          }) {
        if (!column.isEmpty()) {
          requireNew(out, column, column);
          out = out.add(column, SQLDataTypes.VectorType(), false);
        }
      }
    }
    return out;
  }

  /** {@code data} with the model's columns. */
  static Dataset<Row> add(
      Params owner,
      StageParams p,
      String uid,
      Dataset<?> data,
      ModelSpec spec,
      CompileConfig compile,
      float[] weights) {
    output(owner, p, data.schema(), spec, compile);
    boolean classes = compile.loss().classifies();
    boolean one = spec.outputUnits() == 1;
    String prediction = owner.getOrDefault(p.predictionCol);
    String raw = owner.getOrDefault(p.rawPredictionCol);
    String probability = owner.getOrDefault(p.probabilityCol);
    String outputs = uid + "_outputs";
    boolean predicts = !prediction.isEmpty() && (classes || one);
    @SuppressWarnings("unchecked")
    Dataset<Row> rows =
        Engine.predict(
            spec,
            compile,
            weights,
            (Dataset<Row>) data.toDF(),
            owner.getOrDefault(p.featuresCol),
            "the data to transform",
            outputs,
            predicts ? prediction : null);
    Column output = functions.col(outputs);
    if (!classes && !one && !prediction.isEmpty()) {
      rows = rows.withColumn(prediction, output);
    }
    if (classes) {
      boolean logits = compile.fromLogits();
      if (!raw.isEmpty()) {
        rows =
            rows.withColumn(
                raw, one ? udf(logits ? Columns::signed : Columns::pair).apply(output) : output);
      }
      if (!probability.isEmpty()) {
        UDF1<Vector, Vector> f =
            logits
                ? (one ? v -> pair(sigmoid(v)) : Columns::softmax)
                : (one ? Columns::pair : v -> v);
        rows = rows.withColumn(probability, udf(f).apply(output));
      }
    }
    return rows.drop(outputs);
  }

  private static UserDefinedFunction udf(UDF1<Vector, Vector> f) {
    return functions.udf(f, SQLDataTypes.VectorType());
  }

  /** {@code [1 - p, p]} of one probability. */
  private static Vector pair(Vector v) {
    return Vectors.dense(1 - v.apply(0), v.apply(0));
  }

  /** {@code [-z, z]} of one logit. */
  private static Vector signed(Vector v) {
    return Vectors.dense(-v.apply(0), v.apply(0));
  }

  private static Vector sigmoid(Vector v) {
    return Vectors.dense(1 / (1 + Math.exp(-v.apply(0))));
  }

  private static Vector softmax(Vector v) {
    double[] z = v.toArray();
    double max = Double.NEGATIVE_INFINITY;
    for (double x : z) {
      max = Math.max(max, x);
    }
    double sum = 0;
    double[] e = new double[z.length];
    for (int i = 0; i < z.length; i++) {
      e[i] = Math.exp(z[i] - max);
      sum += e[i];
    }
    for (int i = 0; i < z.length; i++) {
      e[i] /= sum;
    }
    return Vectors.dense(e);
  }
}
