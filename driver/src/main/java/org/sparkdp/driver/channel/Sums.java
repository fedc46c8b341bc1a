package org.sparkdp.driver.channel;

import org.sparkdp.ops.Totals;

/**
 * One step's sums over every task, added in partition order.
 *
 * @param gradient the summed gradient, or {@code null} if no task had examples in the step; a
 *     buffer that the next step reuses
 * @param totals summed loss, correct count and count
 * @param computeNanos the longest time one task spent computing its part
 */
public record Sums(float[] gradient, Totals totals, long computeNanos) {}
