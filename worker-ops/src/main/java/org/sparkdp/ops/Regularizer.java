package org.sparkdp.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A penalty on a weight added to the training loss, as Keras' {@code kernel_regularizer} and {@code
 * bias_regularizer}: {@code l1 * sum|w|}, {@code l2 * sum w^2}, or both (no factor 1/2, as Keras).
 * In configuration a name ({@code l2}: Keras' default factor 0.01; {@code l1_l2}: 0.01 and 0.01, as
 * Keras' string identifier) or {@code {type: l2, l2: 0.001}}.
 */
public sealed interface Regularizer extends Serializable
    permits Regularizer.L1, Regularizer.L2, Regularizer.L1L2 {

  /** The regularizers by their Keras names. */
  static Map<String, RecordSettings<? extends Regularizer>> kinds() {
    return Kinds.KINDS;
  }

  /** The Keras name: {@code l1}, {@code l2} or {@code l1_l2}. */
  String kerasName();

  /** The L1 factor (0 if none). */
  double l1();

  /** The L2 factor (0 if none). */
  double l2();

  /**
   * The penalty of {@code w[off .. off + n)}, and its gradient {@code l1 sign(w) + 2 l2 w} added
   * into {@code grad[gOff ..]} unless {@code grad} is {@code null}.
   */
  default double apply(float[] w, int off, int n, float[] grad, int gOff) {
    double a = l1();
    double b = l2();
    double sumAbs = 0;
    double sumSquares = 0;
    for (int i = 0; i < n; i++) {
      double v = w[off + i];
      sumAbs += Math.abs(v);
      sumSquares += v * v;
    }
    if (grad != null) {
      float fa = (float) a;
      float fb = (float) (2 * b);
      for (int i = 0; i < n; i++) {
        float v = w[off + i];
        grad[gOff + i] += fa * Math.signum(v) + fb * v;
      }
    }
    return a * sumAbs + b * sumSquares;
  }

  /** The configuration: {@code {type: l2, l2: 0.01}}. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  default JsonNode toConfig() {
    ObjectNode node = ModelFile.JSON.createObjectNode();
    node.put("type", kerasName());
    RecordSettings settings = kinds().get(kerasName());
    node.setAll(settings.toJson((Record) this));
    return node;
  }

  /** An optional setting whose value is a regularizer. */
  static Setting<Regularizer> setting(String key, String doc) {
    return Setting.<Regularizer>of(
            key,
            null,
            "l1, l2, l1_l2, or {type: ..., factor: ...}",
            Regularizer::fromConfig,
            Regularizer::toConfig,
            v -> true,
            doc)
        .optional();
  }

  /** A regularizer from its configuration; {@code null} when it is not one. */
  static Regularizer fromConfig(JsonNode node) {
    if (node.isTextual()) {
      String name = node.asText().trim().toLowerCase(Locale.ROOT);
      if (name.equals("l1_l2")) {
        return new L1L2(0.01, 0.01); // Keras' string identifier, unlike L1L2()'s zeros
      }
      RecordSettings<? extends Regularizer> settings = kinds().get(name);
      if (settings == null) {
        throw unknown(node.asText());
      }
      return settings.defaults();
    }
    if (!node.isObject() || !node.has("type")) {
      return null;
    }
    RecordSettings<? extends Regularizer> settings =
        kinds().get(node.get("type").asText().trim().toLowerCase(Locale.ROOT));
    if (settings == null) {
      throw unknown(node.get("type").asText());
    }
    return settings.readInside(node, Set.of("type"));
  }

  private static ConfigException unknown(String name) {
    return new ConfigException(
        "unknown regularizer '"
            + name
            + "' (expected one of "
            + kinds().keySet()
            + ", or {type: name, ...} with factors)");
  }

  /** A factor: a finite number of at least 0, as Keras' {@code validate_float_arg}. */
  private static Setting<Double> factor(String key, double defaultValue, String doc) {
    return Setting.number(key, defaultValue, "0 or a positive number", v -> v >= 0, doc);
  }

  /**
   * {@code l1 * sum |w|}.
   *
   * @param l1 default 0.01
   */
  record L1(double l1) implements Regularizer {
    public static final Setting<Double> L1_FACTOR = factor("l1", 0.01, "the L1 factor");
    public static final RecordSettings<L1> SETTINGS = RecordSettings.of(L1.class, L1_FACTOR);

    public L1 {
      L1_FACTOR.check(l1);
    }

    @Override
    public String kerasName() {
      return "l1";
    }

    @Override
    public double l2() {
      return 0;
    }
  }

  /**
   * {@code l2 * sum w^2}.
   *
   * @param l2 default 0.01
   */
  record L2(double l2) implements Regularizer {
    public static final Setting<Double> L2_FACTOR = factor("l2", 0.01, "the L2 factor");
    public static final RecordSettings<L2> SETTINGS = RecordSettings.of(L2.class, L2_FACTOR);

    public L2 {
      L2_FACTOR.check(l2);
    }

    @Override
    public String kerasName() {
      return "l2";
    }

    @Override
    public double l1() {
      return 0;
    }
  }

  /**
   * {@code l1 * sum |w| + l2 * sum w^2}. Keras' {@code L1L2()} defaults both factors to 0; the name
   * {@code l1_l2} alone means 0.01 and 0.01.
   *
   * @param l1 default 0
   * @param l2 default 0
   */
  record L1L2(double l1, double l2) implements Regularizer {
    public static final Setting<Double> L1_FACTOR = factor("l1", 0.0, "the L1 factor");
    public static final Setting<Double> L2_FACTOR = factor("l2", 0.0, "the L2 factor");
    public static final RecordSettings<L1L2> SETTINGS =
        RecordSettings.of(L1L2.class, L1_FACTOR, L2_FACTOR);

    public L1L2 {
      L1_FACTOR.check(l1);
      L2_FACTOR.check(l2);
    }

    @Override
    public String kerasName() {
      return "l1_l2";
    }
  }

  /** The registry behind {@link #kinds()}, made at its first use. */
  final class Kinds {
    static final Map<String, RecordSettings<? extends Regularizer>> KINDS = registry();

    private Kinds() {}

    private static Map<String, RecordSettings<? extends Regularizer>> registry() {
      Map<String, RecordSettings<? extends Regularizer>> m = new LinkedHashMap<>();
      m.put("l1", L1.SETTINGS);
      m.put("l2", L2.SETTINGS);
      m.put("l1_l2", L1L2.SETTINGS);
      return Collections.unmodifiableMap(m);
    }
  }
}
