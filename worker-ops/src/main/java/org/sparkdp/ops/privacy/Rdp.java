package org.sparkdp.ops.privacy;

import java.util.Locale;

/**
 * Renyi differential privacy (RDP) of the Poisson-subsampled Gaussian mechanism, the mechanism of
 * DP-SGD: each example joins a step with probability {@code q} (the sample rate), the sum of
 * gradients clipped to L2 norm {@code C} gets noise {@code N(0, (sigma C)^2)} ({@code sigma} the
 * noise multiplier). Its RDP at order {@code alpha} is {@code log(A_alpha) / (alpha - 1)} with
 * {@code A_alpha = E_{z ~ N(0, sigma^2)}[((1 - q) + q exp((2z - 1) / (2 sigma^2)))^alpha]}
 * (Mironov, Talwar and Zhang 2019, "Renyi Differential Privacy of the Sampled Gaussian Mechanism",
 * section 3.3): for integer orders the binomial expansion, for fractional orders the paper's two
 * convergent series with {@code erfc}, both summed in log space, as Opacus' {@code analysis/rdp.py}
 * and TensorFlow Privacy's {@code rdp_accountant} compute them. Steps compose by adding RDP; {@link
 * #epsilon} converts to {@code (epsilon, delta)}.
 */
public final class Rdp {
  private Rdp() {}

  private static final double[] DEFAULT_ORDERS = defaultOrdersArray();

  /** Opacus' {@code DEFAULT_ALPHAS}: {@code 1 + x/10} for x in 1..99, then 12..63 (151 orders). */
  public static double[] defaultOrders() {
    return DEFAULT_ORDERS.clone();
  }

  private static double[] defaultOrdersArray() {
    double[] orders = new double[99 + 52];
    for (int x = 1; x <= 99; x++) {
      orders[x - 1] = 1 + x / 10.0;
    }
    for (int a = 12; a <= 63; a++) {
      orders[99 + a - 12] = a;
    }
    return orders;
  }

  /**
   * RDP of one step at {@code order}: 0 when {@code q = 0}, infinite when {@code sigma = 0}, {@code
   * alpha / (2 sigma^2)} (the plain Gaussian) when {@code q = 1}; may be infinite when sigma is
   * tiny.
   */
  public static double sampledGaussian(double sampleRate, double noiseMultiplier, double order) {
    checkSampleRate(sampleRate);
    checkNoiseMultiplier(noiseMultiplier);
    checkOrder(order);
    if (sampleRate == 0) {
      return 0;
    }
    if (noiseMultiplier == 0) {
      return Double.POSITIVE_INFINITY;
    }
    if (sampleRate == 1) {
      return order / (2 * noiseMultiplier * noiseMultiplier);
    }
    if (Double.isInfinite(order)) {
      return Double.POSITIVE_INFINITY;
    }
    return logA(sampleRate, noiseMultiplier, order) / (order - 1);
  }

  /** RDP of {@code steps} steps at each of {@code orders} ({@code steps} times one step's). */
  public static double[] sampledGaussian(
      double sampleRate, double noiseMultiplier, long steps, double[] orders) {
    if (steps < 0) {
      throw new IllegalArgumentException("steps must be 0 or more, got " + steps);
    }
    double[] rdp = new double[orders.length];
    for (int k = 0; k < orders.length; k++) {
      double one = sampledGaussian(sampleRate, noiseMultiplier, orders[k]);
      rdp[k] = steps == 0 ? 0 : one * steps;
    }
    return rdp;
  }

  /** {@code log(A_alpha)} for {@code 0 < q < 1}, {@code sigma > 0}, finite {@code alpha > 1}. */
  static double logA(double q, double sigma, double alpha) {
    return alpha == Math.rint(alpha) && alpha <= Integer.MAX_VALUE
        ? logAInteger(q, sigma, (int) alpha)
        : logAFractional(q, sigma, alpha);
  }

  /**
   * {@code A_alpha = sum_{i=0..alpha} C(alpha, i) q^i (1 - q)^(alpha - i) exp((i^2 - i) / (2
   * sigma^2))}, summed in log space.
   */
  private static double logAInteger(double q, double sigma, int alpha) {
    double logQ = Math.log(q);
    double log1mQ = Math.log1p(-q);
    double twoSigma2 = 2 * sigma * sigma;
    double logA = Double.NEGATIVE_INFINITY;
    double logBinomial = 0; // log C(alpha, i)
    for (int i = 0; i <= alpha; i++) {
      double s = logBinomial + i * logQ + (alpha - i) * log1mQ + ((double) i * i - i) / twoSigma2;
      logA = LogMath.add(logA, s);
      logBinomial += Math.log((double) (alpha - i) / (i + 1));
    }
    return logA;
  }

