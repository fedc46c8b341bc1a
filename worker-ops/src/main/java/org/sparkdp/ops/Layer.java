package org.sparkdp.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One layer of a {@link ModelSpec}: what it is (its sizes and settings), never its weights. A layer
 * maps {@code [batch, *shape_in] -> [batch, *shape_out]}, each example a flat row in Keras'
 * channels_last row-major order (an image's value {@code (h * W + w) * C + c}); its weights are
 * views into the model's flat parameter array ({@link ParameterLayout}), and binding the spec to
 * them gives the kernel that computes, inside {@link Network}.
 *
 * <p>Each kind declares its settings once ({@link #kinds()}); in configuration a layer is {@code
 * {type: dense, units: 64, ...}} with Keras' snake-case type, and in {@code model.json} {@code
 * {class_name: Dense, config: {...}}} as Keras writes it.
 */
public sealed interface Layer extends Serializable
    permits Dense,
        Embedding,
        Dropout,
        LayerNormalization,
        ActivationLayer,
        Flatten,
        Reshape,
        Conv1D,
        Conv2D,
        PoolingLayer,
        SimpleRNN,
        LSTM,
        GRU,
        BatchNormalization {

  /** The input width: required on a model's first layer, inferred on the others. */
  Setting<Integer> INPUT_DIM =
      Setting.integer("input_dim", 0, 1, "the number of features; on the first layer only")
          .shownAs("(the width of the layer before)");

  /** The layer kinds by their configuration type, in the README's order. */
  static Map<String, RecordSettings<? extends Layer>> kinds() {
    return Kinds.KINDS;
  }

  /**
   * The configuration type for a Keras class name ({@code LayerNormalization} is {@code
   * layer_normalization}), or {@code null}.
   */
  static String typeOfClass(String className) {
    return Kinds.TYPES.get(className);
  }

  /** Keras' class names of the layer kinds. */
  static java.util.Set<String> classNames() {
    return Kinds.TYPES.keySet();
  }

  /**
   * The configuration type and Keras' name prefix, e.g. {@code dense} (so {@code dense_1} for the
   * second).
   */
  String type();

  /** Keras' class name, e.g. {@code Dense}. */
  String className();

  /** The input width, or 0 when it is the width of the layer before. */
  int inputDim();

  /** This layer with the given input width (for the first layer of a model). */
  Layer withInputDim(int dim);

  /**
   * The output shape for an input of shape {@code in} (without the batch).
   *
   * @throws ConfigException naming the setting, if this layer cannot take that shape
   */
  int[] outputShape(int[] in);

  /**
   * The weights for an input of shape {@code in}, in Keras' order and shapes (e.g. kernel, then
   * bias).
   */
  List<Weight> weights(int[] in);

  /** The number of values of a shape: {@code [28, 28, 1]} has 784. */
  static int size(int[] shape) {
    long n = 1;
    for (int d : shape) {
      n *= d;
    }
    if (n > Integer.MAX_VALUE) {
      throw new ConfigException(
          "a shape of " + java.util.Arrays.toString(shape) + " has more than 2^31 values");
    }
    return (int) n;
  }

  /** Fails unless {@code in} is a vector: the kinds that act on features ({@code dense}). */
  static int vector(int[] in, String type) {
    if (in.length != 1) {
      throw new ConfigException(
          type
              + " takes a vector of features, not an input of shape "
              + java.util.Arrays.toString(in)
              + " (put a flatten layer before it)");
    }
    return in[0];
  }

  /** The activation applied last, or {@link Activation#LINEAR} if this layer applies none. */
  default Activation activation() {
    return Activation.LINEAR;
  }

  /** Whether this layer draws noise in training (and so needs the examples' ids). */
  boolean drawsNoise();

  /**
   * Whether this layer reads its input as ids ({@code embedding}): only a model's first layer can,
   * since ids have no gradient to pass back.
   */
  default boolean takesIds() {
    return false;
  }

  /**
   * Whether this layer's training pass needs statistics of the whole batch, which stop the pass at
   * a {@link Phases phase} (forward, and backward unless it is the first layer).
   */
  default boolean usesBatchStatistics() {
    return false;
  }

  /**
   * What is wrong with one example's input {@code x[off ..]} for this layer as a model's first
   * layer ({@code value 3: 12.5 is not an embedding id in [0, 1000)}), or {@code null}; the data is
   * checked with it before training.
   */
  default String checkInput(float[] x, int off) {
    return null;
  }

  /**
   * Whether {@code s} gives a first layer's input width: {@code input_dim}, or an embedding's
   * {@code input_length} (its {@code input_dim} is its number of ids). Keras 3 takes the width from
   * the model's input shape instead.
   */
  static boolean givesInputWidth(Setting<?> s) {
    return s == INPUT_DIM || s == Embedding.INPUT_LENGTH;
  }

  /**
   * This layer bound to its weights' offsets: the kernel that computes it inside {@link Network}.
   */
  Kernel kernel(Binding binding);

  /**
   * Adds this layer's ONNX nodes to {@code graph} after the value {@code x}; returns the name of
   * the output value.
   */
  String onnx(OnnxGraph graph, String x);

  /**
   * How messages name this layer at input width {@code in}: {@code a Dropout layer of 64 inputs}.
   */
  default String describe(int in) {
    return String.format(java.util.Locale.ROOT, "a %s layer of %d inputs", className(), in);
  }

  /** The settings in Keras' names, for {@code model.json}. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  default ObjectNode config() {
    RecordSettings settings = kinds().get(type());
    return settings.toJson((Record) this);
  }

  /**
   * A weight of a layer as Keras builds it: its name within the layer ({@code kernel}), shape,
   * initializer, regularizer ({@code null} if none) and whether the optimizer trains it (a moving
   * statistic is set by its layer instead).
   */
  record Weight(
      String name, int[] shape, Initializer initializer, Regularizer regularizer, boolean trainable)
      implements Serializable {
    /** A trainable weight. */
    public Weight(String name, int[] shape, Initializer initializer, Regularizer regularizer) {
      this(name, shape, initializer, regularizer, true);
    }

    /** The number of values. */
    public int size() {
      return Initializer.size(shape);
    }
  }

  /**
   * A layer kind: its configuration type, Keras' class name, its settings (which are its Keras
   * config keys) and the Keras keys it has beyond its settings, each with the values sparkdp reads
   * (the first is what it writes; {@code null} alone: an option sparkdp does not have).
   */
  record Kind(
      String type,
      String className,
      RecordSettings<? extends Layer> settings,
      Map<String, List<com.fasterxml.jackson.databind.JsonNode>> kerasFixed) {

    /** The fixed Keras keys, e.g. {@code fixed("kernel_constraint", null)}. */
    static Map<String, List<com.fasterxml.jackson.databind.JsonNode>> fixed(Object... keyValues) {
      Map<String, List<com.fasterxml.jackson.databind.JsonNode>> m = new LinkedHashMap<>();
      var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
      for (int i = 0; i < keyValues.length; i += 2) {
        Object v = keyValues[i + 1];
        List<?> values = v instanceof List<?> list ? list : java.util.Arrays.asList(v);
        m.put(
            (String) keyValues[i],
            values.stream()
                .map(x -> (com.fasterxml.jackson.databind.JsonNode) mapper.valueToTree(x))
                .toList());
      }
      return Collections.unmodifiableMap(m);
    }
  }

  /** The kind of configuration type {@code type} ({@code dense}), or {@code null}. */
  static Kind kind(String type) {
    return Kinds.BY_TYPE.get(type);
  }

  /** Every layer kind, in the README's order. */
  static List<Kind> allKinds() {
    return List.copyOf(Kinds.BY_TYPE.values());
  }

  /** The registry behind {@link #kinds()}, made at its first use. */
  final class Kinds {
    static final Map<String, Kind> BY_TYPE = registry();
    static final Map<String, RecordSettings<? extends Layer>> KINDS = settings();
    static final Map<String, String> TYPES = classTypes();

    private Kinds() {}

    private static Map<String, Kind> registry() {
      Map<String, Kind> m = new LinkedHashMap<>();
      for (Kind k :
          List.of(
              Dense.KIND,
              Dropout.KIND,
              LayerNormalization.KIND,
              ActivationLayer.KIND,
              Embedding.KIND,
              Conv1D.KIND,
              Conv2D.KIND,
              MaxPooling1D.KIND,
              MaxPooling2D.KIND,
              AveragePooling1D.KIND,
              AveragePooling2D.KIND,
              GlobalAveragePooling1D.KIND,
              GlobalAveragePooling2D.KIND,
              GlobalMaxPooling1D.KIND,
              GlobalMaxPooling2D.KIND,
              Flatten.KIND,
              Reshape.KIND,
              SimpleRNN.KIND,
              LSTM.KIND,
              GRU.KIND,
              BatchNormalization.KIND)) {
        m.put(k.type(), k);
      }
      return Collections.unmodifiableMap(m);
    }

    private static Map<String, RecordSettings<? extends Layer>> settings() {
      Map<String, RecordSettings<? extends Layer>> m = new LinkedHashMap<>();
      BY_TYPE.forEach((type, k) -> m.put(type, k.settings()));
      return Collections.unmodifiableMap(m);
    }

    private static Map<String, String> classTypes() {
      Map<String, String> m = new LinkedHashMap<>();
      BY_TYPE.forEach((type, k) -> m.put(k.className(), type));
      return Collections.unmodifiableMap(m);
    }
  }
}
