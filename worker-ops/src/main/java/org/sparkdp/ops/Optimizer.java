package org.sparkdp.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;

/**
 * A gradient-descent update rule with Keras 3's defaults and formulas. Hyperparameters are the
 * record's fields; everything that changes from step to step lives in an {@link OptimizerState}
 * made by {@link #newState(int)}.
 *
 * <p>Protocol: make one state per parameter vector, then call {@link #step} once per update with
 * the <em>mean</em> gradient of the batch (which it may clip in place). A step is Keras' {@code
 * apply}: the learning rate of this iteration (a constant or a schedule's value at {@code
 * state.iterations()}, times the state's factor), the {@link BaseOptimizer}'s clipping and weight
 * decay, the optimizer's own {@link #update}, and one more iteration. Variants (momentum, Nesterov,
 * AMSGrad, centered) are parameters, not subclasses.
 */
public sealed interface Optimizer extends Serializable
    permits Sgd, Adam, AdamW, RmsProp, Adagrad, Nadam, Adamax {

  /** The Keras name, e.g. {@code "adam"}. */
  String kerasName();

  /** The learning rate: a constant or a schedule of the iteration count. */
  LearningRate learningRate();

  /** Weight decay and gradient clipping. */
  BaseOptimizer base();

  /** Zeroed state (slots and iteration count) for a parameter vector of {@code size}. */
  OptimizerState newState(int size);

  /**
   * The optimizer's own rule: updates {@code params} in place from the (clipped) gradient at
   * learning rate {@code lr}, and its slots; {@code state.iterations() + 1} is Keras' {@code
   * local_step}. Does not advance the state.
   */
  void update(float[] params, float[] grad, OptimizerState state, double lr);

  /** {@link #step(float[], float[], OptimizerState, int[])} for a vector that is one weight. */
  default void step(float[] params, float[] grad, OptimizerState state) {
    step(params, grad, state, new int[] {0, params.length});
  }

  /**
   * One update of {@code params} from the mean gradient {@code grad} (clipped in place), advancing
   * {@code state}; weight {@code i} of the model is {@code [bounds[i], bounds[i + 1])} ({@link
   * ParameterLayout#bounds()}), which is what {@code clipnorm} clips.
   */
  default void step(float[] params, float[] grad, OptimizerState state, int[] bounds) {
    double lr = learningRate().at(state.iterations()) * state.learningRateFactor();
    base().clip(grad, bounds);
    base().decay(params, lr);
    update(params, grad, state, lr);
    state.advance();
  }

  /** The hyperparameters in Keras' names, for model files. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  default ObjectNode config() {
    RecordSettings settings = Configs.OPTIMIZERS.get(kerasName());
    return settings.toJson((Record) this);
  }
}
