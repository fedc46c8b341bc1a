package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Three steps of each optimizer from {@code w = [0.5, -1, 2]} with the gradients below, against
 * values worked by hand from Keras' update rules (in double precision; the expected numbers are
 * literals).
 */
class OptimizerTest {
  private static final float[][] GRADIENTS = {
    {0.1f, -0.2f, 0.3f}, {0.05f, 0.4f, -0.1f}, {-0.3f, 0.2f, 0f}
  };

  private static float[][] run(Optimizer optimizer) {
    float[] w = {0.5f, -1f, 2f};
    OptimizerState state = optimizer.newState(w.length);
    float[][] after = new float[3][];
    for (int t = 0; t < 3; t++) {
      optimizer.step(w, GRADIENTS[t], state);
      after[t] = w.clone();
    }
    assertEquals(3, state.iterations());
    return after;
  }

  private static void assertClose(double[] expected, float[] actual) {
    for (int i = 0; i < expected.length; i++) {
      assertEquals(
          expected[i], actual[i], 2e-6 * Math.max(1, Math.abs(expected[i])), "element " + i);
    }
  }

  @Test
  void adamWithKerasDefaultsMatchesHandComputedSteps() {
    float[][] w = run(Adam.withLearningRate(0.01));
    assertClose(new double[] {0.49000031621776635, -0.9900001581113831, 1.9900001054081442}, w[0]);
    assertClose(new double[] {0.4806787835879341, -0.9936611674919068, 1.9859979597280786}, w[1]);
    assertClose(new double[] {0.4841509843578433, -0.9988535421206465, 1.9829042895334086}, w[2]);
  }

  @Test
  void sgdWithMomentumMatchesHandComputedSteps() {
    float[][] w = run(new Sgd(0.1, 0.9, false));
    assertClose(new double[] {0.49, -0.98, 1.97}, w[0]);
    assertClose(new double[] {0.476, -1.002, 1.953}, w[1]);
    assertClose(new double[] {0.4934, -1.0418, 1.9377}, w[2]);
  }

  @Test
  void sgdWithNesterovMomentumMatchesHandComputedSteps() {
    float[][] w = run(new Sgd(0.1, 0.9, true));
    assertClose(new double[] {0.481, -0.962, 1.943}, w[0]);
    assertClose(new double[] {0.4634, -1.0218, 1.9377}, w[1]);
    assertClose(new double[] {0.50906, -1.07762, 1.92393}, w[2]);
  }

  @Test
  void plainSgdSubtractsTheScaledGradient() {
    float[][] w = run(new Sgd(0.1, 0, false));
    assertClose(new double[] {0.49, -0.98, 1.97}, w[0]);
    assertClose(new double[] {0.485, -1.02, 1.98}, w[1]);
    assertClose(new double[] {0.515, -1.04, 1.98}, w[2]);
  }

  @Test
  void amsgradNeverLetsTheSecondMomentShrink() {
    Adam adam = new Adam(0.01, 0.9, 0.999, 1e-7, true);
    float[] w = {1f};
    OptimizerState state = adam.newState(1);
    adam.step(w, new float[] {1f}, state);
    adam.step(w, new float[] {0f}, state);
    float[] vMax = state.slots()[2];
    assertTrue(vMax[0] > state.slots()[1][0], "vHat keeps the larger earlier moment");
  }

  @Test
  void keraDefaultsAreThoseOfKeras() {
    Adam adam = Adam.defaults();
    assertArrayEquals(
        new double[] {0.001, 0.9, 0.999, 1e-7},
        new double[] {adam.learningRate(), adam.beta1(), adam.beta2(), adam.epsilon()});
    assertEquals(0.01, Sgd.defaults().learningRate());
  }

  @Test
  void nonPositiveLearningRateIsRejectedWithItsName() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new Sgd(0, 0, false));
    assertTrue(e.getMessage().contains("learning_rate"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Adam.withLearningRate(-1e-3));
    assertThrows(IllegalArgumentException.class, () -> Adam.withLearningRate(Double.NaN));
  }
}
