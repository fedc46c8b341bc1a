package org.sparkdp.ops;

/**
 * RMSprop (Hinton, 2012) with Keras' update rule, epsilon inside the root:
 *
 * <pre>
 *   v = rho * v + (1 - rho) * g^2
 *   centered:  a = rho * a + (1 - rho) * g;  d = v - a^2 + epsilon
 *   otherwise: d = v + epsilon
 *   inc = lr * g / sqrt(d)
 *   momentum > 0:  mom = momentum * mom + inc;  w -= mom
 *   otherwise:     w -= inc
 * </pre>
 *
 * @param learningRate {@code lr}, positive (Keras' default 0.001), or a schedule
 * @param rho decay of the mean square, in {@code [0, 1)} (default 0.9)
 * @param momentum in {@code [0, 1)} (default 0)
 * @param epsilon positive (default 1e-7)
 * @param centered whether to divide by the variance estimate instead of the mean square (default
 *     false)
 * @param base weight decay and clipping
 */
public record RmsProp(
    LearningRate learningRate,
    double rho,
    double momentum,
    double epsilon,
    boolean centered,
    BaseOptimizer base)
    implements Optimizer {
  public static final Setting<Double> RHO =
      Setting.fraction("rho", 0.9, "decay of the mean square of the gradient");
  public static final Setting<Double> MOMENTUM =
      Setting.fraction("momentum", 0.0, "momentum on the scaled update");
  public static final Setting<Double> EPSILON =
      Setting.positive("epsilon", 1e-7, "added under the root");
  public static final Setting<Boolean> CENTERED =
      Setting.bool("centered", false, "divide by the gradient's variance estimate");
  public static final RecordSettings<RmsProp> SETTINGS =
      RecordSettings.of(
          RmsProp.class,
          Adam.LEARNING_RATE,
          RHO,
          MOMENTUM,
          EPSILON,
          CENTERED,
          BaseOptimizer.SETTINGS);

  public RmsProp {
    Adam.LEARNING_RATE.check(learningRate);
    RHO.check(rho);
    MOMENTUM.check(momentum);
    EPSILON.check(epsilon);
  }

  /** Keras' defaults: learning rate 0.001, rho 0.9, no momentum, epsilon 1e-7, not centered. */
  public static RmsProp defaults() {
    return SETTINGS.defaults();
  }

  @Override
  public String kerasName() {
    return "rmsprop";
  }

  /** Slots in Keras' order: velocity, then momentum and average gradient when used. */
  @Override
  public OptimizerState newState(int size) {
    int slots = 1 + (momentum > 0 ? 1 : 0) + (centered ? 1 : 0);
    float[][] s = new float[slots][];
    for (int i = 0; i < slots; i++) {
      s[i] = new float[size];
    }
    return new OptimizerState(0, s);
  }

  @Override
  public void update(float[] params, float[] grad, OptimizerState state, double learningRate) {
    float lr = (float) learningRate;
    float r = (float) rho;
    float oneMinusRho = (float) (1 - rho);
    float eps = (float) epsilon;
    float mu = (float) momentum;
    float[] velocity = state.slots()[0];
    float[] mom = momentum > 0 ? state.slots()[1] : null;
    float[] average = centered ? state.slots()[momentum > 0 ? 2 : 1] : null;
    for (int i = 0; i < params.length; i++) {
      float g = grad[i];
      float v = r * velocity[i] + oneMinusRho * g * g;
      velocity[i] = v;
      float denominator;
      if (centered) {
        float a = r * average[i] + oneMinusRho * g;
        average[i] = a;
        denominator = v - a * a + eps;
      } else {
        denominator = v + eps;
      }
      float increment = lr * g / (float) Math.sqrt(denominator);
      if (mom != null) {
        mom[i] = mu * mom[i] + increment;
        params[i] -= mom[i];
      } else {
        params[i] -= increment;
      }
    }
  }
}
