package org.sparkdp.driver;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sparkdp.DataException;
import org.sparkdp.ops.ActivationBudget;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Workspace;

/**
 * Distributed inference: appends the model's outputs and a prediction to every row of a data frame.
 */
final class Predictor {
  private Predictor() {}

  /**
   * Fails with the first row (counted from 1 in the data's order) whose features are not {@code
   * inputDim} finite numbers (or, with a {@code model}, not the inputs its first layer takes: an
   * embedding's ids). A pass of its own, whose tasks return what they found rather than fail: the
   * prediction itself, lazy, would fail in a task, with an executor's stack trace.
   */
  static void check(
      Dataset<Row> data, String featuresCol, int inputDim, ModelSpec model, String name) {
    RowValues.checkColumn(data.schema(), featuresCol, name, false);
    int featureIndex = data.schema().fieldIndex(featuresCol);
    List<Found> found =
        data.javaRDD()
            .mapPartitions(
                it -> {
                  float[] x = new float[inputDim];
                  long rows = 0;
                  while (it.hasNext()) {
                    String bad =
                        RowValues.readVector(
                            it.next().get(featureIndex), x, 0, inputDim, "features");
                    if (bad == null && model != null && model.checkInput(x, 0) != null) {
                      bad = "features " + model.checkInput(x, 0);
                    }
                    if (bad != null) {
                      return List.of(new Found(rows, bad)).iterator();
                    }
                    rows++;
                  }
                  return List.of(new Found(rows, null)).iterator();
                })
            .collect();
    long before = 0;
    for (Found f : found) {
      if (f.problem() != null) {
        throw new DataException(name + " row " + (before + f.rows() + 1) + ": " + f.problem());
      }
      before += f.rows();
    }
  }

  /** A partition's rows before its first bad one (all, if none), and what is wrong with it. */
  private record Found(long rows, String problem) implements java.io.Serializable {}

  /**
   * See {@link org.sparkdp.Sequential#predict}; {@code compile} says whether outputs are classes.
   * The outputs go to {@code outputCol}, the prediction (where there is one) to {@code
   * predictionCol} unless it is {@code null}.
   */
  static Dataset<Row> predict(
      Dataset<Row> data,
      String featuresCol,
      ModelSpec spec,
      CompileConfig compile,
      float[] params,
      String name,
      String outputCol,
      String predictionCol) {
    RowValues.checkColumn(data.schema(), featuresCol, name, false);
    int featureIndex = data.schema().fieldIndex(featuresCol);
    boolean classes = compile.loss().classifies();
    boolean scalar = spec.outputUnits() == 1;
    boolean hasPrediction = (classes || scalar) && predictionCol != null;
    float threshold = compile.fromLogits() ? 0f : 0.5f;
    StructType schema = data.schema().add(outputCol, SQLDataTypes.VectorType(), false);
    if (hasPrediction) {
      schema = schema.add(predictionCol, DataTypes.DoubleType, false);
    }
    Network network = new Network(spec, Loss.MEAN_SQUARED_ERROR, false, spec.outputUnits());
    // Lives as long as the returned (lazy) data frame may be computed.
    Broadcast<float[]> weights =
        JavaSparkContext.fromSparkContext(data.sparkSession().sparkContext())
            .broadcast(params.clone());
    JavaRDD<Row> rows =
        data.javaRDD()
            .mapPartitionsWithIndex(
                (partition, it) -> {
                  int in = spec.inputDim();
                  int units = spec.outputUnits();
                  int chunkRows = ActivationBudget.passRows(spec, StepCompute.CHUNK_ROWS, "layers");
                  Workspace ws = network.newWorkspace(chunkRows);
                  float[] x = new float[chunkRows * in];
                  float[] p = weights.value();
                  List<Row> out = new ArrayList<>();
                  List<Row> chunk = new ArrayList<>(chunkRows);
                  long index = 0;
                  while (it.hasNext()) {
                    Row row = it.next();
                    String bad =
                        RowValues.readVector(
                            row.get(featureIndex), x, chunk.size() * in, in, "features");
                    if (bad == null && spec.checkInput(x, chunk.size() * in) != null) {
                      bad = "features " + spec.checkInput(x, chunk.size() * in);
                    }
                    if (bad != null) {
                      throw new DataException(
                          name + ": partition " + partition + ", row " + (index + 1) + ": " + bad);
                    }
                    index++;
                    chunk.add(row);
                    if (chunk.size() == chunkRows || !it.hasNext()) {
                      network.forward(p, x, 0, chunk.size(), ws);
                      float[] y = ws.lastOutputs();
                      for (int r = 0; r < chunk.size(); r++) {
                        double[] output = new double[units];
                        for (int j = 0; j < units; j++) {
                          output[j] = y[r * units + j];
                        }
                        Object[] values = new Object[row.length() + (hasPrediction ? 2 : 1)];
                        Row source = chunk.get(r);
                        for (int c = 0; c < source.length(); c++) {
                          values[c] = source.get(c);
                        }
                        values[source.length()] = Vectors.dense(output);
                        if (hasPrediction) {
                          values[source.length() + 1] =
                              scalar
                                  ? (classes ? (output[0] > threshold ? 1.0 : 0.0) : output[0])
                                  : (double) Network.argmax(y, r * units, units);
                        }
                        out.add(RowFactory.create(values));
                      }
                      chunk.clear();
                    }
                  }
                  return out.iterator();
                },
                true);
    return data.sparkSession().createDataFrame(rows, schema);
  }
}
