package org.sparkdp.ops;

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
 * @param learningRate {@code lr}, positive (Keras' default 0.01), or a schedule
 * @param momentum in {@code [0, 1)} (default 0)
 * @param nesterov whether to use Nesterov momentum (default false)
 * @param base weight decay and clipping
 */
public record Sgd(LearningRate learningRate, double momentum, boolean nesterov, BaseOptimizer base)
    implements Optimizer {
  public static final Setting<LearningRate> LEARNING_RATE = LearningRate.setting(0.01);
  public static final Setting<Double> MOMENTUM =
      Setting.fraction("momentum", 0.0, "how much of the previous update carries over");
  public static final Setting<Boolean> NESTEROV =
      Setting.bool("nesterov", false, "Nesterov momentum");
  public static final RecordSettings<Sgd> SETTINGS =
      RecordSettings.of(Sgd.class, LEARNING_RATE, MOMENTUM, NESTEROV, BaseOptimizer.SETTINGS);

  public Sgd {
    LEARNING_RATE.check(learningRate);
    MOMENTUM.check(momentum);
  }

  /** SGD with a constant learning rate, no weight decay and no clipping. */
  public Sgd(double learningRate, double momentum, boolean nesterov) {
    this(LearningRate.constant(learningRate), momentum, nesterov, BaseOptimizer.NONE);
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
  public void update(float[] params, float[] grad, OptimizerState state, double learningRate) {
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
  }
}
