package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.sparkdp.FitOptions.SyncPath;

/**
 * The cost model's figures, worked by hand, and the README's account of what {@code auto} takes.
 */
class CostModelTest {
  /** The Fashion-MNIST model of the README. */
  private static final int SMALL = 55_050;

  /** 784-2048-2048-10, the bench's large model. */
  private static final int LARGE = 5_824_522;

  @Test
  void eachPathsFixedCostIsItsFormulaAtTenGigabitEthernet() {
    // 8nT / BW: 8 * 55050 * 2 / 1.25e9.
    assertEquals(7.0464e-4, CostModel.channelSeconds(2, SMALL), 1e-12);
    // 8n / BW + 2 (T - 1) (4n / BW + 0.2 ms): 3.5232e-4 + 2 (1.7616e-4 + 2e-4).
    assertEquals(1.10464e-3, CostModel.ringSeconds(2, SMALL), 1e-12);
    // A piece is at most 64K floats: 8n / BW + 2 (4 * 65536 / BW + 0.2 ms) for the large model.
    assertEquals(
        8.0 * LARGE / 1.25e9 + 2 * (4.0 * 65_536 / 1.25e9 + 2e-4),
        CostModel.ringSeconds(2, LARGE),
        1e-12);
    // J + 4n (1 + 2 sqrt(T)) / BW with T = 4: 0.03 + 4 * 55050 * 5 / 1.25e9.
    assertEquals(0.03 + 8.808e-4, CostModel.jobSeconds(4, SMALL), 1e-12);
  }

  @Test
  void theChannelSuitsWhileItsDriverTrafficCostsLessThanAJob() {
    // n (T - sqrt(T)) <= 4.7M: for 55k parameters up to T = 95 (85.25 * 55050 = 4.69M).
    assertTrue(CostModel.channelSuits(95, SMALL));
    assertFalse(CostModel.channelSuits(96, SMALL));
    // For 5.8M parameters up to T = 2 (0.59 * 5.82M = 3.41M), not 3 (1.27 * 5.82M = 7.39M).
    assertTrue(CostModel.channelSuits(2, LARGE));
    assertFalse(CostModel.channelSuits(3, LARGE));
  }

  @Test
  void autoTakesTheChannelForTheSmallModelUpTo95TasksAndAJobPerStepBeyond() {
    assertEquals(SyncPath.CHANNEL, CostModel.auto(1, SMALL));
    assertEquals(SyncPath.CHANNEL, CostModel.auto(2, SMALL));
    assertEquals(SyncPath.CHANNEL, CostModel.auto(64, SMALL));
    assertEquals(SyncPath.CHANNEL, CostModel.auto(95, SMALL));
    // Beyond, the ring's 2 (T - 1) hops (72 ms at 96 tasks) cost more than a job (34 ms).
    assertEquals(SyncPath.JOBS, CostModel.auto(96, SMALL));
    assertEquals(SyncPath.JOBS, CostModel.auto(512, SMALL));
  }

  @Test
  void aModelWithBatchNormalizationKeepsTheChannelLongerSinceEachPhaseIsAJobOnTheJobPath() {
    assertEquals(SyncPath.CHANNEL, CostModel.auto(95, SMALL, 2));
    assertEquals(SyncPath.JOBS, CostModel.auto(96, SMALL, 0));
    assertEquals(SyncPath.CHANNEL, CostModel.auto(96, SMALL, 2)); // 3 jobs per step: 90 ms
    assertEquals(SyncPath.CHANNEL, CostModel.auto(250, SMALL, 2));
    assertEquals(SyncPath.JOBS, CostModel.auto(290, SMALL, 2));
    assertEquals(SyncPath.ALLREDUCE, CostModel.auto(64, LARGE, 2));
  }

  @Test
  void autoTakesTheAllreduceForTheLargeModelFromTwoTasksToHundreds() {
    assertEquals(SyncPath.CHANNEL, CostModel.auto(1, LARGE));
    // The channel suits 2 tasks, but its 75 ms through the driver's link cost more than the ring's
    // 38 ms.
    assertTrue(CostModel.channelSeconds(2, LARGE) > CostModel.ringSeconds(2, LARGE));
    assertEquals(SyncPath.ALLREDUCE, CostModel.auto(2, LARGE));
    assertEquals(SyncPath.ALLREDUCE, CostModel.auto(64, LARGE));
    assertEquals(SyncPath.ALLREDUCE, CostModel.auto(512, LARGE));
  }

  @Test
  void atTwoTasksTheChannelKeepsModelsUpToAbout128kParameters() {
    // 16n / BW <= 8n / BW + 2 (4 * 65536 / BW + 0.2 ms) while n <= 65536 + 62500.
    assertEquals(SyncPath.CHANNEL, CostModel.auto(2, 128_000));
    assertEquals(SyncPath.ALLREDUCE, CostModel.auto(2, 128_100));
  }
}
