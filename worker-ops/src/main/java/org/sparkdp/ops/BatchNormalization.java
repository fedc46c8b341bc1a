package org.sparkdp.ops;

import java.util.ArrayList;
import java.util.List;

/**
 * Keras' {@code BatchNormalization} over the last axis (the features of a vector, the channels of
 * an image): {@code [batch, *shape] -> [batch, *shape]}, {@code y = (x - mean) / sqrt(var +
 * epsilon) * gamma + beta} per channel (Ioffe and Szegedy, 2015). In training, {@code mean} and the
 * biased {@code var} are the batch's, over its rows and (for an image) every position; after the
 * step {@code moving = momentum * moving + (1 - momentum) * batch}, for the mean and the variance,
 * as Keras 3 does. In prediction and evaluation the moving statistics stand in.
 *
 * <p>Weights in Keras' order: {@code gamma [C]} and {@code beta [C]} (trainable), {@code
 * moving_mean [C]} and {@code moving_variance [C]} (not trainable: no gradient, the optimizer skips
 * them, {@link Network#update} sets them).
 *
 * <p>The batch is the whole global batch in {@code sync} (every task hands its sums over at a
 * {@link Phases phase} and gets the batch's back, so the weights do not depend on the
 * partitioning), and each task's own batch in {@code local}, as Keras' {@code synchronized=False}
 * per replica.
 *
 * @param momentum the weight of the moving statistics' old value, in [0, 1] (Keras' 0.99)
 * @param epsilon added to the variance, positive (Keras' 1e-3)
 * @param center whether there is a {@code beta}
 * @param scale whether there is a {@code gamma}
 * @param betaInitializer how beta starts (zeros)
 * @param gammaInitializer how gamma starts (ones)
 * @param movingMeanInitializer how the moving mean starts (zeros)
 * @param movingVarianceInitializer how the moving variance starts (ones)
 * @param betaRegularizer beta's penalty, or {@code null}
 * @param gammaRegularizer gamma's penalty, or {@code null}
 * @param inputDim the input width on a model's first layer, else 0
 */
