package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;
import org.sparkdp.DataException;
import org.sparkdp.FitOptions;
import org.sparkdp.History;
import org.sparkdp.Sequential;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.Comparisons;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Sgd;
import org.sparkdp.testkit.Blobs;
import org.sparkdp.testkit.ReferenceTraining;
import org.sparkdp.testkit.TestSpark;

/**
 * Class and sample weights as Keras takes them: each example's loss and gradient times its weight,
 * the batch's mean divided by the number of examples; checked against the plain single-machine loop
 * and across partitionings.
 */
class WeightedTrainingTest {
  private static final Blobs DATA = Blobs.of(400, 5, 3, 17);
  private static final Map<Integer, Double> CLASS_WEIGHT = Map.of(0, 1.0, 1, 3.0, 2, 0.5);

  private static Sequential model() {
    Sequential model = new Sequential(Dense.of(8, "relu").withInputDim(5), Dense.of(3, "softmax"));
    model.compile(Adam.withLearningRate(0.01), "sparse_categorical_crossentropy", "accuracy");
    return model;
  }

  /** The examples with a {@code weight} column. */
  private static Dataset<Row> weighted(Blobs data, float[] weights) {
    List<Row> rows = new ArrayList<>();
    for (int r = 0; r < data.rows(); r++) {
      rows.add(
          RowFactory.create(
              Vectors.dense(data.features(r)), (double) data.labels()[r], (double) weights[r]));
    }
    return TestSpark.session()
        .createDataFrame(rows, TestSpark.SCHEMA.add("weight", DataTypes.DoubleType, false));
  }

  private static float[] classWeights(Blobs data) {
    float[] w = new float[data.rows()];
    for (int r = 0; r < w.length; r++) {
      w[r] = CLASS_WEIGHT.get((int) data.labels()[r]).floatValue();
    }
    return w;
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    double d = Comparisons.maxRelativeDifference(actual, expected);
    assertTrue(d < 1e-5, what + ": max |diff| / max |w| = " + d);
  }

  private static float[] fit(Dataset<Row> data, FitOptions options) {
    Sequential model = model();
    model.fit(data, options.epochs(2).batchSize(50).seed(11).verbose(0));
    return model.weights();
  }

