package org.sparkdp.ops;

import java.io.Serializable;

/**
 * A term of the training loss that depends on the parameters only, not on the data: the layers'
 * regularizers, or any other penalty on the weights. Under {@code sync} the driver computes it once
 * per step on the parameters it is about to update (exact, and free for the executors): the step's
 * loss is the batch's mean loss plus {@link #apply}, its gradient the batch's mean gradient plus
 * the penalty's, as in Keras, where such terms are the model's {@code losses}.
 */
@FunctionalInterface
public interface Penalty extends Serializable {
  /** No penalty. */
  Penalty NONE = (params, grad) -> 0;

  /**
   * The penalty at {@code params}; adds its gradient into {@code grad} unless {@code grad} is
   * {@code null}.
   */
  double apply(float[] params, float[] grad);

  /** This penalty and {@code other}, added. */
  default Penalty plus(Penalty other) {
    if (other == NONE) {
      return this;
    }
    if (this == NONE) {
      return other;
    }
    Penalty self = this;
    return (params, grad) -> self.apply(params, grad) + other.apply(params, grad);
  }
}
