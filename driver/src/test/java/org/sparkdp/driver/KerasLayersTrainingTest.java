package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkdp.FitOptions;
import org.sparkdp.FitOptions.Strategy;
import org.sparkdp.FitOptions.SyncPath;
import org.sparkdp.History;
import org.sparkdp.Sequential;
import org.sparkdp.ops.ActivationLayer;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.AdamW;
import org.sparkdp.ops.BaseOptimizer;
import org.sparkdp.ops.Comparisons;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Dropout;
import org.sparkdp.ops.Initializer;
import org.sparkdp.ops.Layer;
import org.sparkdp.ops.LayerNormalization;
import org.sparkdp.ops.LearningRate;
import org.sparkdp.ops.Nadam;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Optimizer;
import org.sparkdp.ops.OptimizerState;
import org.sparkdp.ops.Regularizer;
import org.sparkdp.testkit.Blobs;
import org.sparkdp.testkit.ReferenceTraining;
import org.sparkdp.testkit.Schedules;
import org.sparkdp.testkit.TestSpark;

/**
 * Dropout, layer normalization, activation layers, regularizers, the new optimizers with clipping
 * and schedules, trained on Spark: the weights do not depend on the partitioning or the step path,
 * and equal the plain single-machine loop with the same batches and masks.
 */
class KerasLayersTrainingTest {
  private static final Blobs DATA = Blobs.of(500, 6, 3, 5);

  private static Sequential withDropout(double rate) {
    Sequential model =
        new Sequential(
            Dense.of(8, "relu").withInputDim(6),
            Dropout.of(rate),
            Dense.of(8, "relu"),
            Dropout.of(rate * 0.5),
            Dense.of(3, "softmax"));
    model.compile(Adam.withLearningRate(0.01), "sparse_categorical_crossentropy", "accuracy");
    return model;
  }

  /** Every new layer kind, regularizers, AdamW on a cosine schedule with clipping. */
  private static Sequential everything() {
    Sequential model =
        new Sequential(
            new LayerNormalization(
                1e-3,
                true,
                true,
                Initializer.ZEROS,
                Initializer.ONES,
                null,
                new Regularizer.L2(0.001),
                6),
            Dense.of(8, "linear")
                .withRegularizers(new Regularizer.L1L2(0.001, 0.002), new Regularizer.L1(0.001))
                .withInitializers(Initializer.HE_NORMAL, new Initializer.Constant(0.01)),
            ActivationLayer.of("gelu"),
            Dropout.of(0.25),
            Dense.of(3, "softmax").withRegularizers(new Regularizer.L2(0.01), null));
    Optimizer adamw =
        new AdamW(
            new LearningRate.CosineDecay(0.001, 30, 0.1, 0.02, 5),
            0.9,
            0.999,
            1e-7,
            false,
            new BaseOptimizer(0.004, null, null, 1.0));
    model.compile(adamw, "sparse_categorical_crossentropy", "accuracy");
    return model;
  }

  private static float[] train(Sequential model, FitOptions options, int batch, int epochs) {
    model.fit(TestSpark.frame(DATA), options.epochs(epochs).batchSize(batch).seed(11).verbose(0));
    return model.weights();
  }

  private static float[] reference(Sequential model, int batch, int epochs) {
    Network network = new Network(model.spec(), model.compileConfig(), 1, 11);
    return ReferenceTraining.train(
        network,
        model.compileConfig().optimizer(),
        model.spec().initialParameters(11),
        DATA,
        batch,
        epochs,
        ReferenceTraining.syncOrder(DATA.rows(), 11));
  }

