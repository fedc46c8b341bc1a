package org.sparkdp.ops.privacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * DP-SGD's noise: standard normal draws scaled by the standard deviation, checked by their moments,
 * their tails and their distribution function against the normal's (Kolmogorov-Smirnov),
 * reproducible from the seed, the epoch and the step only, and unpredictable when secure.
 */
class GaussianNoiseTest {
  private static final int N = 200_001; // odd: the last element takes half a Box-Muller pair

  private static double[] draws(GaussianNoise noise, double stddev, int epoch, int step) {
    float[] sum = new float[N];
    noise.add(sum, stddev, epoch, step);
    double[] z = new double[N];
    for (int i = 0; i < N; i++) {
      z[i] = sum[i] / stddev;
    }
    return z;
  }

  /** The moments of N(0, 1) within five standard errors of {@code N} draws. */
  private static void assertStandardNormal(double[] z, String what) {
    double mean = 0;
    for (double v : z) {
      mean += v;
    }
    mean /= z.length;
    double m2 = 0;
    double m4 = 0;
    for (double v : z) {
      m2 += (v - mean) * (v - mean);
      m4 += Math.pow(v - mean, 4);
    }
    m2 /= z.length;
    m4 /= z.length;
    // Standard errors: mean 1/sqrt(n); variance sqrt(2/n); fourth moment sqrt(96/n).
    assertEquals(0, mean, 5 / Math.sqrt(z.length), what + ": mean");
    assertEquals(1, m2, 5 * Math.sqrt(2.0 / z.length), what + ": variance");
    assertEquals(3, m4, 5 * Math.sqrt(96.0 / z.length), what + ": fourth moment");
    // The tails, which the ziggurat's base layer draws apart (beyond 3.44): P(|z| > 3.5) and
    // P(|z| > 2) within five binomial standard deviations.
    for (double t : new double[] {2, 3.5}) {
      double p = 2 * (1 - normalCdf(t));
      long beyond = java.util.Arrays.stream(z).filter(v -> Math.abs(v) > t).count();
      assertEquals(
          p * z.length,
          beyond,
          5 * Math.sqrt(z.length * p * (1 - p)),
          what + ": draws beyond " + t + " standard deviations");
    }
    // Kolmogorov-Smirnov against the normal's distribution function: the 0.001 critical value
    // is 1.95 / sqrt(n).
    double[] sorted = z.clone();
    java.util.Arrays.sort(sorted);
    double d = 0;
    for (int i = 0; i < sorted.length; i++) {
      double f = normalCdf(sorted[i]);
      d = Math.max(d, Math.max(f - (double) i / sorted.length, (i + 1.0) / sorted.length - f));
    }
    assertTrue(d < 1.95 / Math.sqrt(sorted.length), what + ": KS distance " + d);
  }

  /** Phi(x) = erfc(-x / sqrt 2) / 2, with erfc by Numerical Recipes' Chebyshev fit (1.2e-7). */
  private static double normalCdf(double x) {
    double z = Math.abs(x) / Math.sqrt(2);
    double t = 1 / (1 + 0.5 * z);
    double erfc =
        t
            * Math.exp(
                -z * z
                    - 1.26551223
                    + t
                        * (1.00002368
                            + t
                                * (0.37409196
                                    + t
                                        * (0.09678418
                                            + t
                                                * (-0.18628806
                                                    + t
                                                        * (0.27886807
                                                            + t
                                                                * (-1.13520398
                                                                    + t
                                                                        * (1.48851587
                                                                            + t
                                                                                * (-0.82215223
                                                                                    + t
                                                                                        * 0.17087277)))))))));
    return x >= 0 ? 1 - erfc / 2 : erfc / 2;
  }

  @Test
  void seededNoiseIsStandardNormalTimesTheStandardDeviation() {
    assertStandardNormal(draws(GaussianNoise.seeded(7), 2.5, 0, 0), "seeded");
    assertStandardNormal(draws(GaussianNoise.seeded(7), 0.01, 3, 11), "seeded, another step");
  }

  @Test
  void secureNoiseIsStandardNormalToo() {
    assertStandardNormal(draws(GaussianNoise.secure(), 1.3, 0, 0), "secure");
  }

  @Test
  void seededNoiseDependsOnTheSeedEpochAndStepOnly() {
    double[] a = draws(GaussianNoise.seeded(7), 1, 2, 5);
    assertArrayEquals(a, draws(GaussianNoise.seeded(7), 1, 2, 5), 0, "the same bits again");
    for (double[] other :
        new double[][] {
          draws(GaussianNoise.seeded(8), 1, 2, 5),
          draws(GaussianNoise.seeded(7), 1, 3, 5),
          draws(GaussianNoise.seeded(7), 1, 2, 6)
        }) {
      // Independent draws: correlation within five standard errors of 0, and no equal element.
      double dot = 0;
      for (int i = 0; i < N; i++) {
        dot += a[i] * other[i];
      }
      assertEquals(0, dot / N, 5 / Math.sqrt(N), "correlation with another stream");
    }
    assertTrue(GaussianNoise.seeded(7).reproducible());
  }

  @Test
  void secureNoiseCannotBeRecomputedAndNeverRepeats() {
    GaussianNoise secure = GaussianNoise.secure();
    assertFalse(secure.reproducible());
    double[] first = draws(secure, 1, 0, 0);
    double[] again = draws(secure, 1, 0, 0);
    double[] elsewhere = draws(GaussianNoise.secure(), 1, 0, 0);
    int equal = 0;
    for (int i = 0; i < N; i++) {
      equal += first[i] == again[i] || first[i] == elsewhere[i] ? 1 : 0;
    }
    assertEquals(0, equal, "draws repeated");
  }

  @Test
  void noiseIsAddedToTheSumAndZeroStandardDeviationAddsNothing() {
    float[] sum = {1, 2, 3};
    GaussianNoise.seeded(1).add(sum, 0, 0, 0);
    assertArrayEquals(new float[] {1, 2, 3}, sum);
    float[] zeros = new float[3];
    GaussianNoise.seeded(1).add(zeros, 0.5, 0, 0);
    GaussianNoise.seeded(1).add(sum, 0.5, 0, 0);
    for (int i = 0; i < 3; i++) {
      assertEquals(i + 1 + zeros[i], sum[i], 1e-6);
    }
    assertThrows(IllegalArgumentException.class, () -> GaussianNoise.seeded(1).add(sum, -1, 0, 0));
    assertThrows(
        IllegalArgumentException.class, () -> GaussianNoise.seeded(1).add(sum, Double.NaN, 0, 0));
  }
}
