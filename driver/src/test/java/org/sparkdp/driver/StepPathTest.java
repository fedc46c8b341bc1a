package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.sparkdp.FitOptions;
import org.sparkdp.FitOptions.SyncPath;
import org.sparkdp.driver.channel.ChannelException;
import org.sparkdp.driver.channel.StepPath;
import org.sparkdp.driver.channel.Sums;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Penalty;
import org.sparkdp.ops.Totals;
import org.sparkdp.testkit.Blobs;
import org.sparkdp.testkit.TestSpark;

/**
 * The three ways a synchronous step reaches the executors, each opened from its {@link StepPlan}
 * and driven through {@link StepPath} alone, by the same loop: on {@code local[2]} with two
 * partitions (a task each), every step's sums and the validation's totals are the same floats on
 * every path, so the weights are the same bits whichever path trained them.
 */
class StepPathTest {
  private static final Blobs DATA = Blobs.of(300, 6, 3, 5);
  private static final int STEPS = 3;

  /** What one path gave: each step's gradient and totals, then the validation's totals. */
  private record Run(
      String name, List<float[]> gradients, List<Totals> totals, Totals validation) {}

  private static Run run(SyncPath syncPath) {
    ModelSpec spec = ModelSpec.of(Dense.of(8, "relu").withInputDim(6), Dense.of(3, "softmax"));
    CompileConfig compile =
        new CompileConfig(
            Adam.withLearningRate(0.01),
            Loss.SPARSE_CATEGORICAL_CROSSENTROPY,
            false,
            CompileConfig.metrics("accuracy"));
    PackedData data =
        DataPacker.pack(
            TestSpark.frame(DATA),
            "features",
            "label",
            new DataPacker.Target(6, 3, compile.loss()),
            0.2,
            2,
            "train data");
    Validation validation = new Validation(data.validation(), data.validationRows(), true);
    Network network = new Network(spec, compile, data.labelWidth(), 11);
    FitStop stop = FitStop.begin();
    try {
      FitContext fit =
          new FitContext(
              JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext()),
              network,
              compile,
              new FitOptions().syncPath(syncPath).partitions(2).batchSize(32).seed(11),
              new StepStats(),
              Penalty.NONE,
              stop,
              null);
      StepPlan plan = StepPlan.of(fit, data.all().getNumPartitions());
      float[] params = spec.initialParameters(11);
      List<float[]> gradients = new ArrayList<>();
      List<Totals> totals = new ArrayList<>();
      try (StepPath path = plan.open(fit, data, validation, Batches.of(data.trainRows(), 32, 11))) {
        assertEquals(plan.name(), path.name(), "the plan opens the path it names");
        for (int s = 0; s < STEPS; s++) {
          Sums sums = path.step(0, s, params);
          gradients.add(sums.gradient().clone());
          totals.add(new Totals().add(sums.totals()));
        }
        return new Run(path.name(), gradients, totals, path.evaluate(params));
      }
    } catch (ChannelException e) {
      throw new AssertionError(e);
    } finally {
      stop.end();
      data.unpersist();
    }
  }

  /** The same floats: {@code ==} element by element (so a zero's sign does not count). */
  private static void assertSameFloats(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      assertTrue(
          expected[i] == actual[i], what + "[" + i + "]: " + expected[i] + " vs " + actual[i]);
    }
  }

  private static void assertSameTotals(Totals expected, Totals actual, String what) {
    assertEquals(expected.count, actual.count, what + ": count");
    assertEquals(expected.loss, actual.loss, 0, what + ": loss");
  }

  @Test
  void theJobTheChannelAndTheAllreduceAreOneInterfaceAndGiveTheSameSums() {
    Run jobs = run(SyncPath.JOBS);
    Run channel = run(SyncPath.CHANNEL);
    Run ring = run(SyncPath.ALLREDUCE);
    assertEquals("a Spark job per step", jobs.name());
    assertEquals("driver channel", channel.name());
    assertEquals("executor allreduce", ring.name());
    for (Run other : List.of(channel, ring)) {
      for (int s = 0; s < STEPS; s++) {
        String what = other.name() + " against the jobs, step " + (s + 1);
        assertSameFloats(jobs.gradients().get(s), other.gradients().get(s), what + ": gradient");
        assertSameTotals(jobs.totals().get(s), other.totals().get(s), what);
      }
      assertSameTotals(jobs.validation(), other.validation(), other.name() + ": validation");
    }
    assertTrue(jobs.validation().count > 0, "the validation split has rows");
  }
}