  /**
   * The paper's series for fractional {@code alpha}: {@code A = A0 + A1}, the integrals below and
   * above {@code z0 = sigma^2 log(1/q - 1) + 1/2}, each a sum over i of binomial terms times {@code
   * erfc}; terms with a negative binomial coefficient are subtracted; stops when both terms fall
   * below {@code exp(-30)}, as Opacus and TensorFlow Privacy do.
   */
  private static double logAFractional(double q, double sigma, double alpha) {
    double logQ = Math.log(q);
    double log1mQ = Math.log1p(-q);
    double sigma2 = sigma * sigma;
    double z0 = sigma2 * Math.log(1 / q - 1) + 0.5;
    double sqrt2Sigma = Math.sqrt(2) * sigma;
    double logHalf = Math.log(0.5);
    double logA0 = Double.NEGATIVE_INFINITY;
    double logA1 = Double.NEGATIVE_INFINITY;
    double logAbsBinomial = 0; // log |C(alpha, i)|
    boolean positive = true; // sign of C(alpha, i)
    for (int i = 0; ; i++) {
      double j = alpha - i;
      double logT0 = logAbsBinomial + i * logQ + j * log1mQ;
      double logT1 = logAbsBinomial + j * logQ + i * log1mQ;
      double logE0 = logHalf + LogMath.logErfc((i - z0) / sqrt2Sigma);
      double logE1 = logHalf + LogMath.logErfc((z0 - j) / sqrt2Sigma);
      double logS0 = logT0 + ((double) i * i - i) / (2 * sigma2) + logE0;
      double logS1 = logT1 + (j * j - j) / (2 * sigma2) + logE1;
      if (positive) {
        logA0 = LogMath.add(logA0, logS0);
        logA1 = LogMath.add(logA1, logS1);
      } else {
        logA0 = LogMath.subtract(logA0, logS0);
        logA1 = LogMath.subtract(logA1, logS1);
      }
      if (Math.max(logS0, logS1) < -30) {
        break;
      }
      if (i == 1_000_000) {
        throw new ArithmeticException(
            String.format(
                Locale.ROOT,
                "the RDP series did not converge in %d terms for sample_rate=%s,"
                    + " noise_multiplier=%s, order=%s",
                i,
                q,
                sigma,
                alpha));
      }
      // C(alpha, i + 1) = C(alpha, i) (alpha - i) / (i + 1)
      double ratio = (alpha - i) / (i + 1);
      logAbsBinomial += Math.log(Math.abs(ratio));
      positive = positive == (ratio > 0);
    }
    return LogMath.add(logA0, logA1);
  }

  /**
   * The smallest epsilon such that RDP {@code rdp[k]} at {@code orders[k]} implies {@code (epsilon,
   * delta)}-DP, by the conversion of Balle et al. 2020 (Theorem 21 of arXiv:1905.09982; Canonne,
   * Kamath and Steinke 2020) as in Opacus' {@code get_privacy_spent}: {@code epsilon = rdp -
   * (log(delta) + log(alpha)) / (alpha - 1) + log((alpha - 1) / alpha)}, minimised over the orders.
   * Two sound refinements from TensorFlow Privacy's {@code compute_epsilon}: an order whose {@code
   * delta^2 + expm1(-rdp) >= 0} gives epsilon 0, and epsilon is at least 0. All-infinite RDP gives
   * infinite epsilon at the first order.
   */
  public static PrivacySpent epsilon(double[] orders, double[] rdp, double delta) {
    if (orders.length != rdp.length || orders.length == 0) {
      throw new IllegalArgumentException(
          "orders and rdp must be equally long and not empty, got "
              + orders.length
              + " orders and "
              + rdp.length
              + " values");
    }
    checkDelta(delta);
    double best = Double.POSITIVE_INFINITY;
    double bestOrder = orders[0];
    for (int k = 0; k < orders.length; k++) {
      double alpha = orders[k];
      checkOrder(alpha);
      if (!(rdp[k] >= 0)) {
        throw new IllegalArgumentException(
            "rdp at order " + alpha + " must be 0 or more, got " + rdp[k]);
      }
      double eps;
      if (delta * delta + Math.expm1(-rdp[k]) >= 0) {
        eps = 0;
      } else {
        eps = rdp[k] - (Math.log(delta) + Math.log(alpha)) / (alpha - 1) + Math.log1p(-1 / alpha);
      }
      if (eps < best) {
        best = eps;
        bestOrder = alpha;
      }
    }
    return new PrivacySpent(Math.max(0, best), delta, bestOrder);
  }

  /**
   * Epsilon after {@code steps} steps at one sample rate and noise multiplier, over the default
   * orders.
   */
  public static PrivacySpent epsilon(
      double sampleRate, double noiseMultiplier, long steps, double delta) {
    return epsilon(
        DEFAULT_ORDERS, sampledGaussian(sampleRate, noiseMultiplier, steps, DEFAULT_ORDERS), delta);
  }

