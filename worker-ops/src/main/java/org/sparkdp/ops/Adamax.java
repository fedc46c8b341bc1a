package org.sparkdp.ops;

/**
 * Adamax, Adam with the infinity norm (Kingma and Ba, 2015, section 7.1), with Keras' update rule:
 *
 * <pre>
 *   t = iterations + 1
 *   m += (g - m) * (1 - beta1)
 *   u = max(beta2 * u, |g|)
 *   w -= lr * m / ((1 - beta1^t) * (u + epsilon))
 * </pre>
 *
 * @param learningRate {@code lr}, positive (Keras' default 0.001), or a schedule
 * @param beta1 decay of the first moment, in {@code [0, 1)} (default 0.9)
 * @param beta2 decay of the infinity norm, in {@code [0, 1)} (default 0.999)
 * @param epsilon positive (default 1e-7)
 * @param base weight decay and clipping
 */
public record Adamax(
    LearningRate learningRate, double beta1, double beta2, double epsilon, BaseOptimizer base)
    implements Optimizer {
  public static final RecordSettings<Adamax> SETTINGS =
      RecordSettings.of(
          Adamax.class,
          Adam.LEARNING_RATE,
          Adam.BETA_1,
          Adam.BETA_2,
          Adam.EPSILON,
          BaseOptimizer.SETTINGS);

  public Adamax {
    Adam.LEARNING_RATE.check(learningRate);
    Adam.BETA_1.check(beta1);
    Adam.BETA_2.check(beta2);
    Adam.EPSILON.check(epsilon);
  }

  /** Keras' defaults: learning rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7. */
  public static Adamax defaults() {
    return SETTINGS.defaults();
  }

  @Override
  public String kerasName() {
    return "adamax";
  }

  /** Slots: the first moment m, the norm u. */
  @Override
  public OptimizerState newState(int size) {
    return new OptimizerState(0, new float[][] {new float[size], new float[size]});
  }

  @Override
  public void update(float[] params, float[] grad, OptimizerState state, double learningRate) {
    long t = state.iterations() + 1;
    float correction = (float) (1 - Math.pow(beta1, t));
    float lr = (float) learningRate;
    float oneMinusBeta1 = (float) (1 - beta1);
    float b2 = (float) beta2;
    float eps = (float) epsilon;
    float[] m = state.slots()[0];
    float[] u = state.slots()[1];
    for (int i = 0; i < params.length; i++) {
      float g = grad[i];
      m[i] += (g - m[i]) * oneMinusBeta1;
      u[i] = Math.max(b2 * u[i], Math.abs(g));
      params[i] -= lr * m[i] / (correction * (u[i] + eps));
    }
  }
}
