package org.sparkdp.ops;

import java.util.List;

/**
 * Keras' {@code SimpleRNN}: {@code input [batch, T, F] -> output [batch, units]} (the last step's)
 * or {@code [batch, T, units]} with {@code return_sequences}; from a zero state, {@code h_t =
 * activation(x_t K + h_{t-1} R + b)} with kernel {@code K [F, u]}, recurrent kernel {@code R [u,
 * u]} and bias {@code b [u]} (Keras' layout).
 *
 * @param cell the units, activation, bias, initializers and regularizers
 * @param returnSequences whether the output is every step's state or the last one's
 * @param inputDim 0: a recurrent layer takes {@code input_shape} on a model's first layer
 */
public record SimpleRNN(RecurrentCell cell, boolean returnSequences, int inputDim)
    implements Layer, RecurrentCell.Owner {
  public static final RecordSettings<SimpleRNN> SETTINGS =
      RecordSettings.of(
          SimpleRNN.class, RecurrentCell.SETTINGS, RecurrentCell.RETURN_SEQUENCES, Layer.INPUT_DIM);

  /** Keras' {@code SimpleRNN}, without dropout, state options or constraints. */
  public static final Kind KIND =
      new Kind("simple_rnn", "SimpleRNN", SETTINGS, Kind.fixed(RecurrentCell.fixed()));

  public SimpleRNN {
    java.util.Objects.requireNonNull(cell, "cell");
    if (inputDim != 0) {
      Layer.INPUT_DIM.check(inputDim);
    }
  }

  /** {@code SimpleRNN(units)} with Keras' defaults. */
  public static SimpleRNN of(int units) {
    return new SimpleRNN(RecurrentCell.of(units), false, 0);
  }

  /** This layer giving every step's state, or the last one's. */
  public SimpleRNN withReturnSequences(boolean sequences) {
    return new SimpleRNN(cell, sequences, inputDim);
  }

  /** This layer with another cell. */
  public SimpleRNN with(RecurrentCell c) {
    return new SimpleRNN(c, returnSequences, inputDim);
  }

  @Override
  public String type() {
    return "simple_rnn";
  }

  @Override
  public String className() {
    return "SimpleRNN";
  }

  @Override
  public SimpleRNN withInputDim(int dim) {
    throw RecurrentCell.needsShape("simple_rnn");
  }

  @Override
  public int[] outputShape(int[] in) {
    return cell.outputShape(in, "simple_rnn", returnSequences);
  }

  @Override
  public List<Weight> weights(int[] in) {
    return cell.weights(in, "simple_rnn", 1, new int[] {cell.units()}, cell.biasInitializer());
  }

  @Override
  public boolean drawsNoise() {
    return false;
  }

  @Override
  public Kernel kernel(Binding b) {
    int[] in = b.inShape();
    return new RecurrentKernels.SimpleKernel(
        new RecurrentKernels.Shape(in[0], in[1], cell.units(), returnSequences),
        b.offset("kernel"),
        b.offset("recurrent_kernel"),
        b.offset("bias"),
        cell.activation());
  }

  /** ONNX's {@code RNN} (activation f = activation) between transposes. */
  @Override
  public String onnx(OnnxGraph g, String x) {
    return cell.onnx(
        g, x, "RNN", new int[] {0}, false, returnSequences, List.of(cell.activation()));
  }
}
