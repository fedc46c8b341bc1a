package org.sparkdp.ml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.param.StringArrayParam;
import org.sparkdp.FitOptions;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.Configs;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Setting;
import scala.runtime.AbstractFunction1;

/**
 * The Params that {@link SequentialEstimator} and {@link SequentialModel} share, made for one
 * owner. The fit settings are not written again here: there is one Param per {@link
 * FitOptions#SETTINGS} entry, named by its Java name ({@code batch_size} is {@code batchSize}),
 * typed, documented and checked by its declaration. The model and the compile settings are in
 * Keras' vocabulary and checked by the readers the job files use.
 */
final class StageParams implements Serializable {
  private static final ObjectMapper JSON = new ObjectMapper();

  final Param<String> featuresCol;
  final Param<String> labelCol;
  final Param<String> predictionCol;
  final Param<String> probabilityCol;
  final Param<String> rawPredictionCol;
  final Param<String> weightCol;
  final Param<String> layers;
  final Param<String> optimizer;
  final DoubleParam learningRate;
  final Param<String> loss;
  final StringArrayParam metrics;

  /** The fit settings' Params, in {@link FitOptions#SETTINGS}' order. */
  final Map<Setting<?>, Param<?>> fit = new LinkedHashMap<>();

  private final List<Param<?>> all = new ArrayList<>();
  private final Map<Param<?>, Object> defaults = new LinkedHashMap<>();

  StageParams(Params owner) {
    featuresCol =
        column(
            owner, "featuresCol", "features", "the features: an ML vector or an array of numbers");
    labelCol =
        column(
            owner,
            "labelCol",
            "label",
            "the label: a number (a class index), or a vector with one value per output unit");
    weightCol =
        add(
            new Param<>(
                owner,
                "weightCol",
                "a numeric column (0 or more) weighing each row's loss and gradient, as Spark ML's"
                    + " weightCol (the fit setting sampleWeightCol under Spark ML's name); not set or"
                    + " empty: every row weighs 1"),
            null);
    predictionCol =
        column(
            owner,
            "predictionCol",
            "prediction",
            "the prediction: the class index, or the regression's output (empty: no column)");
    probabilityCol =
        column(
            owner,
            "probabilityCol",
            "probability",
            "a classifier's class probabilities as a vector (empty: no column)");
    rawPredictionCol =
        column(
            owner,
            "rawPredictionCol",
            "rawPrediction",
            "a classifier's raw outputs as a vector, one per class (empty: no column)");
    layers =
        add(
            new Param<>(
                owner,
                "layers",
                "the model's layers as a JSON list in Keras' vocabulary, e.g. [{\"type\": \"dense\", \"units\": 64, "
                    + "\"activation\": \"relu\", \"input_dim\": 784}, {\"type\": \"dense\", \"units\": 10, "
                    + "\"activation\": \"softmax\"}]",
                new Check<String>(v -> readLayers(v, "layers"))),
            null);
    optimizer =
        add(
            new Param<>(
                owner,
                "optimizer",
                "the optimizer: a Keras name (adam, sgd, ...) with Keras' defaults, or a JSON mapping such as "
                    + "{\"type\": \"sgd\", \"momentum\": 0.9}",
                new Check<String>(v -> Configs.optimizer(parse(v, "optimizer"), "optimizer"))),
            "adam");
    learningRate =
        add(
            new DoubleParam(
                owner,
                "learningRate",
                "the optimizer's learning_rate (unset: the optimizer's own, or Keras' default)",
                new Check<Object>(v -> positive((Double) v, "learningRate"))),
            null);
    loss =
        add(
            new Param<>(
                owner,
                "loss",
                "the loss: a Keras name (sparse_categorical_crossentropy, binary_crossentropy, mean_squared_error, "
                    + "...) or a JSON mapping such as {\"type\": \"huber\", \"delta\": 2.0}",
                new Check<String>(v -> compileNode("adam", null, v, new String[0]))),
            null);
    metrics =
        add(
            new StringArrayParam(
                owner,
                "metrics",
                "the metrics reported besides the loss: [accuracy] or none",
                new Check<String[]>(v -> compileNode("adam", null, "mean_squared_error", v))),
            new String[0]);
    for (Setting<?> s : FitOptions.SETTINGS) {
      fit.put(s, add(fitParam(owner, s), paramDefault(s)));
    }
  }

  /** Every Param, for {@code Params.params}. */
  Param<?>[] all() {
    return all.toArray(new Param<?>[0]);
  }

  /** Each Param's default, to be set by the owner (the only one who may). */
  Map<Param<?>, Object> defaults() {
    return defaults;
  }

  /** The model's layers, checked. */
  static ModelSpec readLayers(String json, String name) {
    return Configs.model(parse(json, name), name);
  }

  /**
   * The compile settings from the Params' values: the optimizer (with {@code learningRate} when it
   * is set), the loss and the metrics.
   */
  static CompileConfig compile(
      String optimizer, Double learningRate, String loss, String[] metrics) {
    return Configs.compile(compileNode(optimizer, learningRate, loss, metrics), "compile");
  }

