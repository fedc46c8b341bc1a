package org.sparkdp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkdp.driver.Engine;
import org.sparkdp.driver.TrainingState;
import org.sparkdp.interop.KerasModel;
import org.sparkdp.io.ModelExchange;
import org.sparkdp.io.ModelStore;
import org.sparkdp.io.Provenance;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.Layer;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Optimizer;
import org.sparkdp.ops.ParameterBudget;
import org.sparkdp.ops.Sgd;

/**
 * A Keras-style Sequential model trained data-parallel on Spark:
 *
 * <pre>{@code
 * Sequential model = new Sequential(
 *     Dense.of(64, "relu").withInputDim(784), Dropout.of(0.2), Dense.of(64, "relu"),
 *     Dense.of(10, "softmax"));
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
 * default, would draw, without keeping them). A {@code fit} that fails or is interrupted leaves the
 * model as it was before it: weights, optimizer state and history (the checkpoints hold its
 * progress).
 */
public final class Sequential {
  private final List<Layer> layers = new ArrayList<>();
  private List<Integer> inputShape;
  private CompileConfig compile;
  private TrainingState state;
  private int labelWidth;
  private JsonNode training = JsonNodeFactory.instance.objectNode();
  private Provenance provenance = Provenance.none();
  private FitStats lastFitStats;

  public Sequential(Layer... layers) {
    this.layers.addAll(Arrays.asList(layers));
  }

  /** A model of {@code spec}'s layers and input shape. */
  public Sequential(ModelSpec spec) {
    this(spec.layers().toArray(new Layer[0]));
    this.inputShape = spec.inputShape();
  }

  /**
   * Sets the shape of one example, Keras' {@code input_shape} without the batch ({@code 28, 28, 1}:
   * rows of 784 values, channels last); a vector's is the first layer's {@code inputDim}.
   */
  public Sequential inputShape(int... shape) {
    inputShape = Arrays.stream(shape).boxed().toList();
    state = null;
    return this;
  }

  /** Appends a layer. */
  public Sequential add(Layer layer) {
    layers.add(layer);
    state = null;
    return this;
  }

  /**
   * The layers, checked: the first needs {@code inputDim}, the others take the width of the one
   * before, and their parameters must fit the {@link ParameterBudget} of this JVM.
   */
  public ModelSpec spec() {
    ModelSpec spec = new ModelSpec(layers, inputShape);
    ParameterBudget.check(spec, "layers");
    return spec;
  }

