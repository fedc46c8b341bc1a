package org.sparkdp.interop;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.sparkdp.ops.Activation;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.Configs;
import org.sparkdp.ops.Initializer;
import org.sparkdp.ops.Layer;
import org.sparkdp.ops.LearningRate;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.Metric;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Optimizer;
import org.sparkdp.ops.ParameterBudget;
import org.sparkdp.ops.RecordSettings;
import org.sparkdp.ops.Regularizer;
import org.sparkdp.ops.Setting;

/**
 * Keras' model JSON: what {@code model.to_json()} writes and a {@code .keras} file's {@code
 * config.json} holds, read into a {@link ModelSpec} (and its compile config) and written from one.
 *
 * <p>Reads both forms: Keras 2 ({@code tf.keras}: {@code {class_name: Sequential, config: {name,
 * layers: [...]}, keras_version: "2.x"}}, layers {@code {class_name, config}}, the input width from
 * an {@code InputLayer}'s {@code batch_input_shape} or the first layer's {@code batch_input_shape},
 * {@code input_shape} or {@code input_dim}, nested objects {@code {class_name, config}}; and before
 * Keras 2.2.3 {@code config} was the list of layers itself) and Keras 3 ({@code
 * serialize_keras_object}: every object {@code {module, class_name, config, registered_name}}, an
 * {@code InputLayer} with {@code batch_shape}, a {@code build_config}, and in {@code config.json} a
 * {@code compile_config}). The layers of {@link Layer#kinds()}, each read from its kind's settings
 * (which are its Keras keys) and fixed keys ({@link Layer.Kind#kerasFixed()}); the input shape from
 * any of those forms, {@code [null, 28, 28, 1]} for images; any other layer, and any option sparkdp
 * does not have (a constraint, an activity regularizer, a noise shape, a frozen layer, a dtype
 * other than float32), fails with a message naming it. Initializers' {@code seed}s are not kept:
 * sparkdp draws from the fit's seed.
 *
 * <p>Writing produces Keras 3's form, with only the arguments every Keras 3 release takes.
 */
public final class KerasJson {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** The largest JSON read: a Sequential model's config is kilobytes. */
  static final int MAX_BYTES = 16 << 20;

  /** Keys Keras writes for every layer that sparkdp reads itself or that change nothing. */
  private static final Set<String> COMMON =
      Set.of(
          "name",
          "trainable",
          "dtype",
          "batch_input_shape",
          "batch_shape",
          "input_shape",
          "input_dim",
          "batch_size",
          "lora_alpha");

  /**
   * Options of every layer that sparkdp does not have: refused unless absent or {@code null}. A
   * kind's own such options are its {@link Layer.Kind#kerasFixed()}.
   */
  private static final Set<String> NULL_ONLY =
      Set.of("activity_regularizer", "lora_rank", "quantization_config");

  private static final Map<String, String> OPTIMIZERS =
      Map.of(
          "SGD", "sgd",
          "Adam", "adam",
          "AdamW", "adamw",
          "RMSprop", "rmsprop",
          "Adagrad", "adagrad",
          "Nadam", "nadam",
          "Adamax", "adamax");

  private static final Map<String, Loss> LOSSES =
      Map.of(
          "SparseCategoricalCrossentropy", Loss.SPARSE_CATEGORICAL_CROSSENTROPY,
          "CategoricalCrossentropy", Loss.CATEGORICAL_CROSSENTROPY,
          "BinaryCrossentropy", Loss.BINARY_CROSSENTROPY,
          "MeanSquaredError", Loss.MEAN_SQUARED_ERROR,
          "MeanAbsoluteError", Loss.MEAN_ABSOLUTE_ERROR,
          "Huber", Loss.HUBER,
          "KLDivergence", Loss.KL_DIVERGENCE,
          "CategoricalHinge", Loss.CATEGORICAL_HINGE,
          "Poisson", Loss.POISSON);