  @Test
  void classWeightsTrainAsThePlainLoopWithEachLossWeighted() {
    Sequential model = model();
    float[] expected =
        ReferenceTraining.train(
            new Network(model.spec(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, 1),
            model.compileConfig().optimizer(),
            model.spec().initialParameters(11),
            DATA,
            50,
            2,
            ReferenceTraining.syncOrder(DATA.rows(), 11),
            classWeights(DATA));
    float[] one =
        fit(TestSpark.frame(DATA), new FitOptions().classWeight(CLASS_WEIGHT).partitions(1));
    assertClose(expected, one, "class weights, 1 partition, vs the plain loop");
    assertClose(
        one,
        fit(TestSpark.frame(DATA), new FitOptions().classWeight(CLASS_WEIGHT).partitions(3)),
        "class weights, 1 vs 3 partitions");
    float[] unweighted = fit(TestSpark.frame(DATA), new FitOptions().partitions(1));
    assertTrue(
        Comparisons.maxRelativeDifference(one, unweighted) > 1e-2,
        "the weights change the training");
  }

  @Test
  void aSampleWeightColumnWeighsEachExample() {
    float[] weights = classWeights(DATA);
    float[] byColumn =
        fit(weighted(DATA, weights), new FitOptions().sampleWeightCol("weight").partitions(3));
    float[] byClass =
        fit(TestSpark.frame(DATA), new FitOptions().classWeight(CLASS_WEIGHT).partitions(2));
    assertClose(byClass, byColumn, "a column holding the class weights trains as class_weight");
  }

  @Test
  void theBatchMeanDividesByTheExampleCountNotTheSummedWeights() {
    // With plain SGD, every weight 2 doubles each step's mean gradient: the run of learning rate
    // 0.05 with weights 2 is the run of 0.1 without. Divided by the summed weights, it would be
    // the run of 0.05.
    float[] twos = new float[DATA.rows()];
    java.util.Arrays.fill(twos, 2f);
    Sequential doubled =
        new Sequential(Dense.of(8, "tanh").withInputDim(5), Dense.of(3, "softmax"));
    doubled.compile(new Sgd(0.05, 0, false), "sparse_categorical_crossentropy");
    History weightedHistory =
        doubled.fit(
            weighted(DATA, twos),
            new FitOptions().sampleWeightCol("weight").epochs(2).batchSize(40).seed(3).verbose(0));
    Sequential plain = new Sequential(Dense.of(8, "tanh").withInputDim(5), Dense.of(3, "softmax"));
    plain.compile(new Sgd(0.1, 0, false), "sparse_categorical_crossentropy");
    History plainHistory =
        plain.fit(
            TestSpark.frame(DATA), new FitOptions().epochs(2).batchSize(40).seed(3).verbose(0));
    assertClose(plain.weights(), doubled.weights(), "weights 2 at lr 0.05 = no weights at lr 0.1");
    for (int e = 0; e < 2; e++) {
      assertEquals(
          2 * plainHistory.history().get("loss").get(e),
          weightedHistory.history().get("loss").get(e),
          1e-5,
          "the reported loss is the weighted mean over the examples");
    }
  }

  @Test
  void classWeightsLeaveTheValidationSplitUnweighted() {
    Sequential model = model();
    History history =
        model.fit(
            TestSpark.frame(DATA),
            new FitOptions()
                .classWeight(CLASS_WEIGHT)
                .validationSplit(0.25)
                .epochs(2)
                .batchSize(50)
                .seed(11)
                .verbose(0));
    assertEquals(
        model.evaluate(TestSpark.frame(DATA.slice(300, 400))).get("loss"),
        history.last("val_loss"),
        1e-6,
        "val_loss is the plain loss of the last quarter, as Keras weighs classes in training only");
  }

  @Test
  void badWeightingIsRefusedNamingTheKey() {
    ConfigException both =
        assertThrows(
            ConfigException.class,
            () ->
                fit(
                    weighted(DATA, classWeights(DATA)),
                    new FitOptions().classWeight(CLASS_WEIGHT).sampleWeightCol("weight")));
    assertTrue(
        both.getMessage().startsWith("class_weight and sample_weight_col"), both.getMessage());
    ConfigException unknownClass =
        assertThrows(
            ConfigException.class,
            () -> fit(TestSpark.frame(DATA), new FitOptions().classWeight(Map.of(3, 2.0))));
    assertTrue(
        unknownClass.getMessage().startsWith("class_weight: class 3 is not one of the model's 3"),
        unknownClass.getMessage());
    DataException missing =
        assertThrows(
            DataException.class,
            () -> fit(TestSpark.frame(DATA), new FitOptions().sampleWeightCol("weight")));
    assertTrue(
        missing.getMessage().contains("no sample weight column 'weight'"), missing.getMessage());
    float[] negative = classWeights(DATA);
    negative[7] = -1;
    DataException bad =
        assertThrows(
            DataException.class,
            () -> fit(weighted(DATA, negative), new FitOptions().sampleWeightCol("weight")));
    assertTrue(
        bad.getMessage().contains("row 8: sample weight (weight) is -1.0"), bad.getMessage());
    ConfigException text =
        assertThrows(ConfigException.class, () -> new FitOptions().set("class_weight", "0:1,x:2"));
    assertTrue(text.getMessage().startsWith("class_weight: must be a mapping"), text.getMessage());
    assertEquals(
        Map.of(0, 1.0, 1, 20.0), new FitOptions().set("class_weight", "0:1,1:20").classWeight());
  }
}
