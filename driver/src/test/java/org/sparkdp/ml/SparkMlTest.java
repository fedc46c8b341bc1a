package org.sparkdp.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.evaluation.RegressionEvaluator;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.ml.tuning.TrainValidationSplit;
import org.apache.spark.ml.tuning.TrainValidationSplitModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.io.Keys;
import org.sparkdp.io.Manifest;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Npz;
import org.sparkdp.testkit.Blobs;
import org.sparkdp.testkit.TestSpark;

class SparkMlTest {
  private static final String[] INPUTS = {"x0", "x1", "x2", "x3"};

  private static String layers(int hidden, int outputs, String activation) {
    return "[{\"type\": \"dense\", \"units\": "
        + hidden
        + ", \"activation\": \"relu\", \"input_dim\": 4}, {\"type\": \"dense\", \"units\": "
        + outputs
        + ", \"activation\": \""
        + activation
        + "\"}]";
  }

  private static Dataset<Row> csv(SparkSession spark, Blobs data, Path dir) throws Exception {
    Path file = data.writeCsv(dir.resolve("data.csv"));
    return spark
        .read()
        .option("header", "true")
        .option("inferSchema", "true")
        .csv(file.toString())
        .coalesce(1);
  }

  private static SequentialEstimator classifier() {
    return new SequentialEstimator()
        .setLayers(layers(8, 3, "softmax"))
        .setLoss("sparse_categorical_crossentropy")
        .setMetrics("accuracy")
        .setLearningRate(0.01)
        .setSeed(3)
        .setParam("epochs", 5)
        .setParam("batchSize", 16)
        .setParam("verbose", 0);
  }

  private static Pipeline pipeline(SequentialEstimator estimator) {
    return new Pipeline()
        .setStages(
            new PipelineStage[] {
              new VectorAssembler().setInputCols(INPUTS).setOutputCol("raw"),
              new StandardScaler().setInputCol("raw").setOutputCol("features").setWithMean(true),
              estimator
            });
  }

  private static List<Row> predictions(Dataset<Row> out) {
    return out.select("features", "label", "prediction", "probability", "rawPrediction")
        .collectAsList();
  }

  /** The model's softmax outputs, computed here in double from its weights in Keras' layout. */
  private static double[] forward(ModelSpec spec, float[] params, double[] x) {
    Map<String, Npz.Array> w = ModelFile.weightArrays(spec, params);
    double[] h = dense(x, w.get("dense/kernel"), w.get("dense/bias"));
    for (int i = 0; i < h.length; i++) {
      h[i] = Math.max(0, h[i]);
    }
    double[] z = dense(h, w.get("dense_1/kernel"), w.get("dense_1/bias"));
    double max = Arrays.stream(z).max().orElseThrow();
    double sum = 0;
    for (int i = 0; i < z.length; i++) {
      z[i] = Math.exp(z[i] - max);
      sum += z[i];
    }
    for (int i = 0; i < z.length; i++) {
      z[i] /= sum;
    }
    return z;
  }

  private static double[] dense(double[] x, Npz.Array kernel, Npz.Array bias) {
    int in = kernel.shape()[0];
    int out = kernel.shape()[1];
    double[] y = new double[out];
    for (int j = 0; j < out; j++) {
      double s = bias.values()[j];
      for (int i = 0; i < in; i++) {
        s += x[i] * kernel.values()[i * out + j];
      }
      y[j] = s;
    }
    return y;
  }

  /**
   * The differentialPrivacy Param takes the fit setting's mapping as JSON: the fitted model's
   * history reports epsilon per epoch, and its provenance the privacy spent.
   */
  @Test
  void aDifferentiallyPrivateFitReportsAndRecordsItsPrivacy(@TempDir Path dir) throws Exception {
    SparkSession spark = TestSpark.session();
    Dataset<Row> data =
        new VectorAssembler()
            .setInputCols(INPUTS)
            .setOutputCol("features")
            .transform(csv(spark, Blobs.of(300, 4, 3, 5), dir));
    SequentialModel model =
        classifier()
            .setParam("differentialPrivacy", "{\"l2_norm_clip\": 1.0, \"noise_multiplier\": 1.1}")
            .fit(data);
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    com.fasterxml.jackson.databind.JsonNode history =
        json.readTree(model.getOrDefault(model.getParam("historyJson")).toString());
    assertEquals(5, history.path("epsilon").size(), history.toString());
    com.fasterxml.jackson.databind.JsonNode privacy =
        json.readTree(model.getOrDefault(model.getParam("provenanceJson")).toString())
            .path("privacy");
    assertEquals(1.1, privacy.path("noise_multiplier").asDouble(), 0, privacy.toString());
    assertEquals(history.path("epsilon").get(4).asDouble(), privacy.path("epsilon").asDouble(), 0);
  }

