/**
 * The numeric core of sparkdp, free of Spark: layer specs ({@link org.sparkdp.ops.Dense}, {@link
 * org.sparkdp.ops.ModelSpec}), activations, losses, initialisers, optimizers, the batched
 * forward/backward kernel ({@link org.sparkdp.ops.Network}) on float32 row-major blocks through
 * BLAS, and model files in Keras' layout.
 *
 * <p>All parameters of a model live in one flat {@code float[]}; {@link
 * org.sparkdp.ops.ParameterLayout} says where each layer's kernel and bias sit in it.
 */
package org.sparkdp.ops;
