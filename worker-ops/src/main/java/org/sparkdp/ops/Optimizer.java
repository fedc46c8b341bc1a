package org.sparkdp.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;

/**
 * A gradient-descent update rule. Hyperparameters are the record's fields; everything that changes
 * from step to step lives in an {@link OptimizerState} made by {@link #newState(int)}.
 *
 * <p>Protocol: make one state per parameter vector, then call {@link #step} once per update with
 * the <em>mean</em> gradient of the batch. Variants (momentum, Nesterov, AMSGrad) are parameters,
 * not subclasses.
 */
public sealed interface Optimizer extends Serializable permits Sgd, Adam {

  /** The Keras name: {@code "sgd"} or {@code "adam"}. */
  String kerasName();

  double learningRate();

  /** Zeroed state (slots and iteration count) for a parameter vector of {@code size}. */
  OptimizerState newState(int size);

  /**
   * Updates {@code params} in place from the mean gradient {@code grad} and advances {@code state}.
   */
  void step(float[] params, float[] grad, OptimizerState state);

  /** The hyperparameters in Keras' names, for model files. */
  ObjectNode config();
}