  /**
   * Spark ML's weightCol is Keras' sample weight: with the loss averaged over the batch, every row
   * weighing 2 doubles the gradient, so plain SGD at rate 0.05 takes the steps of rate 0.1 on the
   * unweighted rows.
   */
  @Test
  void weightColWeighsEachRowAsASampleWeight(@TempDir Path dir) throws Exception {
    SparkSession spark = TestSpark.session();
    Dataset<Row> data =
        new VectorAssembler()
            .setInputCols(INPUTS)
            .setOutputCol("features")
            .transform(csv(spark, Blobs.of(300, 4, 3, 5), dir))
            .withColumn("w", org.apache.spark.sql.functions.lit(2.0));
    float[] plain =
        classifier().setOptimizer("sgd").setLearningRate(0.1).fit(data).sequential().weights();
    float[] weighted =
        classifier()
            .setOptimizer("sgd")
            .setLearningRate(0.05)
            .setWeightCol("w")
            .fit(data)
            .sequential()
            .weights();
    float[] unweighted =
        classifier().setOptimizer("sgd").setLearningRate(0.05).fit(data).sequential().weights();
    double scale = 0;
    double diff = 0;
    double moved = 0;
    for (int i = 0; i < plain.length; i++) {
      scale = Math.max(scale, Math.abs(plain[i]));
      diff = Math.max(diff, Math.abs(plain[i] - weighted[i]));
      moved = Math.max(moved, Math.abs(plain[i] - unweighted[i]));
    }
    assertTrue(diff / scale <= 1e-5, "weight 2 at rate 0.05 against rate 0.1: " + diff / scale);
    assertTrue(moved / scale > 1e-3, "the weights had no effect: " + moved / scale);

    IllegalArgumentException both =
        assertThrows(
            IllegalArgumentException.class,
            () -> classifier().setWeightCol("w").setParam("sampleWeightCol", "v").fit(data));
    assertTrue(
        both.getMessage().startsWith("weightCol (w) and sampleWeightCol (v)"), both.getMessage());
  }

  @Test
  void aPipelineOfAssemblerScalerAndEstimatorFitsSavesAndLoadsInANewSessionWithEqualPredictions(
      @TempDir Path dir) throws Exception {
    SparkSession spark = TestSpark.session();
    Dataset<Row> data = csv(spark, Blobs.of(400, 4, 3, 7), dir);
    PipelineModel fitted = pipeline(classifier()).fit(data);
    List<Row> before = predictions(fitted.transform(data));

    SequentialModel model = (SequentialModel) fitted.stages()[2];
    assertEquals(5, model.history().epochs());
    ModelSpec spec = model.sequential().spec();
    float[] weights = model.sequential().weights();
    long right = 0;
    for (Row r : before) {
      double[] expected = forward(spec, weights, ((Vector) r.get(0)).toArray());
      assertArrayEquals(expected, ((Vector) r.get(3)).toArray(), 1e-5);
      assertArrayEquals(expected, ((Vector) r.get(4)).toArray(), 1e-5);
      int argmax = 0;
      for (int j = 1; j < expected.length; j++) {
        argmax = expected[j] > expected[argmax] ? j : argmax;
      }
      assertEquals(argmax, r.getDouble(2));
      right += r.getDouble(2) == ((Number) r.get(1)).doubleValue() ? 1 : 0;
    }
    double accuracy =
        new MulticlassClassificationEvaluator()
            .setMetricName("accuracy")
            .evaluate(fitted.transform(data));
    assertEquals((double) right / before.size(), accuracy, 1e-12);
    assertTrue(accuracy > 0.9, "accuracy " + accuracy);

    String saved = dir.resolve("pipeline-model").toString();
    fitted.write().overwrite().save(saved);
    assertTrue(
        dir.resolve("pipeline-model/stages/2_" + model.uid() + "/model/model.json")
            .toFile()
            .isFile());
    assertTrue(
        dir.resolve("pipeline-model/stages/2_" + model.uid() + "/model/weights.npz")
            .toFile()
            .isFile());
    String unfitted = dir.resolve("pipeline").toString();
    pipeline(classifier()).write().save(unfitted);

    spark.stop();
    SparkSession fresh = TestSpark.session();
    PipelineModel loaded = PipelineModel.load(saved);
    List<Row> after = predictions(loaded.transform(csv(fresh, Blobs.of(400, 4, 3, 7), dir)));
    assertEquals(before, after);
    SequentialModel loadedModel = (SequentialModel) loaded.stages()[2];
    assertEquals(model.history(), loadedModel.history());
    assertEquals(0.01, loadedModel.getOrDefault(loadedModel.getParam("learningRate")));

    SequentialEstimator reread = (SequentialEstimator) Pipeline.load(unfitted).getStages()[2];
    assertEquals(layers(8, 3, "softmax"), reread.getOrDefault(reread.layers()));
    assertEquals(16, reread.getOrDefault(reread.getParam("batchSize")));
    assertEquals(3L, reread.getOrDefault(reread.getParam("seed")));
  }

