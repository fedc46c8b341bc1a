package org.sparkdp.ml;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.sparkdp.Callback;
import org.sparkdp.FitOptions;
import org.sparkdp.History;
import org.sparkdp.Sequential;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Setting;

/**
 * A Keras Sequential model as a Spark ML Estimator: {@code fit} trains the layers of {@code layers}
 * (Keras' vocabulary, as JSON) with the compile Params ({@code optimizer}, {@code learningRate},
 * {@code loss}, {@code metrics}) and the fit Params (one per fit setting: {@code epochs}, {@code
 * batchSize}, {@code validationSplit}, {@code seed}, ...) on {@code featuresCol} and {@code
 * labelCol}, and returns a {@link SequentialModel}.
 *
 * <p>One estimator for classification and regression, as Keras has one Sequential: the loss says
 * which, and the model adds the classifier's or the regressor's columns accordingly.
 *
 * <pre>{@code
 * SequentialEstimator estimator = new SequentialEstimator()
 *     .setLayers("[{\"type\": \"dense\", \"units\": 16, \"activation\": \"relu\", \"input_dim\": 4},"
 *         + " {\"type\": \"dense\", \"units\": 3, \"activation\": \"softmax\"}]")
 *     .setLoss("sparse_categorical_crossentropy")
 *     .setParam("epochs", 10);
 * }</pre>
 */
