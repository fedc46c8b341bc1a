package org.sparkdp.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A metric of {@code compile}'s {@code metrics}, in Keras 3's meaning, computed from sums that
 * every task adds up over its examples and the driver adds in partition order ({@link Metrics}),
 * never from predictions collected on the driver: confusion counts for {@code precision}, {@code
 * recall} and {@code auc}, hits for the top-k accuracies, summed errors for {@code mae}, {@code
 * mse} and {@code rmse}. In configuration a name ({@code precision}, or Keras' short names {@code
 * mae}, {@code mse}, {@code rmse}, {@code acc}) or {@code {type: auc, curve: PR, name: pr_auc}};
 * its key in the logs and the history is its {@code name}, by default the name as written.
 *
 * <p>Labels that are class indices count as one-hot vectors of the output's width (Keras would need
 * them one-hot); outputs are probabilities (a model trained on logits has its softmax or sigmoid
 * applied first, as Keras' {@code from_logits} metrics do). As Keras' {@code metrics} (not its
 * {@code weighted_metrics}), metrics do not weigh examples by class or sample weights.
 */
public sealed interface Metric extends Serializable
    permits Metric.Accuracy,
        Metric.Precision,
        Metric.Recall,
        Metric.Auc,
        Metric.TopKCategoricalAccuracy,
        Metric.SparseTopKCategoricalAccuracy,
        Metric.MeanAbsoluteError,
        Metric.MeanSquaredError,
        Metric.RootMeanSquaredError {

  /** Keras' {@code NEG_INF}: what top-k filtering sets the other predictions to. */
  float NEG_INF = -1e10f;

  /** The metrics by their Keras type names. */
  static Map<String, RecordSettings<? extends Metric>> kinds() {
    return Kinds.KINDS;
  }

  /** Keras' short names and the types they stand for. */
  Map<String, String> ALIASES =
      Map.of(
          "acc", "accuracy",
          "mae", "mean_absolute_error",
          "mse", "mean_squared_error",
          "rmse", "root_mean_squared_error");

  /** The Keras type name, e.g. {@code auc}. */
  String type();

  /** The key in the logs, the history and {@code evaluate}'s result. */
  String name();

  /** Whether higher is better ({@code auto} mode of the callbacks that monitor it). */
  boolean higherIsBetter();

  /** How many sums this metric adds up for a model of {@code units} outputs. */
  default int slots(int units) {
    return 1;
  }

  /**
   * Checks that the metric fits a last layer of {@code units} outputs.
   *
   * @throws IllegalArgumentException naming the problem
   */
  default void check(int units) {}

  /** Adds one example's contribution to {@code sums[off .. off + slots)}. */
  void add(MetricRow row, double[] sums, int off);

  /** The metric's value from its sums and the examples' totals. */
  double result(double[] sums, int off, Totals totals);

  /** One line for the README: what the metric is. */
  String definition();

  /**
   * The metric as configuration: its name when it has every default (and is named as written), else
   * {@code {type: ..., ...}}.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  default JsonNode toConfig() {
    RecordSettings settings = kinds().get(type());
    ObjectNode node = ModelFile.JSON.createObjectNode();
    node.put("type", type());
    node.setAll(settings.toJson((Record) this));
    ObjectNode defaults = settings.toJson(settings.defaults());
    defaults.put(NAME.key(), name());
    boolean plain = defaults.equals(settings.toJson((Record) this));
    boolean namedAsType =
        name().equals(type()) || ALIASES.containsKey(name()) && ALIASES.get(name()).equals(type());
    return plain && namedAsType ? TextNode.valueOf(name()) : node;
  }

  /**
   * A metric from configuration: a name ({@code precision}, {@code mae}) or {@code {type: ...,
   * ...}}.
   */
  static Metric fromConfig(JsonNode node, String path) {
    if (node == null || !(node.isTextual() || node.isObject())) {
      throw new ConfigException(path + ": expected a metric name or {type: ..., ...}, got " + node);
    }
    String written =
        (node.isTextual() ? node.asText() : Configs.text(node, "type", path))
            .trim()
            .toLowerCase(Locale.ROOT);
    String type = ALIASES.getOrDefault(written, written);
    RecordSettings<? extends Metric> settings = kinds().get(type);
    if (settings == null) {
      throw new ConfigException(
          path
              + ": unknown metric '"
              + written
              + "' (supported: "
              + String.join(", ", kinds().keySet())
              + ", and the short names "
              + String.join(", ", ALIASES.keySet().stream().sorted().toList())
              + ")");
    }
    ObjectNode values =
        node.isObject() ? ((ObjectNode) node).deepCopy() : ModelFile.JSON.createObjectNode();
    values.remove("type");
    if (!values.hasNonNull(NAME.key())) {
      // As Keras: a metric given by name is logged under the name as written.
      values.put(NAME.key(), written.equals("acc") ? "accuracy" : written);
    }
    return settings.read(values, path, Set.of());
  }

  /** The key in the logs. */
  Setting<String> NAME =
      Setting.text("name", null, "the key in the logs and the history")
          .optional()
          .shownAs("the type (or short name) as written");

  /**
   * Checks a metric's name: not {@code loss}, and no {@code val_} prefix (the validation logs have
   * it).
   */
  private static String named(String name, String type) {
    String n = name == null ? type : name.trim();
    if (n.isEmpty() || n.equals("loss") || n.startsWith("val_")) {
      throw new ConfigException(
          "name: a metric cannot be named '" + n + "' (the logs use loss and val_ themselves)");
    }
    return n;
  }

  /** Keras' {@code thresholds} of precision and recall: one number in [0, 1]. */
  Setting<Double> THRESHOLDS =
      Setting.number(
              "thresholds",
              null,
              "a number in [0, 1]",
              v -> v >= 0 && v <= 1,
              "an output above it is a positive prediction")
          .optional()
          .shownAs("0.5 (none with top_k)");

  Setting<Integer> TOP_K =
      Setting.integer(
              "top_k", null, 1, "only each example's k highest outputs can be positive predictions")
          .optional();

  Setting<Integer> CLASS_ID =
      Setting.integer("class_id", null, 0, "only this output unit (class) counts").optional();

  Setting<Integer> K =
      Setting.integer("k", 5, 1, "a hit when the true class is among the k highest outputs");

  /** The share of examples predicted correctly, as the existing {@code accuracy}. */
  record Accuracy(String name) implements Metric {
    public static final RecordSettings<Accuracy> SETTINGS = RecordSettings.of(Accuracy.class, NAME);

    public Accuracy {
      name = named(name, "accuracy");
    }

    @Override
    public String type() {
      return "accuracy";
    }

    @Override
    public boolean higherIsBetter() {
      return true;
    }

    @Override
    public int slots(int units) {
      return 0;
    }

    @Override
    public void add(MetricRow row, double[] sums, int off) {}

    @Override
    public double result(double[] sums, int off, Totals totals) {
      return totals.accuracy();
    }

    @Override
    public String definition() {
      return "binary accuracy (threshold 0.5) for one output unit or binary_crossentropy, else argmax"
          + " against the class";
    }
  }

  /** How precision and recall see one output: whether it is predicted positive. */
  private static boolean predictedPositive(MetricRow row, int j, Double thresholds, Integer topK) {
    float p = row.output(j);
    if (topK != null && !row.inTopK(j, topK)) {
      p = NEG_INF;
    }
    float threshold =
        thresholds != null ? (float) (double) thresholds : topK == null ? 0.5f : NEG_INF;
    return p > threshold;
  }

  private static void checkClass(Integer classId, Integer topK, int units) {
    if (classId != null && classId >= units) {
      throw new IllegalArgumentException(
          "class_id " + classId + " is not an output unit of a last layer of " + units);
    }
    if (topK != null && topK > units) {
      throw new IllegalArgumentException(
          "top_k " + topK + " is more than the last layer's " + units + " units");
    }
  }

  /**
   * {@code tp / (tp + fp)} over every output unit of every example (or unit {@code class_id} only);
   * an output is a positive prediction above {@code thresholds} (and among the example's {@code
   * top_k} highest, when given), a label is positive when not 0.
   */
  record Precision(Double thresholds, Integer topK, Integer classId, String name)
      implements Metric {
    public static final RecordSettings<Precision> SETTINGS =
        RecordSettings.of(Precision.class, THRESHOLDS, TOP_K, CLASS_ID, NAME);

    public Precision {
      THRESHOLDS.check(thresholds);
      TOP_K.check(topK);
      CLASS_ID.check(classId);
      name = named(name, "precision");
    }

    @Override
    public String type() {
      return "precision";
    }

    @Override
    public boolean higherIsBetter() {
      return true;
    }

    @Override
    public int slots(int units) {
      return 2;
    }

    @Override
    public void check(int units) {
      checkClass(classId, topK, units);
    }

    @Override
    public void add(MetricRow row, double[] sums, int off) {
      int from = classId == null ? 0 : classId;
      int to = classId == null ? row.units() : classId + 1;
      for (int j = from; j < to; j++) {
        if (predictedPositive(row, j, thresholds, topK)) {
          sums[off + (row.positive(j) ? 0 : 1)]++;
        }
      }
    }

    @Override
    public double result(double[] sums, int off, Totals totals) {
      return ratio(sums[off], sums[off] + sums[off + 1]);
    }

    @Override
    public String definition() {
      return "tp / (tp + fp); outputs above `thresholds` (0.5) are positive predictions";
    }
  }

  /** {@code tp / (tp + fn)}, with the same positives as {@link Precision}. */
  record Recall(Double thresholds, Integer topK, Integer classId, String name) implements Metric {
    public static final RecordSettings<Recall> SETTINGS =
        RecordSettings.of(Recall.class, THRESHOLDS, TOP_K, CLASS_ID, NAME);

    public Recall {
      THRESHOLDS.check(thresholds);
      TOP_K.check(topK);
      CLASS_ID.check(classId);
      name = named(name, "recall");
    }

    @Override
    public String type() {
      return "recall";
    }

    @Override
    public boolean higherIsBetter() {
      return true;
    }

    @Override
    public int slots(int units) {
      return 2;
    }

    @Override
    public void check(int units) {
      checkClass(classId, topK, units);
    }

    @Override
    public void add(MetricRow row, double[] sums, int off) {
      int from = classId == null ? 0 : classId;
      int to = classId == null ? row.units() : classId + 1;
      for (int j = from; j < to; j++) {
        if (row.positive(j)) {
          sums[off + (predictedPositive(row, j, thresholds, topK) ? 0 : 1)]++;
        }
      }
    }

    @Override
    public double result(double[] sums, int off, Totals totals) {
      return ratio(sums[off], sums[off] + sums[off + 1]);
    }

    @Override
    public String definition() {
      return "tp / (tp + fn); positives as for precision";
    }
  }

  /** Which curve {@link Auc} integrates. */
  enum Curve {
    /** True positive rate against false positive rate. */
    ROC,
    /** Precision against recall. */
    PR
  }

  /** How {@link Auc} sums the areas between thresholds, as Keras' {@code summation_method}. */
  enum SummationMethod {
    /** Trapezoids for ROC; Davis and Goadrich's interpolation for PR. */
    INTERPOLATION,
    /** The lower of the two heights. */
    MINORING,
    /** The higher of the two heights. */
    MAJORING
  }

  Setting<Integer> NUM_THRESHOLDS =
      Setting.integer(
          "num_thresholds",
          200,
          2,
          "thresholds the curve is taken at: -1e-7, then (i + 1) / (num_thresholds - 1), 1 + 1e-7");
  Setting<Curve> CURVE = Setting.choice("curve", Curve.class, Curve.ROC, "`roc` or `pr` (PR)");
  Setting<SummationMethod> SUMMATION_METHOD =
      Setting.choice(
          "summation_method",
          SummationMethod.class,
          SummationMethod.INTERPOLATION,
          "how the areas between thresholds are summed, as Keras");

  /**
   * The area under the ROC or PR curve, as Keras' {@code AUC} computes it: every output unit of
   * every example is one prediction (Keras' {@code multi_label=False}), counted into the bucket of
   * its threshold ({@code ceil(p * (T - 1)) - 1}, at least 0, with {@code p} clipped to [0, 1]);
   * the true and false positives at threshold {@code i} are the counts of the buckets from {@code
   * i} up, and the area is summed over the {@code T - 1} intervals.
   *
   * <p>Sums: {@code [0, T)} positive labels per bucket, {@code [T, 2T)} negative labels per bucket.
   */
  record Auc(int numThresholds, Curve curve, SummationMethod summationMethod, String name)
      implements Metric {
    public static final RecordSettings<Auc> SETTINGS =
        RecordSettings.of(Auc.class, NUM_THRESHOLDS, CURVE, SUMMATION_METHOD, NAME);

    public Auc {
      NUM_THRESHOLDS.check(numThresholds);
      CURVE.check(curve);
      SUMMATION_METHOD.check(summationMethod);
      name = named(name, "auc");
    }

    @Override
    public String type() {
      return "auc";
    }

    @Override
    public boolean higherIsBetter() {
      return true;
    }

    @Override
    public int slots(int units) {
      return 2 * numThresholds;
    }

    @Override
    public void add(MetricRow row, double[] sums, int off) {
      float scale = numThresholds - 1;
      for (int j = 0; j < row.units(); j++) {
        float p = Math.min(Math.max(row.output(j), 0f), 1f);
        int bucket = Math.max(0, (int) Math.ceil(p * scale) - 1);
        sums[off + (row.positive(j) ? 0 : numThresholds) + bucket]++;
      }
    }

    @Override
    public double result(double[] sums, int off, Totals totals) {
      int n = numThresholds;
      double[] tp = new double[n];
      double[] fp = new double[n];
      double positives = 0;
      double negatives = 0;
      for (int i = n - 1; i >= 0; i--) {
        positives += sums[off + i];
        negatives += sums[off + n + i];
        tp[i] = positives;
        fp[i] = negatives;
      }
      double[] fn = new double[n];
      double[] tn = new double[n];
      for (int i = 0; i < n; i++) {
        fn[i] = positives - tp[i];
        tn[i] = negatives - fp[i];
      }
      return area(tp, fp, tn, fn);
    }

    /** Keras' {@code AUC.result()} on the confusion counts at each threshold. */
    double area(double[] tp, double[] fp, double[] tn, double[] fn) {
      int n = tp.length;
      double sum = 0;
      if (curve == Curve.PR && summationMethod == SummationMethod.INTERPOLATION) {
        // Davis and Goadrich: TP and TP + FP vary linearly between thresholds, precision does not.
        for (int i = 0; i + 1 < n; i++) {
          double dtp = tp[i] - tp[i + 1];
          double pA = tp[i] + fp[i];
          double pB = tp[i + 1] + fp[i + 1];
          double slope = ratio(dtp, Math.max(pA - pB, 0));
          double intercept = tp[i + 1] - slope * pB;
          double pRatio = pA > 0 && pB > 0 ? ratio(pA, Math.max(pB, 0)) : 1;
          sum +=
              ratio(
                  slope * (dtp + intercept * Math.log(pRatio)), Math.max(tp[i + 1] + fn[i + 1], 0));
        }
        return sum;
      }
      double[] x = new double[n];
      double[] y = new double[n];
      for (int i = 0; i < n; i++) {
        double recall = ratio(tp[i], tp[i] + fn[i]);
        if (curve == Curve.ROC) {
          x[i] = ratio(fp[i], fp[i] + tn[i]);
          y[i] = recall;
        } else {
          x[i] = recall;
          y[i] = ratio(tp[i], tp[i] + fp[i]);
        }
      }
      for (int i = 0; i + 1 < n; i++) {
        double height =
            switch (summationMethod) {
              case INTERPOLATION -> (y[i] + y[i + 1]) / 2;
              case MINORING -> Math.min(y[i], y[i + 1]);
              case MAJORING -> Math.max(y[i], y[i + 1]);
            };
        sum += (x[i] - x[i + 1]) * height;
      }
      return sum;
    }

    @Override
    public String definition() {
      return "area under the ROC or PR curve at `num_thresholds` thresholds, as Keras' AUC";
    }
  }

  private static void checkTopK(int units, String type) {
    if (units < 2) {
      throw new IllegalArgumentException(
          type + " needs a last layer of at least 2 units (classes), got " + units);
    }
  }

  /**
   * The share of examples whose true class (the label's argmax, or its class index) is among the
   * {@code k} highest outputs: fewer than {@code k} outputs are higher than the true class's (ties
   * count as hits, as Keras' {@code in_top_k}).
   */
  record TopKCategoricalAccuracy(int k, String name) implements Metric {
    public static final RecordSettings<TopKCategoricalAccuracy> SETTINGS =
        RecordSettings.of(TopKCategoricalAccuracy.class, K, NAME);

    public TopKCategoricalAccuracy {
      K.check(k);
      name = named(name, "top_k_categorical_accuracy");
    }

    @Override
    public String type() {
      return "top_k_categorical_accuracy";
    }

    @Override
    public boolean higherIsBetter() {
      return true;
    }

    @Override
    public void check(int units) {
      checkTopK(units, type());
    }

    @Override
    public void add(MetricRow row, double[] sums, int off) {
      sums[off] += row.rankOfTrueClass() < k ? 1 : 0;
    }

    @Override
    public double result(double[] sums, int off, Totals totals) {
      return sums[off] / totals.count;
    }

    @Override
    public String definition() {
      return "share of examples whose labelled class is among the `k` highest outputs";
    }
  }

  /** {@link TopKCategoricalAccuracy} under Keras' name for class-index labels. */
  record SparseTopKCategoricalAccuracy(int k, String name) implements Metric {
    public static final RecordSettings<SparseTopKCategoricalAccuracy> SETTINGS =
        RecordSettings.of(SparseTopKCategoricalAccuracy.class, K, NAME);

    public SparseTopKCategoricalAccuracy {
      K.check(k);
      name = named(name, "sparse_top_k_categorical_accuracy");
    }

    @Override
    public String type() {
      return "sparse_top_k_categorical_accuracy";
    }

    @Override
    public boolean higherIsBetter() {
      return true;
    }

    @Override
    public void check(int units) {
      checkTopK(units, type());
    }

    @Override
    public void add(MetricRow row, double[] sums, int off) {
      sums[off] += row.rankOfTrueClass() < k ? 1 : 0;
    }

    @Override
    public double result(double[] sums, int off, Totals totals) {
      return sums[off] / totals.count;
    }

    @Override
    public String definition() {
      return "the same for class-index labels";
    }
  }

  /** {@code mean_j |p_j - y_j|}, averaged over the examples. */
  record MeanAbsoluteError(String name) implements Metric {
    public static final RecordSettings<MeanAbsoluteError> SETTINGS =
        RecordSettings.of(MeanAbsoluteError.class, NAME);

    public MeanAbsoluteError {
      name = named(name, "mean_absolute_error");
    }

    @Override
    public String type() {
      return "mean_absolute_error";
    }

    @Override
    public boolean higherIsBetter() {
      return false;
    }

    @Override
    public void add(MetricRow row, double[] sums, int off) {
      double s = 0;
      for (int j = 0; j < row.units(); j++) {
        s += Math.abs(row.output(j) - row.target(j));
      }
      sums[off] += s / row.units();
    }

    @Override
    public double result(double[] sums, int off, Totals totals) {
      return sums[off] / totals.count;
    }

    @Override
    public String definition() {
      return "mean over examples of mean_j |p_j - y_j|";
    }
  }

  /** {@code mean_j (p_j - y_j)^2}, averaged over the examples. */
  record MeanSquaredError(String name) implements Metric {
    public static final RecordSettings<MeanSquaredError> SETTINGS =
        RecordSettings.of(MeanSquaredError.class, NAME);

    public MeanSquaredError {
      name = named(name, "mean_squared_error");
    }

    @Override
    public String type() {
      return "mean_squared_error";
    }

    @Override
    public boolean higherIsBetter() {
      return false;
    }

    @Override
    public void add(MetricRow row, double[] sums, int off) {
      sums[off] += row.meanSquaredError();
    }

    @Override
    public double result(double[] sums, int off, Totals totals) {
      return sums[off] / totals.count;
    }

    @Override
    public String definition() {
      return "mean over examples of mean_j (p_j - y_j)^2";
    }
  }

  /** The root of the mean squared error over every output of every example. */
  record RootMeanSquaredError(String name) implements Metric {
    public static final RecordSettings<RootMeanSquaredError> SETTINGS =
        RecordSettings.of(RootMeanSquaredError.class, NAME);

    public RootMeanSquaredError {
      name = named(name, "root_mean_squared_error");
    }

    @Override
    public String type() {
      return "root_mean_squared_error";
    }

    @Override
    public boolean higherIsBetter() {
      return false;
    }

    @Override
    public void add(MetricRow row, double[] sums, int off) {
      sums[off] += row.meanSquaredError();
    }

    @Override
    public double result(double[] sums, int off, Totals totals) {
      return Math.sqrt(sums[off] / totals.count);
    }

    @Override
    public String definition() {
      return "sqrt of the mean over examples and units of (p_j - y_j)^2";
    }
  }

  /** {@code a / b}, or 0 when {@code b} is 0 (Keras' {@code divide_no_nan}). */
  private static double ratio(double a, double b) {
    return b == 0 ? 0 : a / b;
  }

  /** The registry behind {@link #kinds()}, made at its first use. */
  final class Kinds {
    static final Map<String, RecordSettings<? extends Metric>> KINDS = registry();

    private Kinds() {}

    private static Map<String, RecordSettings<? extends Metric>> registry() {
      Map<String, RecordSettings<? extends Metric>> m = new LinkedHashMap<>();
      m.put("accuracy", Accuracy.SETTINGS);
      m.put("precision", Precision.SETTINGS);
      m.put("recall", Recall.SETTINGS);
      m.put("auc", Auc.SETTINGS);
      m.put("top_k_categorical_accuracy", TopKCategoricalAccuracy.SETTINGS);
      m.put("sparse_top_k_categorical_accuracy", SparseTopKCategoricalAccuracy.SETTINGS);
      m.put("mean_absolute_error", MeanAbsoluteError.SETTINGS);
      m.put("mean_squared_error", MeanSquaredError.SETTINGS);
      m.put("root_mean_squared_error", RootMeanSquaredError.SETTINGS);
      return Collections.unmodifiableMap(m);
    }
  }
}
