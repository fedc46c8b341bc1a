package org.sparkdp.ops;

import java.util.ArrayList;
import java.util.List;

/**
 * Keras' {@code LayerNormalization} over the features of each example: {@code [batch, n] -> [batch,
 * n]}, {@code y = (x - mean(x)) / sqrt(var(x) + epsilon) * gamma + beta} with the mean and
 * (population) variance of the row, and weights {@code gamma [n]}, {@code beta [n]} (Ba et al.,
 * 2016). Each example is normalised on its own, so the layer is exact under any partitioning.
 *
 * @param epsilon added to the variance, positive (Keras' default 1e-3)
 * @param center whether there is a {@code beta}
 * @param scale whether there is a {@code gamma}
 * @param betaInitializer how beta starts (zeros)
 * @param gammaInitializer how gamma starts (ones)
 * @param betaRegularizer beta's penalty, or {@code null}
 * @param gammaRegularizer gamma's penalty, or {@code null}
 * @param inputDim the input width on a model's first layer, else 0
 */
public record LayerNormalization(
    double epsilon,
    boolean center,
    boolean scale,
    Initializer betaInitializer,
    Initializer gammaInitializer,
    Regularizer betaRegularizer,
    Regularizer gammaRegularizer,
    int inputDim)
    implements Layer {
  public static final Setting<Double> EPSILON =
      Setting.positive("epsilon", 1e-3, "added to the variance");
  public static final Setting<Boolean> CENTER =
      Setting.bool("center", true, "whether to add the offset beta");
  public static final Setting<Boolean> SCALE =
      Setting.bool("scale", true, "whether to multiply by gamma");
  public static final Setting<Initializer> BETA_INITIALIZER =
      Initializer.setting("beta_initializer", Initializer.ZEROS, "how beta starts");
  public static final Setting<Initializer> GAMMA_INITIALIZER =
      Initializer.setting("gamma_initializer", Initializer.ONES, "how gamma starts");
  public static final Setting<Regularizer> BETA_REGULARIZER =
      Regularizer.setting("beta_regularizer", "beta's penalty, added to the loss");
  public static final Setting<Regularizer> GAMMA_REGULARIZER =
      Regularizer.setting("gamma_regularizer", "gamma's penalty, added to the loss");
  public static final RecordSettings<LayerNormalization> SETTINGS =
      RecordSettings.of(
          LayerNormalization.class,
          EPSILON,
          CENTER,
          SCALE,
          BETA_INITIALIZER,
          GAMMA_INITIALIZER,
          BETA_REGULARIZER,
          GAMMA_REGULARIZER,
          Layer.INPUT_DIM);

  /**
   * Keras' {@code LayerNormalization} over the last axis ({@code axis} -1, or 1 as Keras 2 wrote it
   * for vectors), without RMS scaling or constraints.
   */
  public static final Kind KIND =
      new Kind(
          "layer_normalization",
          "LayerNormalization",
          SETTINGS,
          Kind.fixed(
              "axis",
              List.of(-1, 1),
              "rms_scaling",
              false,
              "beta_constraint",
              null,
              "gamma_constraint",
              null));

  public LayerNormalization {
    EPSILON.check(epsilon);
    BETA_INITIALIZER.check(betaInitializer);
    GAMMA_INITIALIZER.check(gammaInitializer);
    if (inputDim != 0) {
      Layer.INPUT_DIM.check(inputDim);
    }
  }

  /** Keras' defaults: epsilon 1e-3, gamma and beta, starting at ones and zeros. */
  public static LayerNormalization defaults() {
    return SETTINGS.defaults();
  }

  @Override
  public String type() {
    return "layer_normalization";
  }

  @Override
  public String className() {
    return "LayerNormalization";
  }

  @Override
  public LayerNormalization withInputDim(int dim) {
    Layer.INPUT_DIM.check(dim);
    return new LayerNormalization(
        epsilon,
        center,
        scale,
        betaInitializer,
        gammaInitializer,
        betaRegularizer,
        gammaRegularizer,
        dim);
  }

  @Override
  public int[] outputShape(int[] in) {
    Layer.vector(in, "layer_normalization");
    return in.clone();
  }

  /** Keras' order: gamma, then beta. */
  @Override
  public List<Weight> weights(int[] shape) {
    int in = Layer.vector(shape, "layer_normalization");
    List<Weight> weights = new ArrayList<>();
    if (scale) {
      weights.add(new Weight("gamma", new int[] {in}, gammaInitializer, gammaRegularizer));
    }
    if (center) {
      weights.add(new Weight("beta", new int[] {in}, betaInitializer, betaRegularizer));
    }
    return weights;
  }

  @Override
  public boolean drawsNoise() {
    return false;
  }

  @Override
  public Kernel kernel(Binding b) {
    return new Kernels.NormalizationKernel(b.in(), epsilon, b.offset("gamma"), b.offset("beta"));
  }

  /**
   * ONNX's {@code LayerNormalization} (opset 17) over the last axis, absent gamma and beta as
   * constants.
   */
  @Override
  public String onnx(OnnxGraph g, String x) {
    String gamma = scale ? g.weight("gamma") : g.constant(g.name() + "/ones", 1f, g.inputWidth());
    String beta = center ? g.weight("beta") : g.constant(g.name() + "/zeros", 0f, g.inputWidth());
    return g.node(
        "LayerNormalization",
        g.name(),
        List.of(x, gamma, beta),
        OnnxGraph.Attribute.of("axis", -1L),
        OnnxGraph.Attribute.of("epsilon", (float) epsilon));
  }
}