  @Test
  void aSavedModelLoadsWithARequiredSignerOnlyOnceItsOwnerSignedItsModelDirectory(@TempDir Path dir)
      throws Exception {
    SparkSession spark = TestSpark.session();
    SequentialModel model =
        (SequentialModel)
            pipeline(classifier()).fit(csv(spark, Blobs.of(200, 4, 3, 7), dir)).stages()[2];
    String saved = dir.resolve("sequential-model").toString();
    model.write().save(saved);
    KeyPair owner = Keys.generate();
    KeyPair other = Keys.generate();

    UncheckedIOException unsigned =
        assertThrows(
            UncheckedIOException.class, () -> SequentialModel.load(saved, owner.getPublic()));
    assertTrue(
        unsigned.getCause().getMessage().endsWith(": the model is not signed (no manifest.json)"),
        unsigned.getCause().getMessage());

    Manifest.signDirectory(
        saved + "/model", spark.sparkContext().hadoopConfiguration(), owner.getPrivate());
    assertArrayEquals(
        model.sequential().weights(),
        SequentialModel.load(saved, owner.getPublic()).sequential().weights());
    UncheckedIOException others =
        assertThrows(
            UncheckedIOException.class, () -> SequentialModel.load(saved, other.getPublic()));
    assertTrue(
        others.getCause().getMessage().contains("manifest.sig: INVALID signature"),
        others.getCause().getMessage());
  }

  @Test
  void crossValidatorOverLearningRateAndUnitsPicksTheBestOfATwoByTwoGrid(@TempDir Path dir)
      throws Exception {
    SparkSession spark = TestSpark.session();
    Dataset<Row> data = csv(spark, Blobs.of(300, 4, 3, 11), dir);
    Dataset<Row> features =
        new VectorAssembler().setInputCols(INPUTS).setOutputCol("features").transform(data);
    SequentialEstimator estimator = classifier().setParam("epochs", 3);
    ParamMap[] grid =
        new ParamGridBuilder()
            .addGrid(estimator.learningRate(), new double[] {0.0001, 0.03})
            .build();
    List<ParamMap> maps = new ArrayList<>();
    for (ParamMap m : grid) {
      for (int units : new int[] {1, 16}) {
        maps.add(m.copy().put(estimator.layers(), layers(units, 3, "softmax")));
      }
    }
    MulticlassClassificationEvaluator evaluator =
        new MulticlassClassificationEvaluator().setMetricName("accuracy");
    CrossValidatorModel cv =
        new CrossValidator()
            .setEstimator(estimator)
            .setEstimatorParamMaps(maps.toArray(new ParamMap[0]))
            .setEvaluator(evaluator)
            .setNumFolds(2)
            .setSeed(5)
            .fit(features);
    double[] metrics = cv.avgMetrics();
    assertEquals(4, metrics.length);
    int best = 0;
    for (int i = 1; i < metrics.length; i++) {
      best = metrics[i] > metrics[best] ? i : best;
    }
    System.out.println("CrossValidator accuracy per grid point: " + Arrays.toString(metrics));
    SequentialModel bestModel = assertInstanceOf(SequentialModel.class, cv.bestModel());
    ParamMap chosen = maps.get(best);
    assertEquals(
        chosen.apply(estimator.learningRate()),
        bestModel.getOrDefault(bestModel.getParam("learningRate")));
    assertEquals(
        chosen.apply(estimator.layers()), bestModel.getOrDefault(bestModel.getParam("layers")));
    // The tiny learning rate with one hidden unit cannot learn three classes in three epochs.
    assertTrue(metrics[best] > metrics[0] + 0.2, Arrays.toString(metrics));
    assertEquals(
        evaluator.evaluate(bestModel.transform(features)),
        evaluator.evaluate(cv.transform(features)));

    TrainValidationSplitModel split =
        new TrainValidationSplit()
            .setEstimator(estimator)
            .setEstimatorParamMaps(grid)
            .setEvaluator(evaluator)
            .setTrainRatio(0.75)
            .setSeed(5)
            .fit(features);
    assertEquals(2, split.validationMetrics().length);
    assertInstanceOf(SequentialModel.class, split.bestModel());
  }

