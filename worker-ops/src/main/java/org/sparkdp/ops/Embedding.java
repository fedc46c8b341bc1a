package org.sparkdp.ops;

import java.util.List;

/**
 * Keras' {@code Embedding}: {@code input [batch, T] -> output [batch, T, output_dim]}, each input
 * value an id in {@code [0, input_dim)} that picks a row of the table {@code embeddings [input_dim,
 * output_dim]} (Keras' layout); the output row is {@code out[t * D + d] = E[x_t, d]}. Ids come from
 * the data, which has no gradient, so an embedding is always a model's first layer; its backward
 * pass adds each output's gradient into the row of its id, rows and steps in order (the same sums
 * in the same order on any partitioning). An id that is not an integer in range is a data error,
 * checked with the data before training ({@link #checkInput}) and again here.
 *
 * @param vocabularySize Keras' {@code input_dim}: the number of ids, at most 2^24 (ids are float32
 *     values, exact up to 2^24)
 * @param outputDim the width of an id's vector
 * @param embeddingsInitializer how the table starts (Keras' uniform on [-0.05, 0.05])
 * @param embeddingsRegularizer the table's penalty in the loss, or {@code null}
 * @param maskZero Keras' {@code mask_zero}; sparkdp has no masking, so only {@code false}
 * @param inputLength the sequence length T (Keras 2's {@code input_length}); 0: from {@code
 *     input_shape}
 */
