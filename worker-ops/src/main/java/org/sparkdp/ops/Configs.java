package org.sparkdp.ops;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads layers, optimizers and compile settings from configuration trees in Keras' vocabulary
 * (parsed from YAML job files or {@code model.json}); every error names the key at fault by its
 * path.
 */
public final class Configs {
  private static final Set<String> DENSE_KEYS =
      Set.of(
          "type",
          "class_name",
          "name",
          "units",
          "activation",
          "use_bias",
          "input_dim",
          "kernel_initializer",
          "bias_initializer");
  private static final Set<String> SGD_KEYS =
      Set.of("type", "learning_rate", "momentum", "nesterov");
  private static final Set<String> ADAM_KEYS =
      Set.of("type", "learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad");

  private Configs() {}

  /** A Dense layer from {@code {type: dense, units: 64, activation: relu, input_dim: 784, ...}}. */
  public static Dense dense(JsonNode node, String path) {
    requireObject(node, path);
    checkKeys(node, path, DENSE_KEYS);
    JsonNode type = node.has("type") ? node.get("type") : node.get("class_name");
    if (type != null && !type.asText().equalsIgnoreCase("dense")) {
      throw new ConfigException(
          path + ".type: unknown layer type '" + type.asText() + "' (supported: dense)");
    }
    int units = positiveInt(node, "units", path, null);
    Activation activation =
        parse(
            path + ".activation",
            () ->
                Activation.fromName(
                    node.has("activation") ? text(node, "activation", path) : null));
    boolean useBias = bool(node, "use_bias", path, true);
    int inputDim = node.has("input_dim") ? positiveInt(node, "input_dim", path, null) : 0;
    Initializer kernel =
        parse(
            path + ".kernel_initializer",
            () ->
                Initializer.fromName(
                    node.has("kernel_initializer")
                        ? text(node, "kernel_initializer", path)
                        : "glorot_uniform"));
    Initializer bias =
        parse(
            path + ".bias_initializer",
            () ->
                Initializer.fromName(
                    node.has("bias_initializer") ? text(node, "bias_initializer", path) : "zeros"));
    return new Dense(units, activation, useBias, inputDim, kernel, bias);
  }

  /** A model from a list of layer nodes. */
  public static ModelSpec model(JsonNode layers, String path) {
    if (layers == null || !layers.isArray() || layers.isEmpty()) {
      throw new ConfigException(path + ": expected a non-empty list of layers");
    }
    List<Dense> list = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      list.add(dense(layers.get(i), path + "[" + i + "]"));
    }
    return parse(path, () -> new ModelSpec(list));
  }

  /**
   * An optimizer from {@code adam}, or {@code {type: adam, learning_rate: 0.001, ...}}; Keras'
   * defaults elsewhere.
   */
  public static Optimizer optimizer(JsonNode node, String path) {
    if (node == null || node.isNull()) {
      throw new ConfigException(path + ": missing (expected sgd or adam)");
    }
    String type = node.isTextual() ? node.asText() : text(node, "type", path);
    JsonNode n =
        node.isTextual() ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : node;
    return switch (type.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "sgd" -> {
        checkKeys(n, path, SGD_KEYS);
        yield parse(
            path,
            () ->
                new Sgd(
                    number(n, "learning_rate", path, 0.01),
                    number(n, "momentum", path, 0),
                    bool(n, "nesterov", path, false)));
      }
      case "adam" -> {
        checkKeys(n, path, ADAM_KEYS);
        yield parse(
            path,
            () ->
                new Adam(
                    number(n, "learning_rate", path, 0.001),
                    number(n, "beta_1", path, 0.9),
                    number(n, "beta_2", path, 0.999),
                    number(n, "epsilon", path, 1e-7),
                    bool(n, "amsgrad", path, false)));
      }
      default ->
          throw new ConfigException(
              path + ": unknown optimizer '" + type + "' (supported: sgd, adam)");
    };
  }

  /**
   * Compile settings from {@code {optimizer: ..., loss: ..., metrics: [...], from_logits: false}}.
   */
  public static CompileConfig compile(JsonNode node, String path) {
    requireObject(node, path);
    checkKeys(node, path, Set.of("optimizer", "loss", "metrics", "from_logits"));
    Optimizer optimizer = optimizer(node.get("optimizer"), path + ".optimizer");
    JsonNode lossNode = node.get("loss");
    boolean fromLogits = bool(node, "from_logits", path, false);
    Loss loss;
    if (lossNode != null && lossNode.isObject()) {
      checkKeys(lossNode, path + ".loss", Set.of("type", "from_logits"));
      loss = parse(path + ".loss", () -> Loss.fromName(text(lossNode, "type", path + ".loss")));
      fromLogits = bool(lossNode, "from_logits", path + ".loss", fromLogits);
    } else {
      if (lossNode == null) {
        throw new ConfigException(path + ".loss: missing (e.g. sparse_categorical_crossentropy)");
      }
      loss = parse(path + ".loss", () -> Loss.fromName(lossNode.asText()));
    }
    List<String> metrics = new ArrayList<>();
    JsonNode m = node.get("metrics");
    if (m != null && !m.isNull()) {
      if (!m.isArray()) {
        throw new ConfigException(path + ".metrics: expected a list, e.g. [accuracy]");
      }
      m.forEach(x -> metrics.add(x.asText()));
    }
    boolean logits = fromLogits;
    return parse(path, () -> new CompileConfig(optimizer, loss, logits, metrics));
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

  /** An integer > 0; {@code fallback} when absent ({@code null}: required). */
  public static int positiveInt(JsonNode node, String key, String path, Integer fallback) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      if (fallback == null) {
        throw new ConfigException(path + "." + key + ": missing (a positive integer)");
      }
      return fallback;
    }
    if (!v.canConvertToInt()
        || !(v.isIntegralNumber() || (v.isNumber() && v.asDouble() == Math.rint(v.asDouble())))
        || v.asInt() <= 0) {
      throw new ConfigException(path + "." + key + " must be a positive integer, got " + v);
    }
    return v.asInt();
  }

  /**
   * An integer >= 0 (a count where 0 means "none" or "automatic"); {@code fallback} when absent.
   */
  public static int nonNegativeInt(JsonNode node, String key, String path, int fallback) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (v.isIntegralNumber() && v.asInt() == 0) {
      return 0;
    }
    return positiveInt(node, key, path, fallback);
  }

  public static double number(JsonNode node, String key, String path, double fallback) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (v.isNumber()) {
      return v.asDouble();
    }
    try {
      return Double.parseDouble(v.asText().trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(path + "." + key + " must be a number, got " + v);
    }
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
