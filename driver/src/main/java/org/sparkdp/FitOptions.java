package org.sparkdp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.Configs;
import org.sparkdp.ops.Setting;
import org.sparkdp.ops.Watermark;
import org.sparkdp.ops.privacy.DifferentialPrivacy;

/**
 * The arguments of Keras' {@code fit}, and how Spark runs it. Each setting is declared once below
 * (its key, default, allowed values and meaning); the YAML {@code fit:} section, the command line
 * ({@code --batch-size}), {@code model.json}'s {@code training_config} and the README's
 * configuration reference all come from these declarations. Setters check their value at once and
 * return {@code this} for chaining.
 *
 * <pre>{@code
 * new FitOptions().epochs(10).batchSize(32).validationSplit(0.1).strategy(FitOptions.Strategy.SYNC)
 * }</pre>
 */
public final class FitOptions {
  /** {@code batch_size: all}: full-batch gradient descent, one update per epoch. */
  public static final int ALL = -1;

  /** How the partitions' work is combined. */
  public enum Strategy {
    /** Exact data-parallel mini-batch SGD: the weights do not depend on the partitioning. */
    SYNC,
    /**
     * Local SGD: each partition steps on its own, the driver averages; the weights depend on the
     * partitioning.
     */
    LOCAL
  }

  /** How {@code sync} steps reach the executors. */
  public enum SyncPath {
    /**
     * The channel, or the allreduce, or a Spark job per step: whichever the cost model says is
     * cheapest for the model's size and the number of tasks.
     */
    AUTO,
    /**
     * One long-running task per task slot, each owning a run of partitions, exchanging each step
     * with the driver over a socket.
     */
    CHANNEL,
    /** A Spark job per step. */
    JOBS,
    /**
     * The channel's tasks, with the parameters and the gradient sums going along a ring of them
     * (the executor allreduce): the driver's link carries {@code 8n} bytes per step instead of
     * {@code 8nP}.
     */
    ALLREDUCE
  }

  /** How {@code local} combines the partitions' weight changes. */
  public enum OuterOptimizer {
    /** The example-weighted mean of the partitions' weights. */
    AVERAGE,
    /** DiLoCo's outer Nesterov momentum on the mean change. */
    NESTEROV
  }