  /** Sets the optimizer, the loss (a Keras name) and the metrics ({@code "accuracy"}). */
  public Sequential compile(Optimizer optimizer, String loss, String... metrics) {
    return compile(
        new CompileConfig(optimizer, Loss.fromName(loss), false, CompileConfig.metrics(metrics)));
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
        Provenance.of(spark.version(), spark.sparkContext().master(), result.data(), finals)
            .withPredecessors(
                result.resumedFrom() == null ? List.of() : List.of(result.resumedFrom()))
            .withPrivacy(result.privacy());
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

  /** The loss and the compiled metrics over {@code data}, with the default column names. */
  public Map<String, Double> evaluate(Dataset<Row> data) {
    return evaluate(data, "features", "label", "evaluation data");
  }

  /**
   * The loss and the compiled metrics over {@code data}, by name (Keras' {@code evaluate(...,
   * return_dict=True)}); {@code name} is how error messages name the data.
   */
  public Map<String, Double> evaluate(
      Dataset<Row> data, String featuresCol, String labelCol, String name) {
    return evaluation(data, featuresCol, labelCol, name).metrics();
  }

  /**
   * The loss, the compiled metrics and, for a classifier with one class per example, the confusion
   * matrix over {@code data}: sums and counts added up on the executors, in partition order.
   */
  public Evaluation evaluation(
      Dataset<Row> data, String featuresCol, String labelCol, String name) {
    return Engine.evaluate(spec(), requireCompiled(), weights(), data, featuresCol, labelCol, name);
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
    return save(dir, Map.of());
  }

  /**
   * Writes the model directory with {@code files} beside the model (name to content: a history,
   * plots, metrics), all committed together: a failure or a crash leaves the directory's previous
   * files whole, or these (see {@link org.sparkdp.io.OutputSet}). Files of the previous set that
   * this one does not have are removed.
   */
  public String save(String dir, Map<String, byte[]> files) throws IOException {
    return save(dir, files, null);
  }

  /**
   * As {@link #save(String, Map)}, and signed by {@code signWith} (an Ed25519 private key, see
   * {@link org.sparkdp.io.Keys}) unless it is {@code null}: a {@code manifest.json} of every file's
   * SHA-256 and the provenance, and its signature {@code manifest.sig}, committed in the same set
   * (see {@link org.sparkdp.io.Manifest}). Every save writes a {@code MODEL_CARD.md} too, unless
   * {@code files} has one.
   */
  public String save(String dir, Map<String, byte[]> files, PrivateKey signWith)
      throws IOException {
    return ModelStore.save(
        dir,
        hadoopConf(),
        spec(),
        requireCompiled(),
        Math.max(labelWidth, 1),
        weights(),
        training,
        provenance.toJson(),
        files,
        signWith);
  }

  /**
   * Reads a model directory written by {@link #save}; a signed one must match its manifest (every
   * file, none added, a valid signature), or it is refused naming the file at fault.
   */
  public static Sequential load(String dir) throws IOException {
    return load(dir, true);
  }

  /**
   * Reads a model directory written by {@link #save}; {@code checkManifest false} reads a signed
   * one even when it does not match its manifest (each file is still checked against the output
   * set's record and the weights against {@code model.json}).
   */
  public static Sequential load(String dir, boolean checkManifest) throws IOException {
    return fromLoaded(ModelStore.load(dir, hadoopConf(), checkManifest));
  }

  private static Sequential fromLoaded(ModelStore.Loaded loaded) throws IOException {
    Sequential model = new Sequential(loaded.saved().spec());
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
   * Reads a model directory written by {@link #save} only if {@code requireSigner} signed it: a
   * model that is not signed, whose signature is missing or by another key, or whose files differ
   * from its manifest is refused with an {@link IOException} that says why. {@code null} reads as
   * {@link #load(String)} does.
   */
  public static Sequential load(String dir, PublicKey requireSigner) throws IOException {
    return requireSigner == null
        ? load(dir)
        : fromLoaded(ModelStore.load(dir, hadoopConf(), requireSigner));
  }

  /**
   * A model from Keras: a {@code .keras} file (Keras 3's {@code model.save}: the layers, their
   * weights and, where sparkdp has its pieces, the compile config) or a model's JSON ({@code
   * model.to_json()} of Keras 2 or 3: the layers, and Keras 3's compile config if the model was
   * compiled; the weights start as their initializers draw them). Layers or options sparkdp does
   * not have fail with an {@link IOException} naming them; a compile config sparkdp cannot use (an
   * optimizer or loss it does not have) is left out, so call {@link #compile} before {@code fit}.
   * {@link ModelExchange#readKeras} says what was left out.
   */
  public static Sequential fromKeras(String path) throws IOException {
    KerasModel imported = ModelExchange.readKeras(path, hadoopConf());
    Sequential model = new Sequential(imported.spec());
    if (imported.compile() != null) {
      model.compile(imported.compile());
    }
    if (imported.params() != null) {
      model.setWeights(imported.params());
    }
    return model;
  }

  /**
   * Writes a {@code .keras} file that Keras 3 loads ({@code keras.saving.load_model}): the layers,
   * the weights and the compile config (if compiled). The optimizer's state is not carried over:
   * Keras starts it afresh, as after {@code compile}. An existing file is replaced only if it is an
   * earlier {@code .keras} file (see {@link #exportKeras(String, boolean)}).
   */
  public void exportKeras(String path) throws IOException {
    exportKeras(path, false);
  }

  /**
   * {@link #exportKeras(String)}, replacing whatever {@code path} holds when {@code overwrite}.
   *
   * @throws org.sparkdp.ops.ConfigException if {@code path} holds another kind of file and not
   *     {@code overwrite}; the file is left as it was
   */
  public void exportKeras(String path, boolean overwrite) throws IOException {
    ModelExchange.writeKeras(path, overwrite, hadoopConf(), spec(), compile, weights());
  }

  /**
   * Writes an ONNX model of {@link #predict}'s outputs: input {@code input [batch, features]},
   * output {@code output [batch, units]}, opset 17, the batch size free. An existing file is
   * replaced only if it is an earlier ONNX model (see {@link #exportOnnx(String, boolean)}).
   */
  public void exportOnnx(String path) throws IOException {
    exportOnnx(path, false);
  }

  /**
   * {@link #exportOnnx(String)}, replacing whatever {@code path} holds when {@code overwrite}.
   *
   * @throws org.sparkdp.ops.ConfigException if {@code path} holds another kind of file and not
   *     {@code overwrite}; the file is left as it was
   */
  public void exportOnnx(String path, boolean overwrite) throws IOException {
    ModelExchange.writeOnnx(path, overwrite, hadoopConf(), spec(), weights());
  }

  /**
   * Keras' {@code model.summary()}: the table of layers (name and class, output shape, parameter
   * count) and the total, trainable and non-trainable parameters with their size.
   */
  public String summary() {
    return spec().summary("sequential");
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
