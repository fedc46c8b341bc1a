package org.sparkdp.ops;

import java.io.Serializable;

/**
 * The arguments every Keras optimizer takes, and what they do before its own update rule (Keras'
 * base optimizer, in this order): the gradient is clipped, by each weight's norm ({@code clipnorm}:
 * {@code g * c / max(|g|, c)}), by the norm of all of them ({@code global_clipnorm}: {@code g *
 * min(1, c / |G|)}) or element-wise ({@code clipvalue}: {@code clip(g, -c, c)}), at most one of the
 * three; then the weights decay, decoupled from the gradient ({@code w -= w * weight_decay * lr},
 * Loshchilov and Hutter, 2019).
 *
 * @param weightDecay decoupled weight decay, or {@code null} for none
 * @param clipnorm the largest norm of each weight's gradient, or {@code null}
 * @param clipvalue the largest absolute value of a gradient element, or {@code null}
 * @param globalClipnorm the largest norm of the whole gradient, or {@code null}
 */
public record BaseOptimizer(
    Double weightDecay, Double clipnorm, Double clipvalue, Double globalClipnorm)
    implements Serializable {
  public static final Setting<Double> WEIGHT_DECAY =
      Setting.number(
              "weight_decay",
              null,
              "0 or a positive number",
              v -> v >= 0,
              "decoupled weight decay: w -= w * weight_decay * lr before each update")
          .optional();
  public static final Setting<Double> CLIPNORM =
      Setting.positive("clipnorm", null, "each weight's gradient is scaled to this norm at most")
          .optional();
  public static final Setting<Double> CLIPVALUE =
      Setting.positive(
              "clipvalue", null, "each gradient element is clipped to [-clipvalue, clipvalue]")
          .optional();
  public static final Setting<Double> GLOBAL_CLIPNORM =
      Setting.positive("global_clipnorm", null, "the whole gradient is scaled to this norm at most")
          .optional();
  public static final RecordSettings<BaseOptimizer> SETTINGS =
      RecordSettings.of(BaseOptimizer.class, WEIGHT_DECAY, CLIPNORM, CLIPVALUE, GLOBAL_CLIPNORM);

  /** AdamW's weight decay: Keras' default 0.004. */
  public static final Setting<Double> ADAMW_WEIGHT_DECAY =
      Setting.number(
          "weight_decay",
          0.004,
          "0 or a positive number",
          v -> v >= 0,
          "decoupled weight decay: w -= w * weight_decay * lr before each update");

  /** The arguments of AdamW, whose weight decay has a default. */
  public static final RecordSettings<BaseOptimizer> ADAMW_SETTINGS =
      RecordSettings.of(
          BaseOptimizer.class, ADAMW_WEIGHT_DECAY, CLIPNORM, CLIPVALUE, GLOBAL_CLIPNORM);

  /** No weight decay, no clipping. */
  public static final BaseOptimizer NONE = new BaseOptimizer(null, null, null, null);

  public BaseOptimizer {
    WEIGHT_DECAY.check(weightDecay);
    CLIPNORM.check(clipnorm);
    CLIPVALUE.check(clipvalue);
    GLOBAL_CLIPNORM.check(globalClipnorm);
    int clips =
        (clipnorm != null ? 1 : 0) + (clipvalue != null ? 1 : 0) + (globalClipnorm != null ? 1 : 0);
    if (clips > 1) {
      throw new ConfigException(
          "clipnorm: only one of clipnorm, clipvalue and global_clipnorm can be set, got clipnorm "
              + clipnorm
              + ", clipvalue "
              + clipvalue
              + ", global_clipnorm "
              + globalClipnorm);
    }
  }

  /**
   * Clips {@code grad} in place; weight {@code i} of the model is {@code [bounds[i], bounds[i +
   * 1])} (what {@code clipnorm} works on).
   */
  void clip(float[] grad, int[] bounds) {
    if (clipnorm != null) {
      float c = (float) (double) clipnorm;
      for (int w = 0; w + 1 < bounds.length; w++) {
        double sum = 0;
        for (int i = bounds[w]; i < bounds[w + 1]; i++) {
          sum += (double) grad[i] * grad[i];
        }
        if (sum > 0) {
          float norm = (float) Math.sqrt(sum);
          float denominator = Math.max(norm, c);
          for (int i = bounds[w]; i < bounds[w + 1]; i++) {
            grad[i] = grad[i] * c / denominator;
          }
        }
      }
    } else if (globalClipnorm != null) {
      double sum = 0;
      for (float g : grad) {
        sum += (double) g * g;
      }
      double norm = Math.sqrt(sum);
      // Keras' clip_norm * min(1 / norm, 1 / clip_norm): 1 for a zero gradient, NaN for NaN.
      float scale = (float) (globalClipnorm * Math.min(1 / norm, 1 / globalClipnorm));
      for (int i = 0; i < grad.length; i++) {
        grad[i] *= scale;
      }
    } else if (clipvalue != null) {
      float c = (float) (double) clipvalue;
      for (int i = 0; i < grad.length; i++) {
        grad[i] = Math.min(Math.max(grad[i], -c), c);
      }
    }
  }

  /** {@code w -= w * weight_decay * lr}, when there is weight decay. */
  void decay(float[] params, double learningRate) {
    if (weightDecay == null || weightDecay == 0) {
      return;
    }
    float f = (float) (weightDecay * learningRate);
    for (int i = 0; i < params.length; i++) {
      params[i] -= params[i] * f;
    }
  }
}
