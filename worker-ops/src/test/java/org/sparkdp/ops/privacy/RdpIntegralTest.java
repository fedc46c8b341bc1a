package org.sparkdp.ops.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The RDP of the sampled Gaussian mechanism (binomial expansion for integer orders, the erfc series
 * for fractional ones) against a second, independent computation: trapezoidal quadrature in double
 * of its defining integral {@code A_alpha = int N(z; 0, sigma^2) ((1 - q) + q exp((2z - 1) / (2
 * sigma^2)))^alpha dz}, i.e. the Renyi divergence of {@code (1-q) N(0, sigma^2) + q N(1, sigma^2)}
 * from {@code N(0, sigma^2)}; and both against mpmath's 60-digit quadrature (literals made once by
 * {@code worker-ops/src/test/python/privacy_reference.py}).
 */
class RdpIntegralTest {

  /**
   * {@code log(A_alpha)} by the trapezoidal rule, which converges geometrically for smooth
   * integrands that vanish at both ends; the step {@code min(sigma, sigma^2) / 16} is well inside
   * the integrand's strip of analyticity ({@code pi sigma^2} from the real line), the range {@code
   * [-40 sigma, alpha + 40 sigma]} holds every peak (at z = 0..alpha). Near {@code A = 1} it sums
   * {@code A - 1 = int N(z) ((mix)^alpha - 1)} with expm1/log1p, so small RDP keeps its digits.
   */
  static double logAByQuadrature(double q, double sigma, double alpha) {
    double h = Math.min(sigma, sigma * sigma) / 16;
    double from = -40 * sigma;
    int n = (int) Math.ceil((alpha + 80 * sigma) / h);
    double logNorm = -Math.log(sigma * Math.sqrt(2 * Math.PI));
    double[] logPhi = new double[n + 1];
    double[] logMix = new double[n + 1];
    double max = Double.NEGATIVE_INFINITY;
    for (int k = 0; k <= n; k++) {
      double z = from + k * h;
      double u = (2 * z - 1) / (2 * sigma * sigma);
      logPhi[k] = logNorm - z * z / (2 * sigma * sigma);
      logMix[k] =
          u < 700 ? Math.log1p(q * Math.expm1(u)) : u + Math.log(q + (1 - q) * Math.exp(-u));
      max = Math.max(max, logPhi[k] + alpha * logMix[k]);
    }
    double sum = 0;
    for (int k = 0; k <= n; k++) {
      sum += Math.exp(logPhi[k] + alpha * logMix[k] - max);
    }
    double logA = max + Math.log(sum * h);
    if (logA > 0.5) {
      return logA;
    }
    double aMinus1 = 0;
    for (int k = 0; k <= n; k++) {
      double m = alpha * logMix[k];
      aMinus1 +=
          m < 1
              ? Math.exp(logPhi[k]) * Math.expm1(m)
              : Math.exp(logPhi[k] + m) - Math.exp(logPhi[k]);
    }
    return Math.log1p(aMinus1 * h);
  }

  /**
   * Tolerance: 1e-9 relative, and 2e-13 absolute on {@code log A} (A is at least 1: a log near 0
   * carries double's 1e-16 absolute rounding per term summed, and the fractional series stops at
   * terms below {@code exp(-30)}, as Opacus' does).
   */
  @Test
  void integerAndFractionalOrdersAgreeWithQuadratureOverSeveralRatesAndNoises() {
    double[] rates = {0.001, 0.01, 0.1, 0.5, 0.9};
    double[] noises = {0.7, 1, 2.5, 10};
    double[] orders = {1.1, 1.5, 2, 2.5, 3, 4.7, 8, 10.5, 16, 31.9, 32, 63};
    int compared = 0;
    for (double q : rates) {
      for (double sigma : noises) {
        for (double alpha : orders) {
          double expected = logAByQuadrature(q, sigma, alpha) / (alpha - 1);
          double actual = Rdp.sampledGaussian(q, sigma, alpha);
          assertEquals(
              expected,
              actual,
              1e-9 * expected + 2e-13 / (alpha - 1),
              "q=" + q + " sigma=" + sigma + " order=" + alpha);
          compared++;
        }
      }
    }
    assertEquals(rates.length * noises.length * orders.length, compared);
  }

  @Test
  void quadratureAndSeriesAgreeWithMpmath() {
    // q, sigma, alpha, log(A_alpha) by mpmath.quad in 60 digits
    double[][] reference = {
      {0.01, 2.5, 1.5, 6.5007089718803971e-6},
      {0.01, 2.5, 5, 0.00017446052498463046},
      {0.1, 1, 2.5, 0.035255590891504618},
      {0.1, 1, 12, 38.37078510430636},
      {0.5, 0.8, 7.3, 30.870100785107782},
      {0.004266666666666667, 1.1, 10.5, 0.0012555714074214656},
      {0.9, 3, 33, 55.294972626245674},
    };
    for (double[] r : reference) {
      String where = "q=" + r[0] + " sigma=" + r[1] + " order=" + r[2];
      // 1e-11 relative, and for the series 1e-14 absolute (see the tolerance above)
      assertEquals(r[3], logAByQuadrature(r[0], r[1], r[2]), 1e-11 * r[3], where);
      assertEquals(r[3], Rdp.logA(r[0], r[1], r[2]), 1e-11 * r[3] + 1e-14, where);
    }
  }

  @Test
  void quadratureOfTheUnsampledGaussianIsItsClosedForm() {
    // with q = 1 the integrand is N(z) exp(alpha (2z - 1) / (2 sigma^2)): log A = alpha (alpha - 1)
    // / (2 sigma^2)
    for (double sigma : new double[] {0.8, 2}) {
      for (double alpha : new double[] {1.5, 7, 20.5}) {
        double expected = alpha * (alpha - 1) / (2 * sigma * sigma);
        assertEquals(expected, logAByQuadrature(1, sigma, alpha), 1e-12 * expected);
      }
    }
  }
}
