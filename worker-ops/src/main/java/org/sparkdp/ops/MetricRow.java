package org.sparkdp.ops;

/**
 * One example as the {@link Metric}s see it: its outputs {@code [units]} (probabilities) and its
 * label, read as one target per unit: a class-index label is a one-hot vector. Moved along the rows
 * of a chunk by {@link Metrics}; no copies are made.
 */
public final class MetricRow {
  private final int units;
  private final int width;
  private final boolean classIndex;
  private float[] out;
  private int o;
  private float[] y;
  private int t;

  MetricRow(int units, int width, boolean classIndex) {
    this.units = units;
    this.width = width;
    this.classIndex = classIndex;
  }

  /** Points at the example whose outputs start at {@code out[o]} and label at {@code y[t]}. */
  MetricRow at(float[] out, int o, float[] y, int t) {
    this.out = out;
    this.o = o;
    this.y = y;
    this.t = t;
    return this;
  }

  public int units() {
    return units;
  }

  /** Output {@code j}. */
  public float output(int j) {
    return out[o + j];
  }

  /** The label's value for unit {@code j} (1 or 0 for a class index). */
  public double target(int j) {
    return classIndex ? (j == (int) y[t] ? 1 : 0) : y[t + j];
  }

  /** Whether the label is positive for unit {@code j}: not 0, as Keras casts labels to bool. */
  public boolean positive(int j) {
    return target(j) != 0;
  }

  /**
   * The labelled class: the class index, the argmax of a label vector, or for one unit whether the
   * label is above 0.5.
   */
  public int trueClass() {
    if (classIndex) {
      return (int) y[t];
    }
    return units == 1 ? (y[t] > 0.5f ? 1 : 0) : Network.argmax(y, t, width);
  }

  /** The predicted class: the argmax of the outputs, or for one unit whether it is above 0.5. */
  public int predictedClass() {
    return units == 1 ? (out[o] > 0.5f ? 1 : 0) : Network.argmax(out, o, units);
  }

  /**
   * Whether output {@code j} is among the {@code k} highest, ties going to the lower unit (as a
   * stable descending sort, Keras' {@code top_k}, takes them).
   */
  public boolean inTopK(int j, int k) {
    float v = out[o + j];
    int above = 0;
    for (int i = 0; i < units; i++) {
      float w = out[o + i];
      if (w > v || w == v && i < j) {
        above++;
      }
    }
    return above < k;
  }

  /** How many outputs are strictly higher than the labelled class's (0: the top). */
  public int rankOfTrueClass() {
    float v = out[o + trueClass()];
    int above = 0;
    for (int i = 0; i < units; i++) {
      if (out[o + i] > v) {
        above++;
      }
    }
    return above;
  }

  /** {@code mean_j (p_j - y_j)^2}. */
  public double meanSquaredError() {
    double s = 0;
    for (int j = 0; j < units; j++) {
      double d = out[o + j] - target(j);
      s += d * d;
    }
    return s / units;
  }
}
