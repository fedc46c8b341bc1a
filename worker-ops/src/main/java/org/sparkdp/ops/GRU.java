package org.sparkdp.ops;

import java.util.List;

/**
 * Keras' {@code GRU} (Cho et al., 2014): {@code input [batch, T, F] -> output [batch, units]} (the
 * last step's state) or {@code [batch, T, units]} with {@code return_sequences}. From a zero state,
 * with kernel {@code K [F, 3u]} and recurrent kernel {@code R [u, 3u]}, their columns the gates z,
 * r, h (Keras' layout): {@code z, r = recurrent_activation(x_t K_zr + h_{t-1} R_zr + b)}, the
 * candidate {@code hh = activation(x_t K_h + b_h + r (h_{t-1} R_h + b'_h))} with {@code
 * reset_after} (Keras 3's default; bias {@code [2, 3u]}, its second row the recurrent bias {@code
 * b'}) or {@code activation(x_t K_h + b_h + (r h_{t-1}) R_h)} without (bias {@code [3u]}); {@code
 * h_t = z h_{t-1} + (1 - z) hh}.
 *
 * @param cell the units, activation, bias, initializers and regularizers
 * @param recurrentActivation the gates' activation (sigmoid)
 * @param resetAfter whether the reset gate multiplies the recurrent product (true) or the state
 *     before it (false)
 * @param returnSequences whether the output is every step's state or the last one's
 * @param inputDim 0: a recurrent layer takes {@code input_shape} on a model's first layer
 */
public record GRU(
    RecurrentCell cell,
    Activation recurrentActivation,
    boolean resetAfter,
    boolean returnSequences,
    int inputDim)
    implements Layer, RecurrentCell.Owner {
  public static final Setting<Boolean> RESET_AFTER =
      Setting.bool(
          "reset_after",
          true,
          "true: the reset gate multiplies h R + b' (and the bias is [2, 3 units]); false: it"
              + " multiplies h before R");
  public static final RecordSettings<GRU> SETTINGS =
      RecordSettings.of(
          GRU.class,
          RecurrentCell.SETTINGS,
          RecurrentCell.RECURRENT_ACTIVATION,
          RESET_AFTER,
          RecurrentCell.RETURN_SEQUENCES,
          Layer.INPUT_DIM);

  /** Keras' {@code GRU}, without dropout, state options or constraints. */
  public static final Kind KIND =
      new Kind(
          "gru",
          "GRU",
          SETTINGS,
          Kind.fixed(RecurrentCell.fixed("seed", null, "implementation", List.of(2, 1))));

  public GRU {
    java.util.Objects.requireNonNull(cell, "cell");
    RecurrentCell.RECURRENT_ACTIVATION.check(recurrentActivation);
    if (inputDim != 0) {
      Layer.INPUT_DIM.check(inputDim);
    }
  }

  /** {@code GRU(units)} with Keras 3's defaults (reset_after). */
  public static GRU of(int units) {
    return new GRU(RecurrentCell.of(units), Activation.SIGMOID, true, false, 0);
  }

  /** This layer giving every step's state, or the last one's. */
  public GRU withReturnSequences(boolean sequences) {
    return new GRU(cell, recurrentActivation, resetAfter, sequences, inputDim);
  }

  /** This layer with another cell and gate activation, and reset_after. */
  public GRU with(RecurrentCell c, Activation gates, boolean after) {
    return new GRU(c, gates, after, returnSequences, inputDim);
  }

  @Override
  public String type() {
    return "gru";
  }

  @Override
  public String className() {
    return "GRU";
  }

  @Override
  public GRU withInputDim(int dim) {
    throw RecurrentCell.needsShape("gru");
  }

  @Override
  public int[] outputShape(int[] in) {
    return cell.outputShape(in, "gru", returnSequences);
  }

  @Override
  public List<Weight> weights(int[] in) {
    int u = cell.units();
    int[] bias = resetAfter ? new int[] {2, 3 * u} : new int[] {3 * u};
    return cell.weights(in, "gru", 3, bias, cell.biasInitializer());
  }

  @Override
  public boolean drawsNoise() {
    return false;
  }

  @Override
  public Kernel kernel(Binding b) {
    int[] in = b.inShape();
    return new RecurrentKernels.GruKernel(
        new RecurrentKernels.Shape(in[0], in[1], cell.units(), returnSequences),
        b.offset("kernel"),
        b.offset("recurrent_kernel"),
        b.offset("bias"),
        cell.activation(),
        recurrentActivation,
        resetAfter);
  }

  /**
   * ONNX's {@code GRU} (gates z, r, h as Keras'; {@code linear_before_reset} = reset_after;
   * activations f = recurrent_activation, g = activation) between transposes.
   */
  @Override
  public String onnx(OnnxGraph g, String x) {
    return cell.onnx(
        g,
        x,
        "GRU",
        new int[] {0, 1, 2},
        resetAfter,
        returnSequences,
        List.of(recurrentActivation, cell.activation()),
        OnnxGraph.Attribute.of("linear_before_reset", resetAfter ? 1L : 0L));
  }
}
