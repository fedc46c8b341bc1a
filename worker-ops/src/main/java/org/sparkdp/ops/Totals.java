package org.sparkdp.ops;

import java.io.Serializable;

/**
 * Running sums over examples: summed loss, correct predictions (fractional for multi-output binary
 * accuracy) and count.
 */
public final class Totals implements Serializable {
  public double loss;
  public double correct;
  public long count;

  /** Adds another set of sums into this one. */
  public Totals add(Totals other) {
    loss += other.loss;
    correct += other.correct;
    count += other.count;
    return this;
  }

  /** Mean loss per example. */
  public double meanLoss() {
    return loss / count;
  }

  /** Fraction of examples predicted correctly. */
  public double accuracy() {
    return correct / count;
  }
}
