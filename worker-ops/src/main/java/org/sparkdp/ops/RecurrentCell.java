package org.sparkdp.ops;

import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What Keras' recurrent layers ({@link SimpleRNN}, {@link LSTM}, {@link GRU}) share: the state's
 * width, the activation, the bias, and the three weights' initializers and regularizers. A group of
 * settings ({@link RecordSettings}): its keys sit beside the layer's own, as Keras' arguments do.
 * Each layer takes a sequence {@code [timesteps, features]} (a flat row, step {@code t}'s feature
 * {@code f} at {@code t * features + f}) and starts from a zero state, as Keras does without {@code
 * initial_state}.
 *
 * @param units the width of the state and of each step's output, positive
 * @param activation the candidate state's (and LSTM's output's) activation (tanh)
 * @param useBias whether the layer has a bias
 * @param kernelInitializer how the input kernel starts (glorot_uniform)
 * @param recurrentInitializer how the recurrent kernel starts (orthogonal)
 * @param biasInitializer how the bias starts (zeros)
 * @param kernelRegularizer the input kernel's penalty in the loss, or {@code null}
 * @param recurrentRegularizer the recurrent kernel's penalty in the loss, or {@code null}
 * @param biasRegularizer the bias' penalty in the loss, or {@code null}
 */
public record RecurrentCell(
    int units,
    Activation activation,
    boolean useBias,
    Initializer kernelInitializer,
    Initializer recurrentInitializer,
    Initializer biasInitializer,
    Regularizer kernelRegularizer,
    Regularizer recurrentRegularizer,
    Regularizer biasRegularizer)
    implements java.io.Serializable {
  public static final Setting<Integer> UNITS =
      Setting.integer("units", null, 1, "the width of the state and of each step's output");
  public static final Setting<Activation> ACTIVATION =
      elementWise("activation", Activation.TANH, "applied to the candidate state");
  public static final Setting<Initializer> RECURRENT_INITIALIZER =
      Initializer.setting(
              "recurrent_initializer",
              new Initializer.Orthogonal(1.0),
              "how the recurrent kernel starts")
          .shownAs("orthogonal");
  public static final Setting<Regularizer> RECURRENT_REGULARIZER =
      Regularizer.setting(
          "recurrent_regularizer", "the recurrent kernel's penalty, added to the loss");
  public static final RecordSettings<RecurrentCell> SETTINGS =
      RecordSettings.of(
          RecurrentCell.class,
          UNITS,
          ACTIVATION,
          Dense.USE_BIAS,
          Dense.KERNEL_INITIALIZER,
          RECURRENT_INITIALIZER,
          Dense.BIAS_INITIALIZER,
          Dense.KERNEL_REGULARIZER,
          RECURRENT_REGULARIZER,
          Dense.BIAS_REGULARIZER);

  /** The gates' activation of LSTM and GRU (sigmoid). */
  public static final Setting<Activation> RECURRENT_ACTIVATION =
      elementWise("recurrent_activation", Activation.SIGMOID, "applied to the gates");

  public static final Setting<Boolean> RETURN_SEQUENCES =
      Setting.bool(
          "return_sequences",
          false,
          "true: every step's output [timesteps, units]; false: the last step's [units]");

  /**
   * Keras' keys of a recurrent layer that sparkdp does not have (dropout of the inputs or the
   * state, a state kept or returned, the sequence reversed, constraints), refused unless they have
   * their default; {@code unroll} and {@code zero_output_for_mask} change nothing without masks.
   */
  static final Object[] FIXED = {
    "return_state",
    false,
    "go_backwards",
    false,
    "stateful",
    false,
    "unroll",
    List.of(false, true),
    "zero_output_for_mask",
    List.of(false, true),
    "dropout",
    List.of(0.0, 0),
    "recurrent_dropout",
    List.of(0.0, 0),
    "kernel_constraint",
    null,
    "recurrent_constraint",
    null,
    "bias_constraint",
    null
  };

  /** {@link #FIXED} and a kind's own fixed keys. */
  static Object[] fixed(Object... more) {
    Object[] all = Arrays.copyOf(FIXED, FIXED.length + more.length);
    System.arraycopy(more, 0, all, FIXED.length, more.length);
    return all;
  }

  /**
   * A recurrent layer: its weights are its cell's, which Keras keeps under the cell ({@code
   * layers/lstm/cell/vars} in a {@code .keras} file).
   */
  public interface Owner {
    /** The shared settings. */
    RecurrentCell cell();
  }

  public RecurrentCell {
    UNITS.check(units);
    ACTIVATION.check(activation);
    Dense.KERNEL_INITIALIZER.check(kernelInitializer);
    RECURRENT_INITIALIZER.check(recurrentInitializer);
    Dense.BIAS_INITIALIZER.check(biasInitializer);
  }

  /** {@code units} with Keras' defaults: tanh, a bias, glorot_uniform, orthogonal, zeros. */
  public static RecurrentCell of(int units) {
    return new RecurrentCell(
        units,
        Activation.TANH,
        true,
        Initializer.GLOROT_UNIFORM,
        new Initializer.Orthogonal(1.0),
        Initializer.ZEROS,
        null,
        null,
        null);
  }

  /** This cell with another activation. */
  public RecurrentCell withActivation(Activation f) {
    return new RecurrentCell(
        units,
        f,
        useBias,
        kernelInitializer,
        recurrentInitializer,
        biasInitializer,
        kernelRegularizer,
        recurrentRegularizer,
        biasRegularizer);
  }

  /** This cell with or without a bias. */
  public RecurrentCell withUseBias(boolean bias) {
    return new RecurrentCell(
        units,
        activation,
        bias,
        kernelInitializer,
        recurrentInitializer,
        biasInitializer,
        kernelRegularizer,
        recurrentRegularizer,
        biasRegularizer);
  }

  /** This cell with these regularizers ({@code null}: none). */
  public RecurrentCell withRegularizers(
      Regularizer kernel, Regularizer recurrent, Regularizer bias) {
    return new RecurrentCell(
        units,
        activation,
        useBias,
        kernelInitializer,
        recurrentInitializer,
        biasInitializer,
        kernel,
        recurrent,
        bias);
  }

  /** This cell with these initializers. */
  public RecurrentCell withInitializers(
      Initializer kernel, Initializer recurrent, Initializer bias) {
    return new RecurrentCell(
        units,
        activation,
        useBias,
        kernel,
        recurrent,
        bias,
        kernelRegularizer,
        recurrentRegularizer,
        biasRegularizer);
  }

  /**
   * An activation setting without softmax: a recurrent layer applies its activations element by
   * element to parts of a step.
   */
  static Setting<Activation> elementWise(String key, Activation defaultValue, String doc) {
    List<String> names =
        Arrays.stream(Activation.values())
            .filter(a -> a != Activation.SOFTMAX)
            .map(Setting::name)
            .toList();
    return Setting.of(
        key,
        defaultValue,
        "one of " + names,
        v -> {
          if (!v.isTextual()) {
            return null;
          }
          String wanted = v.asText().trim().toLowerCase(Locale.ROOT);
          return Arrays.stream(Activation.values())
              .filter(a -> Setting.name(a).equals(wanted))
              .findFirst()
              .orElse(null);
        },
        v -> TextNode.valueOf(Setting.name(v)),
        v -> v != Activation.SOFTMAX,
        doc);
  }

  /** Fails unless {@code in} is a sequence {@code [timesteps, features]}. */
  static void checkSequence(int[] in, String type) {
    if (in.length != 2) {
      throw new ConfigException(
          type
              + " takes sequences [timesteps, features], not an input of shape "
              + Arrays.toString(in)
              + " (give input_shape: [timesteps, features], or put a reshape before it)");
    }
  }

  /** {@code [timesteps, units]} or {@code [units]}. */
  int[] outputShape(int[] in, String type, boolean returnSequences) {
    checkSequence(in, type);
    return returnSequences ? new int[] {in[0], units} : new int[] {units};
  }

  /**
   * Keras' weights of a cell of {@code gates} gates: {@code kernel [features, gates * units]},
   * {@code recurrent_kernel [units, gates * units]}, {@code bias} of {@code biasShape}.
   */
  List<Layer.Weight> weights(
      int[] in, String type, int gates, int[] biasShape, Initializer biasStart) {
    checkSequence(in, type);
    List<Layer.Weight> weights = new ArrayList<>();
    weights.add(
        new Layer.Weight(
            "kernel", new int[] {in[1], gates * units}, kernelInitializer, kernelRegularizer));
    weights.add(
        new Layer.Weight(
            "recurrent_kernel",
            new int[] {units, gates * units},
            recurrentInitializer,
            recurrentRegularizer));
    if (useBias) {
      weights.add(new Layer.Weight("bias", biasShape, biasStart, biasRegularizer));
    }
    return weights;
  }

  /** The message for an input width given where a sequence's shape is needed. */
  static ConfigException needsShape(String type) {
    return new ConfigException(
        type + " takes sequences [timesteps, features]: give input_shape, not input_dim");
  }

  /**
   * ONNX's {@code RNN}, {@code LSTM} or {@code GRU} operator between transposes: the flat row as
   * {@code [batch, T, F]}, transposed to ONNX's {@code [T, batch, F]}; the kernels' gate columns
   * put in ONNX's order ({@code gateOrder}: Keras' gate of each of ONNX's) and transposed to {@code
   * [1, gates * units, *]}; the bias as ONNX's {@code [1, 2 * gates * units]} (the input bias, then
   * the recurrent one, zeros unless {@code recurrentBias}); then every step's output {@code Y [T,
   * 1, batch, units]} back to the row {@code [batch, T * units]}, or the last step's.
   */
  String onnx(
      OnnxGraph g,
      String x,
      String op,
      int[] gateOrder,
      boolean recurrentBias,
      boolean returnSequences,
      List<Activation> activations,
      OnnxGraph.Attribute... more) {
    int[] in = g.inputShape();
    int steps = in[0];
    int features = in[1];
    int gates = gateOrder.length;
    int width = gates * units;
    String name = g.name();
    List<String> onnxNames = new ArrayList<>();
    List<Float> alphas = new ArrayList<>();
    List<Float> betas = new ArrayList<>();
    for (Activation f : activations) {
      onnxActivation(f, name, op, onnxNames, alphas, betas);
    }
    String btf = g.reshape(x, name + "/btf", steps, features);
    String tbf =
        g.node("Transpose", name + "/tbf", List.of(btf), OnnxGraph.Attribute.ints("perm", 1, 0, 2));
    long[] columns = new long[width];
    boolean reordered = false;
    for (int k = 0; k < gates; k++) {
      reordered |= gateOrder[k] != k;
      for (int j = 0; j < units; j++) {
        columns[k * units + j] = (long) gateOrder[k] * units + j;
      }
    }
    String order = reordered ? g.ints(name + "/onnx_gate_order", columns) : null;
    String w = onnxKernel(g, g.weight("kernel"), name + "/W", order, width, features);
    String r = onnxKernel(g, g.weight("recurrent_kernel"), name + "/R", order, width, units);
    List<String> inputs = new ArrayList<>(List.of(tbf, w, r));
    if (useBias) {
      String bias = g.weight("bias");
      String b;
      if (recurrentBias) {
        b = g.reshape(bias, name + "/B", 2 * width);
      } else {
        String inputBias =
            reordered
                ? g.node(
                    "Gather",
                    name + "/bias_onnx_order",
                    List.of(bias, order),
                    OnnxGraph.Attribute.of("axis", 0L))
                : bias;
        String both =
            g.node(
                "Concat",
                name + "/bias_and_zeros",
                List.of(inputBias, g.constant(name + "/recurrent_bias", 0f, width)),
                OnnxGraph.Attribute.of("axis", 0L));
        b = g.reshape(both, name + "/B", 2 * width);
      }
      inputs.add(b);
    }
    List<OnnxGraph.Attribute> attributes = new ArrayList<>();
    attributes.add(OnnxGraph.Attribute.of("hidden_size", (long) units));
    attributes.add(OnnxGraph.Attribute.strings("activations", onnxNames.toArray(String[]::new)));
    if (!alphas.isEmpty()) {
      attributes.add(OnnxGraph.Attribute.floats("activation_alpha", floats(alphas)));
    }
    if (!betas.isEmpty()) {
      attributes.add(OnnxGraph.Attribute.floats("activation_beta", floats(betas)));
    }
    attributes.addAll(List.of(more));
    String y =
        g.node(
            op,
            name + "/" + op.toLowerCase(Locale.ROOT),
            inputs,
            attributes.toArray(new OnnxGraph.Attribute[0]));
    if (returnSequences) {
      String bt =
          g.node(
              "Transpose",
              name + "/batch_first",
              List.of(y),
              OnnxGraph.Attribute.ints("perm", 2, 0, 1, 3));
      return g.reshape(bt, name + "/flat", steps * units);
    }
    String last =
        g.node(
            "Gather",
            name + "/last_step",
            List.of(y, g.ints(name + "/last_index", steps - 1)),
            OnnxGraph.Attribute.of("axis", 0L));
    return g.reshape(last, name + "/flat", units);
  }

  /** A kernel {@code [rows, width]} as ONNX's {@code [1, width, rows]}, its columns reordered. */
  private static String onnxKernel(
      OnnxGraph g, String kernel, String name, String order, int width, int rows) {
    String k =
        order == null
            ? kernel
            : g.node(
                "Gather",
                name + "_onnx_order",
                List.of(kernel, order),
                OnnxGraph.Attribute.of("axis", 1L));
    String t =
        g.node(
            "Transpose", name + "_transposed", List.of(k), OnnxGraph.Attribute.ints("perm", 1, 0));
    return g.reshape(t, name, width, rows);
  }

  private static float[] floats(List<Float> values) {
    float[] a = new float[values.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = values.get(i);
    }
    return a;
  }

  /**
   * ONNX's name of a recurrent operator's activation {@code f}, with its alpha and beta (consumed
   * in order by the functions that take them, as ONNX Runtime reads them).
   *
   * @throws ConfigException if ONNX's recurrent operators have no such function
   */
  private static void onnxActivation(
      Activation f,
      String layer,
      String op,
      List<String> names,
      List<Float> alphas,
      List<Float> betas) {
    switch (f) {
      case SIGMOID -> names.add("Sigmoid");
      case TANH -> names.add("Tanh");
      case RELU -> names.add("Relu");
      case SOFTPLUS -> names.add("Softplus");
      case SOFTSIGN -> names.add("Softsign");
      case LINEAR -> {
        names.add("Affine");
        alphas.add(1f);
        betas.add(0f);
      }
      case ELU -> {
        names.add("Elu");
        alphas.add(1f);
      }
      case LEAKY_RELU -> {
        names.add("LeakyRelu");
        alphas.add((float) Activation.LEAKY_SLOPE);
      }
      case HARD_SIGMOID -> {
        names.add("HardSigmoid");
        alphas.add(1f / 6);
        betas.add(0.5f);
      }
      default ->
          throw new ConfigException(
              layer
                  + ": ONNX's "
                  + op
                  + " operator has no activation "
                  + f.kerasName()
                  + " (it takes sigmoid, tanh, relu, softplus, softsign, linear, elu, leaky_relu"
                  + " and hard_sigmoid)");
    }
  }
}
