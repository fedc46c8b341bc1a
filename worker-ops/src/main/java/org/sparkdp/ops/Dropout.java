package org.sparkdp.ops;

import java.util.List;

/**
 * Keras' {@code Dropout}: {@code [batch, n] -> [batch, n]}. In training each value is kept with
 * probability {@code 1 - rate} and scaled by {@code 1 / (1 - rate)} (inverted dropout, as Keras),
 * else set to 0; in evaluation and prediction the layer passes its input through.
 *
 * <p>Whether a value is kept is a function of the seed, the epoch, the example's global id, the
 * layer's position and the unit (a counter-based generator, {@link Seeds}), so the masks, and with
 * them the trained weights, do not depend on how the data is partitioned.
 *
 * @param rate the fraction of values dropped, in {@code [0, 1)}
 * @param seed the masks' seed, or {@code null} for the fit's seed
 * @param inputDim the input width on a model's first layer, else 0
 */
public record Dropout(double rate, Long seed, int inputDim) implements Layer {
  public static final Setting<Double> RATE =
      Setting.fraction("rate", null, "the fraction of the inputs dropped in training");
  public static final Setting<Long> SEED =
      Setting.longInteger("seed", null, "the masks' seed").optional().shownAs("fit.seed");
  public static final RecordSettings<Dropout> SETTINGS =
      RecordSettings.of(Dropout.class, RATE, SEED, Layer.INPUT_DIM);

  /** Keras' {@code Dropout}; a noise shape is an option sparkdp does not have. */
  public static final Kind KIND =
      new Kind("dropout", "Dropout", SETTINGS, Kind.fixed("noise_shape", null));

  public Dropout {
    RATE.check(rate);
    if (inputDim != 0) {
      Layer.INPUT_DIM.check(inputDim);
    }
  }

  /** {@code Dropout(rate)}, its masks seeded by the fit's seed. */
  public static Dropout of(double rate) {
    return new Dropout(rate, null, 0);
  }

  @Override
  public String type() {
    return "dropout";
  }

  @Override
  public String className() {
    return "Dropout";
  }

  @Override
  public Dropout withInputDim(int dim) {
    Layer.INPUT_DIM.check(dim);
    return new Dropout(rate, seed, dim);
  }

  @Override
  public int[] outputShape(int[] in) {
    return in.clone();
  }

  @Override
  public List<Weight> weights(int[] in) {
    return List.of();
  }

  @Override
  public boolean drawsNoise() {
    return rate > 0;
  }

  @Override
  public Kernel kernel(Binding b) {
    return new Kernels.DropoutKernel(b.in(), rate, seed != null ? seed : b.seed(), b.layer());
  }

  /** {@code Identity}: ONNX graphs predict, and dropout passes its input through then. */
  @Override
  public String onnx(OnnxGraph g, String x) {
    return g.node("Identity", g.name(), List.of(x));
  }
}