  private static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
    double d = Comparisons.maxRelativeDifference(actual, expected);
    assertTrue(d < tolerance, what + ": max |diff| / max |w| = " + d);
  }

  @Test
  void dropoutWeightsDoNotDependOnThePartitioningAndEqualThePlainLoop() {
    float[] one = train(withDropout(0.3), new FitOptions().partitions(1), 32, 3);
    float[] three =
        train(withDropout(0.3), new FitOptions().partitions(3).syncPath(SyncPath.JOBS), 32, 3);
    float[] channel =
        train(withDropout(0.3), new FitOptions().partitions(2).syncPath(SyncPath.CHANNEL), 32, 3);
    assertClose(one, three, 1e-5, "1 vs 3 partitions");
    assertClose(one, channel, 1e-5, "1 partition vs 2 through the driver channel");
    assertClose(reference(withDropout(0.3), 32, 3), three, 1e-5, "Spark vs the plain loop");
    float[] noDropout = train(withDropout(0), new FitOptions().partitions(1), 32, 3);
    assertTrue(
        Comparisons.maxRelativeDifference(one, noDropout) > 1e-2,
        "dropout changes the training: " + Comparisons.maxRelativeDifference(one, noDropout));
  }

  /** A small convnet on the 6 features read as a 3 x 2 x 1 image. */
  private static Sequential convnet() {
    Sequential model =
        new Sequential(
                new org.sparkdp.ops.Conv2D(
                    4,
                    List.of(2, 2),
                    List.of(1, 1),
                    org.sparkdp.ops.Padding.SAME,
                    List.of(1, 1),
                    org.sparkdp.ops.Activation.RELU,
                    true,
                    Initializer.GLOROT_UNIFORM,
                    Initializer.ZEROS,
                    null,
                    null,
                    0),
                new org.sparkdp.ops.MaxPooling2D(
                    List.of(2, 2), null, org.sparkdp.ops.Padding.SAME, 0),
                org.sparkdp.ops.Flatten.of(),
                Dropout.of(0.2),
                Dense.of(3, "softmax"))
            .inputShape(3, 2, 1);
    model.compile(Adam.withLearningRate(0.01), "sparse_categorical_crossentropy", "accuracy");
    return model;
  }

  @Test
  void aConvnetsWeightsDoNotDependOnThePartitioningOrPathAndEqualThePlainLoop() {
    assertPartitioningAndPathDoNotMatter(KerasLayersTrainingTest::convnet);
  }

  /**
   * A sequence convnet on the 6 features read as 6 steps of 1: causal Conv1D, AveragePooling1D
   * (same), GlobalMaxPooling1D.
   */
  private static Sequential sequenceConvnet() {
    Sequential model =
        new Sequential(
                org.sparkdp.ops.Conv1D.of(4, 3, "relu")
                    .with(1, org.sparkdp.ops.Padding.CAUSAL, 1, true),
                new org.sparkdp.ops.AveragePooling1D(
                    List.of(2), null, org.sparkdp.ops.Padding.SAME, 0),
                org.sparkdp.ops.GlobalMaxPooling1D.of(),
                Dense.of(3, "softmax"))
            .inputShape(6, 1);
    model.compile(Adam.withLearningRate(0.01), "sparse_categorical_crossentropy", "accuracy");
    return model;
  }

  @Test
  void aSequenceConvnetsWeightsDoNotDependOnThePartitioningOrPathAndEqualThePlainLoop() {
    assertPartitioningAndPathDoNotMatter(KerasLayersTrainingTest::sequenceConvnet);
  }

  private static void assertPartitioningAndPathDoNotMatter(
      java.util.function.Supplier<Sequential> model) {
    float[] one = train(model.get(), new FitOptions().partitions(1), 32, 2);
    float[] three =
        train(model.get(), new FitOptions().partitions(3).syncPath(SyncPath.JOBS), 32, 2);
    float[] channel =
        train(model.get(), new FitOptions().partitions(2).syncPath(SyncPath.CHANNEL), 32, 2);
    assertClose(one, three, 1e-5, "1 vs 3 partitions");
    assertClose(one, channel, 1e-5, "1 partition vs 2 through the driver channel");
    assertClose(reference(model.get(), 32, 2), three, 1e-5, "Spark vs the plain loop");
    assertTrue(
        Comparisons.maxRelativeDifference(one, model.get().spec().initialParameters(11)) > 1e-3,
        "the weights moved");
  }

  /** The blobs' features as ids: each value rounded down, shifted and clamped into [0, 12). */
  private static final Blobs IDS = ids(DATA);

  private static Blobs ids(Blobs data) {
    float[] ids = new float[data.x().length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = Math.max(0, Math.min(11, (float) Math.floor(data.x()[i] + 6)));
    }
    return new Blobs(data.rows(), data.dim(), data.classes(), ids, data.labels());
  }

  /** An embedding of the 6 ids (with a regularized table), flatten, dense softmax. */
  private static Sequential embedding() {
    Sequential model =
        new Sequential(
                org.sparkdp.ops.Embedding.of(12, 3)
                    .with(new Initializer.RandomUniform(-0.05, 0.05), new Regularizer.L2(0.001)),
                org.sparkdp.ops.Flatten.of(),
                Dense.of(3, "softmax"))
            .inputShape(6);
    model.compile(Adam.withLearningRate(0.02), "sparse_categorical_crossentropy", "accuracy");
    return model;
  }

  private static float[] trainIds(FitOptions options) {
    Sequential model = embedding();
    model.fit(TestSpark.frame(IDS), options.epochs(3).batchSize(32).seed(11).verbose(0));
    return model.weights();
  }

  @Test
  void anEmbeddingsWeightsDoNotDependOnThePartitioningOrPathAndEqualThePlainLoop() {
    float[] one = trainIds(new FitOptions().partitions(1));
    float[] three = trainIds(new FitOptions().partitions(3).syncPath(SyncPath.JOBS));
    float[] channel = trainIds(new FitOptions().partitions(2).syncPath(SyncPath.CHANNEL));
    assertClose(one, three, 1e-5, "1 vs 3 partitions");
    assertClose(one, channel, 1e-5, "1 partition vs 2 through the driver channel");
    Sequential model = embedding();
    Network network = new Network(model.spec(), model.compileConfig(), 1, 11);
    float[] plain =
        ReferenceTraining.train(
            network,
            model.compileConfig().optimizer(),
            model.spec().initialParameters(11),
            IDS,
            32,
            3,
            ReferenceTraining.syncOrder(IDS.rows(), 11));
    assertClose(plain, three, 1e-5, "Spark vs the plain loop");
    // The table moved from its start: its rows were trained.
    assertTrue(
        Comparisons.maxRelativeDifference(
                java.util.Arrays.copyOf(model.spec().initialParameters(11), 36),
                java.util.Arrays.copyOf(three, 36))
            > 0.1);
  }

  @Test
  void dropoutOnEightPartitionsInTwoChannelTasksEqualsTwoPartitions() {
    Schedules schedules = new Schedules();
    float[] two =
        train(withDropout(0.3), new FitOptions().partitions(2).syncPath(SyncPath.CHANNEL), 32, 3);
    float[] eight =
        train(
            withDropout(0.3),
            new FitOptions().partitions(8).syncPath(SyncPath.CHANNEL).callbacks(schedules),
            32,
            3);
    assertEquals(
        "16 steps of batch 32 per epoch (sync, driver channel: 2 tasks for 8 partitions, 2 task slots)",
        schedules.get(0),
        "local[2]: each of the 2 tasks owns 4 partitions");
    // The masks follow the example ids, which every task gathers with its rows.
    assertClose(two, eight, 1e-6, "8 partitions in 2 tasks vs 2 partitions");
  }

  @Test
  void everyNewLayerRegularizerOptimizerAndScheduleTrainsAsThePlainLoop() {
    float[] spark =
        train(everything(), new FitOptions().partitions(3).syncPath(SyncPath.JOBS), 40, 2);
    assertClose(reference(everything(), 40, 2), spark, 1e-5, "Spark vs the plain loop");
    assertClose(
        spark,
        train(everything(), new FitOptions().partitions(2).syncPath(SyncPath.CHANNEL), 40, 2),
        1e-5,
        "3 partitions (jobs) vs 2 (channel)");
  }

  @Test
  void localStrategyWithDropoutOnOnePartitionIsThePlainLoopInItsOrder() {
    Sequential model = withDropout(0.3);
    float[] actual = train(model, new FitOptions().partitions(1).strategy(Strategy.LOCAL), 30, 2);
    Network network = new Network(model.spec(), model.compileConfig(), 1, 11);
    float[] expected =
        ReferenceTraining.train(
            network,
            model.compileConfig().optimizer(),
            model.spec().initialParameters(11),
            DATA,
            30,
            2,
            ReferenceTraining.localOrder(DATA.rows(), 11, 0));
    assertClose(expected, actual, 1e-5, "local on one partition vs the plain loop");
  }

  @Test
  void theRegularizersPenaltyIsPartOfTheReportedLossesAsInKeras() {
    // One full-batch epoch: the training loss is the loss at the starting weights, penalty
    // included; evaluation includes it too. (Without dropout, whose training loss differs.)
    Sequential model = withoutDropout(everything());
    History history =
        model.fit(
            TestSpark.frame(DATA),
            new FitOptions().epochs(1).batchSize(FitOptions.ALL).seed(3).verbose(0));
    float[] start = model.spec().initialParameters(3);
    Sequential atStart = withoutDropout(everything());
    atStart.setWeights(start);
    double evaluated = atStart.evaluate(TestSpark.frame(DATA)).get("loss");
    assertEquals(evaluated, history.last("loss"), 1e-5, "epoch loss = evaluation at the start");

    List<Layer> plain =
        atStart.spec().layers().stream().map(KerasLayersTrainingTest::unregularized).toList();
    Sequential unregularized = new Sequential(plain.toArray(new Layer[0]));
    unregularized.compile(Adam.defaults(), "sparse_categorical_crossentropy");
    unregularized.setWeights(start);
    double penalty = atStart.spec().regularization().apply(start, null);
    assertTrue(penalty > 1e-3, "a penalty that shows: " + penalty);
    assertEquals(
        unregularized.evaluate(TestSpark.frame(DATA)).get("loss") + penalty,
        evaluated,
        1e-5,
        "evaluation's loss = the data's loss + the penalty");
  }

  private static Sequential withoutDropout(Sequential model) {
    Sequential without =
        new Sequential(
            model.spec().layers().stream()
                .filter(l -> !(l instanceof Dropout))
                .toArray(Layer[]::new));
    without.compile(model.compileConfig());
    return without;
  }

  private static Layer unregularized(Layer layer) {
    if (layer instanceof Dense d) {
      return d.withRegularizers(null, null);
    }
    if (layer instanceof LayerNormalization n) {
      return new LayerNormalization(
          n.epsilon(),
          n.center(),
          n.scale(),
          n.betaInitializer(),
          n.gammaInitializer(),
          null,
          null,
          n.inputDim());
    }
    return layer;
  }

  @Test
  void theLearningRateFactorAndNadamsStateSurviveACheckpoint() {
    float[] params = {0.5f, -1f, 2f};
    TrainingState state = TrainingState.start(params);
    state.ensureOptimizer(Nadam.defaults());
    Nadam nadam = Nadam.defaults();
    nadam.step(params, new float[] {0.1f, -0.2f, 0.3f}, state.optimizer());
    state.optimizer().setLearningRateFactor(0.25);
    TrainingState restored = StateCodec.decode(StateCodec.encode(state));
    OptimizerState back = restored.optimizer();
    assertEquals(0.25, back.learningRateFactor());
    float[] a = params.clone();
    float[] b = restored.params().clone();
    nadam.step(a, new float[] {0.05f, 0.4f, -0.1f}, state.optimizer());
    nadam.step(b, new float[] {0.05f, 0.4f, -0.1f}, back);
    assertEquals(List.of(a[0], a[1], a[2]), List.of(b[0], b[1], b[2]));
  }
}
