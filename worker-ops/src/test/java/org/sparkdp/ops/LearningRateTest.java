package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each schedule at steps 0, 1, 5, 10, 11, 15, 20, 21, 60 and 200 against values worked out in
 * double precision from the formulas of Keras 3's {@code learning_rate_schedule.py} (literals).
 */
class LearningRateTest {
  private static final long[] STEPS = {0, 1, 5, 10, 11, 15, 20, 21, 60, 200};

  private static void assertRates(double[] expected, LearningRate schedule) {
    for (int i = 0; i < STEPS.length; i++) {
      assertEquals(
          expected[i], schedule.at(STEPS[i]), 1e-15 * Math.max(1, expected[i]), "step " + STEPS[i]);
    }
  }

  @Test
  void exponentialDecayIsSmoothOrInStairs() {
    assertRates(
        new double[] {
          0.1, 0.09330329915368074, 0.07071067811865477, 0.05, 0.04665164957684037,
          0.03535533905932738, 0.025, 0.023325824788420185, 0.0015625, 9.5367431640625e-08
        },
        new LearningRate.ExponentialDecay(0.1, 10, 0.5, false));
    assertRates(
        new double[] {
          0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.0015625, 9.5367431640625e-08
        },
        new LearningRate.ExponentialDecay(0.1, 10, 0.5, true));
  }

  @Test
  void inverseTimeDecayIsSmoothOrInStairs() {
    assertRates(
        new double[] {
          0.1, 0.09523809523809523, 0.08, 0.06666666666666667, 0.06451612903225806,
          0.05714285714285715, 0.05, 0.04878048780487806, 0.025, 0.009090909090909092
        },
        new LearningRate.InverseTimeDecay(0.1, 10, 0.5, false));
    assertRates(
        new double[] {
          0.1,
          0.1,
          0.1,
          0.06666666666666667,
          0.06666666666666667,
          0.06666666666666667,
          0.05,
          0.05,
          0.025,
          0.009090909090909092
        },
        new LearningRate.InverseTimeDecay(0.1, 10, 0.5, true));
  }

  @Test
  void cosineDecayEndsAtAlphaAndWarmsUpLinearly() {
    assertRates(
        new double[] {
          0.1,
          0.09997779521645793,
          0.0994459753267812,
          0.09779754323328192,
          0.09733963460294015,
          0.09509529358847656,
          0.09140576474687263,
          0.09055697555690606,
          0.04109423525312738,
          0.010000000000000002
        },
        new LearningRate.CosineDecay(0.1, 100, 0.1, null, 0));
    assertRates(
        new double[] {
          0.0,
          0.010000000000000002,
          0.05,
          0.1,
          0.09997532801828658,
          0.0993844170297569,
          0.09755282581475769,
          0.09704403844771128,
          0.05,
          0.0
        },
        new LearningRate.CosineDecay(0.0, 100, 0.0, 0.1, 10));
  }

  @Test
  void piecewiseConstantDecayIncludesEachBoundaryInTheSegmentBeforeIt() {
    assertRates(
        new double[] {0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.01, 0.01, 0.01},
        new LearningRate.PiecewiseConstantDecay(List.of(10L, 20L), List.of(0.1, 0.05, 0.01)));
  }

  @Test
  void badSchedulesNameTheArgument() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> new LearningRate.PiecewiseConstantDecay(List.of(10L), List.of(0.1)));
    assertTrue(e.getMessage().startsWith("values: needs one more value"), e.getMessage());
    e =
        assertThrows(
            ConfigException.class, () -> new LearningRate.ExponentialDecay(0.1, 0, 0.5, false));
    assertTrue(
        e.getMessage().startsWith("decay_steps: must be a positive integer"), e.getMessage());
  }
}
