package org.sparkdp.ops;

/**
 * Adam (Kingma and Ba, 2015) with Keras' update rule, where epsilon is added after the bias
 * correction:
 *
 * <pre>
 *   t = iterations + 1
 *   alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
 *   m += (g - m) * (1 - beta1)
 *   v += (g^2 - v) * (1 - beta2)
 *   vHat = amsgrad ? max(vHat, v) : v
 *   w -= alpha * m / (sqrt(vHat) + epsilon)
 * </pre>
 *
 * @param learningRate {@code lr}, positive (Keras' default 0.001), or a schedule
 * @param beta1 decay of the first moment, in {@code [0, 1)} (default 0.9)
 * @param beta2 decay of the second moment, in {@code [0, 1)} (default 0.999)
 * @param epsilon positive (default 1e-7)
 * @param amsgrad whether to use the AMSGrad variant (Reddi et al., 2018; default false)
 * @param base weight decay and clipping
 */
public record Adam(
    LearningRate learningRate,
    double beta1,
    double beta2,
    double epsilon,
    boolean amsgrad,
    BaseOptimizer base)
    implements Optimizer {
  public static final Setting<LearningRate> LEARNING_RATE = LearningRate.setting(0.001);
  public static final Setting<Double> BETA_1 =
      Setting.fraction("beta_1", 0.9, "decay of the first moment");
  public static final Setting<Double> BETA_2 =
      Setting.fraction("beta_2", 0.999, "decay of the second moment");
  public static final Setting<Double> EPSILON =
      Setting.positive("epsilon", 1e-7, "added to the root of the second moment");
  public static final Setting<Boolean> AMSGRAD =
      Setting.bool("amsgrad", false, "the AMSGrad variant");
  public static final RecordSettings<Adam> SETTINGS =
      RecordSettings.of(
          Adam.class, LEARNING_RATE, BETA_1, BETA_2, EPSILON, AMSGRAD, BaseOptimizer.SETTINGS);

  public Adam {
    LEARNING_RATE.check(learningRate);
    BETA_1.check(beta1);
    BETA_2.check(beta2);
    EPSILON.check(epsilon);
  }

  /** Adam with a constant learning rate, no weight decay and no clipping. */
  public Adam(double learningRate, double beta1, double beta2, double epsilon, boolean amsgrad) {
    this(LearningRate.constant(learningRate), beta1, beta2, epsilon, amsgrad, BaseOptimizer.NONE);
  }

  /** Keras' defaults: learning rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7. */
  public static Adam defaults() {
    return SETTINGS.defaults();
  }

  /** Keras' defaults with another learning rate. */
  public static Adam withLearningRate(double learningRate) {
    return new Adam(
        learningRate,
        BETA_1.defaultValue(),
        BETA_2.defaultValue(),
        EPSILON.defaultValue(),
        AMSGRAD.defaultValue());
  }

  @Override
  public String kerasName() {
    return "adam";
  }

  @Override
  public OptimizerState newState(int size) {
    return newState(size, amsgrad);
  }

  static OptimizerState newState(int size, boolean amsgrad) {
    return new OptimizerState(
        0,
        amsgrad
            ? new float[][] {new float[size], new float[size], new float[size]}
            : new float[][] {new float[size], new float[size]});
  }

  @Override
  public void update(float[] params, float[] grad, OptimizerState state, double lr) {
    update(params, grad, state, lr, beta1, beta2, epsilon, amsgrad);
  }

  /** Adam's rule, shared with {@link AdamW}. */
  static void update(
      float[] params,
      float[] grad,
      OptimizerState state,
      double lr,
      double beta1,
      double beta2,
      double epsilon,
      boolean amsgrad) {
    long t = state.iterations() + 1;
    float alpha = (float) (lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t)));
    float oneMinusBeta1 = (float) (1 - beta1);
    float oneMinusBeta2 = (float) (1 - beta2);
    float eps = (float) epsilon;
    float[] m = state.slots()[0];
    float[] v = state.slots()[1];
    if (amsgrad) {
      float[] vMax = state.slots()[2];
      for (int i = 0; i < params.length; i++) {
        float g = grad[i];
        m[i] += (g - m[i]) * oneMinusBeta1;
        v[i] += (g * g - v[i]) * oneMinusBeta2;
        vMax[i] = Math.max(vMax[i], v[i]);
        params[i] -= alpha * m[i] / ((float) Math.sqrt(vMax[i]) + eps);
      }
    } else {
      // A branch-free loop that the JIT vectorises: it runs once per step over every parameter.
      for (int i = 0; i < params.length; i++) {
        float g = grad[i];
        float mi = m[i] + (g - m[i]) * oneMinusBeta1;
        float vi = v[i] + (g * g - v[i]) * oneMinusBeta2;
        m[i] = mi;
        v[i] = vi;
        params[i] -= alpha * mi / ((float) Math.sqrt(vi) + eps);
      }
    }
  }
}
