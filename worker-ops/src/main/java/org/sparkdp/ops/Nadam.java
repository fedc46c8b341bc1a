package org.sparkdp.ops;

/**
 * Nadam, Adam with Nesterov momentum (Dozat, 2016), with Keras 3's update rule and momentum
 * schedule {@code u_i = beta1 * (1 - 0.5 * 0.96^i)}:
 *
 * <pre>
 *   t = iterations + 1
 *   P_t = u_1 * ... * u_t
 *   m += (g - m) * (1 - beta1)
 *   v += (g^2 - v) * (1 - beta2)
 *   mHat = u_{t+1} m / (1 - P_t u_{t+1}) + (1 - u_t) g / (1 - P_t)
 *   vHat = v / (1 - beta2^t)
 *   w -= lr * mHat / (sqrt(vHat) + epsilon)
 * </pre>
 *
 * Keras keeps {@code P_t} as a variable; here it is a function of the iteration count, computed by
 * the state from the same products in the same order, so a run resumed from a checkpoint continues
 * with the same values.
 *
 * @param learningRate {@code lr}, positive (Keras' default 0.001), or a schedule
 * @param beta1 decay of the first moment, in {@code [0, 1)} (default 0.9)
 * @param beta2 decay of the second moment, in {@code [0, 1)} (default 0.999)
 * @param epsilon positive (default 1e-7)
 * @param base weight decay and clipping
 */
public record Nadam(
    LearningRate learningRate, double beta1, double beta2, double epsilon, BaseOptimizer base)
    implements Optimizer {
  public static final RecordSettings<Nadam> SETTINGS =
      RecordSettings.of(
          Nadam.class,
          Adam.LEARNING_RATE,
          Adam.BETA_1,
          Adam.BETA_2,
          Adam.EPSILON,
          BaseOptimizer.SETTINGS);

  public Nadam {
    Adam.LEARNING_RATE.check(learningRate);
    Adam.BETA_1.check(beta1);
    Adam.BETA_2.check(beta2);
    Adam.EPSILON.check(epsilon);
  }

  /** Keras' defaults: learning rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7. */
  public static Nadam defaults() {
    return SETTINGS.defaults();
  }

  @Override
  public String kerasName() {
    return "nadam";
  }

  /** Slots: the moments m and v. */
  @Override
  public OptimizerState newState(int size) {
    return new OptimizerState(0, new float[][] {new float[size], new float[size]});
  }

  /** The momentum schedule {@code u_i}. */
  private double momentumAt(long i) {
    return beta1 * (1 - 0.5 * Math.pow(0.96, i));
  }

  @Override
  public void update(float[] params, float[] grad, OptimizerState state, double learningRate) {
    long t = state.iterations() + 1;
    double ut = momentumAt(t);
    double ut1 = momentumAt(t + 1);
    double product = state.product(this::momentumAt);
    float a = (float) (ut1 / (1 - product * ut1));
    float b = (float) ((1 - ut) / (1 - product));
    float vCorrection = (float) (1 / (1 - Math.pow(beta2, t)));
    float lr = (float) learningRate;
    float oneMinusBeta1 = (float) (1 - beta1);
    float oneMinusBeta2 = (float) (1 - beta2);
    float eps = (float) epsilon;
    float[] m = state.slots()[0];
    float[] v = state.slots()[1];
    for (int i = 0; i < params.length; i++) {
      float g = grad[i];
      float mi = m[i] + (g - m[i]) * oneMinusBeta1;
      float vi = v[i] + (g * g - v[i]) * oneMinusBeta2;
      m[i] = mi;
      v[i] = vi;
      float mHat = a * mi + b * g;
      params[i] -= mHat * lr / ((float) Math.sqrt(vi * vCorrection) + eps);
    }
  }
}
