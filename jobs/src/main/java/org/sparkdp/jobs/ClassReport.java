package org.sparkdp.jobs;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.sparkdp.io.ModelCard;

/**
 * A classifier's results per class on labelled data, for the model card ({@link
 * ModelCard#PER_CLASS}): the confusion matrix that {@code evaluate} counted on the executors, and
 * each class's precision, recall and F1 from it.
 */
final class ClassReport {
  private ClassReport() {}

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
