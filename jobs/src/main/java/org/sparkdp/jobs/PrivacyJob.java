package org.sparkdp.jobs;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.Setting;
import org.sparkdp.ops.privacy.DifferentialPrivacy;
import org.sparkdp.ops.privacy.PrivacyAccount;
import org.sparkdp.ops.privacy.PrivacySpent;
import org.sparkdp.ops.privacy.Rdp;

/**
 * {@code bin/sparkdp privacy --epochs E --batch-size B --rows N --noise-multiplier S}: the epsilon
 * (at {@code --delta}) that a differentially private run of that plan spends, with the RDP order it
 * was found at; with {@code --target-epsilon} instead of the noise multiplier, the noise multiplier
 * such a run needs, rounded up to 4 decimals (more noise spends less, so the printed value, given
 * back as {@code --noise-multiplier} or {@code noise_multiplier}, stays within the target), and the
 * epsilon it then spends. The plan is train's: {@code ceil(N / B)} steps per epoch, each example in
 * a step with probability {@code B / N} (Opacus plans {@code floor(E N / B)} steps in all, a few
 * fewer when {@code B} does not divide {@code N}).
 */
public final class PrivacyJob {
  private PrivacyJob() {}

  /** The decimals of a printed noise multiplier. */
  static final int NOISE_DECIMALS = 4;

  public static void main(String[] args) {
    JobRunner.main("privacy", args, PrivacyJob::run);
  }

  static int run(String[] args) {
    Cli cli = Cli.parse(Cli.privacy(), args);
    if (cli == null) {
      return 0;
    }
    long epochs = whole(cli, "--epochs", Integer.MAX_VALUE);
    long batch = whole(cli, "--batch-size", Long.MAX_VALUE);
    long rows = whole(cli, "--rows", Long.MAX_VALUE);
    double delta = DifferentialPrivacy.DELTA.defaultValue();
    if (cli.has("--delta")) {
      delta = number(cli.get("--delta"), "--delta");
      if (!(delta > 0 && delta < 1)) {
        throw new ConfigException(
            "--delta: must be a number between 0 and 1 (exclusive), got " + cli.get("--delta"));
      }
    }
    if (cli.has("--noise-multiplier") == cli.has("--target-epsilon")) {
      throw new ConfigException(
          "give --noise-multiplier S or --target-epsilon E (one of them, not "
              + (cli.has("--noise-multiplier") ? "both" : "neither")
              + "); see sparkdp privacy --help");
    }
    long perEpoch = (rows + Math.min(batch, rows) - 1) / Math.min(batch, rows);
    long steps;
    try {
      steps = Math.multiplyExact(epochs, perEpoch);
    } catch (ArithmeticException e) {
      throw new ConfigException(
          "--epochs: " + epochs + " epochs of " + perEpoch + " steps are more than 2^63 steps");
    }
    double rate = Math.min(1.0, (double) batch / rows);
    double sigma;
    String target = "";
    if (cli.has("--noise-multiplier")) {
      sigma = number(cli.get("--noise-multiplier"), "--noise-multiplier");
      if (!(sigma >= 0) || Double.isInfinite(sigma)) {
        throw new ConfigException(
            "--noise-multiplier: must be 0 or a positive number, got "
                + cli.get("--noise-multiplier"));
      }
    } else {
      double epsilon = number(cli.get("--target-epsilon"), "--target-epsilon");
      if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
        throw new ConfigException(
            "--target-epsilon: must be a positive number, got " + cli.get("--target-epsilon"));
      }
      try {
        sigma = roundedUp(Rdp.noiseMultiplier(epsilon, delta, rate, steps));
      } catch (IllegalArgumentException e) {
        throw new ConfigException("--target-epsilon: " + e.getMessage());
      }
      target = " (for target epsilon " + Setting.formatNumber(epsilon) + ")";
    }
    PrivacySpent spent = PrivacyAccount.empty().after(rate, sigma, steps).spent(delta);
    System.out.println(
        String.format(
            Locale.ROOT,
            "%d epochs of %d steps (batch %d of %d rows, sample rate %.6g), noise multiplier"
                + " %.4f%s: epsilon %.4f at delta %s (RDP, order %s)",
            epochs,
            perEpoch,
            batch,
            rows,
            rate,
            sigma,
            target,
            spent.epsilon(),
            Setting.formatNumber(delta),
            Setting.formatNumber(spent.order())));
    return 0;
  }

  /** {@code sigma} rounded up to {@link #NOISE_DECIMALS} decimals, as printed. */
  static double roundedUp(double sigma) {
    return BigDecimal.valueOf(sigma).setScale(NOISE_DECIMALS, RoundingMode.CEILING).doubleValue();
  }

  /** A required option's positive integer, at most {@code max}. */
  private static long whole(Cli cli, String option, long max) {
    String text = cli.require(option);
    double v = number(text, option);
    if (!(v >= 1) || v != Math.rint(v) || v > max) {
      throw new ConfigException(
          option
              + ": must be a positive integer"
              + (max < Long.MAX_VALUE ? " up to " + max : "")
              + ", got "
              + text);
    }
    return (long) v;
  }

  private static double number(String text, String option) {
    try {
      return Double.parseDouble(text.trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(option + ": must be a number, got '" + text + "'");
    }
  }
}
