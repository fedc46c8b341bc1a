package org.sparkdp.jobs;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.sparkdp.Sequential;
import org.sparkdp.io.ModelCard;
import org.sparkdp.ops.Loss;

/**
 * A classifier's results per class on labelled data, for the model card ({@link
 * ModelCard#PER_CLASS}): the confusion matrix, counted by Spark (one {@code groupBy} of the
 * predictions by label and predicted class), and each class's precision, recall and F1 from it.
 */
final class ClassReport {
  private ClassReport() {}

  /**
   * The report of {@code model} on {@code data} ({@code features}, and a {@code label} that is a
   * class index), or {@code null} when the model is not a classifier of class indices.
   */
  static ObjectNode of(Sequential model, Dataset<Row> data) {
    Loss loss = model.compileConfig().loss();
    int units = model.spec().outputUnits();
    int classes;
    if (loss.classIndexLabels(1) && units > 1) {
      classes = units;
    } else if (loss == Loss.BINARY_CROSSENTROPY && units == 1) {
      classes = 2;
    } else {
      return null;
    }
    if (!(data.schema().apply("label").dataType()
        instanceof org.apache.spark.sql.types.NumericType)) {
      return null; // one-hot or multi-label targets: no single class per row
    }
    List<Row> counts =
        model
            .predict(data)
            .groupBy(
                functions.col("label").cast("int").as("label"),
                functions.col("prediction").cast("int").as("prediction"))
            .count()
            .collectAsList();
    long[][] matrix = new long[classes][classes];
    for (Row r : counts) {
      int label = r.getInt(0);
      int predicted = r.getInt(1);
      if (label >= 0 && label < classes && predicted >= 0 && predicted < classes) {
        matrix[label][predicted] += r.getLong(2);
      }
    }
    return json(matrix);
  }

  /** The report of a confusion matrix (rows: the true class, columns: the predicted class). */
  static ObjectNode json(long[][] matrix) {
    ObjectNode report = JsonNodeFactory.instance.objectNode();
    ArrayNode classes = report.putArray("classes");
    int k = matrix.length;
    for (int c = 0; c < k; c++) {
      long support = 0;
      long predicted = 0;
      for (int j = 0; j < k; j++) {
        support += matrix[c][j];
        predicted += matrix[j][c];
      }
      long right = matrix[c][c];
      double precision = predicted == 0 ? 0 : right / (double) predicted;
      double recall = support == 0 ? 0 : right / (double) support;
      double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
      classes
          .addObject()
          .put("class", c)
          .put("support", support)
          .put("predicted", predicted)
          .put("precision", precision)
          .put("recall", recall)
          .put("f1", f1);
    }
    ArrayNode rows = report.putArray("confusion_matrix");
    for (long[] row : matrix) {
      ArrayNode r = rows.addArray();
      for (long v : row) {
        r.add(v);
      }
    }
    return report;
  }
}
