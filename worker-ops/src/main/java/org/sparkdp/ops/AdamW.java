package org.sparkdp.ops;

/**
 * AdamW (Loshchilov and Hutter, 2019) as Keras': {@link Adam}'s rule after decoupled weight decay
 * {@code w -= w * weight_decay * lr} (default weight decay 0.004; see {@link BaseOptimizer}).
 *
 * @param learningRate {@code lr}, positive (default 0.001), or a schedule
 * @param beta1 decay of the first moment, in {@code [0, 1)} (default 0.9)
 * @param beta2 decay of the second moment, in {@code [0, 1)} (default 0.999)
 * @param epsilon positive (default 1e-7)
 * @param amsgrad whether to use the AMSGrad variant (default false)
 * @param base weight decay (default 0.004) and clipping
 */
public record AdamW(
    LearningRate learningRate,
    double beta1,
    double beta2,
    double epsilon,
    boolean amsgrad,
    BaseOptimizer base)
    implements Optimizer {
  public static final RecordSettings<AdamW> SETTINGS =
      RecordSettings.of(
          AdamW.class,
          Adam.LEARNING_RATE,
          Adam.BETA_1,
          Adam.BETA_2,
          Adam.EPSILON,
          Adam.AMSGRAD,
          BaseOptimizer.ADAMW_SETTINGS);

  public AdamW {
    Adam.LEARNING_RATE.check(learningRate);
    Adam.BETA_1.check(beta1);
    Adam.BETA_2.check(beta2);
    Adam.EPSILON.check(epsilon);
  }

  /** Keras' defaults: learning rate 0.001, weight decay 0.004, Adam's betas and epsilon. */
  public static AdamW defaults() {
    return SETTINGS.defaults();
  }

  @Override
  public String kerasName() {
    return "adamw";
  }

  @Override
  public OptimizerState newState(int size) {
    return Adam.newState(size, amsgrad);
  }

  @Override
  public void update(float[] params, float[] grad, OptimizerState state, double lr) {
    Adam.update(params, grad, state, lr, beta1, beta2, epsilon, amsgrad);
  }
}
