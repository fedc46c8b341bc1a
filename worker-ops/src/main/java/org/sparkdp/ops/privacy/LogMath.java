package org.sparkdp.ops.privacy;

/**
 * Sums and differences of numbers kept as logarithms, and {@code log(erfc(x))} without underflow.
 */
final class LogMath {
  private LogMath() {}

  private static final double LOG_SQRT_PI = 0.5 * Math.log(Math.PI);

  /** {@code log(exp(a) + exp(b))}; {@code -inf} stands for zero. */
  static double add(double a, double b) {
    double lo = Math.min(a, b);
    double hi = Math.max(a, b);
    if (lo == Double.NEGATIVE_INFINITY) {
      return hi;
    }
    if (hi == Double.POSITIVE_INFINITY) {
      return hi;
    }
    return hi + Math.log1p(Math.exp(lo - hi));
  }

  /**
   * {@code log(exp(a) - exp(b))} for {@code a >= b}; written so that a huge {@code a - b} cannot
   * overflow (where Python's version catches an {@code OverflowError}).
   */
  static double subtract(double a, double b) {
    if (a < b) {
      throw new ArithmeticException(
          "log of a negative difference: log(exp(" + a + ") - exp(" + b + "))");
    }
    if (b == Double.NEGATIVE_INFINITY || a == Double.POSITIVE_INFINITY) {
      return a;
    }
    if (a == b) {
      return Double.NEGATIVE_INFINITY;
    }
    double d = a - b;
    return d > 1 ? a + Math.log1p(-Math.exp(-d)) : b + Math.log(Math.expm1(d));
  }

  /**
   * {@code log(erfc(x))} to about 1e-15 relative, also where {@code erfc(x)} underflows (x > 26):
   * the series of {@code erf} for {@code x^2 < 1.5}, else Legendre's continued fraction of the
   * incomplete gamma function {@code erfc(x) = Q(1/2, x^2)} evaluated in log space (Numerical
   * Recipes, 3rd ed., 6.2); {@code erfc(-x) = 2 - erfc(x)}.
   */
  static double logErfc(double x) {
    if (Double.isNaN(x)) {
      return x;
    }
    if (x < 0) {
      double y = -x;
      double erfcY = y * y < 1.5 ? 1 - erfSeries(y) : Math.exp(logErfcFraction(y));
      return Math.log(2 - erfcY);
    }
    return x * x < 1.5 ? Math.log1p(-erfSeries(x)) : logErfcFraction(x);
  }

  /** {@code erf(x) = 2x/sqrt(pi) e^{-x^2} sum_n (2x^2)^n / (1*3*...*(2n+1))}, for small x >= 0. */
  private static double erfSeries(double x) {
    double x2 = x * x;
    double term = 1;
    double sum = 1;
    for (int n = 1; n < 200; n++) {
      term *= 2 * x2 / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) {
        break;
      }
    }
    return 2 * x / Math.sqrt(Math.PI) * Math.exp(-x2) * sum;
  }

  /**
   * {@code log(erfc(x)) = -x^2 + log(x) - log(sqrt(pi)) + log(h)} where {@code h} is the continued
   * fraction of {@code Q(1/2, x^2)} by the modified Lentz method; for {@code x^2 >= 1.5}.
   */
  private static double logErfcFraction(double x) {
    double x2 = x * x;
    final double tiny = 1e-300;
    double b = x2 + 0.5;
    double c = 1 / tiny;
    double d = 1 / b;
    double h = d;
    for (int i = 1; i < 10_000; i++) {
      double an = -i * (i - 0.5);
      b += 2;
      d = an * d + b;
      if (Math.abs(d) < tiny) {
        d = tiny;
      }
      c = b + an / c;
      if (Math.abs(c) < tiny) {
        c = tiny;
      }
      d = 1 / d;
      double delta = d * c;
      h *= delta;
      if (Math.abs(delta - 1) < 3e-16) {
        break;
      }
    }
    return -x2 + Math.log(x) - LOG_SQRT_PI + Math.log(h);
  }
}
