package org.sparkdp.ops;

import java.util.List;

/**
 * Keras' {@code LSTM} (Hochreiter and Schmidhuber, 1997): {@code input [batch, T, F] -> output
 * [batch, units]} (the last step's state) or {@code [batch, T, units]} with {@code
 * return_sequences}. From a zero state, at each step {@code z = x_t K + h_{t-1} R + b} with kernel
 * {@code K [F, 4u]}, recurrent kernel {@code R [u, 4u]} and bias {@code b [4u]}, their columns the
 * gates i, f, c, o (Keras' layout); {@code i, f, o = recurrent_activation(z_i, z_f, z_o)}, {@code
 * c_t = f c_{t-1} + i activation(z_c)}, {@code h_t = o activation(c_t)}.
 *
 * @param cell the units, activation, bias, initializers and regularizers
 * @param recurrentActivation the gates' activation (sigmoid)
 * @param unitForgetBias whether the forget gate's bias starts at 1 (the rest from the bias
 *     initializer), as Keras' default
 * @param returnSequences whether the output is every step's state or the last one's
 * @param inputDim 0: a recurrent layer takes {@code input_shape} on a model's first layer
 */
public record LSTM(
    RecurrentCell cell,
    Activation recurrentActivation,
    boolean unitForgetBias,
    boolean returnSequences,
    int inputDim)
    implements Layer, RecurrentCell.Owner {
  public static final Setting<Boolean> UNIT_FORGET_BIAS =
      Setting.bool(
          "unit_forget_bias",
          true,
          "whether the forget gate's bias starts at 1 (Jozefowicz et al.)");
  public static final RecordSettings<LSTM> SETTINGS =
      RecordSettings.of(
          LSTM.class,
          RecurrentCell.SETTINGS,
          RecurrentCell.RECURRENT_ACTIVATION,
          UNIT_FORGET_BIAS,
          RecurrentCell.RETURN_SEQUENCES,
          Layer.INPUT_DIM);

  /** Keras' {@code LSTM}, without dropout, state options or constraints. */
  public static final Kind KIND =
      new Kind(
          "lstm",
          "LSTM",
          SETTINGS,
          Kind.fixed(RecurrentCell.fixed("seed", null, "implementation", List.of(2, 1))));

  /** Keras' gates i, f, c, o in ONNX's order i, o, f, c. */
  private static final int[] ONNX_GATES = {0, 3, 1, 2};

  public LSTM {
    java.util.Objects.requireNonNull(cell, "cell");
    RecurrentCell.RECURRENT_ACTIVATION.check(recurrentActivation);
    if (inputDim != 0) {
      Layer.INPUT_DIM.check(inputDim);
    }
  }

  /** {@code LSTM(units)} with Keras' defaults. */
  public static LSTM of(int units) {
    return new LSTM(RecurrentCell.of(units), Activation.SIGMOID, true, false, 0);
  }

  /** This layer giving every step's state, or the last one's. */
  public LSTM withReturnSequences(boolean sequences) {
    return new LSTM(cell, recurrentActivation, unitForgetBias, sequences, inputDim);
  }

  /** This layer with another cell and gate activation, and unit_forget_bias. */
  public LSTM with(RecurrentCell c, Activation gates, boolean forgetBias) {
    return new LSTM(c, gates, forgetBias, returnSequences, inputDim);
  }

  @Override
  public String type() {
    return "lstm";
  }

  @Override
  public String className() {
    return "LSTM";
  }

  @Override
  public LSTM withInputDim(int dim) {
    throw RecurrentCell.needsShape("lstm");
  }

  @Override
  public int[] outputShape(int[] in) {
    return cell.outputShape(in, "lstm", returnSequences);
  }

  @Override
  public List<Weight> weights(int[] in) {
    int u = cell.units();
    Initializer bias =
        unitForgetBias
            ? new Initializer.UnitForgetBias(cell.biasInitializer())
            : cell.biasInitializer();
    return cell.weights(in, "lstm", 4, new int[] {4 * u}, bias);
  }

  @Override
  public boolean drawsNoise() {
    return false;
  }

  @Override
  public Kernel kernel(Binding b) {
    int[] in = b.inShape();
    return new RecurrentKernels.LstmKernel(
        new RecurrentKernels.Shape(in[0], in[1], cell.units(), returnSequences),
        b.offset("kernel"),
        b.offset("recurrent_kernel"),
        b.offset("bias"),
        cell.activation(),
        recurrentActivation);
  }

  /**
   * ONNX's {@code LSTM} (gates in its order i, o, f, c; activations f = recurrent_activation, g = h
   * = activation; no peepholes) between transposes.
   */
  @Override
  public String onnx(OnnxGraph g, String x) {
    return cell.onnx(
        g,
        x,
        "LSTM",
        ONNX_GATES,
        false,
        returnSequences,
        List.of(recurrentActivation, cell.activation(), cell.activation()));
  }
}
