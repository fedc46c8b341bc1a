package org.sparkdp;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code evaluate} found: the loss and the compiled metrics by their names (Keras' {@code
 * evaluate(..., return_dict=True)}), and for a classifier with one class per example the confusion
 * matrix.
 *
 * @param metrics {@code loss} and each metric, by name
 * @param confusionMatrix {@code [true class][predicted class]} counts of the examples, or {@code
 *     null} for a regression or multi-label model
 */
public record Evaluation(Map<String, Double> metrics, long[][] confusionMatrix) {
  public Evaluation {
    metrics = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
  }

  /**
   * The metrics, then {@code confusion_matrix} (rows: true classes, columns: predicted) when there
   * is one, as {@code test-metrics.json} holds them.
   */
  public Map<String, Object> toMap() {
    Map<String, Object> all = new LinkedHashMap<>(metrics);
    if (confusionMatrix != null) {
      List<List<Long>> rows = new java.util.ArrayList<>();
      for (long[] row : confusionMatrix) {
        rows.add(java.util.Arrays.stream(row).boxed().toList());
      }
      all.put("confusion_matrix", rows);
    }
    return all;
  }
}
