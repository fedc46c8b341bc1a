package org.sparkdp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkdp.driver.Engine;
import org.sparkdp.driver.TrainingState;
import org.sparkdp.io.ModelStore;
import org.sparkdp.io.Provenance;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Optimizer;
import org.sparkdp.ops.Sgd;
import org.sparkdp.ops.Totals;

/**
 * A Keras-style Sequential model trained data-parallel on Spark:
 *
 * <pre>{@code
 * Sequential model = new Sequential(
 *     Dense.of(64, "relu").withInputDim(784), Dense.of(64, "relu"), Dense.of(10, "softmax"));
 * model.compile(Adam.defaults(), "sparse_categorical_crossentropy", "accuracy");
 * History history = model.fit(train, new FitOptions().epochs(10).batchSize(32).validationSplit(0.1));
 * Map<String, Double> metrics = model.evaluate(test);
 * model.save("hdfs:///models/fashion");
 * }</pre>
 *
 * Data frames have a features column (an ML vector or an array of numbers) and a label column (a
 * number, or a vector with one value per output unit). Like Keras, {@code fit} continues from the
 * current weights and optimizer state; the first {@code fit} draws the initial weights from its
 * seed (until then, {@link #weights} and {@link #predict} use the weights that seed 42, the
 * default, would draw, without keeping them).
 */
public final class Sequential {
  private final List<Dense> layers = new ArrayList<>();
  private CompileConfig compile;
  private TrainingState state;
  private int labelWidth;
  private JsonNode training = JsonNodeFactory.instance.objectNode();
  private Provenance provenance = Provenance.none();
  private FitStats lastFitStats;

  public Sequential(Dense... layers) {
    this.layers.addAll(Arrays.asList(layers));
  }

  /** Appends a layer. */
  public Sequential add(Dense layer) {
    layers.add(layer);
    state = null;
    return this;
  }

  /**
   * The layers, checked: the first needs {@code inputDim}, the others take the width of the one
   * before.
   */
  public ModelSpec spec() {
    return new ModelSpec(layers);
  }

  /** Sets the optimizer, the loss (a Keras name) and the metrics ({@code "accuracy"}). */
  public Sequential compile(Optimizer optimizer, String loss, String... metrics) {
    return compile(new CompileConfig(optimizer, Loss.fromName(loss), false, List.of(metrics)));
  }

  /** Sets the compile settings; the optimizer's state starts afresh, the weights stay. */
  public Sequential compile(CompileConfig config) {
    ModelSpec spec = spec(); // fails early on a bad stack of layers
    config.loss().checkOutput(spec.outputActivation(), spec.outputUnits(), config.fromLogits());
    compile = config;
    if (state != null) {
      state = TrainingState.start(state.params());
    }
    return this;
  }

  public CompileConfig compileConfig() {
    return requireCompiled();
  }

  /** Trains on {@code train}, validating on a {@code validationSplit} of it if the options ask. */
  public History fit(Dataset<Row> train, FitOptions options) {
    return fit(train, null, options);
  }

  /**
   * Trains on {@code train}, validating on {@code validationData} (when not {@code null}) after
   * each epoch.
   */
  public History fit(Dataset<Row> train, Dataset<Row> validationData, FitOptions options) {
    CompileConfig config = requireCompiled();
    ModelSpec spec = spec();
    TrainingState start =
        state == null ? TrainingState.start(spec.initialParameters(options.seed())) : state.next();
    List<Callback> callbacks = new ArrayList<>();
    if (options.verbose() > 0) {
      callbacks.add(new ProgressLogger(System.out));
    }
    callbacks.addAll(options.callbacks());
    Engine.FitResult result =
        Engine.fit(spec, config, options, train, validationData, start, callbacks);
    state = start;
    labelWidth = result.labelWidth();
    lastFitStats = result.stats();
    training = options.toConfig();
    Map<String, Double> finals = new LinkedHashMap<>();
    result.history().history().forEach((k, values) -> finals.put(k, values.get(values.size() - 1)));
    SparkSession spark = train.sparkSession();
    provenance =
        Provenance.of(spark.version(), spark.sparkContext().master(), result.data(), finals);
    return result.history();
  }

  /**
   * Stops every {@code fit} running in this JVM within moments (from any thread, e.g. a signal
   * handler): the step in flight is abandoned, nothing is retried, and {@code fit} throws {@link
   * TrainingInterruptedException} naming the epoch, the step and the last checkpoint, from which
   * {@code FitOptions.resume(true)} continues to the weights of a run that never stopped. Returns
   * whether a fit was running.
   *
   * @param reason what asked, for the message (e.g. {@code "SIGTERM"})
   */
  public static boolean interruptTraining(String reason) {
    return Engine.interrupt(reason);
  }

  /**
   * What the last {@code fit} cost: steps, task compute time, and how steps reached the executors.
   */
  public FitStats lastFitStats() {
    return lastFitStats;
  }

  /**
   * Mean loss (and accuracy, if compiled with it) over {@code data}, with the default column names.
   */
  public Map<String, Double> evaluate(Dataset<Row> data) {
    return evaluate(data, "features", "label", "evaluation data");
  }