  public static final Setting<Integer> EPOCHS =
      Setting.integer("epochs", 1, 1, "passes over the training data");
  public static final Setting<Integer> BATCH_SIZE =
      Setting.of(
          "batch_size",
          32,
          "a positive integer or 'all'",
          FitOptions::readBatchSize,
          v -> v == ALL ? TextNode.valueOf("all") : IntNode.valueOf(v),
          v -> v > 0 || v == ALL,
          "examples per step, or `all` (full-batch gradient descent: one step per epoch)");
  public static final Setting<Double> VALIDATION_SPLIT =
      Setting.fraction(
          "validation_split",
          0.0,
          "fraction taken from the end of the data, before shuffling, to validate on after each epoch (as Keras)");
  public static final Setting<Integer> INITIAL_EPOCH =
      Setting.integer(
          "initial_epoch",
          0,
          0,
          "the epoch to start at (Keras' `initial_epoch`): epochs are counted and shuffled from it,"
              + " and the history has `epochs - initial_epoch` rows");
  public static final Setting<Map<Integer, Double>> CLASS_WEIGHT =
      Setting.<Map<Integer, Double>>of(
              "class_weight",
              null,
              "a mapping of class index to weight, e.g. {0: 1, 1: 20} (on the command line"
                  + " 0:1,1:20); weights are 0 or more",
              FitOptions::readClassWeight,
              FitOptions::writeClassWeight,
              v -> !v.isEmpty() && v.values().stream().allMatch(w -> w >= 0 && w < 1e30),
              "each training example's loss and gradient weighted by its class (as Keras: the"
                  + " label's class index, argmax or rounded value; classes not named weigh 1)")
          .optional();
  public static final Setting<String> SAMPLE_WEIGHT_COL =
      Setting.text(
              "sample_weight_col",
              null,
              "a numeric column of the data whose value (0 or more) weighs each example's loss and"
                  + " gradient, as Keras' `sample_weight`; also the validation data's, when it has"
                  + " the column")
          .optional();
  public static final Setting<List<Callback>> CALLBACKS =
      Setting.<List<Callback>>of(
              "callbacks",
              List.of(),
              "a list of callbacks {type: ..., ...} (see below; on the command line as JSON)",
              Callbacks::fromConfigList,
              Callbacks::toConfigList,
              v -> true,
              "called at the start and end of training and of each epoch")
          .shownAs("none");
  public static final Setting<Long> SEED =
      Setting.longInteger("seed", 42L, "seeds the initial weights and each epoch's shuffle");
  public static final Setting<Strategy> STRATEGY =
      Setting.choice(
          "strategy",
          Strategy.class,
          Strategy.SYNC,
          "`sync`: exact data-parallel mini-batch SGD; `local`: local SGD, see [Strategies](#strategies)");
  public static final Setting<Integer> PARTITIONS =
      Setting.integer(
          "partitions", 0, 0, "repartition the training data (0: keep the input's partitions)");
  public static final Setting<Integer> VERBOSE =
      Setting.integer("verbose", 1, 0, 2, "0: silent; 1 or 2: one progress line per epoch");
  public static final Setting<Integer> THREADS =
      Setting.integer(
          "threads",
          1,
          1,
          "threads each task computes with (one multi-threaded task per executor instead of one task per core)");
  public static final Setting<SyncPath> SYNC_PATH =
      Setting.choice(
          "sync_path",
          SyncPath.class,
          SyncPath.AUTO,
          "`sync` only: `channel` (one long-running task per task slot, each owning a run of partitions, steps "
              + "exchanged with the driver over a socket, encrypted when Spark's RPC is), `jobs` (a Spark job per "
              + "step), `allreduce` (the channel's tasks, with parameters and gradient sums passed along a ring of "
              + "them: the driver's link carries 8n bytes per step instead of 8nP, for large models), `auto` (the "
              + "channel while the cost model says the driver's link keeps up, else the allreduce, or a job per "
              + "step where that is cheaper)");
  public static final Setting<Integer> SYNC_EVERY =
      Setting.integer(
          "sync_every",
          0,
          0,
          "`local` only: local steps between synchronisations; 0 is once per epoch");
  public static final Setting<OuterOptimizer> OUTER_OPTIMIZER =
      Setting.choice(
          "outer_optimizer",
          OuterOptimizer.class,
          OuterOptimizer.AVERAGE,
          "`local` only: `average` (plain mean of the partitions' "
              + "weights) or `nesterov` (DiLoCo's outer Nesterov momentum)");
  public static final Setting<Double> OUTER_LEARNING_RATE =
      Setting.positive("outer_learning_rate", 0.7, "`local` with `nesterov`: the outer step size");
  public static final Setting<Double> OUTER_MOMENTUM =
      Setting.fraction("outer_momentum", 0.9, "`local` with `nesterov`: the outer momentum");
  public static final Setting<Integer> CONNECT_TIMEOUT =
      Setting.integer(
          "connect_timeout",
          300,
          1,
          "seconds to wait for the channel's tasks to start and connect before the run fails naming what it waited "
              + "for; when the cluster has fewer slots than tasks, a tenth of it without a new task starts fewer tasks");
  public static final Setting<Integer> STEP_TIMEOUT =
      Setting.integer(
          "step_timeout",
          1800,
          1,
          "seconds to wait for one step's sums (and for any Spark job of the loop) before the step counts as lost");
  public static final Setting<Integer> MAX_RESTARTS =
      Setting.integer(
          "max_restarts",
          3,
          0,
          "how often the channel's tasks are restarted after a lost task (the current step is repeated)");
  public static final Setting<Integer> MAX_RETRIES =
      Setting.integer(
          "max_retries", 3, 0, "how often a failed attempt restarts from the last checkpoint");
  public static final Setting<Integer> CHECKPOINT_EVERY_STEPS =
      Setting.integer(
          "checkpoint_every_steps",
          0,
          0,
          "also checkpoint every N steps (rounds for `local`) within an epoch (0: at epoch ends only)");
  public static final Setting<Integer> KEEP_CHECKPOINTS =
      Setting.integer("keep_checkpoints", 3, 1, "checkpoints kept in the checkpoint directory");

