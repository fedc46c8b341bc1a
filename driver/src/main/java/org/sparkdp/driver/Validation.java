package org.sparkdp.driver;

import org.apache.spark.api.java.JavaRDD;

/**
 * What a fit validates on after each epoch.
 *
 * @param blocks the validation rows, packed
 * @param rows how many there are
 * @param split whether they are a {@code validation_split} of the training data (and so sit in the
 *     training partitions, where the driver channel's tasks can evaluate them) rather than data of
 *     their own
 */
record Validation(JavaRDD<Block> blocks, long rows, boolean split) {}
