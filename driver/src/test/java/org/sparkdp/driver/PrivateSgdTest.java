package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.sparkdp.ops.privacy.DifferentialPrivacy;
import org.sparkdp.ops.privacy.PrivacyAccount;

/** The headline's plan: what the weights will have spent when the run ends, resumed or not. */
class PrivateSgdTest {
  private static final Pattern PLAN =
      Pattern.compile(
          "; (\\d+) steps in all spend epsilon ([0-9.]+) at delta 1e-5 \\(seeded noise\\)");

  private static Matcher plan(String headline) {
    Matcher m = PLAN.matcher(headline);
    assertTrue(m.find(), headline);
    return m;
  }

  @Test
  void theHeadlineCountsTheRunsStepsOnceWhetherItStartsOrResumes() {
    DifferentialPrivacy settings = DifferentialPrivacy.of(1.0, 1.1);
    Batches batches = Batches.of(600, 50, 5, settings);
    PrivateSgd dp = PrivateSgd.plan(settings, batches, 2, 0, 5);
    double q = 50.0 / 600;
    double whole = PrivacyAccount.empty().after(q, 1.1, 24).spent(1e-5).epsilon();

    Matcher fresh = plan(dp.describe(PrivacyAccount.empty(), 0));
    assertEquals("24", fresh.group(1));
    assertEquals(whole, Double.parseDouble(fresh.group(2)), 1e-4);

    // Resumed after 17 of its 24 steps: the account holds them, 7 remain.
    Matcher resumed = plan(dp.describe(PrivacyAccount.empty().after(q, 1.1, 17), 17));
    assertEquals("24", resumed.group(1));
    assertEquals(fresh.group(2), resumed.group(2));

    // A further fit of weights that spent 10 steps before: 34 steps in all.
    Matcher further = plan(dp.describe(PrivacyAccount.empty().after(q, 1.1, 10), 0));
    assertEquals("34", further.group(1));
    assertTrue(Double.parseDouble(further.group(2)) > whole);
  }
}
