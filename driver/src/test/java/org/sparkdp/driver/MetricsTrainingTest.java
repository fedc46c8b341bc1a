package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.sparkdp.Evaluation;
import org.sparkdp.FitOptions;
import org.sparkdp.FitOptions.SyncPath;
import org.sparkdp.History;
import org.sparkdp.Sequential;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.Configs;
import org.sparkdp.ops.Dense;
import org.sparkdp.testkit.Blobs;
import org.sparkdp.testkit.TestSpark;

/**
 * Metrics in real fits: the same under any partitioning and either step path, in the history with
 * and without {@code val_}, and {@code evaluate}'s equal to a plain computation over {@code
 * predict}'s outputs (collected here, in the test, never by sparkdp).
 */
class MetricsTrainingTest {
  private static final Blobs DATA = Blobs.of(600, 6, 4, 13, 14);
  private static final String METRICS =
      "['accuracy', 'precision', {'type': 'recall', 'class_id': 1}, 'auc',"
          + " {'type': 'auc', 'curve': 'PR', 'name': 'pr_auc'},"
          + " {'type': 'sparse_top_k_categorical_accuracy', 'k': 2}, 'mae', 'mse', 'rmse']";

  private static Sequential model() {
    Sequential model = new Sequential(Dense.of(8, "relu").withInputDim(6), Dense.of(4, "softmax"));
    try {
      model.compile(
          Configs.compile(
              new com.fasterxml.jackson.databind.ObjectMapper()
                  .readTree(
                      ("{'optimizer': {'type': 'adam', 'learning_rate': 0.01},"
                              + " 'loss': 'sparse_categorical_crossentropy', 'metrics': "
                              + METRICS
                              + "}")
                          .replace('\'', '"')),
              "compile"));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    return model;
  }

  private static History fit(Sequential model, FitOptions options) {
    return model.fit(
        TestSpark.frame(DATA),
        options.epochs(2).batchSize(64).seed(4).validationSplit(0.25).verbose(0));
  }

  @Test
  void metricsDoNotDependOnThePartitioningOrTheStepPath() {
    Map<String, List<Double>> one = fit(model(), new FitOptions().partitions(1)).history();
    assertEquals(
        List.of(
            "loss",
            "accuracy",
            "precision",
            "recall",
            "auc",
            "pr_auc",
            "sparse_top_k_categorical_accuracy",
            "mae",
            "mse",
            "rmse",
            "val_loss",
            "val_accuracy",
            "val_precision",
            "val_recall",
            "val_auc",
            "val_pr_auc",
            "val_sparse_top_k_categorical_accuracy",
            "val_mae",
            "val_mse",
            "val_rmse"),
        List.copyOf(one.keySet()),
        "Keras' order: loss, the metrics as compiled, then the same with val_");
    for (FitOptions other :
        List.of(
            // The channel needs a task slot per partition: local[2] has two.
            new FitOptions().partitions(2).syncPath(SyncPath.CHANNEL),
            new FitOptions().partitions(3).syncPath(SyncPath.JOBS))) {
      Map<String, List<Double>> three = fit(model(), other).history();
      one.forEach(
          (key, values) -> {
            for (int e = 0; e < values.size(); e++) {
              assertEquals(
                  values.get(e),
                  three.get(key).get(e),
                  1e-6 * Math.max(1, Math.abs(values.get(e))),
                  key + " epoch " + e + ", 1 partition vs " + other.partitions());
            }
          });
    }
  }

  @Test
  void validationMetricsAreEvaluateOnTheValidationRowsAfterTheEpoch() {
    Sequential model = model();
    History history = fit(model, new FitOptions().partitions(2));
    Map<String, Double> evaluated = model.evaluate(TestSpark.frame(DATA.slice(450, 600)));
    evaluated.forEach(
        (key, value) -> assertEquals(value, history.last("val_" + key), 1e-9, "val_" + key));
  }

  @Test
  void evaluateEqualsAPlainComputationOverThePredictions() {
    Sequential model = model();
    fit(model, new FitOptions().partitions(3));
    Blobs test = Blobs.of(500, 6, 4, 13, 99);
    Evaluation evaluation =
        model.evaluation(TestSpark.frame(test), "features", "label", "test data");
    List<Row> rows = model.predict(TestSpark.frame(test)).select("output", "label").collectAsList();
    int n = rows.size();
    double correct = 0;
    double top2 = 0;
    double abs = 0;
    double squares = 0;
    long tp = 0;
    long fp = 0;
    long tpClass1 = 0;
    long fnClass1 = 0;
    long[][] confusion = new long[4][4];
    for (Row row : rows) {
      double[] p = ((Vector) row.get(0)).toArray();
      int label = (int) row.getDouble(1);
      int argmax = 0;
      int higher = 0;
      for (int j = 0; j < 4; j++) {
        argmax = p[j] > p[argmax] ? j : argmax;
        higher += (float) p[j] > (float) p[label] ? 1 : 0;
        double target = j == label ? 1 : 0;
        abs += Math.abs(p[j] - target);
        squares += (p[j] - target) * (p[j] - target);
        boolean positive = (float) p[j] > 0.5f;
        tp += positive && j == label ? 1 : 0;
        fp += positive && j != label ? 1 : 0;
      }
      boolean class1 = (float) p[1] > 0.5f;
      tpClass1 += label == 1 && class1 ? 1 : 0;
      fnClass1 += label == 1 && !class1 ? 1 : 0;
      correct += argmax == label ? 1 : 0;
      top2 += higher < 2 ? 1 : 0;
      confusion[label][argmax]++;
    }
    Map<String, Double> m = evaluation.metrics();
    assertEquals(correct / n, m.get("accuracy"), 1e-12);
    assertEquals((double) tp / (tp + fp), m.get("precision"), 1e-12);
    assertEquals((double) tpClass1 / (tpClass1 + fnClass1), m.get("recall"), 1e-12);
    assertEquals(top2 / n, m.get("sparse_top_k_categorical_accuracy"), 1e-12);
    assertEquals(abs / (4 * n), m.get("mae"), 1e-6);
    assertEquals(squares / (4 * n), m.get("mse"), 1e-6);
    assertEquals(Math.sqrt(squares / (4 * n)), m.get("rmse"), 1e-6);
    for (int r = 0; r < 4; r++) {
      assertArrayEquals(confusion[r], evaluation.confusionMatrix()[r], "confusion row " + r);
    }
    assertTrue(m.get("auc") > 0.5 && m.get("auc") <= 1, "auc " + m.get("auc"));
    assertEquals(
        CompileConfig.metrics("mae").get(0).name(),
        "mae",
        "a metric given by a short name keeps it");
  }

  @Test
  void aRegressionHasNoConfusionMatrix() {
    Sequential model = new Sequential(Dense.of(1, "linear").withInputDim(6));
    model.compile(Adam.defaults(), "mse", "mae");
    Evaluation evaluation = model.evaluation(TestSpark.frame(DATA), "features", "label", "data");
    assertNull(evaluation.confusionMatrix());
    assertEquals(List.of("loss", "mae"), List.copyOf(evaluation.metrics().keySet()));
  }
}
