package org.sparkdp.jobs;

import java.util.Locale;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.privacy.DifferentialPrivacy;
import org.sparkdp.ops.privacy.PrivacyAccount;
import org.sparkdp.ops.privacy.PrivacySpent;
import org.sparkdp.ops.privacy.Rdp;

/**
 * {@code bin/sparkdp privacy --epochs E --batch-size B --rows N --noise-multiplier S}: the epsilon
 * (at {@code --delta}) that a differentially private run of that plan spends, with the RDP order it
 * was found at; with {@code --target-epsilon} instead of the noise multiplier, the noise multiplier
 * such a run needs and the epsilon it then spends. The plan is train's: {@code ceil(N / B)} steps
 * per epoch, each example in a step with probability {@code B / N}.
 */
public final class PrivacyJob {
  private PrivacyJob() {}

  public static void main(String[] args) {
    JobRunner.main("privacy", args, PrivacyJob::run);
  }

  static int run(String[] args) {
    Cli cli = Cli.parse(Cli.privacy(), args);
    if (cli == null) {
      return 0;
    }
    double epochs = positive(cli.require("--epochs"), "--epochs", true);
    long batch = (long) positive(cli.require("--batch-size"), "--batch-size", true);
    long rows = (long) positive(cli.require("--rows"), "--rows", true);
    double delta = DifferentialPrivacy.DELTA.defaultValue();
    if (cli.has("--delta")) {
      delta = positive(cli.get("--delta"), "--delta", false);
      if (delta >= 1) {
        throw new ConfigException("--delta: must be below 1, got " + cli.get("--delta"));
      }
    }
    if (cli.has("--noise-multiplier") == cli.has("--target-epsilon")) {
      throw new ConfigException(
          "give --noise-multiplier S or --target-epsilon E (one of them); see sparkdp privacy"
              + " --help");
    }
    long perEpoch = (rows + Math.min(batch, rows) - 1) / Math.min(batch, rows);
    long steps = (long) epochs * perEpoch;
    double rate = Math.min(1.0, (double) batch / rows);
    double sigma;
    if (cli.has("--noise-multiplier")) {
      sigma = Double.parseDouble(cli.get("--noise-multiplier").trim());
      if (!(sigma >= 0) || Double.isInfinite(sigma)) {
        throw new ConfigException(
            "--noise-multiplier: must be 0 or a positive number, got "
                + cli.get("--noise-multiplier"));
      }
    } else {
      double target = positive(cli.get("--target-epsilon"), "--target-epsilon", false);
      try {
        sigma = Rdp.noiseMultiplier(target, delta, rate, steps);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("--target-epsilon: " + e.getMessage());
      }
    }
    PrivacySpent spent = PrivacyAccount.empty().after(rate, sigma, steps).spent(delta);
    System.out.println(
        String.format(
            Locale.ROOT,
            "%s epochs of %d steps (batch %d of %d rows, sample rate %.6g), noise multiplier %.4f:"
                + " epsilon %.4f at delta %s (RDP, order %s)",
            (long) epochs,
            perEpoch,
            batch,
            rows,
            rate,
            sigma,
            spent.epsilon(),
            delta,
            spent.order()));
    return 0;
  }

  private static double positive(String text, String option, boolean whole) {
    double v;
    try {
      v = Double.parseDouble(text.trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(option + ": must be a positive number, got '" + text + "'");
    }
    if (!(v > 0) || Double.isInfinite(v) || (whole && v != Math.rint(v))) {
      throw new ConfigException(
          option + ": must be a positive " + (whole ? "integer" : "number") + ", got " + text);
    }
    return v;
  }
}
