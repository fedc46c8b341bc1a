package org.sparkdp.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads layers, optimizers and compile settings from configuration trees in Keras' vocabulary
 * (parsed from YAML job files or {@code model.json}); every error names the key at fault by its
 * path.
 */
public final class Configs {
  /** The optimizers by their Keras names. */
  public static final Map<String, RecordSettings<? extends Optimizer>> OPTIMIZERS = optimizers();

  private Configs() {}

  private static Map<String, RecordSettings<? extends Optimizer>> optimizers() {
    Map<String, RecordSettings<? extends Optimizer>> m = new LinkedHashMap<>();
    m.put("sgd", Sgd.SETTINGS);
    m.put("adam", Adam.SETTINGS);
    m.put("adamw", AdamW.SETTINGS);
    m.put("rmsprop", RmsProp.SETTINGS);
    m.put("adagrad", Adagrad.SETTINGS);
    m.put("nadam", Nadam.SETTINGS);
    m.put("adamax", Adamax.SETTINGS);
    return Collections.unmodifiableMap(m);
  }

  /**
   * A layer from {@code {type: dense, units: 64, activation: relu, input_dim: 784, ...}}: the type
   * in Keras' snake case ({@code layer_normalization}) or its class name ({@code class_name:
   * LayerNormalization}, as {@code model.json} has it); without either, a Dense layer.
   */
  public static Layer layer(JsonNode node, String path) {
    requireObject(node, path);
    String type = "dense";
    if (node.hasNonNull("type")) {
      type = node.get("type").asText().trim().toLowerCase(Locale.ROOT);
    } else if (node.hasNonNull("class_name")) {
      String className = node.get("class_name").asText().trim();
      type = Layer.typeOfClass(className) == null ? className : Layer.typeOfClass(className);
    }
    RecordSettings<? extends Layer> settings = Layer.kinds().get(type);
    if (settings == null) {
      String given = node.hasNonNull("type") ? node.get("type").asText() : type;
      throw new ConfigException(
          path
              + ".type: unknown layer type '"
              + given
              + "' (supported: "
              + String.join(", ", Layer.kinds().keySet())
              + ")");
    }
    return settings.read(node, path, Set.of("type", "class_name", "name"));
  }

  /**
   * Keras' {@code input_shape} on a model's first layer: the shape of one example without the
   * batch, {@code [28, 28, 1]}; {@code [n]} is {@code input_dim: n}.
   */
  public static final Setting<java.util.List<Long>> INPUT_SHAPE =
      Setting.integers(
          "input_shape",
          "the shape of one example, e.g. [28, 28, 1] (channels last); on the first layer only");

  private static List<Integer> inputShape(JsonNode node, String path) {
    List<Long> values = INPUT_SHAPE.convert(node, path);
    List<Integer> shape = new ArrayList<>();
    for (Long v : values) {
      if (v == null || v <= 0 || v > Integer.MAX_VALUE) {
        throw new ConfigException(
            path + ": " + node + " is not a shape (expected positive sizes, e.g. [28, 28, 1])");
      }
      shape.add(v.intValue());
    }
    return shape;
  }

  /** {@code layer} without its {@code input_dim}. */
  static Layer withoutInputDim(Layer layer) {
    ObjectNode c = layer.config();
    Layer.kinds().get(layer.type()).settings().stream()
        .filter(Layer::givesInputWidth)
        .forEach(s -> c.remove(s.key()));
    return Layer.kinds().get(layer.type()).read(c, layer.type(), Set.of());
  }

  /** A model from a list of layer nodes; the first may give {@code input_shape}. */
  public static ModelSpec model(JsonNode layers, String path) {
    if (layers == null || !layers.isArray() || layers.isEmpty()) {
      throw new ConfigException(path + ": expected a non-empty list of layers");
    }
    List<Layer> list = new ArrayList<>();
    List<Integer> shape = null;
    for (int i = 0; i < layers.size(); i++) {
      JsonNode node = layers.get(i);
      String at = path + "[" + i + "]";
      if (i == 0 && node != null && node.isObject() && node.has(INPUT_SHAPE.key())) {
        shape = inputShape(node.get(INPUT_SHAPE.key()), at + "." + INPUT_SHAPE.key());
        node = ((ObjectNode) node).deepCopy();
        ((ObjectNode) node).remove(INPUT_SHAPE.key());
      }
      list.add(layer(node, at));
      if (i == 0 && shape != null && shape.size() == 1 && list.get(0).inputDim() != 0) {
        String width = list.get(0).takesIds() ? "input_length" : "input_dim";
        throw new ConfigException(at + ": give input_shape or " + width + ", not both");
      }
    }
    List<Integer> inputShape = shape;
    ModelSpec spec = parse(path, () -> new ModelSpec(list, inputShape));
    ParameterBudget.check(spec, path);
    return spec;
  }

