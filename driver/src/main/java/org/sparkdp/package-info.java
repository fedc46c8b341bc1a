/**
 * sparkdp's Keras-shaped API for Spark applications and notebooks: build a {@link
 * org.sparkdp.Sequential} of {@link org.sparkdp.ops.Dense} layers, {@code compile} it, {@code fit}
 * it on a data frame, then {@code evaluate}, {@code predict} and {@code save}.
 */
package org.sparkdp;