  @Test
  void aOneUnitSigmoidModelIsScoredByBinaryClassificationEvaluatorAsAnAucComputedHere(
      @TempDir Path dir) throws Exception {
    SparkSession spark = TestSpark.session();
    Dataset<Row> data =
        new VectorAssembler()
            .setInputCols(INPUTS)
            .setOutputCol("features")
            .transform(csv(spark, Blobs.of(200, 4, 2, 13), dir));
    SequentialModel model =
        new SequentialEstimator()
            .setLayers(layers(4, 1, "sigmoid"))
            .setLoss("binary_crossentropy")
            .setParam("epochs", 2)
            .setParam("verbose", 0)
            .fit(data);
    Dataset<Row> out = model.transform(data);
    List<Row> rows =
        out.select("label", "rawPrediction", "probability", "prediction").collectAsList();
    List<double[]> positives = new ArrayList<>();
    List<double[]> negatives = new ArrayList<>();
    for (Row r : rows) {
      double p = ((Vector) r.get(2)).apply(1);
      assertEquals(1 - p, ((Vector) r.get(2)).apply(0), 1e-12);
      assertEquals(p > 0.5 ? 1.0 : 0.0, r.getDouble(3));
      (((Number) r.get(0)).doubleValue() == 1 ? positives : negatives).add(new double[] {p});
    }
    // AUC as the probability that a positive scores above a negative (ties count a half).
    double wins = 0;
    for (double[] a : positives) {
      for (double[] b : negatives) {
        wins += a[0] > b[0] ? 1 : a[0] == b[0] ? 0.5 : 0;
      }
    }
    double auc = wins / positives.size() / negatives.size();
    assertEquals(auc, new BinaryClassificationEvaluator().evaluate(out), 1e-9);
  }

  @Test
  void aRegressionModelIsScoredByRegressionEvaluatorAsAnRmseComputedHere(@TempDir Path dir)
      throws Exception {
    SparkSession spark = TestSpark.session();
    Dataset<Row> data =
        new VectorAssembler()
            .setInputCols(INPUTS)
            .setOutputCol("features")
            .transform(csv(spark, Blobs.of(200, 4, 3, 17), dir));
    SequentialModel model =
        new SequentialEstimator()
            .setLayers(layers(8, 1, "linear"))
            .setLoss("mean_squared_error")
            .setParam("epochs", 3)
            .setParam("verbose", 0)
            .fit(data);
    Dataset<Row> out = model.transform(data);
    assertEquals(
        List.of("x0", "x1", "x2", "x3", "label", "features", "prediction"),
        Arrays.asList(out.columns()));
    double squares = 0;
    List<Row> rows = out.select("label", "prediction").collectAsList();
    for (Row r : rows) {
      double e = ((Number) r.get(0)).doubleValue() - r.getDouble(1);
      squares += e * e;
    }
    assertEquals(Math.sqrt(squares / rows.size()), new RegressionEvaluator().evaluate(out), 1e-9);
  }

  @Test
  void badParamsAreRefusedNamingTheParamAndTheFault() {
    SequentialEstimator estimator = new SequentialEstimator();
    ConfigException units =
        assertThrows(ConfigException.class, () -> estimator.setLayers(layers(0, 3, "softmax")));
    assertTrue(
        units.getMessage().startsWith("layers[0].units: must be a positive integer, got 0"),
        units.getMessage());
    ConfigException batch =
        assertThrows(ConfigException.class, () -> estimator.setParam("batchSize", 0));
    assertTrue(
        batch.getMessage().startsWith("batch_size: must be a positive integer or 'all'"),
        batch.getMessage());
    ConfigException strategy =
        assertThrows(ConfigException.class, () -> estimator.setParam("strategy", "async"));
    assertTrue(
        strategy.getMessage().contains("strategy: unknown strategy 'async'"),
        strategy.getMessage());
    ConfigException loss =
        assertThrows(ConfigException.class, () -> estimator.setLoss("hinge_loss"));
    assertTrue(loss.getMessage().contains("compile.loss"), loss.getMessage());
    // Settings without a Spark type (class weights, callbacks, a column name) take JSON text.
    ConfigException weights =
        assertThrows(ConfigException.class, () -> estimator.setParam("classWeight", "{\"0\": -1}"));
    assertTrue(weights.getMessage().startsWith("classWeight"), weights.getMessage());
    estimator.setParam("classWeight", "{\"0\": 1, \"1\": 20}");
    estimator.setParam("sampleWeightCol", "w");
    assertEquals("w", estimator.getOrDefault(estimator.getParam("sampleWeightCol")));
    assertEquals(FitParamsCount.of(estimator), org.sparkdp.FitOptions.SETTINGS.size());
  }

  /** How many of a stage's Params are fit settings' Params. */
  private static final class FitParamsCount {
    static int of(SequentialEstimator e) {
      int n = 0;
      for (org.sparkdp.ops.Setting<?> s : org.sparkdp.FitOptions.SETTINGS) {
        n += e.hasParam(s.javaName()) && e.getParam(s.javaName()).doc().startsWith(s.doc()) ? 1 : 0;
      }
      return n;
    }
  }
}