  /** Keras' metric classes and sparkdp's metric types. */
  private static final Map<String, String> METRICS =
      Map.of(
          "Precision", "precision",
          "Recall", "recall",
          "AUC", "auc",
          "TopKCategoricalAccuracy", "top_k_categorical_accuracy",
          "SparseTopKCategoricalAccuracy", "sparse_top_k_categorical_accuracy",
          "MeanAbsoluteError", "mean_absolute_error",
          "MeanSquaredError", "mean_squared_error",
          "RootMeanSquaredError", "root_mean_squared_error");

  /** Keras' accuracy metrics, which sparkdp's {@code accuracy} picks between as Keras does. */
  private static final Set<String> ACCURACIES =
      Set.of(
          "accuracy",
          "acc",
          "sparse_categorical_accuracy",
          "categorical_accuracy",
          "binary_accuracy",
          "SparseCategoricalAccuracy",
          "CategoricalAccuracy",
          "BinaryAccuracy");

  private KerasJson() {}

  /**
   * Reads a model JSON; {@code source} names the file in messages. The weights are {@code null}.
   *
   * @throws IOException naming the file and what is wrong (the layer, the option)
   */
  public static KerasModel read(byte[] json, String source) throws IOException {
    if (json.length > MAX_BYTES) {
      throw new IOException(source + ": larger than a model's JSON (" + MAX_BYTES + " bytes)");
    }
    JsonNode root;
    try {
      root = JSON.readTree(new String(json, StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw new IOException(source + ": not valid JSON (" + e.getOriginalMessage() + ")", e);
    }
    try {
      return read(root);
    } catch (IllegalArgumentException e) {
      throw new IOException(source + ": " + e.getMessage(), e);
    }
  }

  /** Reads a parsed model JSON. */
  static KerasModel read(JsonNode root) {
    if (root == null || !root.isObject()) {
      throw new ConfigException(
          "not a Keras model (expected an object with class_name and config)");
    }
    String className = root.path("class_name").asText("");
    if (!className.equals("Sequential")) {
      throw new ConfigException(
          "class_name: a "
              + (className.isEmpty() ? "model without a class_name" : "'" + className + "' model")
              + " is not supported (sparkdp reads Sequential models)");
    }
    boolean keras2 = root.path("keras_version").asText("").startsWith("2.");
    JsonNode config = root.path("config");
    JsonNode layers = config.isArray() ? config : config.path("layers");
    if (!layers.isArray() || layers.isEmpty()) {
      throw new ConfigException("config.layers: expected a non-empty list of layers");
    }
    List<Integer> inputShape =
        shape(root.path("build_config").path("input_shape"), "build_config.input_shape");
    if (inputShape == null) {
      inputShape = shape(config.path("build_input_shape"), "config.build_input_shape");
    }
    List<Layer> list = new ArrayList<>();
    String idsAt = null;
    for (int i = 0; i < layers.size(); i++) {
      String path = "config.layers[" + i + "]";
      JsonNode layer = layers.get(i);
      if (!layer.isObject()) {
        throw new ConfigException(path + ": expected {class_name, config}");
      }
      String kind = layer.path("class_name").asText("");
      JsonNode c = layer.path("config");
      if (kind.equals("InputLayer")) {
        if (!list.isEmpty()) {
          throw new ConfigException(path + ": an InputLayer after other layers is not supported");
        }
        inputShape = inputLayerShape(c, path);
        idsAt = IDS.contains(dtypeName(c)) ? path : null;
        continue;
      }
      if (list.isEmpty() && inputShape == null) {
        inputShape = firstLayerShape(layer, c, path);
      }
      list.add(layer(kind, c, path, keras2));
    }
    if (list.isEmpty()) {
      throw new ConfigException("config.layers: no layer after the InputLayer");
    }
    if (idsAt != null && !list.get(0).takesIds()) {
      throw new ConfigException(
          idsAt
              + " (InputLayer): dtype "
              + dtypeName(layers.get(0).path("config"))
              + " is not supported before a "
              + list.get(0).className()
              + " (sparkdp computes in float32; integer inputs are an Embedding's ids)");
    }
    if (inputShape == null) {
      throw new ConfigException(
          "config.layers: the input shape is not given (an InputLayer's batch_shape, or the first"
              + " layer's batch_input_shape, input_shape or input_dim)");
    }
    List<Integer> shape = inputShape;
    ModelSpec spec = Configs.parse("config.layers", () -> new ModelSpec(list, shape));
    ParameterBudget.check(spec, "config.layers");
    List<String> notes = new ArrayList<>();
    CompileConfig compile = null;
    JsonNode cc = root.path("compile_config");
    if (cc.isObject() && !cc.isEmpty()) {
      try {
        compile = compile(cc, notes);
        CompileConfig checked = compile;
        Configs.parse(
            "compile_config.loss",
            () -> {
              checked
                  .loss()
                  .checkOutput(spec.outputActivation(), spec.outputUnits(), checked.fromLogits());
              return null;
            });
      } catch (IllegalArgumentException e) {
        compile = null;
        notes.add("its compile config is not used: " + e.getMessage());
      }
    }
    return new KerasModel(spec, compile, null, notes);
  }

  /**
   * The shape of one example from Keras' shape with the batch, {@code [null, 28, 28, 1]}; {@code
   * null} if absent.
   */
  private static List<Integer> shape(JsonNode shape, String path) {
    if (shape.isMissingNode() || shape.isNull()) {
      return null;
    }
    if (!shape.isArray() || shape.size() < 2 || !shape.get(0).isNull()) {
      throw new ConfigException(
          path + ": input shape " + shape + " is not supported (expected [null, ...sizes])");
    }
    List<Integer> sizes = new ArrayList<>();
    for (int i = 1; i < shape.size(); i++) {
      JsonNode d = shape.get(i);
      if (!d.isIntegralNumber() || !d.canConvertToInt() || d.asInt() <= 0) {
        throw new ConfigException(
            path
                + ": input shape "
                + shape
                + " is not supported (sparkdp takes examples of known positive sizes)");
      }
      sizes.add(d.asInt());
    }
    return sizes;
  }

  /** A shape without the batch ({@code input_shape}, Keras 3's {@code shape}) as one with it. */
  private static List<Integer> shapeWithoutBatch(JsonNode shape, String path) {
    if (shape.isArray() && !shape.isEmpty() && !shape.get(0).isNull()) {
      ArrayNode withBatch = NODES.arrayNode().addNull();
      shape.forEach(withBatch::add);
      return shape(withBatch, path);
    }
    return shape(shape, path);
  }

  private static List<Integer> inputLayerShape(JsonNode c, String path) {
    if (!IDS.contains(dtypeName(c))) {
      checkDtype(c, path + " (InputLayer)");
    }
    for (String key : List.of("sparse", "ragged")) {
      if (c.path(key).asBoolean(false)) {
        throw new ConfigException(path + " (InputLayer)." + key + ": true is not supported");
      }
    }
    for (String key : List.of("batch_shape", "batch_input_shape")) {
      if (c.has(key)) {
        return shape(c.get(key), path + ".config." + key);
      }
    }
    JsonNode shape = c.has("shape") ? c.get("shape") : c.path("input_shape");
    return shapeWithoutBatch(shape, path + ".config.shape");
  }

  private static List<Integer> firstLayerShape(JsonNode layer, JsonNode c, String path) {
    List<Integer> s = shape(layer.path("build_config").path("input_shape"), path + ".build_config");
    if (s != null) {
      return s;
    }
    for (String key : List.of("batch_input_shape", "batch_shape")) {
      if (c.has(key) && !c.get(key).isNull()) {
        return shape(c.get(key), path + ".config." + key);
      }
    }
    JsonNode shape = c.path("input_shape");
    if (!shape.isMissingNode() && !shape.isNull()) {
      return shapeWithoutBatch(shape, path + ".config.input_shape");
    }
    // input_dim for the kinds whose input width it is; an embedding's is input_length (Keras 2).
    String type = Layer.typeOfClass(layer.path("class_name").asText(""));
    String key =
        type == null
            ? "input_dim"
            : Layer.kind(type).settings().settings().stream()
                .filter(Layer::givesInputWidth)
                .map(Setting::key)
                .findFirst()
                .orElse("input_dim");
    JsonNode dim = c.path(key);
    return dim.isIntegralNumber() && dim.canConvertToInt() && dim.asInt() > 0
        ? List.of(dim.asInt())
        : null;
  }

  /**
   * One layer from its Keras class and config: the kind's settings are its Keras keys, its fixed
   * keys must have a value sparkdp has, and every other key must be null or false.
   */
  private static Layer layer(String kind, JsonNode c, String path, boolean keras2) {
    String type = Layer.typeOfClass(kind);
    if (type == null) {
      throw new ConfigException(
          path
              + ": the layer "
              + (kind.isEmpty() ? "without a class_name" : kind)
              + " is not supported (supported: InputLayer, "
              + String.join(", ", Layer.classNames())
              + ")");
    }
    Layer.Kind k = Layer.kind(type);
    Set<String> own = k.settings().keys();
    if (k.settings().settings().contains(Layer.INPUT_DIM)) {
      own.remove(Layer.INPUT_DIM.key());
    }
    if (!c.isObject()) {
      throw new ConfigException(path + ".config: expected an object");
    }
    path = path + " (" + kind + ")";
    checkDtype(c, path);
    if (c.has("trainable") && !c.get("trainable").asBoolean(true)) {
      throw new ConfigException(
          path + ": trainable: false is not supported (sparkdp trains every" + " layer)");
    }
    ObjectNode node = NODES.objectNode();
    node.put("type", type);
    for (Iterator<Map.Entry<String, JsonNode>> it = c.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = e.getKey();
      JsonNode value = e.getValue();
      List<JsonNode> fixed = k.kerasFixed().get(key);
      if (own.contains(key)) {
        if (!value.isNull()) {
          node.set(key, value(key, value, path, keras2));
        }
      } else if (fixed != null) {
        JsonNode v = value.isArray() && value.size() == 1 ? value.get(0) : value;
        if (!value.isNull()
            && fixed.stream().noneMatch(f -> f.equals(v) || f.isNull() && isFalse(v))) {
          throw new ConfigException(
              fixed.get(0).isNull()
                  ? path + ": the option " + key + " (" + value + ") is not supported"
                  : path
                      + ": "
                      + key
                      + " "
                      + value
                      + " is not supported (sparkdp has "
                      + fixed.get(0)
                      + ")");
        }
      } else if (NULL_ONLY.contains(key) || !COMMON.contains(key)) {
        if (!value.isNull() && !isFalse(value)) {
          throw new ConfigException(
              path + ": the option " + key + " (" + value + ") is not supported");
        }
      }
    }
    return Configs.layer(node, path);
  }

  private static boolean isFalse(JsonNode value) {
    return value.isBoolean() && !value.asBoolean();
  }

  /** A layer option in sparkdp's configuration form. */
  private static JsonNode value(String key, JsonNode value, String path, boolean keras2) {
    if (key.equals("activation") || key.equals("recurrent_activation")) {
      String name = value.isObject() ? value.path("config").asText("") : value.asText("");
      if (keras2 && name.equals("hard_sigmoid")) {
        throw new ConfigException(
            path
                + ": "
                + key
                + " hard_sigmoid of Keras 2 (0.2 x + 0.5) is not Keras 3's (x / 6 +"
                + " 0.5), which sparkdp has");
      }
      return NODES.textNode(name);
    }
    if (key.endsWith("_initializer")) {
      return object(value, path + "." + key, "initializer");
    }
    if (key.endsWith("_regularizer")) {
      return object(value, path + "." + key, "regularizer");
    }
    return value;
  }

  /**
   * An initializer or regularizer, {@code {class_name: GlorotUniform, config: {seed: null}}} or a
   * name, as sparkdp's {@code {type: glorot_uniform}}.
   */
  private static JsonNode object(JsonNode value, String path, String what) {
    if (value.isTextual()) {
      return value;
    }
    if (!value.isObject() || !value.has("class_name")) {
      throw new ConfigException(path + ": expected an " + what + " {class_name, config}");
    }
    String className = value.get("class_name").asText();
    String type =
        switch (className) {
          case "IdentityInitializer" -> "identity";
          case "OrthogonalInitializer" -> "orthogonal";
          case "L1L2" -> "l1_l2";
          default -> snakeCase(className);
        };
    ObjectNode node = NODES.objectNode();
    node.put("type", type);
    JsonNode c = value.path("config");
    if (c.isObject()) {
      c.fields()
          .forEachRemaining(
              e -> {
                if (!e.getKey().equals("seed")) {
                  node.set(e.getKey(), e.getValue());
                }
              });
    }
    // Keras 2's VarianceScaling called its truncated normal "normal".
    if (node.path("distribution").asText().equals("normal")) {
      node.put("distribution", "truncated_normal");
    }
    return node;
  }

  /** Integer dtypes, which an embedding's ids may have (Keras' {@code Input(dtype="int32")}). */
  private static final Set<String> IDS = Set.of("int32", "int64");

  /** A layer's dtype by name ({@code float32} when absent). */
  private static String dtypeName(JsonNode c) {
    JsonNode dtype = c.path("dtype");
    return dtype.isMissingNode() || dtype.isNull()
        ? "float32"
        : dtype.isObject() ? dtype.path("config").path("name").asText("") : dtype.asText("float32");
  }

  private static void checkDtype(JsonNode c, String path) {
    JsonNode dtype = c.path("dtype");
    String name = dtypeName(c);
    if (!dtype.isMissingNode() && !dtype.isNull() && !name.equals("float32")) {
      throw new ConfigException(
          path + ": dtype " + name + " is not supported (sparkdp computes in float32)");
    }
  }

  /**
   * A Keras metric (a name, or {@code {class_name: AUC, config: {...}}}) as sparkdp's; the config's
   * null and false entries and its dtype are Keras' defaults and are dropped.
   */
  private static Metric metric(JsonNode metric, String name) {
    if (ACCURACIES.contains(name)) {
      return Metric.fromConfig(TextNode.valueOf("accuracy"), "compile_config.metrics");
    }
    if (!metric.isObject()) {
      return Metric.fromConfig(metric, "compile_config.metrics");
    }
    String type = METRICS.get(name);
    if (type == null) {
      throw new ConfigException("not a metric sparkdp computes");
    }
    ObjectNode values = NODES.objectNode();
    values.put("type", type);
    metric
        .path("config")
        .fields()
        .forEachRemaining(
            e -> {
              JsonNode v = e.getValue();
              if (!e.getKey().equals("dtype")
                  && !v.isNull()
                  && !(v.isBoolean() && !v.asBoolean())) {
                values.set(e.getKey(), v);
              }
            });
    return Metric.fromConfig(values, "compile_config.metrics");
  }

  /** Keras 3's compile config in sparkdp's terms; unknown metrics are left out with a note. */
  private static CompileConfig compile(JsonNode cc, List<String> notes) {
    for (String key : List.of("loss_weights", "weighted_metrics")) {
      JsonNode v = cc.path(key);
      if (!v.isMissingNode() && !v.isNull() && !(v.isArray() && v.isEmpty())) {
        throw new ConfigException("compile_config." + key + " is not supported");
      }
    }
    Optimizer optimizer =
        Configs.optimizer(optimizer(cc.path("optimizer")), "compile_config.optimizer");
    ObjectNode lossNode = loss(cc.path("loss"));
    boolean fromLogits = lossNode.path("from_logits").asBoolean(false);
    Loss loss =
        Configs.parse("compile_config.loss", () -> Loss.fromName(lossNode.get("type").asText()));
    double delta = lossNode.path("delta").asDouble(Loss.DELTA.defaultValue());
    List<Metric> metrics = new ArrayList<>();
    JsonNode m = cc.path("metrics");
    if (m.isArray()) {
      for (JsonNode metric : m) {
        String name =
            metric.isObject()
                ? metric.path("class_name").asText(metric.path("config").path("name").asText())
                : metric.asText();
        try {
          Metric used = metric(metric, name);
          new CompileConfig(optimizer, loss, fromLogits, List.of(used), delta);
          if (metrics.stream().noneMatch(x -> x.name().equals(used.name()))) {
            metrics.add(used);
          }
        } catch (IllegalArgumentException e) {
          notes.add("metric '" + name + "' left out: " + e.getMessage());
        }
      }
    } else if (!m.isMissingNode() && !m.isNull()) {
      throw new ConfigException("compile_config.metrics: expected a list");
    }
    return Configs.parse(
        "compile_config", () -> new CompileConfig(optimizer, loss, fromLogits, metrics, delta));
  }

  /** {@code {class_name: Adam, config: {...}}} (or {@code "adam"}) as {@code {type: adam, ...}}. */
  private static JsonNode optimizer(JsonNode node) {
    if (node.isTextual()) {
      return node;
    }
    if (!node.isObject() || !node.has("class_name")) {
      throw new ConfigException("compile_config.optimizer: expected {class_name, config}");
    }
    String className = node.get("class_name").asText();
    String type = OPTIMIZERS.get(className);
    if (type == null) {
      throw new ConfigException(
          "compile_config.optimizer: the optimizer "
              + className
              + " is not supported (supported: "
              + String.join(", ", OPTIMIZERS.keySet().stream().sorted().toList())
              + ")");
    }
    ObjectNode out = NODES.objectNode();
    out.put("type", type);
    JsonNode c = node.path("config");
    for (Iterator<Map.Entry<String, JsonNode>> it = c.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = e.getKey();
      JsonNode v = e.getValue();
      switch (key) {
        case "name", "ema_momentum", "jit_compile", "is_legacy_optimizer" -> {}
        case "use_ema",
            "ema_overwrite_frequency",
            "loss_scale_factor",
            "gradient_accumulation_steps" -> {
          if (!v.isNull() && !(v.isBoolean() && !v.asBoolean())) {
            throw new ConfigException(
                "compile_config.optimizer: the option " + key + " (" + v + ") is not supported");
          }
        }
        case "learning_rate" -> out.set(key, schedule(v));
        default -> {
          if (!v.isNull()) {
            out.set(key, v);
          }
        }
      }
    }
    return out;
  }

  /** A learning rate: a number, or Keras' {@code {class_name: ExponentialDecay, config}}. */
  private static JsonNode schedule(JsonNode v) {
    if (!v.isObject()) {
      return v;
    }
    ObjectNode out = NODES.objectNode();
    out.put("type", snakeCase(v.path("class_name").asText("")));
    v.path("config")
        .fields()
        .forEachRemaining(
            e -> {
              if (!e.getKey().equals("name")) {
                out.set(e.getKey(), e.getValue());
              }
            });
    return out;
  }

  /**
   * A loss, a name or Keras' {@code {class_name, config}}, as {@code {type, from_logits, delta}}.
   */
  private static ObjectNode loss(JsonNode node) {
    ObjectNode out = NODES.objectNode();
    if (node.isTextual()) {
      out.put("type", node.asText());
      return out;
    }
    if (!node.isObject() || !node.has("class_name")) {
      throw new ConfigException("compile_config.loss: expected a name or {class_name, config}");
    }
    String className = node.get("class_name").asText();
    Loss loss = LOSSES.get(className);
    if (loss == null) {
      throw new ConfigException("compile_config.loss: the loss " + className + " is not supported");
    }
    out.put("type", loss.kerasName());
    JsonNode c = node.path("config");
    for (Iterator<Map.Entry<String, JsonNode>> it = c.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = e.getKey();
      JsonNode v = e.getValue();
      boolean fine =
          switch (key) {
            case "name", "dtype" -> true;
            case "from_logits", "delta" -> {
              out.set(key, v);
              yield true;
            }
            case "reduction" ->
                v.isNull() || v.asText().equals("sum_over_batch_size") || v.asText().equals("auto");
            case "label_smoothing" -> v.asDouble(1) == 0;
            case "axis" -> v.asInt(0) == -1;
            case "ignore_class" -> v.isNull();
            default -> v.isNull();
          };
      if (!fine) {
        throw new ConfigException(
            "compile_config.loss: the option " + key + " (" + v + ") is not supported");
      }
    }
    return out;
  }

  /** {@code GlorotUniform} as {@code glorot_uniform}. */
  static String snakeCase(String className) {
    return className.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
  }

  // ---- writing ----

  /**
   * Keras 3's {@code config.json} of a Sequential model: an {@code InputLayer} with the input
   * width, each layer with Keras' default name, and the compile config when {@code compile} is
   * given.
   */
  public static ObjectNode write(ModelSpec spec, CompileConfig compile) {
    ObjectNode root = NODES.objectNode();
    root.put("module", "keras");
    root.put("class_name", "Sequential");
    ObjectNode config = root.putObject("config");
    config.put("name", "sequential");
    config.put("trainable", true);
    config.put("dtype", "float32");
    ArrayNode layers = config.putArray("layers");
    ObjectNode input = keras("keras.layers", "InputLayer", layers.addObject());
    ObjectNode ic = input.putObject("config");
    ic.set("batch_shape", shape(spec.inputShapeArray()));
    ic.put("dtype", "float32");
    ic.put("sparse", false);
    ic.put("name", "input_layer");
    input.putNull("registered_name");
    List<String> names = spec.names();
    for (int l = 0; l < spec.layers().size(); l++) {
      Layer layer = spec.layers().get(l);
      ObjectNode node = keras("keras.layers", layer.className(), layers.addObject());
      ObjectNode c = node.putObject("config");
      c.put("name", names.get(l));
      c.put("trainable", true);
      c.put("dtype", "float32");
      layerConfig(layer, c);
      node.putNull("registered_name");
      node.putObject("build_config").set("input_shape", shape(spec.inputShapeOf(l)));
    }
    config.set("build_input_shape", shape(spec.inputShapeArray()));
    root.putNull("registered_name");
    root.putObject("build_config").set("input_shape", shape(spec.inputShapeArray()));
    if (compile != null) {
      root.set("compile_config", compileConfig(compile));
    }
    return root;
  }

  /** Serialises a config tree. */
  public static byte[] toBytes(JsonNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ObjectNode keras(String module, String className, ObjectNode node) {
    node.put("module", module);
    node.put("class_name", className);
    return node;
  }

  /** Keras' shape with the batch: {@code [null, 28, 28, 1]}. */
  private static ArrayNode shape(int[] shape) {
    ArrayNode node = NODES.arrayNode().addNull();
    for (int d : shape) {
      node.add(d);
    }
    return node;
  }

  /**
   * A layer's Keras config: its settings under their keys (initializers, regularizers and
   * activations as Keras 3 serialises them), then its kind's fixed keys.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void layerConfig(Layer layer, ObjectNode c) {
    Layer.Kind kind = Layer.kind(layer.type());
    RecordSettings settings = kind.settings();
    Map<String, Object> values = settings.values((Record) layer);
    for (Setting<?> s : kind.settings().settings()) {
      String key = s.key();
      if (Layer.givesInputWidth(s)) {
        continue;
      }
      Object value = values.get(key);
      if (value instanceof Activation a) {
        c.put(key, a.kerasName());
      } else if (value instanceof Initializer i) {
        c.set(key, initializer(i));
      } else if (value instanceof Regularizer r || key.endsWith("_regularizer")) {
        c.set(key, regularizer((Regularizer) value));
      } else {
        c.set(key, ((Setting<Object>) s).toJson(value));
      }
    }
    kind.kerasFixed().forEach((key, fixed) -> c.set(key, fixed.get(0)));
  }

  /** Keras 3's serialised initializer, e.g. {@code {class_name: GlorotUniform, config: {seed}}}. */
  private static JsonNode initializer(Initializer initializer) {
    ObjectNode node =
        keras("keras.initializers", className(initializer.kerasName()), NODES.objectNode());
    ObjectNode c = node.putObject("config");
    JsonNode own = initializer.toConfig();
    if (own.isObject()) {
      own.fields()
          .forEachRemaining(
              e -> {
                if (!e.getKey().equals("type")) {
                  c.set(e.getKey(), e.getValue());
                }
              });
    }
    if (!Set.of("zeros", "ones", "constant", "identity").contains(initializer.kerasName())) {
      c.putNull("seed");
    }
    node.putNull("registered_name");
    return node;
  }

  private static JsonNode regularizer(Regularizer regularizer) {
    if (regularizer == null) {
      return NODES.nullNode();
    }
    String className =
        switch (regularizer.kerasName()) {
          case "l1" -> "L1";
          case "l2" -> "L2";
          default -> "L1L2";
        };
    ObjectNode node = keras("keras.regularizers", className, NODES.objectNode());
    ObjectNode c = node.putObject("config");
    if (!(regularizer instanceof Regularizer.L2)) {
      c.put("l1", regularizer.l1());
    }
    if (!(regularizer instanceof Regularizer.L1)) {
      c.put("l2", regularizer.l2());
    }
    node.putNull("registered_name");
    return node;
  }

  /** {@code glorot_uniform} as {@code GlorotUniform}. */
  static String className(String snake) {
    StringBuilder s = new StringBuilder();
    for (String part : snake.split("_")) {
      s.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
    }
    return s.toString();
  }

  private static ObjectNode compileConfig(CompileConfig compile) {
    ObjectNode cc = NODES.objectNode();
    Optimizer optimizer = compile.optimizer();
    String className =
        OPTIMIZERS.entrySet().stream()
            .filter(e -> e.getValue().equals(optimizer.kerasName()))
            .findFirst()
            .orElseThrow()
            .getKey();
    ObjectNode o = keras("keras.optimizers", className, cc.putObject("optimizer"));
    ObjectNode oc = o.putObject("config");
    oc.put("name", optimizer.kerasName());
    optimizer
        .config()
        .fields()
        .forEachRemaining(
            e -> {
              if (e.getKey().equals("learning_rate")) {
                oc.set("learning_rate", learningRate(optimizer.learningRate()));
              } else {
                oc.set(e.getKey(), e.getValue());
              }
            });
    o.putNull("registered_name");
    Loss loss = compile.loss();
    boolean plain =
        !compile.fromLogits()
            && (loss != Loss.HUBER || compile.huberDelta() == Loss.DELTA.defaultValue());
    if (plain) {
      cc.put("loss", loss.kerasName());
    } else {
      String lossClass =
          LOSSES.entrySet().stream()
              .filter(e -> e.getValue() == loss)
              .findFirst()
              .orElseThrow()
              .getKey();
      ObjectNode l = keras("keras.losses", lossClass, cc.putObject("loss"));
      ObjectNode lc = l.putObject("config");
      lc.put("name", loss == Loss.HUBER ? "huber_loss" : loss.kerasName());
      lc.put("reduction", "sum_over_batch_size");
      if (loss == Loss.HUBER) {
        lc.put("delta", compile.huberDelta());
      } else {
        lc.put("from_logits", compile.fromLogits());
      }
      l.putNull("registered_name");
    }
    cc.putNull("loss_weights");
    ArrayNode metrics = cc.putArray("metrics");
    for (Metric metric : compile.metrics()) {
      JsonNode own = metric.toConfig();
      if (own.isTextual()) {
        metrics.add(own);
      } else {
        String metricClass =
            METRICS.entrySet().stream()
                .filter(e -> e.getValue().equals(metric.type()))
                .findFirst()
                .orElseThrow()
                .getKey();
        ObjectNode k = keras("keras.metrics", metricClass, metrics.addObject());
        ObjectNode kc = ((ObjectNode) own).deepCopy();
        kc.remove("type");
        if (kc.has("curve")) {
          kc.put("curve", kc.get("curve").asText().toUpperCase(Locale.ROOT)); // Keras' spelling
        }
        kc.put("dtype", "float32");
        k.set("config", kc);
        k.putNull("registered_name");
      }
    }
    cc.putNull("weighted_metrics");
    cc.put("run_eagerly", false);
    cc.put("steps_per_execution", 1);
    cc.put("jit_compile", false);
    return cc;
  }

  private static JsonNode learningRate(LearningRate rate) {
    JsonNode own = rate.toConfig();
    if (!own.isObject()) {
      return own;
    }
    String type = own.get("type").asText();
    ObjectNode node = keras("keras.optimizers.schedules", className(type), NODES.objectNode());
    ObjectNode c = node.putObject("config");
    own.fields()
        .forEachRemaining(
            e -> {
              if (!e.getKey().equals("type")) {
                c.set(e.getKey(), e.getValue());
              }
            });
    c.put("name", className(type));
    node.putNull("registered_name");
    return node;
  }
}