public record Embedding(
    int vocabularySize,
    int outputDim,
    Initializer embeddingsInitializer,
    Regularizer embeddingsRegularizer,
    boolean maskZero,
    int inputLength)
    implements Layer {

  /** The most ids: float32 holds every integer up to 2^24 exactly. */
  public static final int MAX_IDS = 1 << 24;

  public static final Setting<Integer> INPUT_DIM =
      Setting.integer(
              "input_dim",
              null,
              1,
              MAX_IDS,
              "the number of ids (the vocabulary's size): ids are integers in [0, input_dim)")
          .javaNamed("vocabularySize");
  public static final Setting<Integer> OUTPUT_DIM =
      Setting.integer("output_dim", null, 1, "the width of an id's vector");
  public static final Setting<Initializer> EMBEDDINGS_INITIALIZER =
      Initializer.setting(
              "embeddings_initializer",
              new Initializer.RandomUniform(-0.05, 0.05),
              "how the table starts")
          .shownAs("uniform (random_uniform on [-0.05, 0.05])");
  public static final Setting<Regularizer> EMBEDDINGS_REGULARIZER =
      Regularizer.setting("embeddings_regularizer", "the table's penalty, added to the loss");
  public static final Setting<Boolean> MASK_ZERO =
      Setting.of(
          "mask_zero",
          false,
          "false (sparkdp has no masking: id 0 is embedded as any other)",
          v -> v.isBoolean() ? v.booleanValue() : null,
          com.fasterxml.jackson.databind.node.BooleanNode::valueOf,
          v -> !v,
          "Keras' masking of id 0 as padding; not supported");
  public static final Setting<Integer> INPUT_LENGTH =
      Setting.integer(
              "input_length",
              0,
              1,
              "the sequence length (Keras 2); on the first layer only, or give input_shape: [T]")
          .shownAs("(input_shape)");
  public static final RecordSettings<Embedding> SETTINGS =
      RecordSettings.of(
          Embedding.class,
          INPUT_DIM,
          OUTPUT_DIM,
          EMBEDDINGS_INITIALIZER,
          EMBEDDINGS_REGULARIZER,
          MASK_ZERO,
          INPUT_LENGTH);

  /** Keras' {@code Embedding}, without constraint. */
  public static final Kind KIND =
      new Kind("embedding", "Embedding", SETTINGS, Kind.fixed("embeddings_constraint", null));

  public Embedding {
    INPUT_DIM.check(vocabularySize);
    OUTPUT_DIM.check(outputDim);
    EMBEDDINGS_INITIALIZER.check(embeddingsInitializer);
    MASK_ZERO.check(maskZero);
    if (inputLength != 0) {
      INPUT_LENGTH.check(inputLength);
    }
  }

  /** {@code Embedding(input_dim, output_dim)} with Keras' defaults. */
  public static Embedding of(int inputDim, int outputDim) {
    return new Embedding(
        inputDim, outputDim, EMBEDDINGS_INITIALIZER.defaultValue(), null, false, 0);
  }

  /** This layer with another initializer and regularizer ({@code null}: none). */
  public Embedding with(Initializer initializer, Regularizer regularizer) {
    return new Embedding(
        vocabularySize, outputDim, initializer, regularizer, maskZero, inputLength);
  }

  @Override
  public String type() {
    return "embedding";
  }

  @Override
  public String className() {
    return "Embedding";
  }

  /** The input width: the sequence length T ({@code input_dim} is the vocabulary's size). */
  @Override
  public int inputDim() {
    return inputLength;
  }

  @Override
  public Embedding withInputDim(int length) {
    INPUT_LENGTH.check(length);
    return new Embedding(
        vocabularySize, outputDim, embeddingsInitializer, embeddingsRegularizer, maskZero, length);
  }

  @Override
  public boolean takesIds() {
    return true;
  }

  private static int length(int[] in) {
    if (in.length != 1) {
      throw new ConfigException(
          "embedding takes a sequence of ids, input_shape [T], not an input of shape "
              + java.util.Arrays.toString(in));
    }
    return in[0];
  }

  @Override
  public int[] outputShape(int[] in) {
    return new int[] {length(in), outputDim};
  }

  @Override
  public List<Weight> weights(int[] in) {
    length(in);
    return List.of(
        new Weight(
            "embeddings",
            new int[] {vocabularySize, outputDim},
            embeddingsInitializer,
            embeddingsRegularizer));
  }

  @Override
  public String describe(int in) {
    return String.format(
        java.util.Locale.ROOT,
        "an Embedding layer of %d ids and output_dim %d",
        vocabularySize,
        outputDim);
  }

  @Override
  public boolean drawsNoise() {
    return false;
  }

  /**
   * What is wrong with {@code v} as an id of a table of {@code ids} rows ({@code "12.5 is not an
   * embedding id in [0, 1000)"}), or {@code null}.
   */
  static String idProblem(float v, int ids) {
    if (v >= 0 && v < ids && v == Math.rint(v)) {
      return null;
    }
    String shown =
        Float.isFinite(v) && v == Math.rint(v) ? Long.toString((long) v) : Float.toString(v);
    return shown + " is not an embedding id in [0, " + ids + ")";
  }

  /** The first value of an example that is not an id, as {@code value 3 is 12.5, not ...}. */
  @Override
  public String checkInput(float[] x, int off) {
    for (int t = 0; t < inputLength; t++) {
      String bad = idProblem(x[off + t], vocabularySize);
      if (bad != null) {
        return "value " + t + ": " + bad;
      }
    }
    return null;
  }

  @Override
  public Kernel kernel(Binding b) {
    return new EmbeddingKernel(b.in(), vocabularySize, outputDim, b.offset("embeddings"));
  }

  /**
   * ONNX's {@code Gather} of the table's rows at the ids cast to int64, then the {@code [batch, T,
   * D]} result as its flat row.
   */
  @Override
  public String onnx(OnnxGraph g, String x) {
    String name = g.name();
    String ids =
        g.node(
            "Cast",
            name + "/ids",
            List.of(x),
            OnnxGraph.Attribute.of("to", 7L)); // TensorProto.INT64
    String gathered =
        g.node(
            "Gather",
            name + "/gather",
            List.of(g.weight("embeddings"), ids),
            OnnxGraph.Attribute.of("axis", 0L));
    return g.reshape(gathered, name + "/flat", g.inputWidth() * outputDim);
  }

  /**
   * {@code out[r, t, :] = E[x[r, t], :]}; backward {@code dE[x[r, t], :] += dOut[r, t, :]} for
   * {@code r}, then {@code t}, in order. No scratch; the input has no gradient ({@code dIn} zero).
   */
  record EmbeddingKernel(int length, int ids, int dim, int embeddings) implements Kernel {
    @Override
    public int scratch(int rows) {
      return 0;
    }

    private int id(float[] x, int at, int r, int t) {
      float v = x[at];
      String bad = idProblem(v, ids);
      if (bad != null) {
        throw new IllegalArgumentException(
            "embedding: example " + r + " of the batch, value " + t + ": " + bad);
      }
      return (int) v;
    }

    @Override
    public void forward(
        float[] params, float[] x, int xOff, int rows, float[] out, float[] scratch, Workspace ws) {
      for (int r = 0; r < rows; r++) {
        for (int t = 0; t < length; t++) {
          int at = r * length + t;
          int id = id(x, xOff + at, r, t);
          System.arraycopy(params, embeddings + id * dim, out, at * dim, dim);
        }
      }
    }

    @Override
    public void backward(
        float[] params,
        float[] x,
        int xOff,
        int rows,
        float[] out,
        float[] scratch,
        float[] dOut,
        float[] dIn,
        float[] grad,
        Workspace ws) {
      for (int r = 0; r < rows; r++) {
        for (int t = 0; t < length; t++) {
          int at = r * length + t;
          int row = embeddings + id(x, xOff + at, r, t) * dim;
          int from = at * dim;
          for (int d = 0; d < dim; d++) {
            grad[row + d] += dOut[from + d];
          }
        }
      }
      if (dIn != null) {
        java.util.Arrays.fill(dIn, 0, rows * length, 0f);
      }
    }

    /**
     * Example {@code r}'s gradient is, for each distinct id of its row, the sum of {@code dOut}
     * over the positions holding that id (zero elsewhere): its squared norm is summed id by id,
     * without the table-sized gradient.
     */
    @Override
    public boolean backwardNorms(
        float[] params,
        float[] x,
        int xOff,
        int rows,
        float[] out,
        float[] scratch,
        float[] dOut,
        float[] dIn,
        double[] norms,
        float[] rowScratch,
        float[] rowGrad,
        Workspace ws) {
      double[] sum = new double[dim];
      for (int r = 0; r < rows; r++) {
        int row = xOff + r * length;
        double squares = 0;
        for (int t = 0; t < length; t++) {
          id(x, row + t, r, t); // fails on a value that is not an id, as backward does
          boolean seen = false;
          for (int u = 0; u < t && !seen; u++) {
            seen = x[row + u] == x[row + t];
          }
          if (seen) {
            continue;
          }
          java.util.Arrays.fill(sum, 0);
          for (int u = t; u < length; u++) {
            if (x[row + u] == x[row + t]) {
              int from = (r * length + u) * dim;
              for (int d = 0; d < dim; d++) {
                sum[d] += dOut[from + d];
              }
            }
          }
          for (int d = 0; d < dim; d++) {
            squares += sum[d] * sum[d];
          }
        }
        norms[r] += squares;
      }
      if (dIn != null) {
        java.util.Arrays.fill(dIn, 0, rows * length, 0f);
      }
      return true;
    }
  }
}
