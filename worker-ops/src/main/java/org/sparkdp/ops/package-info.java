/**
 * The numeric core of sparkdp, free of Spark: layer specs (the sealed {@link org.sparkdp.ops.Layer}
 * records: {@link org.sparkdp.ops.Dense}, {@link org.sparkdp.ops.Dropout}, {@link
 * org.sparkdp.ops.LayerNormalization}, {@link org.sparkdp.ops.ActivationLayer}; {@link
 * org.sparkdp.ops.ModelSpec}), activations, losses, initializers, regularizers, optimizers with
 * their common arguments and learning-rate schedules, the batched forward/backward kernel ({@link
 * org.sparkdp.ops.Network}) on float32 row-major blocks through BLAS, and model files in Keras'
 * layout. Everything a user configures is declared once ({@link org.sparkdp.ops.Setting}, {@link
 * org.sparkdp.ops.RecordSettings}) with Keras' names and defaults.
 *
 * <p>All parameters of a model live in one flat {@code float[]}; {@link
 * org.sparkdp.ops.ParameterLayout} says where each layer's weights sit in it.
 */
package org.sparkdp.ops;
