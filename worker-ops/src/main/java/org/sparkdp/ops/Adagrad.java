package org.sparkdp.ops;

import java.util.Arrays;

/**
 * Adagrad (Duchi et al., 2011) with Keras' update rule:
 *
 * <pre>
 *   acc += g^2                      (acc starts at initial_accumulator_value)
 *   w -= lr * g / sqrt(acc + epsilon)
 * </pre>
 *
 * @param learningRate {@code lr}, positive (Keras' default 0.001), or a schedule
 * @param initialAccumulatorValue where the accumulator starts, at least 0 (default 0.1)
 * @param epsilon positive (default 1e-7)
 * @param base weight decay and clipping
 */
public record Adagrad(
    LearningRate learningRate, double initialAccumulatorValue, double epsilon, BaseOptimizer base)
    implements Optimizer {
  public static final Setting<Double> INITIAL_ACCUMULATOR_VALUE =
      Setting.number(
          "initial_accumulator_value",
          0.1,
          "0 or a positive number",
          v -> v >= 0,
          "where the sum of squared gradients starts");
  public static final Setting<Double> EPSILON =
      Setting.positive("epsilon", 1e-7, "added under the root");
  public static final RecordSettings<Adagrad> SETTINGS =
      RecordSettings.of(
          Adagrad.class,
          Adam.LEARNING_RATE,
          INITIAL_ACCUMULATOR_VALUE,
          EPSILON,
          BaseOptimizer.SETTINGS);

  public Adagrad {
    Adam.LEARNING_RATE.check(learningRate);
    INITIAL_ACCUMULATOR_VALUE.check(initialAccumulatorValue);
    EPSILON.check(epsilon);
  }

  /** Keras' defaults: learning rate 0.001, accumulator from 0.1, epsilon 1e-7. */
  public static Adagrad defaults() {
    return SETTINGS.defaults();
  }

  @Override
  public String kerasName() {
    return "adagrad";
  }

  @Override
  public OptimizerState newState(int size) {
    float[] accumulator = new float[size];
    Arrays.fill(accumulator, (float) initialAccumulatorValue);
    return new OptimizerState(0, new float[][] {accumulator});
  }

  @Override
  public void update(float[] params, float[] grad, OptimizerState state, double learningRate) {
    float lr = (float) learningRate;
    float eps = (float) epsilon;
    float[] accumulator = state.slots()[0];
    for (int i = 0; i < params.length; i++) {
      float g = grad[i];
      float acc = accumulator[i] + g * g;
      accumulator[i] = acc;
      params[i] -= lr * g / (float) Math.sqrt(acc + eps);
    }
  }
}