  /**
   * The steps a run of {@code epochs} epochs is planned to take at {@code sampleRate}, as Opacus
   * plans them: {@code floor(epochs / sampleRate)} (Poisson sampling takes {@code 1 / q} steps per
   * epoch on average).
   */
  public static long plannedSteps(double epochs, double sampleRate) {
    if (!(epochs >= 0) || Double.isInfinite(epochs)) {
      throw new IllegalArgumentException("epochs must be 0 or more, got " + epochs);
    }
    checkSampleRate(sampleRate);
    if (sampleRate == 0) {
      throw new IllegalArgumentException("sample_rate must be positive to plan steps, got 0");
    }
    return (long) Math.floor(epochs / sampleRate);
  }

  /** {@link #noiseMultiplier(double, double, double, long, double)} with Opacus' tolerance 0.01. */
  public static double noiseMultiplier(
      double targetEpsilon, double delta, double sampleRate, long steps) {
    return noiseMultiplier(targetEpsilon, delta, sampleRate, steps, 0.01);
  }

  /**
   * The largest noise multiplier {@link #noiseMultiplier} tries before it gives up (Opacus'
   * MAX_SIGMA).
   */
  public static final double MAX_NOISE_MULTIPLIER = 1e6;

  /**
   * The noise multiplier that spends at most {@code targetEpsilon} (and at least {@code
   * targetEpsilon - epsilonTolerance}) at {@code delta} over {@code steps} steps at {@code
   * sampleRate}, over the default orders, as Opacus' {@code get_noise_multiplier} finds it: double
   * an upper bound from 20 until it meets the target, then bisect between 0 and it. Planned steps
   * for {@code E} epochs are {@code floor(E / sampleRate)} in Opacus. With {@code sampleRate = 0}
   * or no steps no privacy is spent and the answer is 0.
   *
   * @throws IllegalArgumentException naming the values, when the target is not positive and finite,
   *     or so small that even {@link #MAX_NOISE_MULTIPLIER} spends more
   */
  public static double noiseMultiplier(
      double targetEpsilon, double delta, double sampleRate, long steps, double epsilonTolerance) {
    if (!(targetEpsilon > 0) || Double.isInfinite(targetEpsilon)) {
      throw new IllegalArgumentException(
          "target_epsilon must be a positive number, got " + targetEpsilon);
    }
    if (!(epsilonTolerance > 0) || Double.isInfinite(epsilonTolerance)) {
      throw new IllegalArgumentException(
          "the epsilon tolerance must be a positive number, got " + epsilonTolerance);
    }
    checkDelta(delta);
    checkSampleRate(sampleRate);
    if (steps < 0) {
      throw new IllegalArgumentException("steps must be 0 or more, got " + steps);
    }
    if (sampleRate == 0 || steps == 0) {
      return 0;
    }
    double low = 0;
    double high = 10;
    double epsHigh = Double.POSITIVE_INFINITY;
    while (epsHigh > targetEpsilon) {
      high *= 2;
      epsHigh = epsilon(sampleRate, high, steps, delta).epsilon();
      if (high > MAX_NOISE_MULTIPLIER) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "target_epsilon=%s at delta=%s cannot be reached over %d steps at sample_rate=%s:"
                    + " even noise_multiplier=%s spends epsilon=%.6g",
                targetEpsilon,
                delta,
                steps,
                sampleRate,
                high,
                epsHigh));
      }
    }
    for (int iteration = 0; targetEpsilon - epsHigh > epsilonTolerance; iteration++) {
      if (iteration == 200) {
        throw new ArithmeticException(
            String.format(
                Locale.ROOT,
                "no noise_multiplier found within %s of target_epsilon=%s (delta=%s, steps=%d,"
                    + " sample_rate=%s): epsilon jumps near noise_multiplier=%s",
                epsilonTolerance,
                targetEpsilon,
                delta,
                steps,
                sampleRate,
                high));
      }
      double sigma = (low + high) / 2;
      double eps = epsilon(sampleRate, sigma, steps, delta).epsilon();
      if (eps < targetEpsilon) {
        high = sigma;
        epsHigh = eps;
      } else {
        low = sigma;
      }
    }
    return high;
  }

  static void checkSampleRate(double sampleRate) {
    if (!(sampleRate >= 0 && sampleRate <= 1)) {
      throw new IllegalArgumentException(
          "sample_rate must be between 0 and 1 (batch_size / rows), got " + sampleRate);
    }
  }

  static void checkNoiseMultiplier(double noiseMultiplier) {
    if (!(noiseMultiplier >= 0) || Double.isInfinite(noiseMultiplier)) {
      throw new IllegalArgumentException(
          "noise_multiplier must be a finite number, 0 or more, got " + noiseMultiplier);
    }
  }

  static void checkDelta(double delta) {
    if (!(delta > 0 && delta < 1)) {
      throw new IllegalArgumentException("delta must be between 0 and 1 (exclusive), got " + delta);
    }
  }

  private static void checkOrder(double order) {
    if (!(order > 1)) {
      throw new IllegalArgumentException("a Renyi order must be above 1, got " + order);
    }
  }
}