public record BatchNormalization(
    double momentum,
    double epsilon,
    boolean center,
    boolean scale,
    Initializer betaInitializer,
    Initializer gammaInitializer,
    Initializer movingMeanInitializer,
    Initializer movingVarianceInitializer,
    Regularizer betaRegularizer,
    Regularizer gammaRegularizer,
    int inputDim)
    implements Layer {
  public static final Setting<Double> MOMENTUM =
      Setting.number(
          "momentum",
          0.99,
          "a number in [0, 1]",
          v -> v >= 0 && v <= 1,
          "the weight of the moving statistics' old value in each update");
  public static final Setting<Initializer> MOVING_MEAN_INITIALIZER =
      Initializer.setting(
          "moving_mean_initializer", Initializer.ZEROS, "how the moving mean starts");
  public static final Setting<Initializer> MOVING_VARIANCE_INITIALIZER =
      Initializer.setting(
          "moving_variance_initializer", Initializer.ONES, "how the moving variance starts");
  public static final RecordSettings<BatchNormalization> SETTINGS =
      RecordSettings.of(
          BatchNormalization.class,
          MOMENTUM,
          LayerNormalization.EPSILON,
          LayerNormalization.CENTER,
          LayerNormalization.SCALE,
          LayerNormalization.BETA_INITIALIZER,
          LayerNormalization.GAMMA_INITIALIZER,
          MOVING_MEAN_INITIALIZER,
          MOVING_VARIANCE_INITIALIZER,
          LayerNormalization.BETA_REGULARIZER,
          LayerNormalization.GAMMA_REGULARIZER,
          Layer.INPUT_DIM);

  /**
   * Keras' {@code BatchNormalization} over the last axis ({@code axis} -1 only), without
   * constraints; {@code synchronized} either way, since sparkdp's {@code sync} strategy always uses
   * the global batch's statistics.
   */
  public static final Kind KIND =
      new Kind(
          "batch_normalization",
          "BatchNormalization",
          SETTINGS,
          Kind.fixed(
              "axis",
              -1,
              "beta_constraint",
              null,
              "gamma_constraint",
              null,
              "synchronized",
              List.of(false, true),
              "renorm",
              false,
              "renorm_clipping",
              null,
              "renorm_momentum",
              0.99));

  public BatchNormalization {
    MOMENTUM.check(momentum);
    LayerNormalization.EPSILON.check(epsilon);
    LayerNormalization.BETA_INITIALIZER.check(betaInitializer);
    LayerNormalization.GAMMA_INITIALIZER.check(gammaInitializer);
    MOVING_MEAN_INITIALIZER.check(movingMeanInitializer);
    MOVING_VARIANCE_INITIALIZER.check(movingVarianceInitializer);
    if (inputDim != 0) {
      Layer.INPUT_DIM.check(inputDim);
    }
  }

  /** Keras' defaults: momentum 0.99, epsilon 1e-3, gamma and beta. */
  public static BatchNormalization defaults() {
    return SETTINGS.defaults();
  }

  /** This layer with or without beta and gamma. */
  public BatchNormalization with(boolean center, boolean scale) {
    return new BatchNormalization(
        momentum,
        epsilon,
        center,
        scale,
        betaInitializer,
        gammaInitializer,
        movingMeanInitializer,
        movingVarianceInitializer,
        betaRegularizer,
        gammaRegularizer,
        inputDim);
  }

  /** This layer with another momentum. */
  public BatchNormalization withMomentum(double momentum) {
    return new BatchNormalization(
        momentum,
        epsilon,
        center,
        scale,
        betaInitializer,
        gammaInitializer,
        movingMeanInitializer,
        movingVarianceInitializer,
        betaRegularizer,
        gammaRegularizer,
        inputDim);
  }

  @Override
  public String type() {
    return "batch_normalization";
  }

  @Override
  public String className() {
    return "BatchNormalization";
  }

  @Override
  public BatchNormalization withInputDim(int dim) {
    Layer.INPUT_DIM.check(dim);
    return new BatchNormalization(
        momentum,
        epsilon,
        center,
        scale,
        betaInitializer,
        gammaInitializer,
        movingMeanInitializer,
        movingVarianceInitializer,
        betaRegularizer,
        gammaRegularizer,
        dim);
  }

  @Override
  public int[] outputShape(int[] in) {
    return in.clone();
  }

  /** Keras' order: gamma, beta, moving_mean, moving_variance, each of the last axis' size. */
  @Override
  public List<Weight> weights(int[] shape) {
    int c = shape[shape.length - 1];
    List<Weight> weights = new ArrayList<>();
    if (scale) {
      weights.add(new Weight("gamma", new int[] {c}, gammaInitializer, gammaRegularizer));
    }
    if (center) {
      weights.add(new Weight("beta", new int[] {c}, betaInitializer, betaRegularizer));
    }
    weights.add(new Weight("moving_mean", new int[] {c}, movingMeanInitializer, null, false));
    weights.add(
        new Weight("moving_variance", new int[] {c}, movingVarianceInitializer, null, false));
    return weights;
  }

  @Override
  public boolean drawsNoise() {
    return false;
  }

  @Override
  public boolean usesBatchStatistics() {
    return true;
  }

  @Override
  public Kernel kernel(Binding b) {
    int[] in = b.inShape();
    int channels = in[in.length - 1];
    return new BatchNormalizationKernel(
        b.in() / channels,
        channels,
        epsilon,
        b.offset("gamma"),
        b.offset("beta"),
        b.offset("moving_mean"),
        b.offset("moving_variance"));
  }

  /**
   * The moving statistics after a step whose forward phase totalled {@code total} ({@link
   * BatchNormalizationKernel#statistics}): {@code moving = momentum * moving + (1 - momentum) *
   * batch}, for the mean and the biased variance, in {@code params} at {@code mean} and {@code
   * variance}.
   */
  void updateMoving(float[] params, int mean, int variance, double[] total) {
    int channels = (total.length - 1) / 2;
    double[] batch = BatchNormalizationKernel.statistics(params, mean, total);
    for (int c = 0; c < channels; c++) {
      params[mean + c] = (float) (momentum * params[mean + c] + (1 - momentum) * batch[c]);
      params[variance + c] =
          (float) (momentum * params[variance + c] + (1 - momentum) * batch[channels + c]);
    }
  }

  /**
   * ONNX's {@code BatchNormalization} in inference mode (its channel axis is 1): the flat row seen
   * as {@code [rows * positions, C]}, and back; absent gamma and beta as constants.
   */
  @Override
  public String onnx(OnnxGraph g, String x) {
    int[] in = g.inputShape();
    int c = in[in.length - 1];
    String name = g.name();
    String gamma = scale ? g.weight("gamma") : g.constant(name + "/ones", 1f, c);
    String beta = center ? g.weight("beta") : g.constant(name + "/zeros", 0f, c);
    String channels =
        g.node("Reshape", name + "/channels", List.of(x, g.ints(name + "/channels_shape", -1, c)));
    String y =
        g.node(
            "BatchNormalization",
            name,
            List.of(channels, gamma, beta, g.weight("moving_mean"), g.weight("moving_variance")),
            OnnxGraph.Attribute.of("epsilon", (float) epsilon));
    return g.reshape(y, name + "/flat", g.inputWidth());
  }

  /**
   * The kernel over {@code rows} examples of {@code positions * channels} values. Training, per
   * channel, with {@code K} the moving mean (a shift that every task has, so that the sums do not
   * lose the variance to cancellation once the moving mean tracks the batch's): the phase's partial
   * is {@code [n, sum (x - K), sum (x - K)^2]} over the pass's values, and from the batch's total
   * {@code mean = K + s1 / n}, {@code var = s2 / n - (s1 / n)^2}. {@code xhat} and each channel's
   * {@code 1 / sqrt(var + eps)} stay in scratch, with the batch's count. Backward, with {@code g =
   * dOut}: {@code dgamma += sum g xhat}, {@code dbeta += sum g}, and the phase's partial {@code
   * [sum g, sum g xhat]} gives the batch's {@code T1, T2} and {@code dIn = gamma inv / n (n g - T1
   * - xhat T2)}. Not training: {@code y = (x - moving_mean) / sqrt(moving_variance + eps) * gamma +
   * beta}.
   */
  record BatchNormalizationKernel(
      int positions,
      int channels,
      double epsilon,
      int gamma,
      int beta,
      int movingMean,
      int movingVariance)
      implements Kernel {

    @Override
    public int scratch(int rows) {
      return rows * positions * channels + channels + 1;
    }

    /**
     * The batch's mean and biased variance ({@code [2C]}) from a forward phase's {@code total},
     * shifted by the moving mean in {@code params} at {@code mean}.
     */
    static double[] statistics(float[] params, int mean, double[] total) {
      int channels = (total.length - 1) / 2;
      double n = total[0];
      double[] stats = new double[2 * channels];
      for (int c = 0; c < channels; c++) {
        double shift = total[1 + c] / n;
        stats[c] = params[mean + c] + shift;
        stats[channels + c] = Math.max(0, total[1 + channels + c] / n - shift * shift);
      }
      return stats;
    }

    @Override
    public void forward(
        float[] params,
        float[] in,
        int inOff,
        int rows,
        float[] out,
        float[] scratch,
        Workspace ws) {
      int values = rows * positions;
      int inverses = values * channels;
      double[] scaleOf = new double[channels];
      double[] meanOf = new double[channels];
      if (ws.training()) {
        double[] partial = new double[1 + 2 * channels];
        partial[0] = values;
        for (int v = 0; v < values; v++) {
          int o = inOff + v * channels;
          for (int c = 0; c < channels; c++) {
            double d = in[o + c] - params[movingMean + c];
            partial[1 + c] += d;
            partial[1 + channels + c] += d * d;
          }
        }
        double[] total = ws.exchange(partial);
        double[] stats = statistics(params, movingMean, total);
        scratch[inverses + channels] = (float) total[0];
        for (int c = 0; c < channels; c++) {
          meanOf[c] = stats[c];
          scaleOf[c] = 1 / Math.sqrt(stats[channels + c] + epsilon);
        }
      } else {
        for (int c = 0; c < channels; c++) {
          meanOf[c] = params[movingMean + c];
          scaleOf[c] = 1 / Math.sqrt(params[movingVariance + c] + epsilon);
        }
      }
      for (int c = 0; c < channels; c++) {
        scratch[inverses + c] = (float) scaleOf[c];
      }
      for (int v = 0; v < values; v++) {
        int o = v * channels;
        for (int c = 0; c < channels; c++) {
          float xhat = (float) ((in[inOff + o + c] - meanOf[c]) * scaleOf[c]);
          scratch[o + c] = xhat;
          float y = gamma >= 0 ? xhat * params[gamma + c] : xhat;
          out[o + c] = beta >= 0 ? y + params[beta + c] : y;
        }
      }
    }

    @Override
    public void backward(
        float[] params,
        float[] in,
        int inOff,
        int rows,
        float[] out,
        float[] scratch,
        float[] dOut,
        float[] dIn,
        float[] grad,
        Workspace ws) {
      int values = rows * positions;
      int inverses = values * channels;
      double[] partial = new double[2 * channels];
      for (int v = 0; v < values; v++) {
        int o = v * channels;
        for (int c = 0; c < channels; c++) {
          double d = dOut[o + c];
          partial[c] += d;
          partial[channels + c] += d * scratch[o + c];
        }
      }
      for (int c = 0; c < channels; c++) {
        if (gamma >= 0) {
          grad[gamma + c] += (float) partial[channels + c];
        }
        if (beta >= 0) {
          grad[beta + c] += (float) partial[c];
        }
      }
      if (dIn == null) {
        return; // the first layer: no phase, as Network#phaseWidths counts them
      }
      double[] total = ws.exchange(partial);
      double n = scratch[inverses + channels];
      for (int v = 0; v < values; v++) {
        int o = v * channels;
        for (int c = 0; c < channels; c++) {
          double g = gamma >= 0 ? params[gamma + c] : 1;
          double k = g * scratch[inverses + c] / n;
          dIn[o + c] =
              (float) (k * (n * dOut[o + c] - total[c] - scratch[o + c] * total[channels + c]));
        }
      }
    }
  }
}