  public static final Setting<Watermark> WATERMARK =
      Setting.of(
              "watermark",
              (Watermark) null,
              "a mapping of the keys in the watermark table, or on the command line"
                  + " `FILE` or `key=FILE,bits=N,layer=N,strength=X`",
              Watermark::fromConfig,
              Watermark::toConfig,
              v -> true,
              "`sync` only: embed the owner's ownership watermark in the weights (see"
                  + " [Provenance and ownership](#provenance-and-ownership))")
          .shownAs("none");

  public static final Setting<DifferentialPrivacy> DIFFERENTIAL_PRIVACY =
      Setting.of(
              "differential_privacy",
              (DifferentialPrivacy) null,
              "a mapping of the keys in the differential privacy table, or on the command line"
                  + " `l2_norm_clip=C,noise_multiplier=S,delta=D,...`",
              DifferentialPrivacy::fromConfig,
              DifferentialPrivacy::toConfig,
              v -> true,
              "`sync` only: differentially private SGD, each example's gradient clipped and"
                  + " Gaussian noise added to each step's sum, the privacy spent accounted (see"
                  + " [Differential privacy](#differential-privacy))")
          .shownAs("none");

  /** Every setting, in the order the README lists them. */
  public static final List<Setting<?>> SETTINGS =
      List.of(
          EPOCHS,
          BATCH_SIZE,
          VALIDATION_SPLIT,
          INITIAL_EPOCH,
          CLASS_WEIGHT,
          SAMPLE_WEIGHT_COL,
          CALLBACKS,
          SEED,
          STRATEGY,
          PARTITIONS,
          VERBOSE,
          THREADS,
          SYNC_PATH,
          SYNC_EVERY,
          OUTER_OPTIMIZER,
          OUTER_LEARNING_RATE,
          OUTER_MOMENTUM,
          CONNECT_TIMEOUT,
          STEP_TIMEOUT,
          MAX_RESTARTS,
          MAX_RETRIES,
          CHECKPOINT_EVERY_STEPS,
          KEEP_CHECKPOINTS,
          WATERMARK,
          DIFFERENTIAL_PRIVACY);

  private final Map<Setting<?>, Object> values = new HashMap<>();
  private String featuresCol = "features";
  private String labelCol = "label";
  private String checkpointDir;
  private boolean resume;
  private String trainName = "train data";
  private String validationName = "validation data";

  /** The options of a {@code fit:} mapping (every key optional; unknown keys are refused). */
  public static FitOptions fromConfig(JsonNode node, String path) {
    Configs.requireObject(node, path);
    Configs.checkKeys(
        node,
        path,
        SETTINGS.stream().map(Setting::key).collect(java.util.stream.Collectors.toSet()));
    FitOptions options = new FitOptions();
    for (Setting<?> s : SETTINGS) {
      if (node.hasNonNull(s.key())) {
        options.values.put(s, s.read(node, path));
      }
    }
    return options;
  }

  /**
   * Sets a setting by its key from a configuration or Java value ({@code set("batch_size",
   * "all")}).
   */
  public FitOptions set(String key, Object value) {
    Setting<?> setting =
        SETTINGS.stream()
            .filter(s -> s.key().equals(key))
            .findFirst()
            .orElseThrow(() -> new ConfigException("unknown fit setting '" + key + "'"));
    values.put(setting, setting.convert(value, key));
    return this;
  }

  /** Sets {@code setting} to {@code value}, checked. */
  public <T> FitOptions set(Setting<T> setting, T value) {
    values.put(setting, setting.check(value));
    return this;
  }

