package org.sparkdp.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.sparkdp.driver.FitOptions;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.Configs;
import org.sparkdp.ops.ModelSpec;

/**
 * A training job's configuration: a YAML file in Keras' vocabulary, with command-line options laid
 * over it.
 *
 * <pre>
 * model:   {layers: [{type: dense, units: 64, activation: relu, input_dim: 784}, ...]}
 * compile: {optimizer: {type: adam, learning_rate: 0.001}, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
 * fit:     {epochs: 10, batch_size: 32, validation_split: 0.1, strategy: sync, seed: 42, partitions: 0,
 *           threads: 1, sync_path: auto, sync_every: 0, outer_optimizer: average, ...}
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
    JsonNode resolved) {

  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Set<String> TOP_KEYS =
      Set.of("model", "compile", "fit", "data", "output", "init_weights", "metadata", "spark");
  private static final Set<String> FIT_KEYS =
      Set.of(
          "epochs",
          "batch_size",
          "validation_split",
          "strategy",
          "seed",
          "partitions",
          "verbose",
          "threads",
          "sync_path",
          "sync_every",
          "outer_optimizer",
          "outer_learning_rate",
          "outer_momentum",
          "connect_timeout",
          "step_timeout",
          "max_restarts",
          "checkpoint_every_steps",
          "keep_checkpoints",
          "max_retries");

  /** Options of {@code bin/sparkdp train} that override the file. */
  static final Set<String> TRAIN_OPTIONS =
      Set.of(
          "config",
          "train",
          "test",
          "validation",
          "epochs",
          "batch-size",
          "strategy",
          "partitions",
          "seed",
          "output",
          "init-weights",
          "validation-split");

  /** Parses YAML text (the file's content) with the command-line overrides of {@code cli}. */
  static JobConfig parse(String yamlText, String source, Cli cli) {
    JsonNode parsed;
    try {
      parsed = yamlText.isBlank() ? JsonNodeFactory.instance.objectNode() : YAML.readTree(yamlText);
    } catch (IOException e) {
      throw new ConfigException(
          source + ": not valid YAML (" + e.getMessage().lines().findFirst().orElse("") + ")");
    }
    if (parsed == null || parsed.isMissingNode()) {
      parsed = JsonNodeFactory.instance.objectNode();
    }
    if (!parsed.isObject()) {
      throw new ConfigException(source + ": expected a mapping with model, compile, fit and data");
    }
    ObjectNode root = (ObjectNode) parsed.deepCopy();
    Configs.checkKeys(root, source, TOP_KEYS);
    applyOverrides(root, cli);

    JsonNode modelNode = root.get("model");
    if (modelNode == null) {
      throw new ConfigException("model: missing (model: {layers: [...]})");
    }
    Configs.requireObject(modelNode, "model");
    Configs.checkKeys(modelNode, "model", Set.of("layers", "type", "class_name"));
    ModelSpec model = Configs.model(modelNode.get("layers"), "model.layers");
    if (root.get("compile") == null) {
      throw new ConfigException(
          "compile: missing (compile: {optimizer: adam, loss: ..., metrics: [accuracy]})");
    }
    CompileConfig compile = Configs.compile(root.get("compile"), "compile");
    Configs.parse(
        "compile.loss",
        () -> {
          compile
              .loss()
              .checkOutput(model.outputActivation(), model.outputUnits(), compile.fromLogits());
          return null;
        });
    FitOptions fit = fit(root.has("fit") ? root.get("fit") : JsonNodeFactory.instance.objectNode());

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
        model, compile, fit, train, validation, test, output, init, metadata, spark, root);
  }

  private static FitOptions fit(JsonNode node) {
    Configs.requireObject(node, "fit");
    Configs.checkKeys(node, "fit", FIT_KEYS);
    FitOptions fit = new FitOptions();
    fit.epochs(Configs.positiveInt(node, "epochs", "fit", 1));
    JsonNode batch = node.get("batch_size");
    if (batch != null && batch.isTextual() && batch.asText().trim().equalsIgnoreCase("all")) {
      fit.batchSize(FitOptions.ALL);
    } else {
      fit.batchSize(Configs.positiveInt(node, "batch_size", "fit", 32));
    }
    double split = Configs.number(node, "validation_split", "fit", 0);
    if (!(split >= 0 && split < 1)) {
      throw new ConfigException(
          "fit.validation_split must be in [0, 1), got " + node.get("validation_split"));
    }
    fit.validationSplit(split);
    String strategy =
        node.has("strategy")
            ? Configs.text(node, "strategy", "fit").toLowerCase(Locale.ROOT)
            : "sync";
    if (!strategy.equals("sync") && !strategy.equals("local")) {
      throw new ConfigException(
          "fit.strategy: unknown strategy '" + strategy + "' (supported: sync, local)");
    }
    fit.strategy(strategy);
    fit.threads(Configs.positiveInt(node, "threads", "fit", 1));
    fit.syncPath(node.has("sync_path") ? Configs.text(node, "sync_path", "fit") : "auto");
    fit.syncEvery(Configs.nonNegativeInt(node, "sync_every", "fit", 0));
    fit.outerOptimizer(
        node.has("outer_optimizer") ? Configs.text(node, "outer_optimizer", "fit") : "average");
    fit.outerLearningRate(Configs.number(node, "outer_learning_rate", "fit", 0.7));
    fit.outerMomentum(Configs.number(node, "outer_momentum", "fit", 0.9));
    fit.connectTimeoutSeconds(Configs.positiveInt(node, "connect_timeout", "fit", 300));
    fit.stepTimeoutSeconds(Configs.positiveInt(node, "step_timeout", "fit", 1800));
    fit.maxRestarts(Configs.nonNegativeInt(node, "max_restarts", "fit", 3));
    fit.checkpointEverySteps(Configs.nonNegativeInt(node, "checkpoint_every_steps", "fit", 0));
    fit.keepCheckpoints(Configs.positiveInt(node, "keep_checkpoints", "fit", 3));
    fit.maxRetries(Configs.nonNegativeInt(node, "max_retries", "fit", 3));
    if (node.hasNonNull("seed")) {
      if (!node.get("seed").canConvertToLong() || !node.get("seed").isIntegralNumber()) {
        throw new ConfigException("fit.seed must be an integer, got " + node.get("seed"));
      }
      fit.seed(node.get("seed").asLong());
    }
    fit.partitions(Configs.nonNegativeInt(node, "partitions", "fit", 0));
    JsonNode verbose = node.get("verbose");
    fit.verbose(verbose == null ? 1 : verbose.asInt(1));
    try {
      fit.check();
    } catch (IllegalArgumentException e) {
      throw new ConfigException("fit: " + e.getMessage());
    }
    return fit;
  }

  /** Lays the command-line options over the parsed file, under the keys they stand for. */
  private static void applyOverrides(ObjectNode root, Cli cli) {
    ObjectNode fit = root.get("fit") instanceof ObjectNode f ? f : root.putObject("fit");
    ObjectNode data = root.get("data") instanceof ObjectNode d ? d : root.putObject("data");
    if (cli.has("epochs")) {
      fit.put("epochs", cli.positiveInt("epochs"));
    }
    if (cli.has("batch-size")) {
      String b = cli.get("batch-size").trim();
      if (b.equalsIgnoreCase("all")) {
        fit.put("batch_size", "all");
      } else {
        fit.put("batch_size", cli.positiveInt("batch-size"));
      }
    }
    if (cli.has("validation-split")) {
      try {
        fit.put("validation_split", Double.parseDouble(cli.get("validation-split")));
      } catch (NumberFormatException e) {
        throw new ConfigException(
            "--validation-split must be a number in [0, 1), got '"
                + cli.get("validation-split")
                + "'");
      }
    }
    if (cli.has("strategy")) {
      fit.put("strategy", cli.get("strategy"));
    }
    if (cli.has("partitions")) {
      fit.put("partitions", cli.positiveInt("partitions"));
    }
    if (cli.has("seed")) {
      fit.put("seed", cli.longValue("seed"));
    }
    for (String role : new String[] {"train", "validation", "test"}) {
      if (cli.has(role)) {
        DataSource s = DataSource.fromPath(cli.get(role), "--" + role);
        // Keep the file's other settings for this data (label column, features) when the format
        // stays the same.
        ObjectNode node =
            data.get(role) instanceof ObjectNode old
                    && s.format().equals(old.path("format").asText())
                ? old
                : data.putObject(role);
        node.put("format", s.format());
        if (s.format().equals("idx")) {
          node.put("images", s.images());
          node.put("labels", s.labels());
        } else {
          node.put("path", s.path());
        }
      }
    }
    if (cli.has("validation")) {
      fit.remove("validation_split");
    }
    if (cli.has("output")) {
      root.put("output", cli.get("output"));
    }
    if (cli.has("init-weights")) {
      root.put("init_weights", cli.get("init-weights"));
    }
  }
}