  private static JsonNode compileNode(
      String optimizer, Double learningRate, String loss, String[] metrics) {
    ObjectNode node = JSON.createObjectNode();
    JsonNode opt = parse(optimizer, "optimizer");
    if (learningRate != null) {
      ObjectNode withRate =
          opt.isObject()
              ? ((ObjectNode) opt).deepCopy()
              : JSON.createObjectNode().put("type", opt.asText());
      withRate.put("learning_rate", learningRate);
      opt = withRate;
    }
    node.set("optimizer", opt);
    node.set("loss", parse(loss, "loss"));
    node.set("metrics", JSON.valueToTree(metrics));
    Configs.compile(node, "compile");
    return node;
  }

  /**
   * A Param's text as JSON: a mapping or list as such, anything else (a bare name such as {@code
   * adam}) as a JSON string.
   */
  static JsonNode parse(String value, String name) {
    if (value == null || value.isBlank()) {
      throw new ConfigException(name + ": must be given");
    }
    String text = value.trim();
    if (!text.startsWith("{") && !text.startsWith("[")) {
      return JSON.getNodeFactory().textNode(text);
    }
    try {
      return JSON.readTree(text);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new ConfigException(name + ": not valid JSON (" + e.getOriginalMessage() + ")");
    }
  }

  private static Object positive(Double v, String name) {
    if (v == null || !(v > 0) || v.isInfinite()) {
      throw new ConfigException(name + ": must be a positive number, got " + v);
    }
    return v;
  }

  private Param<String> column(Params owner, String name, String value, String doc) {
    return add(new Param<>(owner, name, doc + "; default " + value), value);
  }

  private <P extends Param<?>> P add(P param, Object defaultValue) {
    all.add(param);
    if (defaultValue != null) {
      defaults.put(param, defaultValue);
    }
    return param;
  }

  /** A typed Param for a fit setting, checked by the setting's declaration. */
  @SuppressWarnings("unchecked")
  private static Param<?> fitParam(Params owner, Setting<?> s) {
    String name = s.javaName();
    String doc = s.doc() + "; " + s.expectation();
    Setting<Object> setting = (Setting<Object>) s;
    Check<Object> check = new Check<>(v -> setting.check(v));
    Object d = s.defaultValue();
    if (d instanceof Integer) {
      if (s == FitOptions.BATCH_SIZE) {
        doc += " (-1: all)";
      }
      return new IntParam(owner, name, doc, check);
    }
    if (d instanceof Long) {
      return new LongParam(owner, name, doc, check);
    }
    if (d instanceof Double) {
      return new DoubleParam(owner, name, doc, check);
    }
    if (d instanceof Boolean) {
      return new BooleanParam(owner, name, doc);
    }
    if (d instanceof Enum<?>) {
      // An enum setting's Param holds its configuration name (sync, local, ...).
      return new Param<String>(owner, name, doc, new Check<String>(v -> setting.convert(v, name)));
    }
    // Anything else (a column name, class weights, callbacks, a watermark): its YAML value as
    // JSON text, or plain text for a name; unset by default.
    return new Param<String>(
        owner,
        name,
        doc + " (as JSON, or plain text for a name)",
        new Check<String>(v -> setting.convert(parse(v, name), name)));
  }

  /** Whether a fit setting's Param holds JSON text (see {@link #fitParam}). */
  private static boolean asJson(Setting<?> s) {
    Object d = s.defaultValue();
    return !(d instanceof Integer
        || d instanceof Long
        || d instanceof Double
        || d instanceof Boolean
        || d instanceof Enum<?>);
  }

  /** The value of a fit setting's Param as the setting's own type. */
  static Object settingValue(Setting<?> s, Object paramValue) {
    Object d = s.defaultValue();
    // Numbers from Python come as the smallest Java type that holds them (an Integer for a seed).
    if (paramValue instanceof Number n) {
      if (d instanceof Long) {
        return n.longValue();
      }
      if (d instanceof Integer) {
        return n.intValue();
      }
      if (d instanceof Double) {
        return n.doubleValue();
      }
    }
    if (asJson(s) && paramValue instanceof String text) {
      return s.convert(parse(text, s.javaName()), s.javaName());
    }
    return d instanceof Enum<?> ? s.convert(paramValue, s.javaName()) : paramValue;
  }

  /** The default of a fit setting's Param (an enum's configuration name). */
  static Object paramDefault(Setting<?> s) {
    if (asJson(s)) {
      return null;
    }
    return s.defaultValue() instanceof Enum<?> e ? Setting.name(e) : s.defaultValue();
  }

  /**
   * A Param's check: runs {@code reader}, whose {@link ConfigException} names the value's fault, so
   * that a bad value fails with that message rather than Spark's "given invalid value".
   */
  static final class Check<T> extends AbstractFunction1<T, Object> implements Serializable {
    /** Reads or checks a value, failing with a message. */
    interface Reader<T> extends Serializable {
      Object read(T value);
    }

    private final Reader<T> reader;

    Check(Reader<T> reader) {
      this.reader = reader;
    }

    @Override
    public Object apply(T value) {
      reader.read(value);
      return Boolean.TRUE;
    }
  }
}
