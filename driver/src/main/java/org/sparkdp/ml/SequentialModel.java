package org.sparkdp.ml;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.PublicKey;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.sparkdp.History;
import org.sparkdp.Sequential;
import org.sparkdp.io.HadoopFiles;

/**
 * A trained {@link SequentialEstimator}: a Transformer that adds the prediction (and, for a
 * classifier, the probability and raw prediction) columns, so that Spark's evaluators score it.
 * Saved as Spark's {@code metadata} (the Params) and {@code model/}, the model directory that
 * {@link Sequential#save} writes ({@code model.json}, {@code weights.npz}, the {@code history.json}
 * of its fit).
 *
 * <p>What the fit learnt about itself (the history, the provenance with the final metrics, Keras'
 * summary table) is also held in three String Params, {@code historyJson}, {@code provenanceJson}
 * and {@code summaryText}, and in the second line of {@link #toString}: Spark Connect lets a client
 * read a model's Params (after {@code read}) and its {@code toString}, and no method of a third
 * party's model.
 */
public final class SequentialModel extends Model<SequentialModel> implements MLWritable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String HISTORY = "history.json";

  private final String uid;
  private final StageParams p;
  private final Param<String> historyJson;
  private final Param<String> provenanceJson;
  private final Param<String> summaryText;
  private Sequential model;
  private History history = History.empty();

  /** An empty model (Spark Connect ML makes stages this way); {@link #load} fills one. */
  public SequentialModel() {
    this(Identifiable$.MODULE$.randomUID("SequentialModel"));
  }

  /** An empty model with this uid, as Spark's readers make one. */
  public SequentialModel(String uid) {
    this.uid = uid;
    this.p = new StageParams(this);
    p.defaults().forEach(this::setDefaultValue);
    historyJson =
        new Param<>(
            this,
            "historyJson",
            "set by fit and load: Keras' history.history of the fit as JSON (metric to one value per"
                + " epoch)");
    provenanceJson =
        new Param<>(
            this,
            "provenanceJson",
            "set by fit and load: the model directory's provenance as JSON (the data, versions,"
                + " final_metrics)");
    summaryText =
        new Param<>(
            this, "summaryText", "set by fit and load: Keras' model.summary() table of the layers");
  }

  SequentialModel(String uid, Sequential model, History history) {
    this(uid);
    this.model = model;
    this.history = history;
    setFacts();
  }

  /** The facts Params from the model and its history (after a fit or a load). */
  private void setFacts() {
    set(historyJson, json(history.history()));
    set(provenanceJson, json(model.provenance().toJson()));
    set(summaryText, model.summary());
  }

  private static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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
    Param<?>[] stage = p.all();
    Param<?>[] all = java.util.Arrays.copyOf(stage, stage.length + 3);
    all[stage.length] = historyJson;
    all[stage.length + 1] = provenanceJson;
    all[stage.length + 2] = summaryText;
    return all;
  }

  /** Sets the Param named {@code name}, e.g. {@code predictionCol}. */
  public SequentialModel setParam(String name, Object value) {
    set(getParam(name), value);
    return this;
  }

  public SequentialModel setFeaturesCol(String value) {
    return setParam("featuresCol", value);
  }

  public SequentialModel setPredictionCol(String value) {
    return setParam("predictionCol", value);
  }

  public SequentialModel setProbabilityCol(String value) {
    return setParam("probabilityCol", value);
  }

  public SequentialModel setRawPredictionCol(String value) {
    return setParam("rawPredictionCol", value);
  }

  /** The trained model, for {@code evaluate}, {@code summary}, {@code exportKeras}, ... */
  public Sequential sequential() {
    return requireModel();
  }

  /** Keras' {@code history}: the fit's metrics per epoch. */
  public History history() {
    return history;
  }

  /** The history as JSON (metric to one value per epoch), for other languages. */
  public String historyJson() {
    return json(history.history());
  }

  /**
   * {@code SequentialModel: uid=..., N parameters, E epochs}, then on a second line the facts
   * Params as one JSON object: the one way a Spark Connect client reads them after a fit (the
   * server answers a {@code fetch} of {@code toString} for any model, of no other method here).
   */
  @Override
  public String toString() {
    if (model == null) {
      return "SequentialModel: uid=" + uid + ", not fitted";
    }
    Map<String, String> facts = new java.util.LinkedHashMap<>();
    for (Param<String> fact : List.of(historyJson, provenanceJson, summaryText)) {
      if (isDefined(fact)) {
        facts.put(fact.name(), getOrDefault(fact));
      }
    }
    return "SequentialModel: uid="
        + uid
        + ", "
        + model.spec().layout().size()
        + " parameters, "
        + history.epochs()
        + " epochs\n"
        + json(facts);
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    Sequential m = requireModel();
    return Columns.add(this, p, uid, dataset, m.spec(), m.compileConfig(), m.weights());
  }

  @Override
  public StructType transformSchema(StructType schema) {
    Sequential m = requireModel();
    return Columns.output(this, p, schema, m.spec(), m.compileConfig());
  }

  @Override
  public SequentialModel copy(ParamMap extra) {
    SequentialModel copy = copyValues(new SequentialModel(uid, model, history), extra);
    return copy.setParent(parent());
  }

  private Sequential requireModel() {
    if (model == null) {
      throw new IllegalStateException("SequentialModel " + uid + ": no model (fit or load one)");
    }
    return model;
  }

  @Override
  public MLWriter write() {
    return new Writer(this);
  }

  public static MLReader<SequentialModel> read() {
    return new Reader(null);
  }

  public static SequentialModel load(String path) {
    return read().load(path);
  }

  /**
   * Loads a saved model only if {@code requireSigner} signed its model directory ({@code
   * path/model}, see {@link Sequential#load(String, PublicKey)}); Spark's {@code metadata} beside
   * it (the column names and settings) is not signed.
   */
  public static SequentialModel load(String path, PublicKey requireSigner) {
    return new Reader(requireSigner).load(path);
  }

  /** Writes {@code metadata} with Spark's own writer, then the model directory. */
  private static final class Writer extends MLWriter {
    private final SequentialModel instance;

    Writer(SequentialModel instance) {
      this.instance = instance;
    }

    @Override
    public void saveImpl(String path) {
      try {
        new DefaultParamsWriter(instance).save(path);
        instance
            .requireModel()
            .save(
                new Path(path, "model").toString(),
                Map.of(HISTORY, JSON.writeValueAsBytes(instance.history.toMap())));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** Reads {@code metadata} with Spark's own reader, then the model directory. */
  private static final class Reader extends MLReader<SequentialModel> {
    private final PublicKey requireSigner;

    /** {@code requireSigner}: the key that must have signed the model, or {@code null}. */
    Reader(PublicKey requireSigner) {
      this.requireSigner = requireSigner;
    }

    @Override
    public SequentialModel load(String path) {
      SequentialModel instance = new DefaultParamsReader<SequentialModel>().load(path);
      String dir = new Path(path, "model").toString();
      try {
        instance.model = Sequential.load(dir, requireSigner);
        String historyFile = new Path(dir, HISTORY).toString();
        org.apache.hadoop.conf.Configuration conf =
            SparkSession.active().sparkContext().hadoopConfiguration();
        if (HadoopFiles.exists(historyFile, conf)) {
          @SuppressWarnings("unchecked")
          Map<String, List<Double>> map =
              JSON.readValue(HadoopFiles.read(historyFile, conf, 64L << 20), Map.class);
          instance.history = History.fromMap(map);
        }
        // From the (signed) model directory, over what Spark's metadata beside it says.
        instance.setFacts();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return instance;
    }
  }
}