  /** The value of {@code setting}: as set, else its default. */
  @SuppressWarnings("unchecked")
  public <T> T get(Setting<T> setting) {
    return values.containsKey(setting) ? (T) values.get(setting) : setting.defaultValue();
  }

  /** The value of {@code setting} as configuration. */
  @SuppressWarnings("unchecked")
  public JsonNode toJson(Setting<?> setting) {
    return ((Setting<Object>) setting).toJson(get(setting));
  }

  /**
   * Every setting's value in Keras' names, as {@code model.json}'s {@code training_config} records
   * it.
   */
  public ObjectNode toConfig() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    for (Setting<?> s : SETTINGS) {
      node.set(s.key(), toJson(s));
    }
    node.put("features_col", featuresCol);
    node.put("label_col", labelCol);
    return node;
  }

  /** The settings given explicitly (not left at their defaults), in Keras' names. */
  public Map<String, Object> explicit() {
    Map<String, Object> set = new LinkedHashMap<>();
    SETTINGS.stream().filter(values::containsKey).forEach(s -> set.put(s.key(), values.get(s)));
    return Collections.unmodifiableMap(set);
  }

  /**
   * {@code {0: 1, 1: 20}} (keys are class indices, as YAML and JSON give them, as text), or the
   * command line's {@code 0:1,1:20} (or the mapping as JSON); {@code null} when it is neither.
   */
  private static Map<Integer, Double> readClassWeight(JsonNode v) {
    Map<Integer, Double> weights = new java.util.TreeMap<>();
    if (v.isTextual() && v.asText().trim().startsWith("{")) {
      try {
        return readClassWeight(
            new com.fasterxml.jackson.databind.ObjectMapper().readTree(v.asText()));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        return null;
      }
    }
    if (v.isTextual()) {
      for (String pair : v.asText().split(",")) {
        String[] kv = pair.split(":");
        if (kv.length != 2 || !addClassWeight(weights, kv[0], kv[1])) {
          return null;
        }
      }
      return Collections.unmodifiableMap(weights);
    }
    if (!v.isObject()) {
      return null;
    }
    for (java.util.Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isNumber() || !addClassWeight(weights, e.getKey(), e.getValue().asText())) {
        return null;
      }
    }
    return Collections.unmodifiableMap(weights);
  }

  private static boolean addClassWeight(Map<Integer, Double> weights, String key, String value) {
    try {
      int c = Integer.parseInt(key.trim());
      double w = Double.parseDouble(value.trim());
      return c >= 0 && Double.isFinite(w) && weights.put(c, w) == null;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static JsonNode writeClassWeight(Map<Integer, Double> weights) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    new java.util.TreeMap<>(weights).forEach((c, w) -> node.put(String.valueOf(c), w));
    return node;
  }

  /**
   * {@code all}, or a positive integer (written as a number or as text, as the command line gives
   * it).
   */
  private static Integer readBatchSize(JsonNode v) {
    String text = v.asText().trim();
    if (v.isTextual() && text.equalsIgnoreCase("all")) {
      return ALL;
    }
    if (!(v.isIntegralNumber() && v.canConvertToInt())
        && !(v.isTextual() && text.matches("\\d{1,9}"))) {
      return null;
    }
    int n = v.isTextual() ? Integer.parseInt(text) : v.asInt();
    return n > 0 ? n : null;
  }

  public FitOptions epochs(int value) {
    return set(EPOCHS, value);
  }

  public int epochs() {
    return get(EPOCHS);
  }

  /** Examples per gradient step, or {@link #ALL}. */
  public FitOptions batchSize(int value) {
    return set(BATCH_SIZE, value);
  }

  public int batchSize() {
    return get(BATCH_SIZE);
  }

  public FitOptions validationSplit(double value) {
    return set(VALIDATION_SPLIT, value);
  }

  public double validationSplit() {
    return get(VALIDATION_SPLIT);
  }

  public FitOptions seed(long value) {
    return set(SEED, value);
  }

  public long seed() {
    return get(SEED);
  }

  public FitOptions strategy(Strategy value) {
    return set(STRATEGY, value);
  }

  public Strategy strategy() {
    return get(STRATEGY);
  }

  public FitOptions partitions(int value) {
    return set(PARTITIONS, value);
  }

  public int partitions() {
    return get(PARTITIONS);
  }

  public FitOptions verbose(int value) {
    return set(VERBOSE, value);
  }

  public int verbose() {
    return get(VERBOSE);
  }

  public FitOptions threads(int value) {
    return set(THREADS, value);
  }

  public int threads() {
    return get(THREADS);
  }

  public FitOptions syncPath(SyncPath value) {
    return set(SYNC_PATH, value);
  }

  public SyncPath syncPath() {
    return get(SYNC_PATH);
  }

  public FitOptions syncEvery(int value) {
    return set(SYNC_EVERY, value);
  }

  public int syncEvery() {
    return get(SYNC_EVERY);
  }

  public FitOptions outerOptimizer(OuterOptimizer value) {
    return set(OUTER_OPTIMIZER, value);
  }

  public OuterOptimizer outerOptimizer() {
    return get(OUTER_OPTIMIZER);
  }

  public FitOptions outerLearningRate(double value) {
    return set(OUTER_LEARNING_RATE, value);
  }

  public double outerLearningRate() {
    return get(OUTER_LEARNING_RATE);
  }

  public FitOptions outerMomentum(double value) {
    return set(OUTER_MOMENTUM, value);
  }

  public double outerMomentum() {
    return get(OUTER_MOMENTUM);
  }

  public FitOptions connectTimeout(int seconds) {
    return set(CONNECT_TIMEOUT, seconds);
  }

  public int connectTimeout() {
    return get(CONNECT_TIMEOUT);
  }

  public FitOptions stepTimeout(int seconds) {
    return set(STEP_TIMEOUT, seconds);
  }

  public int stepTimeout() {
    return get(STEP_TIMEOUT);
  }

  public FitOptions maxRestarts(int value) {
    return set(MAX_RESTARTS, value);
  }

  public int maxRestarts() {
    return get(MAX_RESTARTS);
  }

  public FitOptions maxRetries(int value) {
    return set(MAX_RETRIES, value);
  }

  public int maxRetries() {
    return get(MAX_RETRIES);
  }

  public FitOptions checkpointEverySteps(int value) {
    return set(CHECKPOINT_EVERY_STEPS, value);
  }

  public int checkpointEverySteps() {
    return get(CHECKPOINT_EVERY_STEPS);
  }

  public FitOptions keepCheckpoints(int value) {
    return set(KEEP_CHECKPOINTS, value);
  }

  public int keepCheckpoints() {
    return get(KEEP_CHECKPOINTS);
  }

  /**
   * Embeds an ownership watermark while training (see {@link Watermark}); {@code null} embeds none.
   */
  public FitOptions watermark(Watermark value) {
    if (value == null) {
      values.remove(WATERMARK);
      return this;
    }
    return set(WATERMARK, value);
  }

  /** The watermark to embed, or {@code null}. */
  public Watermark watermark() {
    return get(WATERMARK);
  }

  /**
   * Trains with differentially private SGD (see {@link DifferentialPrivacy}); {@code null} trains
   * without.
   */
  public FitOptions differentialPrivacy(DifferentialPrivacy value) {
    if (value == null) {
      values.remove(DIFFERENTIAL_PRIVACY);
      return this;
    }
    return set(DIFFERENTIAL_PRIVACY, value);
  }

  /** The differential privacy to train with, or {@code null}. */
  public DifferentialPrivacy differentialPrivacy() {
    return get(DIFFERENTIAL_PRIVACY);
  }

  /** The features column: an ML vector or an array of numbers (default {@code features}). */
  public FitOptions featuresCol(String value) {
    featuresCol = requireText(value, "featuresCol");
    return this;
  }

  public String featuresCol() {
    return featuresCol;
  }

  /**
   * The label column: a number, or a vector with one value per output unit (default {@code label}).
   */
  public FitOptions labelCol(String value) {
    labelCol = requireText(value, "labelCol");
    return this;
  }

  public String labelCol() {
    return labelCol;
  }

  /**
   * Where checkpoints go (any Hadoop file system); without one they are kept in memory only, to
   * retry from. A run that does not resume first removes the directory's old checkpoints.
   */
  public FitOptions checkpointDir(String dir) {
    checkpointDir = dir;
    return this;
  }

  public String checkpointDir() {
    return checkpointDir;
  }

  /**
   * Continue from the newest checkpoint in {@link #checkpointDir} (which must be of the same run).
   */
  public FitOptions resume(boolean value) {
    resume = value;
    return this;
  }

  public boolean resume() {
    return resume;
  }

  /**
   * Adds callbacks, called at the start and end of training and of each epoch, in order, after the
   * default progress printer: {@link EarlyStopping}, {@link ModelCheckpoint}, {@link
   * ReduceLROnPlateau}, {@link CsvLogger} or any {@link Callback}.
   */
  public FitOptions callbacks(Callback... added) {
    List<Callback> all = new ArrayList<>(callbacks());
    all.addAll(List.of(added));
    return set(CALLBACKS, List.copyOf(all));
  }

  public List<Callback> callbacks() {
    return get(CALLBACKS);
  }

  public FitOptions initialEpoch(int value) {
    return set(INITIAL_EPOCH, value);
  }

  public int initialEpoch() {
    return get(INITIAL_EPOCH);
  }

  /** Keras' {@code class_weight}: class index to weight ({@code null}: none). */
  public FitOptions classWeight(Map<Integer, Double> value) {
    return set(CLASS_WEIGHT, value == null ? null : Map.copyOf(value));
  }

  public Map<Integer, Double> classWeight() {
    return get(CLASS_WEIGHT);
  }

  /** The column of sample weights ({@code null}: none). */
  public FitOptions sampleWeightCol(String value) {
    return set(SAMPLE_WEIGHT_COL, value);
  }

  public String sampleWeightCol() {
    return get(SAMPLE_WEIGHT_COL);
  }

  /** How error messages name the training and validation data (e.g. by their files). */
  public FitOptions dataNames(String train, String validation) {
    trainName = requireText(train, "train data name");
    validationName = requireText(validation, "validation data name");
    return this;
  }

  public String trainName() {
    return trainName;
  }

  public String validationName() {
    return validationName;
  }

  /** Checks what one setting cannot check alone; returns {@code this}. */
  public FitOptions check() {
    if (resume && checkpointDir == null) {
      throw new ConfigException("resume needs a checkpoint directory");
    }
    if (watermark() != null && strategy() != Strategy.SYNC) {
      // Under local SGD the regularizer would run in the executors' tasks, with the secret
      // projection in their closures.
      throw new ConfigException(
          "fit.watermark: needs strategy sync (the driver adds the watermark's regularizer at each"
              + " step, and local steps run on the executors)");
    }
    if (differentialPrivacy() != null && strategy() != Strategy.SYNC) {
      throw new ConfigException(
          "fit.differential_privacy: needs strategy sync (the driver adds the noise to each"
              + " step's sum; local steps would leave each partition's updates without it)");
    }
    if (classWeight() != null && sampleWeightCol() != null) {
      throw new ConfigException(
          "class_weight and sample_weight_col: give one (Keras takes class_weight or"
              + " sample_weight, not both)");
    }
    if (initialEpoch() >= epochs()) {
      throw new ConfigException(
          "initial_epoch: "
              + initialEpoch()
              + " leaves nothing to train: it must be less than epochs ("
              + epochs()
              + ")");
    }
    return this;
  }

  private static String requireText(String value, String what) {
    if (value == null || value.isBlank()) {
      throw new ConfigException(
          what + ": must be a non-empty text, got " + (value == null ? "nothing" : "''"));
    }
    return value;
  }
}