  /**
   * An optimizer from {@code adam}, or {@code {type: adam, learning_rate: 0.001, ...}}; Keras'
   * defaults elsewhere.
   */
  public static Optimizer optimizer(JsonNode node, String path) {
    if (node == null || node.isNull()) {
      throw new ConfigException(path + ": missing (expected one of " + OPTIMIZERS.keySet() + ")");
    }
    String type = node.isTextual() ? node.asText() : text(node, "type", path);
    RecordSettings<? extends Optimizer> settings =
        OPTIMIZERS.get(type.trim().toLowerCase(Locale.ROOT));
    if (settings == null) {
      throw new ConfigException(
          path
              + ": unknown optimizer '"
              + type
              + "' (supported: "
              + String.join(", ", OPTIMIZERS.keySet())
              + ")");
    }
    return settings.read(node.isTextual() ? null : node, path, Set.of("type"));
  }

  /**
   * Compile settings from {@code {optimizer: ..., loss: ..., metrics: [...], from_logits: false}};
   * the loss is a name or {@code {type: huber, delta: 2.0}} / {@code {type: ..., from_logits:
   * true}}.
   */
  public static CompileConfig compile(JsonNode node, String path) {
    requireObject(node, path);
    checkKeys(node, path, Set.of("optimizer", "loss", "metrics", "from_logits"));
    Optimizer optimizer = optimizer(node.get("optimizer"), path + ".optimizer");
    JsonNode lossNode = node.get("loss");
    boolean fromLogits = bool(node, "from_logits", path, false);
    Loss loss;
    double delta = Loss.DELTA.defaultValue();
    if (lossNode != null && lossNode.isObject()) {
      loss = parse(path + ".loss", () -> Loss.fromName(text(lossNode, "type", path + ".loss")));
      checkKeys(
          lossNode,
          path + ".loss",
          loss == Loss.HUBER ? Set.of("type", Loss.DELTA.key()) : Set.of("type", "from_logits"));
      fromLogits = bool(lossNode, "from_logits", path + ".loss", fromLogits);
      if (loss == Loss.HUBER) {
        delta = Loss.DELTA.read(lossNode, path + ".loss");
      }
    } else {
      if (lossNode == null) {
        throw new ConfigException(path + ".loss: missing (e.g. sparse_categorical_crossentropy)");
      }
      loss = parse(path + ".loss", () -> Loss.fromName(lossNode.asText()));
    }
    List<Metric> metrics = new ArrayList<>();
    JsonNode m = node.get("metrics");
    if (m != null && !m.isNull()) {
      if (!m.isArray()) {
        throw new ConfigException(path + ".metrics: expected a list, e.g. [accuracy]");
      }
      for (int i = 0; i < m.size(); i++) {
        metrics.add(Metric.fromConfig(m.get(i), path + ".metrics[" + i + "]"));
      }
    }
    boolean logits = fromLogits;
    double huberDelta = delta;
    try {
      return parse(path, () -> new CompileConfig(optimizer, loss, logits, metrics, huberDelta));
    } catch (ConfigException e) {
      // A duplicate metric name is named by its place in the list.
      throw e.getMessage().startsWith("metrics[")
          ? new ConfigException(path + "." + e.getMessage())
          : e;
    }
  }

  /** Fails naming every key of {@code node} that is not in {@code known}. */
  public static void checkKeys(JsonNode node, String path, Set<String> known) {
    if (node == null || !node.isObject()) {
      return;
    }
    List<String> unknown = new ArrayList<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!known.contains(key)) {
        unknown.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      throw new ConfigException(
          path
              + ": unknown key"
              + (unknown.size() > 1 ? "s " : " ")
              + unknown
              + " (known: "
              + known.stream().sorted().toList()
              + ")");
    }
  }

  public static void requireObject(JsonNode node, String path) {
    if (node == null || !node.isObject()) {
      throw new ConfigException(path + ": expected a mapping of keys to values");
    }
  }

  public static String text(JsonNode node, String key, String path) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull() || !v.isValueNode()) {
      throw new ConfigException(path + "." + key + ": missing or not a value");
    }
    return v.asText();
  }

  public static boolean bool(JsonNode node, String key, String path, boolean fallback) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isBoolean()) {
      throw new ConfigException(path + "." + key + " must be true or false, got " + v);
    }
    return v.asBoolean();
  }

  /**
   * Runs {@code parser}, turning an {@link IllegalArgumentException} into one that names {@code
   * path}.
   */
  public static <T> T parse(String path, java.util.function.Supplier<T> parser) {
    try {
      return parser.get();
    } catch (ConfigException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new ConfigException(path + ": " + e.getMessage());
    }
  }
}
