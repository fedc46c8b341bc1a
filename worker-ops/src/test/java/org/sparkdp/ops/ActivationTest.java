package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The activations at chosen points against closed forms and Keras 3's documented values. */
class ActivationTest {
  private static float apply(Activation f, float z) {
    float[] a = new float[1];
    f.apply(new float[] {z}, 0, a, 0, 1, 1);
    return a[0];
  }

  @Test
  void valuesAtChosenPoints() {
    assertEquals(0.8413447460685429, apply(Activation.GELU, 1f), 1e-7, "gelu(1) = Phi(1)");
    assertEquals(-0.15865525393145707, apply(Activation.GELU, -1f), 1e-7);
    assertEquals(-3 * 0.0013498980316300933, apply(Activation.GELU, -3f), 1e-9, "gelu's tail");
    assertEquals(0.5 + 1.0 / 6, apply(Activation.HARD_SIGMOID, 1f), 1e-7, "Keras 3: x / 6 + 0.5");
    assertEquals(1, apply(Activation.HARD_SIGMOID, 3f), 0);
    assertEquals(0, apply(Activation.HARD_SIGMOID, -3f), 0);
    assertEquals(-0.4, apply(Activation.LEAKY_RELU, -2f), 1e-7, "Keras 3's negative_slope 0.2");
    assertEquals(6, apply(Activation.RELU6, 7.5f), 0);
    assertEquals(Math.exp(-1) - 1, apply(Activation.ELU, -1f), 1e-7);
    assertEquals(
        1.0507009873554805 * 1.6732632423543772 * (Math.exp(-1) - 1),
        apply(Activation.SELU, -1f),
        1e-6);
    assertEquals(1.0507009873554805 * 2, apply(Activation.SELU, 2f), 1e-6);
    assertEquals(Math.log1p(Math.E), apply(Activation.SOFTPLUS, 1f), 1e-7);
    assertEquals(30, apply(Activation.SOFTPLUS, 30f), 1e-5, "no overflow");
    assertEquals(-0.75, apply(Activation.SOFTSIGN, -3f), 1e-7);
    assertEquals(2 / (1 + Math.exp(-2)), apply(Activation.SWISH, 2f), 1e-7);
    assertEquals(apply(Activation.SWISH, -1.3f), apply(Activation.SILU, -1.3f));
    assertEquals(Math.exp(1.5), apply(Activation.EXPONENTIAL, 1.5f), 1e-6);
  }

  @Test
  void geluMatchesAnIndependentErfOverItsRange() {
    for (double step = -8; step <= 8; step += 0.01) {
      double z = (float) step;
      double exact = 0.5 * z * (1 + ReferenceNetwork.erf(z / Math.sqrt(2)));
      assertEquals(
          exact,
          apply(Activation.GELU, (float) z),
          2e-7 * Math.max(1e-3, Math.abs(exact)) + 1e-12,
          "z = " + z);
    }
  }
}