public final class SequentialEstimator extends Estimator<SequentialModel>
    implements DefaultParamsWritable {
  private final String uid;
  private final StageParams p;
  private final transient List<Callback> callbacks = new ArrayList<>();
  private transient ProgressLines progress;

  /** A stage with a new uid (Spark Connect ML makes stages this way). */
  public SequentialEstimator() {
    this(Identifiable$.MODULE$.randomUID("SequentialEstimator"));
  }

  public SequentialEstimator(String uid) {
    this.uid = uid;
    this.p = new StageParams(this);
    p.defaults().forEach(this::setDefaultValue);
  }

  @SuppressWarnings("unchecked")
  private void setDefaultValue(Param<?> param, Object value) {
    setDefault((Param<Object>) param, value);
  }

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public Param<?>[] params() {
    return p.all();
  }

  /** Sets the Param named {@code name} (a fit setting by its Java name: {@code batchSize}). */
  public SequentialEstimator setParam(String name, Object value) {
    set(getParam(name), value);
    return this;
  }

  public Param<String> featuresCol() {
    return p.featuresCol;
  }

  public Param<String> labelCol() {
    return p.labelCol;
  }

  public Param<String> predictionCol() {
    return p.predictionCol;
  }

  public Param<String> probabilityCol() {
    return p.probabilityCol;
  }

  public Param<String> rawPredictionCol() {
    return p.rawPredictionCol;
  }

  public Param<String> weightCol() {
    return p.weightCol;
  }

  public Param<String> layers() {
    return p.layers;
  }

  public Param<String> optimizer() {
    return p.optimizer;
  }

  public org.apache.spark.ml.param.DoubleParam learningRate() {
    return p.learningRate;
  }

  public Param<String> loss() {
    return p.loss;
  }

  public org.apache.spark.ml.param.StringArrayParam metrics() {
    return p.metrics;
  }

  /** The Param of a fit setting ({@code FitOptions.EPOCHS} is {@code epochs}). */
  public Param<?> fitParam(Setting<?> setting) {
    return p.fit.get(setting);
  }

  public SequentialEstimator setFeaturesCol(String value) {
    return setParam("featuresCol", value);
  }

  public SequentialEstimator setLabelCol(String value) {
    return setParam("labelCol", value);
  }

  public SequentialEstimator setPredictionCol(String value) {
    return setParam("predictionCol", value);
  }

  public SequentialEstimator setProbabilityCol(String value) {
    return setParam("probabilityCol", value);
  }

  public SequentialEstimator setRawPredictionCol(String value) {
    return setParam("rawPredictionCol", value);
  }

  public SequentialEstimator setWeightCol(String value) {
    return setParam("weightCol", value);
  }

  public SequentialEstimator setLayers(String json) {
    return setParam("layers", json);
  }

  public SequentialEstimator setOptimizer(String nameOrJson) {
    return setParam("optimizer", nameOrJson);
  }

  public SequentialEstimator setLearningRate(double value) {
    return setParam("learningRate", value);
  }

  public SequentialEstimator setLoss(String nameOrJson) {
    return setParam("loss", nameOrJson);
  }

  public SequentialEstimator setMetrics(String... names) {
    return setParam("metrics", names);
  }

  public SequentialEstimator setSeed(long value) {
    return setParam("seed", value);
  }

  /**
   * Called during each {@code fit} of this instance (not of its copies, nor saved): Keras'
   * callbacks.
   */
  public SequentialEstimator addCallback(Callback callback) {
    callbacks.add(callback);
    return this;
  }

  /**
   * Sends the epoch lines of {@code fit} to {@code lines} rather than to standard output (which a
   * notebook cell does not show), when {@code verbose} asks for them.
   */
  public SequentialEstimator setProgress(ProgressLines lines) {
    progress = lines;
    return this;
  }

  @Override
  public SequentialModel fit(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    ModelSpec spec = StageParams.readLayers(getOrDefault(p.layers), "layers");
    Sequential model = new Sequential(spec);
    model.compile(compileConfig(this, p));
    FitOptions options = fitOptions(this, p);
    if (progress != null && options.verbose() > 0) {
      options.verbose(0).callbacks(progress);
    }
    callbacks.forEach(options::callbacks);
    @SuppressWarnings("unchecked")
    Dataset<Row> rows = (Dataset<Row>) dataset.toDF();
    History history = model.fit(rows, options);
    SequentialModel fitted = new SequentialModel(uid, model, history);
    copyValues(fitted, ParamMap.empty());
    fitted.setParent(this);
    return fitted;
  }

  static org.sparkdp.ops.CompileConfig compileConfig(
      org.apache.spark.ml.param.Params owner, StageParams p) {
    Double rate =
        owner.isDefined(p.learningRate)
            ? ((Number) owner.getOrDefault(p.learningRate)).doubleValue()
            : null;
    if (!owner.isDefined(p.loss)) {
      throw new IllegalArgumentException(
          "loss: must be given (e.g. sparse_categorical_crossentropy)");
    }
    return StageParams.compile(
        owner.getOrDefault(p.optimizer),
        rate,
        owner.getOrDefault(p.loss),
        owner.getOrDefault(p.metrics));
  }

  @SuppressWarnings("unchecked")
  private static FitOptions fitOptions(org.apache.spark.ml.param.Params owner, StageParams p) {
    FitOptions options = new FitOptions();
    for (Map.Entry<Setting<?>, Param<?>> e : p.fit.entrySet()) {
      if (owner.isSet(e.getValue())) {
        Setting<Object> s = (Setting<Object>) e.getKey();
        options.set(s, StageParams.settingValue(s, owner.getOrDefault(e.getValue())));
      }
    }
    String weight = owner.isDefined(p.weightCol) ? owner.getOrDefault(p.weightCol) : "";
    if (!weight.isEmpty()) {
      String sample = options.sampleWeightCol();
      if (sample != null && !sample.equals(weight)) {
        throw new IllegalArgumentException(
            "weightCol ("
                + weight
                + ") and sampleWeightCol ("
                + sample
                + "): one weight column, under either name");
      }
      options.sampleWeightCol(weight);
    }
    return options
        .featuresCol(owner.getOrDefault(p.featuresCol))
        .labelCol(owner.getOrDefault(p.labelCol));
  }

  @Override
  public StructType transformSchema(StructType schema) {
    if (!isDefined(p.layers)) {
      throw new IllegalArgumentException("layers: must be given (the model's layers as JSON)");
    }
    Columns.require(schema, getOrDefault(p.labelCol), "labelCol");
    return Columns.output(
        this,
        p,
        schema,
        StageParams.readLayers(getOrDefault(p.layers), "layers"),
        compileConfig(this, p));
  }

  @Override
  public SequentialEstimator copy(ParamMap extra) {
    return (SequentialEstimator) defaultCopy(extra);
  }

  public static MLReader<SequentialEstimator> read() {
    return new DefaultParamsReader<>();
  }

  public static SequentialEstimator load(String path) {
    return read().load(path);
  }
}
