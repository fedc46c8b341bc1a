package org.sparkdp.driver;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.Setting;
import org.sparkdp.ops.privacy.DifferentialPrivacy;
import org.sparkdp.ops.privacy.GaussianNoise;
import org.sparkdp.ops.privacy.PrivacyAccount;
import org.sparkdp.ops.privacy.PrivacySpent;
import org.sparkdp.ops.privacy.Rdp;

/**
 * A fit's differential privacy, resolved for its data and schedule: the noise multiplier (given, or
 * solved for the target epsilon over the planned steps), the sample rate the accountant takes, the
 * divisor of each step's noisy sum, and the noise's generator. The tasks clip (their {@link
 * EpochOrder} carries the clip norm); the driver adds the noise to the sum of the clipped gradients
 * once per step ({@link #privatize}) and accounts the step. The noise of a step depends on the step
 * alone, so it is drawn on a thread of its own while the tasks compute ({@link #prepare}).
 */
final class PrivateSgd {
  private static final ExecutorService DRAWS =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "sparkdp-dp-noise");
            t.setDaemon(true);
            return t;
          });

  private final DifferentialPrivacy settings;
  private final double noiseMultiplier;
  private final double sampleRate;
  private final long expectedBatch;
  private final long plannedSteps;
  private final GaussianNoise noise;
  private Future<float[]> drawn;
  private long drawnFor = -1;

  private PrivateSgd(
      DifferentialPrivacy settings,
      double noiseMultiplier,
      double sampleRate,
      long expectedBatch,
      long plannedSteps,
      GaussianNoise noise) {
    this.settings = settings;
    this.noiseMultiplier = noiseMultiplier;
    this.sampleRate = sampleRate;
    this.expectedBatch = expectedBatch;
    this.plannedSteps = plannedSteps;
    this.noise = noise;
  }

  /**
   * The plan of a fit of {@code epochs} epochs from {@code initialEpoch} over {@code batches}, with
   * noise seeded by {@code seed} unless the settings ask for secure noise.
   *
   * @throws ConfigException when the target epsilon cannot be met
   */
  static PrivateSgd plan(
      DifferentialPrivacy settings, Batches batches, int epochs, int initialEpoch, long seed) {
    double rate = batches.accountedRate();
    long planned = (long) Math.max(0, epochs - initialEpoch) * batches.steps();
    double sigma;
    if (settings.noiseMultiplier() != null) {
      sigma = settings.noiseMultiplier();
    } else {
      try {
        sigma = Rdp.noiseMultiplier(settings.targetEpsilon(), settings.delta(), rate, planned);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("fit.differential_privacy.target_epsilon: " + e.getMessage());
      }
    }
    return new PrivateSgd(
        settings,
        sigma,
        rate,
        batches.batchSize(),
        planned,
        settings.secureNoise() ? GaussianNoise.secure() : GaussianNoise.seeded(seed));
  }

  DifferentialPrivacy settings() {
    return settings;
  }

  double noiseMultiplier() {
    return noiseMultiplier;
  }

  double sampleRate() {
    return sampleRate;
  }

  double delta() {
    return settings.delta();
  }

  /** Starts drawing the noise of step {@code step} of {@code epoch} for {@code n} weights. */
  void prepare(int epoch, int step, int n) {
    drawnFor = key(epoch, step);
    double stddev = noiseMultiplier * settings.l2NormClip();
    drawn =
        DRAWS.submit(
            () -> {
              float[] z = new float[n];
              noise.add(z, stddev, epoch, step);
              return z;
            });
  }

  private static long key(int epoch, int step) {
    return (long) epoch << 32 | step;
  }

  /**
   * The mean gradient of step {@code step} of {@code epoch} into {@code mean}: the sum of the
   * clipped gradients ({@code null} when no example joined the step) plus Gaussian noise of
   * standard deviation {@code sigma * C}, divided by the expected batch size with Poisson sampling
   * (as Opacus: the divisor may not depend on which examples joined) or by the batch's {@code
   * count} with shuffled batches (whose size is fixed by the schedule).
   */
  void privatize(float[] sum, long count, int epoch, int step, float[] mean) {
    if (drawn == null || drawnFor != key(epoch, step)) {
      prepare(epoch, step, mean.length);
    }
    float[] z;
    try {
      z = drawn.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while drawing a step's noise", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("drawing a step's noise failed: " + e.getCause(), e);
    } finally {
      drawn = null;
    }
    long divisor =
        settings.sampling() == DifferentialPrivacy.Sampling.POISSON ? expectedBatch : count;
    float inverse = 1f / Math.max(1, divisor);
    for (int i = 0; i < mean.length; i++) {
      mean[i] = ((sum == null ? 0f : sum[i]) + z[i]) * inverse;
    }
  }

  /** {@code account} after one more step of this fit. */
  PrivacyAccount spend(PrivacyAccount account) {
    return account.after(sampleRate, noiseMultiplier, 1);
  }

  /**
   * What the headline says: the clip norm, the noise multiplier (and the target it was solved for),
   * the sample rate and the epsilon the weights will have spent when the run ends: {@code now}, the
   * account so far (of earlier fits of these weights, and of this run's {@code done} steps when it
   * resumes), after the run's remaining steps.
   */
  String describe(PrivacyAccount now, long done) {
    PrivacyAccount atEnd = now.after(sampleRate, noiseMultiplier, Math.max(0, plannedSteps - done));
    PrivacySpent planned = atEnd.spent(delta());
    return String.format(
        Locale.ROOT,
        "differential privacy: clip %s, noise multiplier %.4f%s, %s sampling at rate %.6g;"
            + " %d steps in all spend epsilon %.4f at delta %s (%s noise)",
        Setting.formatNumber(settings.l2NormClip()),
        noiseMultiplier,
        settings.targetEpsilon() == null
            ? ""
            : " (for target epsilon " + Setting.formatNumber(settings.targetEpsilon()) + ")",
        Setting.name(settings.sampling()),
        sampleRate,
        atEnd.steps(),
        planned.epsilon(),
        Setting.formatNumber(delta()),
        noise.reproducible() ? "seeded" : "secure");
  }

  /**
   * The privacy a model trained with {@code account} spent, as its provenance records it: {@code
   * {epsilon, delta, noise_multiplier, l2_norm_clip, sample_rate, steps, accountant, sampling,
   * secure_noise}}.
   */
  ObjectNode record(PrivacyAccount account) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("epsilon", account.spent(delta()).epsilon());
    node.put("delta", delta());
    node.put("noise_multiplier", noiseMultiplier);
    node.put("l2_norm_clip", settings.l2NormClip());
    node.put("sample_rate", sampleRate);
    node.put("steps", account.steps());
    node.put("accountant", PrivacyAccount.ACCOUNTANT);
    node.put("sampling", Setting.name(settings.sampling()));
    node.put("secure_noise", settings.secureNoise());
    if (settings.targetEpsilon() != null) {
      node.put("target_epsilon", settings.targetEpsilon());
    }
    node.set("account", account.toJson());
    return node;
  }
}
