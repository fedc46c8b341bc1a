package org.sparkdp.ops.privacy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;
import java.util.Set;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.RecordSettings;
import org.sparkdp.ops.Setting;

/**
 * The settings of differentially private SGD (Abadi et al. 2016): each example's gradient clipped
 * to an L2 norm of at most {@code l2NormClip}, Gaussian noise of standard deviation {@code
 * noiseMultiplier * l2NormClip} added to each step's sum, the privacy spent accounted at {@code
 * delta}. Exactly one of {@code noiseMultiplier} and {@code targetEpsilon} is given; with the
 * target, the fit solves for the noise multiplier that spends at most it over the planned steps (as
 * Opacus' {@code make_private_with_epsilon}).
 *
 * @param l2NormClip {@code C}: the largest L2 norm an example's gradient keeps
 * @param noiseMultiplier {@code sigma}: the noise's standard deviation over {@code C}, or {@code
 *     null} when {@code targetEpsilon} is given
 * @param targetEpsilon the epsilon the whole run may spend, or {@code null}
 * @param delta the delta of the (epsilon, delta) reported
 * @param sampling how examples join a step
 * @param secureNoise whether the noise comes from the JDK's {@code SecureRandom} instead of the
 *     fit's seed
 */
public record DifferentialPrivacy(
    Double l2NormClip,
    Double noiseMultiplier,
    Double targetEpsilon,
    Double delta,
    Sampling sampling,
    Boolean secureNoise)
    implements Serializable {

  /** How the examples of a step are chosen. */
  public enum Sampling {
    /**
     * Each example joins each step independently with probability {@code q = batch_size / rows}:
     * the sampling the accountant's bound is proved for.
     */
    POISSON,
    /**
     * The fit's shuffled batches of exactly {@code batch_size} (each example once per epoch); the
     * accountant still assumes Poisson sampling, as Opacus and TF Privacy do for shuffled batches.
     */
    SHUFFLE
  }

  public static final Setting<Double> L2_NORM_CLIP =
      Setting.positive(
          "l2_norm_clip",
          null,
          "C: each example's gradient (over all the model's weights) is scaled down to an L2 norm"
              + " of at most C");
  public static final Setting<Double> NOISE_MULTIPLIER =
      Setting.number(
              "noise_multiplier",
              null,
              "0 or a positive number",
              v -> v >= 0,
              "sigma: the Gaussian noise added to each step's sum of clipped gradients has"
                  + " standard deviation sigma * C (give this or `target_epsilon`)")
          .optional();
  public static final Setting<Double> TARGET_EPSILON =
      Setting.positive(
              "target_epsilon",
              null,
              "the epsilon the whole run may spend: the noise multiplier is solved for the planned"
                  + " steps (give this or `noise_multiplier`)")
          .optional();
  public static final Setting<Double> DELTA =
      Setting.number(
          "delta",
          1e-5,
          "a number in (0, 1)",
          v -> v > 0 && v < 1,
          "the delta at which epsilon is reported (below 1 / rows, as a rule)");
  public static final Setting<Sampling> SAMPLING =
      Setting.choice(
          "sampling",
          Sampling.class,
          Sampling.POISSON,
          "`poisson`: each example joins each step with probability batch_size / rows, drawn"
              + " from the seed (the accountant's assumption); `shuffle`: the fit's shuffled"
              + " batches, accounted as if Poisson");
  public static final Setting<Boolean> SECURE_NOISE =
      Setting.bool(
          "secure_noise",
          false,
          "draw the noise from the JDK's SecureRandom instead of the seed: nobody can recompute"
              + " it, and reruns are no longer bit-identical");
  public static final RecordSettings<DifferentialPrivacy> SETTINGS =
      RecordSettings.of(
          DifferentialPrivacy.class,
          L2_NORM_CLIP,
          NOISE_MULTIPLIER,
          TARGET_EPSILON,
          DELTA,
          SAMPLING,
          SECURE_NOISE);

  public DifferentialPrivacy {
    L2_NORM_CLIP.check(l2NormClip);
    NOISE_MULTIPLIER.check(noiseMultiplier);
    TARGET_EPSILON.check(targetEpsilon);
    DELTA.check(delta);
    SAMPLING.check(sampling);
    SECURE_NOISE.check(secureNoise);
    if ((noiseMultiplier == null) == (targetEpsilon == null)) {
      // Named as a key, which the record's reader prefixes with the setting's path.
      throw new ConfigException(
          noiseMultiplier == null
              ? "noise_multiplier: give it, or target_epsilon to solve for it"
              : "target_epsilon: give it or noise_multiplier, not both");
    }
  }

  /** Settings with a given noise multiplier, delta 1e-5, Poisson sampling and seeded noise. */
  public static DifferentialPrivacy of(double l2NormClip, double noiseMultiplier) {
    return new DifferentialPrivacy(
        l2NormClip,
        noiseMultiplier,
        null,
        DELTA.defaultValue(),
        SAMPLING.defaultValue(),
        SECURE_NOISE.defaultValue());
  }

  /** These settings with another sampling. */
  public DifferentialPrivacy withSampling(Sampling value) {
    return new DifferentialPrivacy(
        l2NormClip, noiseMultiplier, targetEpsilon, delta, value, secureNoise);
  }

  /** These settings with the noise from {@code SecureRandom} or not. */
  public DifferentialPrivacy withSecureNoise(boolean value) {
    return new DifferentialPrivacy(
        l2NormClip, noiseMultiplier, targetEpsilon, delta, sampling, value);
  }

  /**
   * From configuration: a mapping {@code {l2_norm_clip: 1.0, noise_multiplier: 1.1, delta: 1e-5}},
   * or (as the command line gives it) the text {@code l2_norm_clip=1.0,noise_multiplier=1.1}.
   * {@code null} when the value is neither.
   *
   * @throws ConfigException naming the key at fault ({@code differential_privacy.delta: ...})
   */
  public static DifferentialPrivacy fromConfig(JsonNode value) {
    if (value.isObject()) {
      return SETTINGS.read(value, "differential_privacy", Set.of());
    }
    if (!value.isTextual() || value.asText().isBlank()) {
      return null;
    }
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    for (String part : value.asText().trim().split(",")) {
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new ConfigException(
            "differential_privacy: expected l2_norm_clip=C,noise_multiplier=S (or"
                + " target_epsilon=E),delta=D,sampling=poisson|shuffle,secure_noise=false, got '"
                + part
                + "'");
      }
      String text = part.substring(eq + 1).trim();
      JsonNode parsed;
      if (text.equals("true") || text.equals("false")) {
        parsed = JsonNodeFactory.instance.booleanNode(Boolean.parseBoolean(text));
      } else {
        try {
          parsed = JsonNodeFactory.instance.numberNode(Double.parseDouble(text));
        } catch (NumberFormatException e) {
          parsed = JsonNodeFactory.instance.textNode(text);
        }
      }
      node.set(part.substring(0, eq).trim(), parsed);
    }
    return SETTINGS.read(node, "differential_privacy", Set.of());
  }

  /** The settings as configuration; {@code null} (no differential privacy) is JSON's null. */
  public static JsonNode toConfig(DifferentialPrivacy value) {
    return value == null ? NullNode.getInstance() : SETTINGS.toJson(value);
  }
}