  /**
   * Mean loss (and accuracy) over {@code data}; {@code name} is how error messages name the data.
   */
  public Map<String, Double> evaluate(
      Dataset<Row> data, String featuresCol, String labelCol, String name) {
    CompileConfig config = requireCompiled();
    Totals totals = Engine.evaluate(spec(), config, weights(), data, featuresCol, labelCol, name);
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("loss", totals.meanLoss());
    if (config.reportsAccuracy()) {
      metrics.put("accuracy", totals.accuracy());
    }
    return metrics;
  }

  /**
   * {@code data} with two more columns: {@code output}, the model's outputs as an ML vector (as
   * Keras' {@code predict}), and {@code prediction}: the class (argmax, or output above 0.5 for one
   * unit) for the crossentropy losses, the output itself for a one-unit regression.
   */
  public Dataset<Row> predict(Dataset<Row> data) {
    return predict(data, "features");
  }

  public Dataset<Row> predict(Dataset<Row> data, String featuresCol) {
    CompileConfig config =
        compile == null
            ? new CompileConfig(Sgd.defaults(), Loss.MEAN_SQUARED_ERROR, false, List.of())
            : compile;
    return Engine.predict(spec(), config, weights(), data, featuresCol, "predict data");
  }

  /**
   * A copy of the flat parameter vector: the trained or loaded weights, or, before any, the ones a
   * first {@code fit} with the default seed would start from.
   */
  public float[] weights() {
    return state == null
        ? spec().initialParameters(FitOptions.SEED.defaultValue())
        : state.params().clone();
  }

  /**
   * Replaces the parameters (laid out as {@link ModelSpec#layout()}) and resets the optimizer
   * state.
   */
  public void setWeights(float[] values) {
    int size = spec().layout().size();
    if (values.length != size) {
      throw new IllegalArgumentException(
          "the model has " + size + " parameters, got " + values.length);
    }
    state = TrainingState.start(values.clone());
  }

  /** Reads weights from an {@code .npz} in Keras' layout, as Keras' {@code load_weights}. */
  public void loadWeights(String path) throws IOException {
    setWeights(ModelStore.loadWeights(path, hadoopConf(), spec()));
  }

  /** The fit settings of the last {@code fit} (or of the loaded model), in Keras' names. */
  public JsonNode trainingConfig() {
    return training.deepCopy();
  }

  /** How the model was made: data, versions, metrics, and the job and metadata that callers add. */
  public Provenance provenance() {
    return provenance;
  }

  /**
   * Replaces the provenance (e.g. with the job's arguments and metadata added); saved with the
   * model.
   */
  public void setProvenance(Provenance value) {
    provenance = value;
  }

  /**
   * Writes the model directory ({@code model.json}, {@code weights.npz}) on any Hadoop file system.
   */
  public String save(String dir) throws IOException {
    return ModelStore.save(
        dir,
        hadoopConf(),
        spec(),
        requireCompiled(),
        Math.max(labelWidth, 1),
        weights(),
        training,
        provenance.toJson());
  }

  /** Reads a model directory written by {@link #save}. */
  public static Sequential load(String dir) throws IOException {
    ModelStore.Loaded loaded = ModelStore.load(dir, hadoopConf());
    Sequential model = new Sequential(loaded.saved().spec().layers().toArray(new Dense[0]));
    model.compile(loaded.saved().compile());
    model.state = TrainingState.start(loaded.params());
    model.labelWidth = loaded.saved().labelWidth();
    if (loaded.saved().json().get("training_config") instanceof ObjectNode t) {
      model.training = t;
    }
    model.provenance = Provenance.fromJson(loaded.saved().json().get("provenance"));
    return model;
  }

  /**
   * Keras' {@code model.summary()}: one line per layer with its output width and parameter count.
   */
  public String summary() {
    ModelSpec spec = spec();
    StringBuilder s =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "%-12s %-14s %-10s %10s%n",
                "Layer",
                "Output shape",
                "Activation",
                "Params"));
    for (int l = 0; l < spec.layers().size(); l++) {
      Dense d = spec.layers().get(l);
      long count = (long) spec.inputOf(l) * d.units() + (d.useBias() ? d.units() : 0);
      s.append(
          String.format(
              Locale.ROOT,
              "%-12s %-14s %-10s %10d%n",
              ModelSpec.layerName(l),
              "(None, " + d.units() + ")",
              d.activation().kerasName(),
              count));
    }
    s.append(String.format(Locale.ROOT, "Total params: %d%n", spec.layout().size()));
    return s.toString();
  }

  private CompileConfig requireCompiled() {
    if (compile == null) {
      throw new IllegalStateException("call compile(optimizer, loss, metrics) first");
    }
    return compile;
  }

  private static Configuration hadoopConf() {
    return SparkSession.getActiveSession().isDefined()
        ? SparkSession.getActiveSession().get().sparkContext().hadoopConfiguration()
        : new Configuration();
  }
}
