package org.sparkdp.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Stochastic gradient descent with optional momentum, as Keras' {@code SGD}:
 *
 * <pre>
 *   momentum = 0:  w -= lr * g
 *   otherwise:     v = momentum * v - lr * g
 *                  w += v                        (classical)
 *                  w += momentum * v - lr * g    (Nesterov)
 * </pre>
 *
 * @param learningRate {@code lr}, positive (Keras' default 0.01)
 * @param momentum in {@code [0, 1)} (default 0)
 * @param nesterov whether to use Nesterov momentum (default false)
 */
public record Sgd(double learningRate, double momentum, boolean nesterov) implements Optimizer {
  public static final Setting<Double> LEARNING_RATE =
      Setting.positive("learning_rate", 0.01, "step size");
  public static final Setting<Double> MOMENTUM =
      Setting.fraction("momentum", 0.0, "how much of the previous update carries over");
  public static final Setting<Boolean> NESTEROV =
      Setting.bool("nesterov", false, "Nesterov momentum");
  public static final RecordSettings<Sgd> SETTINGS =
      RecordSettings.of(Sgd.class, LEARNING_RATE, MOMENTUM, NESTEROV);

  public Sgd {
    LEARNING_RATE.check(learningRate);
    MOMENTUM.check(momentum);
  }

  /** Keras' defaults: learning rate 0.01, no momentum. */
  public static Sgd defaults() {
    return SETTINGS.defaults();
  }

  @Override
  public String kerasName() {
    return "sgd";
  }

  @Override
  public OptimizerState newState(int size) {
    return new OptimizerState(0, momentum == 0 ? new float[0][] : new float[][] {new float[size]});
  }

  @Override
  public void step(float[] params, float[] grad, OptimizerState state) {
    float lr = (float) learningRate;
    if (momentum == 0) {
      for (int i = 0; i < params.length; i++) {
        params[i] -= lr * grad[i];
      }
    } else {
      float mu = (float) momentum;
      float[] velocity = state.slots()[0];
      for (int i = 0; i < params.length; i++) {
        float v = mu * velocity[i] - lr * grad[i];
        velocity[i] = v;
        params[i] += nesterov ? mu * v - lr * grad[i] : v;
      }
    }
    state.advance();
  }

  @Override
  public ObjectNode config() {
    return SETTINGS.toJson(this);
  }
}
