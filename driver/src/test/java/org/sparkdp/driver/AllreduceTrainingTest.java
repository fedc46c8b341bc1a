package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkdp.FitOptions;
import org.sparkdp.FitOptions.SyncPath;
import org.sparkdp.History;
import org.sparkdp.Sequential;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.Dense;
import org.sparkdp.testkit.Blobs;
import org.sparkdp.testkit.Schedules;
import org.sparkdp.testkit.TestSpark;

/**
 * The executor allreduce ({@code sync_path: allreduce}) on {@code local[2]}: the channel's tasks
 * pass the parameters and the gradient sums along a ring of themselves. Its sums are the channel's
 * additions in partition order, so its weights are the channel's bit for bit; a rerun gives the
 * same bits. With two tasks, {@code (0 + g_0) + g_1} and {@code (0 + g_1) + g_0} are the same
 * floats, so the order of the additions shows only with three tasks ({@code SealedRingTest}).
 */
class AllreduceTrainingTest {
  private static final Blobs DATA = Blobs.of(500, 6, 3, 5);

  private record Fit(float[] weights, History history, String schedule) {}

  private static Fit train(SyncPath path, int partitions) {
    Schedules schedules = new Schedules();
    Sequential model = new Sequential(Dense.of(8, "relu").withInputDim(6), Dense.of(3, "softmax"));
    model.compile(Adam.withLearningRate(0.01), "sparse_categorical_crossentropy", "accuracy");
    History history =
        model.fit(
            TestSpark.frame(DATA),
            new FitOptions()
                .syncPath(path)
                .partitions(partitions)
                .epochs(2)
                .batchSize(32)
                .validationSplit(0.2)
                .seed(11)
                .verbose(0)
                .callbacks(schedules));
    return new Fit(model.weights(), history, schedules.get(0));
  }

  @Test
  void theAllreduceGivesTheChannelsWeightsOnTwoThreeAndEightPartitions() {
    for (int partitions : new int[] {2, 3, 8}) {
      Fit channel = train(SyncPath.CHANNEL, partitions);
      Fit ring = train(SyncPath.ALLREDUCE, partitions);
      assertEquals(
          "13 steps of batch 32 per epoch (sync, executor allreduce: 2 tasks for "
              + partitions
              + " partitions, 2 task slots)",
          ring.schedule(),
          "local[2] has 2 slots: one task per slot, each owning a run of partitions");
      assertArrayEquals(
          channel.weights(), ring.weights(), partitions + " partitions: the channel's bits");
      for (String key : List.of("loss", "val_loss", "val_accuracy")) {
        assertEquals(
            channel.history().history().get(key),
            ring.history().history().get(key),
            partitions + " partitions: " + key + " per epoch (validation along the ring)");
      }
    }
  }

  @Test
  void aRerunGivesTheSameBits() {
    Fit first = train(SyncPath.ALLREDUCE, 3);
    Fit second = train(SyncPath.ALLREDUCE, 3);
    assertArrayEquals(first.weights(), second.weights());
    Map<String, List<Double>> a = first.history().history();
    assertEquals(a, second.history().history());
  }

  @Test
  void aRingThatCannotFormAtTheFirstLaunchGivesWayToTheChannelUnderAutoAndEndsAForcedFit() {
    assertEquals(ChannelSession.Remedy.CHANNEL, ChannelSession.onRingFailure(true, false, true));
    assertEquals(ChannelSession.Remedy.FAIL, ChannelSession.onRingFailure(true, false, false));
    // Once the ring has formed, a failure is a lost task, whichever way the path was chosen.
    assertEquals(ChannelSession.Remedy.RESTART, ChannelSession.onRingFailure(true, true, true));
    assertEquals(ChannelSession.Remedy.RESTART, ChannelSession.onRingFailure(true, true, false));
    assertEquals(ChannelSession.Remedy.RESTART, ChannelSession.onRingFailure(false, true, true));
  }
}
