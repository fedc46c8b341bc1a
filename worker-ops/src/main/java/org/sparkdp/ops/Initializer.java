package org.sparkdp.ops;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Weight initialisers with Keras' names and formulas ({@code fanIn} and {@code fanOut} are a
 * kernel's {@code [in, out]}). The normal variants draw from a normal truncated at two standard
 * deviations, scaled as Keras' {@code VarianceScaling} does so that the variance is the stated one.
 */
public enum Initializer {
  /**
   * Uniform on {@code [-l, l]}, {@code l = sqrt(6 / (fanIn + fanOut))}. Keras' default kernel
   * initialiser.
   */
  GLOROT_UNIFORM,
  /** Truncated normal with variance {@code 2 / (fanIn + fanOut)}. */
  GLOROT_NORMAL,
  /** Uniform on {@code [-l, l]}, {@code l = sqrt(6 / fanIn)}. */
  HE_UNIFORM,
  /** Truncated normal with variance {@code 2 / fanIn}. */
  HE_NORMAL,
  /** Uniform on {@code [-l, l]}, {@code l = sqrt(3 / fanIn)}. */
  LECUN_UNIFORM,
  /** All zeros. Keras' default bias initialiser. */
  ZEROS,
  /** All ones. */
  ONES;

  /** Standard deviation of a standard normal truncated to [-2, 2]. */
  private static final double TRUNCATED_STDDEV = 0.87962566103423978;

  /** The Keras name, e.g. {@code "glorot_uniform"}. */
  public String kerasName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Fills {@code values[off .. off + n)}. */
  public void fill(float[] values, int off, int n, int fanIn, int fanOut, SplittableRandom random) {
    switch (this) {
      case ZEROS -> Arrays.fill(values, off, off + n, 0f);
      case ONES -> Arrays.fill(values, off, off + n, 1f);
      case GLOROT_UNIFORM -> uniform(values, off, n, Math.sqrt(6.0 / (fanIn + fanOut)), random);
      case HE_UNIFORM -> uniform(values, off, n, Math.sqrt(6.0 / fanIn), random);
      case LECUN_UNIFORM -> uniform(values, off, n, Math.sqrt(3.0 / fanIn), random);
      case GLOROT_NORMAL ->
          truncatedNormal(values, off, n, Math.sqrt(2.0 / (fanIn + fanOut)), random);
      case HE_NORMAL -> truncatedNormal(values, off, n, Math.sqrt(2.0 / fanIn), random);
    }
  }

  private static void uniform(
      float[] values, int off, int n, double limit, SplittableRandom random) {
    for (int i = 0; i < n; i++) {
      values[off + i] = (float) ((2 * random.nextDouble() - 1) * limit);
    }
  }

  private static void truncatedNormal(
      float[] values, int off, int n, double stddev, SplittableRandom random) {
    for (int i = 0; i < n; i++) {
      double g;
      do {
        g = gaussian(random);
      } while (Math.abs(g) > 2);
      values[off + i] = (float) (g * stddev / TRUNCATED_STDDEV);
    }
  }

  private static double gaussian(SplittableRandom random) {
    // Box-Muller; SplittableRandom has no nextGaussian on Java 17.
    double u = 1 - random.nextDouble();
    double v = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
