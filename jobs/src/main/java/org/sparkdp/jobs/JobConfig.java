package org.sparkdp.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.sparkdp.DataException;
import org.sparkdp.FitOptions;
import org.sparkdp.interop.KerasModel;
import org.sparkdp.io.HadoopFiles;
import org.sparkdp.io.ModelExchange;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.Configs;
import org.sparkdp.ops.Metric;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Setting;

/**
 * A training job's configuration: a YAML file in Keras' vocabulary, with command-line options laid
 * over it.
 *
 * <pre>
 * model:   {layers: [{type: dense, units: 64, activation: relu, input_dim: 784}, ...]}
 *          or {from: model.keras}: a Keras model (.keras: layers, weights, compile config; JSON: layers)
 * compile: {optimizer: {type: adam, learning_rate: 0.001}, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
 * fit:     {epochs: 10, batch_size: 32, validation_split: 0.1, strategy: sync, seed: 42, ...} (FitOptions.SETTINGS)
 * data:    {train: {format: idx, images: ..., labels: ...}, validation: ..., test: ...}
 * output:  runs/fashion-mnist
 * init_weights: start.npz
 * metadata: {owner: ..., license: ..., description: ...}
 * spark:   {spark.executor.memory: 4g, ...}
 * </pre>
 *
 * Everything is checked before Spark starts; each error names its key.
 */
