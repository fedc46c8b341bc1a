package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.sparkdp.FitOptions;
import org.sparkdp.FitOptions.SyncPath;
import org.sparkdp.Sequential;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.Comparisons;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.GRU;
import org.sparkdp.ops.LSTM;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.SimpleRNN;
import org.sparkdp.testkit.Blobs;
import org.sparkdp.testkit.ReferenceTraining;
import org.sparkdp.testkit.TestSpark;

/**
 * Recurrent layers trained on Spark: the 6 features of each example read as a sequence of 3 steps
 * of 2; the weights do not depend on the partitioning or the step path, and equal the plain
 * single-machine loop with the same batches.
 */
class RecurrentTrainingTest {
  private static final Blobs DATA = Blobs.of(400, 6, 3, 7);

  private static Sequential model() {
    Sequential model =
        new Sequential(
                LSTM.of(4).withReturnSequences(true),
                SimpleRNN.of(3).withReturnSequences(true),
                GRU.of(4),
                Dense.of(3, "softmax"))
            .inputShape(3, 2);
    model.compile(Adam.withLearningRate(0.01), "sparse_categorical_crossentropy", "accuracy");
    return model;
  }

  private static float[] train(FitOptions options) {
    Sequential model = model();
    model.fit(TestSpark.frame(DATA), options.epochs(2).batchSize(32).seed(11).verbose(0));
    return model.weights();
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    double d = Comparisons.maxRelativeDifference(actual, expected);
    assertTrue(d < 1e-5, what + ": max |diff| / max |w| = " + d);
  }

  @Test
  void recurrentWeightsDoNotDependOnThePartitioningOrPathAndEqualThePlainLoop() {
    float[] one = train(new FitOptions().partitions(1));
    float[] three = train(new FitOptions().partitions(3).syncPath(SyncPath.JOBS));
    float[] channel = train(new FitOptions().partitions(2).syncPath(SyncPath.CHANNEL));
    assertClose(one, three, "1 vs 3 partitions");
    assertClose(one, channel, "1 partition vs 2 through the driver channel");
    Sequential m = model();
    Network network = new Network(m.spec(), m.compileConfig(), 1, 11);
    float[] plain =
        ReferenceTraining.train(
            network,
            m.compileConfig().optimizer(),
            m.spec().initialParameters(11),
            DATA,
            32,
            2,
            ReferenceTraining.syncOrder(DATA.rows(), 11));
    assertClose(plain, three, "Spark vs the plain loop");
    assertTrue(
        Comparisons.maxRelativeDifference(m.spec().initialParameters(11), three) > 1e-3,
        "the weights moved");
  }
}
