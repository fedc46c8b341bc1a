package org.sparkdp.ops.privacy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The privacy a run has spent so far, as the steps taken at each (sample rate, noise multiplier) in
 * order: all an RDP accountant needs, since RDP composes by addition (Opacus' {@code
 * RDPAccountant.history}). Immutable; the driver keeps the current account, replaces it with {@link
 * #after} each step (or each epoch, with the epoch's step count), saves {@link #toJson} in
 * checkpoints and reads it back with {@link #fromJson} on resume.
 *
 * @param segments runs of steps at one setting, in the order taken; consecutive segments differ
 */
public record PrivacyAccount(List<Segment> segments) implements Serializable {

  /** The accountant's name, recorded with the privacy it reports. */
  public static final String ACCOUNTANT = "rdp";

  /** Version of {@link #toJson}'s layout; a newer one is refused on read. */
  public static final int FORMAT_VERSION = 1;

  /**
   * {@code steps} steps of the Poisson-subsampled Gaussian mechanism at {@code sampleRate} (each
   * example's probability to join a step) and {@code noiseMultiplier} (noise standard deviation
   * over the clip norm).
   */
  public record Segment(double sampleRate, double noiseMultiplier, long steps)
      implements Serializable {
    public Segment {
      Rdp.checkSampleRate(sampleRate);
      Rdp.checkNoiseMultiplier(noiseMultiplier);
      if (steps <= 0) {
        throw new IllegalArgumentException("a segment's steps must be positive, got " + steps);
      }
    }
  }

  public PrivacyAccount {
    segments = List.copyOf(segments);
    for (int i = 1; i < segments.size(); i++) {
      if (sameSetting(
          segments.get(i - 1), segments.get(i).sampleRate(), segments.get(i).noiseMultiplier())) {
        throw new IllegalArgumentException(
            "segments "
                + (i - 1)
                + " and "
                + i
                + " have the same setting; merge them: "
                + segments);
      }
    }
  }

  /** The account of a run that has taken no step. */
  public static PrivacyAccount empty() {
    return new PrivacyAccount(List.of());
  }

  /** This account followed by {@code steps} more steps (0 or more) at the given setting. */
  public PrivacyAccount after(double sampleRate, double noiseMultiplier, long steps) {
    if (steps < 0) {
      throw new IllegalArgumentException("steps must be 0 or more, got " + steps);
    }
    Rdp.checkSampleRate(sampleRate);
    Rdp.checkNoiseMultiplier(noiseMultiplier);
    if (steps == 0) {
      return this;
    }
    List<Segment> next = new ArrayList<>(segments);
    int last = next.size() - 1;
    if (last >= 0 && sameSetting(next.get(last), sampleRate, noiseMultiplier)) {
      next.set(
          last,
          new Segment(sampleRate, noiseMultiplier, Math.addExact(next.get(last).steps(), steps)));
    } else {
      next.add(new Segment(sampleRate, noiseMultiplier, steps));
    }
    return new PrivacyAccount(next);
  }

  private static boolean sameSetting(Segment s, double sampleRate, double noiseMultiplier) {
    return Double.compare(s.sampleRate(), sampleRate) == 0
        && Double.compare(s.noiseMultiplier(), noiseMultiplier) == 0;
  }

  /** Steps taken in all. */
  public long steps() {
    long total = 0;
    for (Segment s : segments) {
      total = Math.addExact(total, s.steps());
    }
    return total;
  }

  /** The composed RDP at each of {@code orders}: the sum over segments. */
  public double[] rdp(double[] orders) {
    double[] total = new double[orders.length];
    for (Segment s : segments) {
      double[] part = Rdp.sampledGaussian(s.sampleRate(), s.noiseMultiplier(), s.steps(), orders);
      for (int k = 0; k < orders.length; k++) {
        total[k] += part[k];
      }
    }
    return total;
  }

  /** The {@code (epsilon, delta)} spent so far, over {@link Rdp#defaultOrders()}. */
  public PrivacySpent spent(double delta) {
    return spent(delta, Rdp.defaultOrders());
  }

  /** The {@code (epsilon, delta)} spent so far, over the given orders (each above 1). */
  public PrivacySpent spent(double delta, double[] orders) {
    return Rdp.epsilon(orders, rdp(orders), delta);
  }

  /**
   * {@code {"accountant": "rdp", "format_version": 1, "segments": [{"sample_rate": q,
   * "noise_multiplier": sigma, "steps": n}, ...]}}; doubles are written exactly (shortest
   * round-tripping form), so a resumed account gives bit-identical epsilons.
   */
  public JsonNode toJson() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode root = f.objectNode();
    root.put("accountant", ACCOUNTANT);
    root.put("format_version", FORMAT_VERSION);
    ArrayNode list = root.putArray("segments");
    for (Segment s : segments) {
      ObjectNode n = list.addObject();
      n.put("sample_rate", s.sampleRate());
      n.put("noise_multiplier", s.noiseMultiplier());
      n.put("steps", s.steps());
    }
    return root;
  }

  /**
   * An account from {@link #toJson}'s form; {@code where} names its place (e.g. the checkpoint's
   * file and key) in error messages.
   */
  public static PrivacyAccount fromJson(JsonNode node, String where) {
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException(
          where + ": expected a privacy account object, got " + node);
    }
    String accountant = node.path("accountant").asText("");
    if (!ACCOUNTANT.equals(accountant)) {
      throw new IllegalArgumentException(
          where + ".accountant: expected \"" + ACCOUNTANT + "\", got " + node.get("accountant"));
    }
    JsonNode version = node.get("format_version");
    if (version == null
        || !version.canConvertToInt()
        || version.asInt() < 1
        || version.asInt() > FORMAT_VERSION) {
      throw new IllegalArgumentException(
          where + ".format_version: expected 1 to " + FORMAT_VERSION + ", got " + version);
    }
    JsonNode list = node.get("segments");
    if (list == null || !list.isArray()) {
      throw new IllegalArgumentException(where + ".segments: expected a list, got " + list);
    }
    List<Segment> segments = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      String at = where + ".segments[" + i + "]";
      JsonNode s = list.get(i);
      double q = number(s, "sample_rate", at);
      double sigma = number(s, "noise_multiplier", at);
      JsonNode steps = s.get("steps");
      if (steps == null || !steps.canConvertToLong() || !steps.isIntegralNumber()) {
        throw new IllegalArgumentException(at + ".steps: expected a whole number, got " + steps);
      }
      try {
        segments.add(new Segment(q, sigma, steps.asLong()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(at + ": " + e.getMessage(), e);
      }
    }
    try {
      return new PrivacyAccount(segments);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  private static double number(JsonNode segment, String key, String at) {
    JsonNode v = segment == null ? null : segment.get(key);
    if (v == null || !v.isNumber()) {
      throw new IllegalArgumentException(at + "." + key + ": expected a number, got " + v);
    }
    return v.asDouble();
  }
}