public record JobConfig(
    ModelSpec model,
    CompileConfig compile,
    FitOptions fit,
    DataSource train,
    DataSource validation,
    DataSource test,
    String output,
    String initWeights,
    ObjectNode metadata,
    Map<String, String> sparkConf,
    JsonNode resolved,
    KerasModel imported) {

  private static final Set<String> TOP_KEYS =
      Set.of("model", "compile", "fit", "data", "output", "init_weights", "metadata", "spark");

  /** Parses YAML text (the file's content) with the command-line overrides of {@code cli}. */
  static JobConfig parse(String yamlText, String source, Cli cli) {
    JsonNode parsed = Yaml.read(yamlText, source);
    if (!parsed.isObject()) {
      throw new ConfigException(source + ": expected a mapping with model, compile, fit and data");
    }
    ObjectNode root = (ObjectNode) parsed.deepCopy();
    Configs.checkKeys(root, source, TOP_KEYS);
    applyOverrides(root, cli);

    JsonNode modelNode = root.get("model");
    if (modelNode == null) {
      throw new ConfigException(
          "model: missing (model: {layers: [...]}, or model: {from: model.keras})");
    }
    Configs.requireObject(modelNode, "model");
    Configs.checkKeys(modelNode, "model", Set.of("layers", "type", "class_name", "from"));
    KerasModel imported = null;
    ModelSpec model;
    if (modelNode.hasNonNull("from")) {
      if (modelNode.has("layers")) {
        throw new ConfigException("model: give layers or from (a Keras model), not both");
      }
      imported = importModel(Configs.text(modelNode, "from", "model"));
      model = imported.spec();
    } else {
      model = Configs.model(modelNode.get("layers"), "model.layers");
    }
    CompileConfig compile;
    if (root.get("compile") != null) {
      compile = Configs.compile(root.get("compile"), "compile");
    } else if (imported != null && imported.compile() != null) {
      compile = imported.compile();
    } else {
      throw new ConfigException(
          "compile: missing (compile: {optimizer: adam, loss: ..., metrics: [accuracy]})"
              + (imported == null
                  ? ""
                  : "; "
                      + modelNode.get("from").asText()
                      + " has no compile config sparkdp can use"
                      + (imported.notes().isEmpty() ? "" : ": " + imported.notes().get(0))));
    }
    Configs.parse(
        "compile.loss",
        () -> {
          compile
              .loss()
              .checkOutput(model.outputActivation(), model.outputUnits(), compile.fromLogits());
          return null;
        });
    for (int i = 0; i < compile.metrics().size(); i++) {
      Metric m = compile.metrics().get(i);
      Configs.parse(
          "compile.metrics[" + i + "]",
          () -> {
            m.check(model.outputUnits());
            return null;
          });
    }
    FitOptions fit =
        FitOptions.fromConfig(
            root.has("fit") ? root.get("fit") : JsonNodeFactory.instance.objectNode(), "fit");

    JsonNode data = root.get("data");
    if (data == null || data.get("train") == null) {
      throw new ConfigException(
          "data.train: missing (give --train PATH or data: {train: ...} in the configuration)");
    }
    Configs.requireObject(data, "data");
    Configs.checkKeys(data, "data", Set.of("train", "validation", "test"));
    DataSource train = DataSource.fromNode(data.get("train"), "data.train");
    DataSource validation =
        data.hasNonNull("validation")
            ? DataSource.fromNode(data.get("validation"), "data.validation")
            : null;
    DataSource test =
        data.hasNonNull("test") ? DataSource.fromNode(data.get("test"), "data.test") : null;
    if (validation != null && fit.validationSplit() > 0) {
      throw new ConfigException("fit.validation_split and data.validation are both given; use one");
    }
    fit.dataNames(
        train.describe("train"),
        validation == null ? "validation data" : validation.describe("validation"));

    String output = root.hasNonNull("output") ? Configs.text(root, "output", "") : null;
    String init = root.hasNonNull("init_weights") ? Configs.text(root, "init_weights", "") : null;
    ObjectNode metadata = JsonNodeFactory.instance.objectNode();
    if (root.hasNonNull("metadata")) {
      Configs.requireObject(root.get("metadata"), "metadata");
      metadata = (ObjectNode) root.get("metadata");
    }
    Map<String, String> spark = new LinkedHashMap<>();
    if (root.hasNonNull("spark")) {
      Configs.requireObject(root.get("spark"), "spark");
      root.get("spark")
          .fields()
          .forEachRemaining(
              e -> {
                if (!e.getKey().startsWith("spark.")) {
                  throw new ConfigException(
                      "spark." + e.getKey() + ": Spark settings start with 'spark.'");
                }
                spark.put(e.getKey(), e.getValue().asText());
              });
    }
    return new JobConfig(
        model,
        compile,
        fit,
        train,
        validation,
        test,
        output,
        init,
        metadata,
        spark,
        withoutSecrets(root),
        imported);
  }

  /**
   * The configuration as recorded in a model's provenance: the data's reader options that look
   * secret (a JDBC password), by name or value, as Spark's {@code spark.redaction.regex} judges by
   * default, replaced as Spark replaces them.
   */
  private static ObjectNode withoutSecrets(ObjectNode root) {
    ObjectNode copy = root.deepCopy();
    copy.path("data")
        .forEach(
            d -> {
              if (d.get("options") instanceof ObjectNode options) {
                options
                    .fields()
                    .forEachRemaining(
                        e -> {
                          if (DataSource.secret(e.getKey(), e.getValue().asText())) {
                            e.setValue(JsonNodeFactory.instance.textNode(DataSource.REDACTED));
                          }
                        });
              }
            });
    return copy;
  }

  /** Reads the Keras model of {@code model.from} (checked before Spark starts). */
  private static KerasModel importModel(String path) {
    Configuration local = JobRunner.hadoopConf();
    try {
      if (!HadoopFiles.exists(path, local)) {
        throw new DataException("model.from: " + path + ": no such file");
      }
      return ModelExchange.readKeras(path, local);
    } catch (IOException e) {
      // The file's own message (a damaged file, a layer sparkdp does not have); exit code 1.
      throw new UncheckedIOException(e);
    }
  }

  /** Lays the command-line options over the parsed file, under the keys they stand for. */
  private static void applyOverrides(ObjectNode root, Cli cli) {
    ObjectNode fit = root.get("fit") instanceof ObjectNode f ? f : root.putObject("fit");
    ObjectNode data = root.get("data") instanceof ObjectNode d ? d : root.putObject("data");
    for (Setting<?> s : FitOptions.SETTINGS) {
      if (Cli.onCommandLine(s) && cli.has(s.optionName())) {
        fit.set(s.key(), toJson(s, cli.get(s.optionName())));
      }
    }
    for (String role : new String[] {"train", "validation", "test"}) {
      if (cli.has("--" + role)) {
        DataSource s = DataSource.fromPath(cli.get("--" + role), "--" + role);
        // Keep the file's other settings for this data (label column, features) when the format
        // stays the same.
        ObjectNode node =
            data.get(role) instanceof ObjectNode old && s.format().equals(formatOf(old))
                ? old
                : data.putObject(role);
        s.writeTo(node);
      }
    }
    if (cli.has("--validation")) {
      fit.remove(FitOptions.VALIDATION_SPLIT.key());
    }
    if (cli.has("--output")) {
      root.put("output", cli.get("--output"));
    }
    if (cli.has("--model-from")) {
      root.putObject("model").put("from", cli.get("--model-from"));
    }
    if (cli.has("--init-weights")) {
      root.put("init_weights", cli.get("--init-weights"));
    }
  }

  /** The format a job file's data node names ({@code table} for a table, {@code query} for SQL). */
  private static String formatOf(ObjectNode node) {
    return node.has("table")
        ? DataSource.TABLE
        : node.has("query") ? DataSource.QUERY : node.path("format").asText();
  }

  /**
   * A command-line value checked as its setting's (the error names the option), as configuration.
   */
  @SuppressWarnings("unchecked")
  private static JsonNode toJson(Setting<?> setting, String value) {
    Setting<Object> s = (Setting<Object>) setting;
    return s.toJson(s.convert(value, s.optionName()));
  }
}
