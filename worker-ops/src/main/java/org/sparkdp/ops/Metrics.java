package org.sparkdp.ops;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The compiled metrics of a model, laid out in one array of sums ({@link Totals#metrics}): metric
 * {@code i} owns {@code [offset(i), offset(i) + slots)}, and for evaluation with a confusion matrix
 * the last {@code K * K} sums count the examples of true class {@code r} predicted as {@code c} at
 * {@code r * K + c}. Tasks add every example into these sums; the driver adds the tasks' sums in
 * partition order and turns them into the logs ({@link #results}). The correct count behind {@code
 * accuracy} is kept in {@link Totals#correct}.
 */
public final class Metrics implements Serializable {
  /** The most classes a confusion matrix is counted for. */
  public static final int MAX_CONFUSION_CLASSES = 1000;

  private final List<Metric> metrics;
  private final int[] offsets;
  private final int units;
  private final int labelWidth;
  private final boolean classIndex;
  private final boolean binaryAccuracy;
  private final int confusionClasses;
  private final int confusionOffset;
  private final int size;

  /**
   * The metrics for a last layer of {@code units} trained with {@code loss} on labels of {@code
   * labelWidth}; with {@code confusion}, also the confusion matrix when the model is a single-label
   * classifier ({@link #confusionClasses}).
   *
   * @throws IllegalArgumentException if a metric does not fit the last layer
   */
  public Metrics(List<Metric> metrics, Loss loss, int units, int labelWidth, boolean confusion) {
    this.metrics = List.copyOf(metrics);
    this.units = units;
    this.labelWidth = labelWidth;
    this.classIndex = loss.classIndexLabels(labelWidth);
    this.binaryAccuracy = units == 1 || loss == Loss.BINARY_CROSSENTROPY;
    offsets = new int[this.metrics.size()];
    int at = 0;
    for (int i = 0; i < offsets.length; i++) {
      Metric m = this.metrics.get(i);
      m.check(units);
      offsets[i] = at;
      at += m.slots(units);
    }
    confusionClasses = confusion ? confusionClasses(loss, units, labelWidth) : 0;
    confusionOffset = at;
    size = at + confusionClasses * confusionClasses;
  }

  /**
   * The classes of the confusion matrix of a model: {@code units} (2 for one unit) when each
   * example has one class (class-index labels, one unit, or a loss on one distribution per
   * example), 0 for regression, multi-label {@code binary_crossentropy} or more than {@link
   * #MAX_CONFUSION_CLASSES} classes.
   */
  public static int confusionClasses(Loss loss, int units, int labelWidth) {
    if (!loss.classifies() || (loss == Loss.BINARY_CROSSENTROPY && units > 1)) {
      return 0;
    }
    int classes = units == 1 ? 2 : units;
    return classes > MAX_CONFUSION_CLASSES ? 0 : classes;
  }

  public List<Metric> metrics() {
    return metrics;
  }

  /** Sums per example set ({@link Totals#metrics}'s length); 0 for none. */
  public int size() {
    return size;
  }

  /** The confusion matrix's classes, or 0 when it is not counted. */
  public int confusionClasses() {
    return confusionClasses;
  }

  /**
   * Adds {@code rows} examples (outputs {@code out [rows, units]} from offset 0, labels {@code
   * y[yOff ..]}) to {@code totals}' correct count and metric sums; not to its count.
   */
  void add(float[] out, float[] y, int yOff, int rows, Totals totals) {
    MetricRow row = new MetricRow(units, labelWidth, classIndex);
    double[] sums = size == 0 ? null : totals.metrics(size);
    for (int r = 0; r < rows; r++) {
      row.at(out, r * units, y, yOff + r * labelWidth);
      totals.correct += correct(out, r * units, y, yOff + r * labelWidth, row);
      for (int i = 0; i < offsets.length; i++) {
        metrics.get(i).add(row, sums, offsets[i]);
      }
      if (confusionClasses > 0) {
        sums[confusionOffset + row.trueClass() * confusionClasses + row.predictedClass()]++;
      }
    }
  }

  /**
   * Keras' choice of accuracy for one example: binary accuracy (threshold 0.5, averaged over the
   * units) for one unit or binary crossentropy, else the argmax against the class.
   */
  private double correct(float[] out, int o, float[] y, int t, MetricRow row) {
    if (binaryAccuracy) {
      int hits = 0;
      for (int j = 0; j < units; j++) {
        hits += (out[o + j] > 0.5f) == (y[t + j] > 0.5f) ? 1 : 0;
      }
      return (double) hits / units;
    }
    return row.predictedClass() == row.trueClass() ? 1 : 0;
  }

  /**
   * The logs of {@code totals}: {@code loss} (the mean), then each metric by its name, each key
   * with {@code prefix} ({@code val_} for validation).
   */
  public Map<String, Double> results(Totals totals, String prefix) {
    Map<String, Double> logs = new LinkedHashMap<>();
    logs.put(prefix + "loss", totals.meanLoss());
    double[] sums = totals.metrics == null ? new double[size] : totals.metrics;
    for (int i = 0; i < offsets.length; i++) {
      logs.put(prefix + metrics.get(i).name(), metrics.get(i).result(sums, offsets[i], totals));
    }
    return logs;
  }

  /**
   * The confusion matrix of {@code totals}: {@code [true class][predicted class]} counts.
   *
   * @throws IllegalStateException if it was not counted
   */
  public long[][] confusionMatrix(Totals totals) {
    if (confusionClasses == 0 || totals.metrics == null) {
      throw new IllegalStateException("no confusion matrix was counted");
    }
    int k = confusionClasses;
    long[][] matrix = new long[k][k];
    for (int r = 0; r < k; r++) {
      for (int c = 0; c < k; c++) {
        matrix[r][c] = Math.round(totals.metrics[confusionOffset + r * k + c]);
      }
    }
    return matrix;
  }
}
