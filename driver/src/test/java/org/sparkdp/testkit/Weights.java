package org.sparkdp.testkit;

/** Comparisons of trained weights. */
public final class Weights {
  private Weights() {}

  /** {@code max |a_i - b_i| / max |a_i|}: how far {@code b} is from {@code a}, relative to it. */
  public static double relativeDifference(float[] a, float[] b) {
    double worst = 0;
    double largest = 0;
    for (int i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
      largest = Math.max(largest, Math.abs(a[i]));
    }
    return worst / largest;
  }
}
