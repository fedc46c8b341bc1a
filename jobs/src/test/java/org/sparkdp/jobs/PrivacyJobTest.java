package org.sparkdp.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code bin/sparkdp privacy} against published figures and a second accountant written here (RDP
 * of the sampled Gaussian by quadrature of its defining integral in double, the conversions of TF
 * Privacy's tutorials and of Opacus): the plan it prints ({@code ceil(N / B)} steps per epoch, as
 * train takes them), the epsilon of that plan, the noise multiplier for a target that, given back,
 * spends at most the target, and each bad input refused in one line naming its option (exit code
 * 2).
 */
class PrivacyJobTest {
  private static final Pattern LINE =
      Pattern.compile(
          "(\\d+) epochs of (\\d+) steps \\(batch (\\d+) of (\\d+) rows, sample rate ([0-9.]+)\\),"
              + " noise multiplier ([0-9.]+)( \\(for target epsilon [0-9.e-]+\\))?: epsilon"
              + " ([0-9.]+) at delta ([0-9.e-]+) \\(RDP, order ([0-9.]+)\\)");

  /** Opacus' and TF Privacy's tutorials' orders: {@code 1 + x/10} for x in 1..99, then 12..63. */
  private static final double[] ORDERS = orders();

  private static double[] orders() {
    List<Double> list = new ArrayList<>();
    for (int x = 1; x < 100; x++) {
      list.add(1 + x / 10.0);
    }
    for (int a = 12; a < 64; a++) {
      list.add((double) a);
    }
    return list.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** What one run printed, parsed. */
  record Printed(
      int epochs,
      int stepsPerEpoch,
      double sampleRate,
      double noiseMultiplier,
      double epsilon,
      String delta,
      double order) {}

  private static Printed run(String... args) {
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, PrivacyJob.run(args));
    } finally {
      System.setOut(original);
    }
    String text = out.toString(StandardCharsets.UTF_8);
    assertEquals(1, text.lines().count(), text);
    Matcher m = LINE.matcher(text.trim());
    assertTrue(m.matches(), text);
    return new Printed(
        Integer.parseInt(m.group(1)),
        Integer.parseInt(m.group(2)),
        Double.parseDouble(m.group(5)),
        Double.parseDouble(m.group(6)),
        Double.parseDouble(m.group(8)),
        m.group(9),
        Double.parseDouble(m.group(10)));
  }

  private static Printed plan(long epochs, long batch, long rows, String noise, String value) {
    return run(
        "--epochs",
        String.valueOf(epochs),
        "--batch-size",
        String.valueOf(batch),
        "--rows",
        String.valueOf(rows),
        noise,
        value);
  }

  /**
   * {@code log A_alpha}, {@code A_alpha = E_{z ~ N(0, sigma^2)}[((1 - q) + q exp((2z - 1) / (2
   * sigma^2)))^alpha]} (Mironov, Talwar and Zhang 2019, section 3.3), by the trapezoid rule in log
   * space on a grid of {@code sigma / 200} over {@code [-40 sigma, alpha + 40 sigma]} (the
   * integrand is a Gaussian bump near 0 plus one near {@code z = alpha}; the rule converges
   * geometrically for such smooth integrands): a computation independent of the binomial and {@code
   * erfc} series of the accountant.
   */
  private static double logA(double q, double sigma, double alpha) {
    double h = sigma / 200;
    double from = -40 * sigma;
    int n = (int) Math.ceil((alpha + 80 * sigma) / h);
    double[] f = new double[n + 1];
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i <= n; i++) {
      double z = from + i * h;
      double t = Math.log(q) + (2 * z - 1) / (2 * sigma * sigma);
      double a = Math.log1p(-q);
      double logMix = Math.max(a, t) + Math.log1p(Math.exp(-Math.abs(a - t)));
      f[i] = alpha * logMix - z * z / (2 * sigma * sigma);
      max = Math.max(max, f[i]);
    }
    double sum = 0;
    for (int i = 0; i <= n; i++) {
      sum += (i == 0 || i == n ? 0.5 : 1) * Math.exp(f[i] - max);
    }
    return max + Math.log(sum * h) - 0.5 * Math.log(2 * Math.PI * sigma * sigma);
  }

  /** RDP of {@code steps} steps at each of {@link #ORDERS}. */
  private static double[] rdp(double q, double sigma, long steps) {
    double[] rdp = new double[ORDERS.length];
    for (int k = 0; k < ORDERS.length; k++) {
      rdp[k] = steps * logA(q, sigma, ORDERS[k]) / (ORDERS[k] - 1);
    }
    return rdp;
  }

  /**
   * TF Privacy's conversion when its tutorials' tables were made (Mironov 2017, Prop. 3): {@code
   * min over orders of rdp - log(delta) / (alpha - 1)}.
   */
  private static double classicEpsilon(double[] rdp, double delta) {
    double best = Double.POSITIVE_INFINITY;
    for (int k = 0; k < ORDERS.length; k++) {
      best = Math.min(best, rdp[k] - Math.log(delta) / (ORDERS[k] - 1));
    }
    return best;
  }

  /**
   * Opacus' conversion (Canonne, Kamath and Steinke 2020), which train reports: {@code rdp -
   * (log(delta) + log(alpha)) / (alpha - 1) + log((alpha - 1) / alpha)}; the minimum and its order.
   */
  private static double[] improvedEpsilon(double[] rdp, double delta) {
    double best = Double.POSITIVE_INFINITY;
    double order = 0;
    for (int k = 0; k < ORDERS.length; k++) {
      double a = ORDERS[k];
      double eps = rdp[k] - (Math.log(delta) + Math.log(a)) / (a - 1) + Math.log((a - 1) / a);
      if (eps < best) {
        best = eps;
        order = a;
      }
    }
    return new double[] {best, order};
  }

  /**
   * pytorch/opacus, opacus/tests/accountants_test.py, test_rdp_accountant: sample rate 0.04, noise
   * 1.5, {@code int(90 / 0.04) = 2250} steps, epsilon 7.32911117143 at delta 1e-5. One row per step
   * out of 25 rows is that rate, and 25 steps per epoch make Opacus' 2250 steps in 90 epochs: where
   * the batch divides the rows, train's plan is Opacus'.
   */
  @Test
  void printsOpacusPublishedEpsilonForAPlanWhoseBatchDividesTheRows() {
    Printed p = plan(90, 1, 25, "--noise-multiplier", "1.5");
    assertEquals(90, p.epochs());
    assertEquals(25, p.stepsPerEpoch());
    assertEquals(0.04, p.sampleRate());
    assertEquals("1e-5", p.delta());
    assertEquals(7.32911117143, p.epsilon(), 5e-5 + 1e-9, "printed to 4 decimals");
  }

  /**
   * tensorflow/privacy at 0776ed1 (2019), tutorials/README.md, "Select Parameters" (MNIST: 60000
   * rows, batch 256, delta 1e-5; epsilon 1.19, 3.01 and 7.10 to two decimals): the independent
   * computation reproduces each, over the orders of the tutorial's {@code compute_epsilon} with
   * {@link #classicEpsilon}, at Opacus' plan of {@code floor(E * 60000 / 256)} steps. sparkdp plans
   * {@code ceil(60000 / 256) = 235} steps per epoch, {@code E * 235 - floor(E * 60000 / 256)} more
   * (10, 38 and 29 here: the last partial batch of each epoch is a step); the printed epsilon is
   * the independent one of that plan, in Opacus' tighter conversion, and above the floor plan's by
   * what the extra steps spend (the 45-epoch row's would read 7.11, not 7.10, in the classic
   * conversion).
   */
  @ParameterizedTest(name = "noise {0}, {1} epochs: published {2}")
  @CsvSource({"1.3, 15, 1.19", "1.1, 60, 3.01", "0.7, 45, 7.10"})
  void printsTheEpsilonOfTrainsPlanForTfPrivacysMnistTutorialRows(
      double noise, int epochs, double published) {
    double q = 256 / 60000.0;
    long floorPlan = epochs * 60000L / 256;
    assertEquals(published, classicEpsilon(rdp(q, noise, floorPlan), 1e-5), 0.005, "published");

    Printed p = plan(epochs, 256, 60000, "--noise-multiplier", String.valueOf(noise));
    assertEquals(235, p.stepsPerEpoch());
    long steps = (long) epochs * 235;
    assertTrue(steps > floorPlan);
    double[] ours = improvedEpsilon(rdp(q, noise, steps), 1e-5);
    assertEquals(ours[0], p.epsilon(), 5e-5 + 1e-7, "the printed epsilon, to 4 decimals");
    assertEquals(ours[1], p.order(), "the order of the smallest epsilon");
    double floorEpsilon = improvedEpsilon(rdp(q, noise, floorPlan), 1e-5)[0];
    assertTrue(
        ours[0] > floorEpsilon + 1e-4,
        "the extra steps spend more: " + ours[0] + " against " + floorEpsilon);
  }

  /**
   * pytorch/opacus, opacus/tests/accountants_test.py, test_get_noise_multiplier_rdp_epochs: epsilon
   * 8 at delta 1e-5 over 90 epochs at sample rate 0.04 needs noise 1.416 (4 places).
   */
  @Test
  void printsOpacusPublishedNoiseMultiplierForATarget() {
    Printed p = plan(90, 1, 25, "--target-epsilon", "8");
    assertEquals(1.416, p.noiseMultiplier(), 1e-4 + 1e-9);
    assertTrue(p.epsilon() <= 8, String.valueOf(p.epsilon()));
  }

  @ParameterizedTest(name = "target {0} over {1} epochs of batch {2} of {3} rows")
  @CsvSource({
    "3, 60, 256, 60000",
    "1, 15, 256, 60000",
    "8, 90, 1, 25",
    "0.5, 3, 40, 400",
    "50, 2, 300, 1000"
  })
  void theNoiseMultiplierForATargetGivenBackSpendsAtMostTheTarget(
      double target, int epochs, int batch, int rows) {
    Printed solved = plan(epochs, batch, rows, "--target-epsilon", String.valueOf(target));
    assertTrue(solved.epsilon() <= target, "as printed: " + solved.epsilon());
    Printed back =
        plan(epochs, batch, rows, "--noise-multiplier", String.valueOf(solved.noiseMultiplier()));
    assertEquals(solved.epsilon(), back.epsilon(), "the same noise, the same epsilon");
    long steps = (long) epochs * ((rows + batch - 1) / batch);
    double q = Math.min(1.0, (double) batch / rows);
    double spent = improvedEpsilon(rdp(q, solved.noiseMultiplier(), steps), 1e-5)[0];
    assertTrue(spent <= target, "the printed noise spends " + spent + " > " + target);
    // Not wastefully: within the solver's tolerance (0.01) and what rounding up to 4 decimals
    // saves.
    double less = improvedEpsilon(rdp(q, solved.noiseMultiplier() - 1e-4, steps), 1e-5)[0];
    assertTrue(less > target - 0.01, "1e-4 less noise spends only " + less);
  }

  /** The one-line message of a refused run, which exits with 2 (a usage error). */
  private static String refused(String... args) {
    Throwable t = assertThrows(Exception.class, () -> PrivacyJob.run(args));
    assertEquals(2, JobRunner.exitCode(t), JobRunner.message(t));
    assertEquals(1, t.getMessage().lines().count(), t.getMessage());
    return JobRunner.message(t);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--batch-size 40 --rows 400 --noise-multiplier 1|option --epochs is required",
        "--epochs 3 --rows 400 --noise-multiplier 1|option --batch-size is required",
        "--epochs 3 --batch-size 40 --noise-multiplier 1|option --rows is required",
        "--epochs -3 --batch-size 40 --rows 400 --noise-multiplier 1|--epochs: must be a positive"
            + " integer up to 2147483647, got -3",
        "--epochs 2.5 --batch-size 40 --rows 400 --noise-multiplier 1|--epochs: must be a positive"
            + " integer up to 2147483647, got 2.5",
        "--epochs 3e9 --batch-size 40 --rows 400 --noise-multiplier 1|--epochs: must be a positive"
            + " integer up to 2147483647, got 3e9",
        "--epochs 3 --batch-size 0 --rows 400 --noise-multiplier 1|--batch-size: must be a"
            + " positive integer, got 0",
        "--epochs 3 --batch-size 40 --rows -400 --noise-multiplier 1|--rows: must be a positive"
            + " integer, got -400",
        "--epochs 3 --batch-size 40 --rows many --noise-multiplier 1|--rows: must be a number, got"
            + " 'many'",
        "--epochs 3 --batch-size 40 --rows 400|give --noise-multiplier S or --target-epsilon E (one"
            + " of them, not neither)",
        "--epochs 3 --batch-size 40 --rows 400 --noise-multiplier 1 --target-epsilon 3|give"
            + " --noise-multiplier S or --target-epsilon E (one of them, not both)",
        "--epochs 3 --batch-size 40 --rows 400 --noise-multiplier -1|--noise-multiplier: must be 0"
            + " or a positive number, got -1",
        "--epochs 3 --batch-size 40 --rows 400 --noise-multiplier abc|--noise-multiplier: must be a"
            + " number, got 'abc'",
        "--epochs 3 --batch-size 40 --rows 400 --noise-multiplier Infinity|--noise-multiplier: must"
            + " be 0 or a positive number, got Infinity",
        "--epochs 3 --batch-size 40 --rows 400 --target-epsilon -2|--target-epsilon: must be a"
            + " positive number, got -2",
        "--epochs 3 --batch-size 40 --rows 400 --target-epsilon 0|--target-epsilon: must be a"
            + " positive number, got 0",
        "--epochs 3 --batch-size 40 --rows 400 --target-epsilon NaN|--target-epsilon: must be a"
            + " positive number, got NaN",
        "--epochs 1000 --batch-size 400 --rows 400 --target-epsilon 1e-9|--target-epsilon:"
            + " target_epsilon=1.0E-9 at delta=1.0E-5 cannot be reached over 1000 steps at"
            + " sample_rate=1.0: even noise_multiplier=",
        "--epochs 3 --batch-size 40 --rows 400 --noise-multiplier 1 --delta 1|--delta: must be a"
            + " number between 0 and 1 (exclusive), got 1",
        "--epochs 3 --batch-size 40 --rows 400 --noise-multiplier 1 --delta 1.5|--delta: must be a"
            + " number between 0 and 1 (exclusive), got 1.5",
        "--epochs 3 --batch-size 40 --rows 400 --noise-multiplier 1 --delta -1e-5|--delta: must be"
            + " a number between 0 and 1 (exclusive), got -1e-5",
        "--epochs 3 --batch-size 40 --rows 400 --noise-multiplier 1 --delta 0|--delta: must be a"
            + " number between 0 and 1 (exclusive), got 0",
        "--epochs 3 --batch-size 40 --rows 400 --noise-multiplier 1 --epoch 4|unknown option"
            + " '--epoch'",
      })
  void eachBadInputIsOneLineNamingTheOptionWithExitCode2(String args, String message) {
    String got = refused(args.split(" "));
    assertTrue(got.startsWith(message), got);
  }

  @Test
  void theStepsOfAHugePlanAreRefusedNotOverflowed() {
    String got =
        refused(
            "--epochs",
            "2000000000",
            "--batch-size",
            "1",
            "--rows",
            "9000000000000",
            "--noise-multiplier",
            "1");
    assertTrue(got.startsWith("--epochs: 2000000000 epochs of 9000000000000 steps"), got);
  }
}
