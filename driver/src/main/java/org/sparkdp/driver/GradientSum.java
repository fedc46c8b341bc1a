package org.sparkdp.driver;

import java.io.Serializable;
import org.sparkdp.ops.Totals;

/**
 * The sums one step's tasks send back: the gradient of the loss summed over their examples, and the
 * summed loss, correct count and example count. This is the one deliberately mutable class of the
 * step: {@link #merge} adds into {@code this} to avoid an allocation per merge. A task with no
 * examples in the step sends an empty sum, whose gradient is {@code null}.
 */
final class GradientSum implements Serializable {
  float[] gradient;
  final Totals totals = new Totals();

  /**
   * The longest time one task (or thread) spent computing its part, for the step's cost accounting.
   */
  long computeNanos;

  /**
   * Adds {@code other} into this sum and returns this one (or {@code other}, if this one is empty).
   */
  GradientSum merge(GradientSum other) {
    computeNanos = Math.max(computeNanos, other.computeNanos);
    if (other.gradient == null) {
      totals.add(other.totals);
      return this;
    }
    if (gradient == null) {
      other.totals.add(totals);
      other.computeNanos = computeNanos;
      return other;
    }
    float[] g = gradient;
    float[] o = other.gradient;
    for (int i = 0; i < g.length; i++) {
      g[i] += o[i];
    }
    totals.add(other.totals);
    return this;
  }
}
