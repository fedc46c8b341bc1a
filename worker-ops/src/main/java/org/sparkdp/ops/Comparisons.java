package org.sparkdp.ops;

/** How far apart two parameter vectors are, as the benchmark and the tests report it. */
public final class Comparisons {
  private Comparisons() {}

  /**
   * {@code max_i |a_i - b_i| / max_i |b_i|}: the largest difference relative to the scale of {@code
   * b}.
   */
  public static double maxRelativeDifference(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("vectors of " + a.length + " and " + b.length + " values");
    }
    double scale = 0;
    double diff = 0;
    for (int i = 0; i < a.length; i++) {
      scale = Math.max(scale, Math.abs(b[i]));
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
    }
    return diff / scale;
  }
}
