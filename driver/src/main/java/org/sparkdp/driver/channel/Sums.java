package org.sparkdp.driver.channel;

import org.sparkdp.ops.Totals;

/**
 * One step's sums over every task, added in partition order.
 *
 * @param gradient the summed gradient, or {@code null} if no task had examples in the step; a
 *     buffer that the next step reuses
 * @param totals summed loss, correct count and count
 * @param computeNanos the longest time one task spent computing its part
 * @param phases the totals of the step's phases, in order ({@link org.sparkdp.ops.Phases}): what
 *     the driver updates the moving statistics from; empty for a model without them
 */
public record Sums(float[] gradient, Totals totals, long computeNanos, double[][] phases) {

  /** The sums of a step without phases. */
  public Sums(float[] gradient, Totals totals, long computeNanos) {
    this(gradient, totals, computeNanos, new double[0][]);
  }
}
