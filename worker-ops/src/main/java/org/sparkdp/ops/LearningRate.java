package org.sparkdp.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * An optimizer's learning rate as a function of its iteration count {@code step} (the updates
 * applied before this one, Keras' {@code optimizer.iterations}): a constant, or one of Keras 3's
 * schedules with its formula. Keyed by the count the optimizer's state keeps, a schedule resumes
 * exactly from a checkpoint. In configuration {@code learning_rate: 0.001} or {@code learning_rate:
 * {type: exponential_decay, initial_learning_rate: 0.1, decay_steps: 1000, decay_rate: 0.96}}.
 */
public sealed interface LearningRate extends Serializable
    permits LearningRate.Constant,
        LearningRate.ExponentialDecay,
        LearningRate.CosineDecay,
        LearningRate.PiecewiseConstantDecay,
        LearningRate.InverseTimeDecay {

  /** The schedules by their configuration names. */
  static Map<String, RecordSettings<? extends LearningRate>> schedules() {
    return Kinds.SCHEDULES;
  }

  /** The learning rate for the update after {@code step} updates. */
  double at(long step);

  /** A constant learning rate. */
  static LearningRate constant(double value) {
    return new Constant(value);
  }

  /** The configuration: a number, or {@code {type: name, ...}}. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  default JsonNode toConfig() {
    if (this instanceof Constant c) {
      return DoubleNode.valueOf(c.value());
    }
    String name = Kinds.nameOf(this);
    ObjectNode node = ModelFile.JSON.createObjectNode();
    node.put("type", name);
    RecordSettings settings = schedules().get(name);
    node.setAll(settings.toJson((Record) this));
    return node;
  }

  /** The {@code learning_rate} setting of an optimizer whose default is {@code defaultValue}. */
  static Setting<LearningRate> setting(double defaultValue) {
    return Setting.of(
        "learning_rate",
        constant(defaultValue),
        "a positive number, or a schedule {type: ..., ...}",
        LearningRate::fromConfig,
        LearningRate::toConfig,
        v -> true,
        "step size, or a schedule of it");
  }

  /** A learning rate from its configuration; {@code null} when it is not one. */
  static LearningRate fromConfig(JsonNode node) {
    if (node.isNumber() || node.isTextual()) {
      Double v = node.isNumber() ? Double.valueOf(node.asDouble()) : parse(node.asText());
      if (v == null) {
        return null;
      }
      if (!(v > 0) || v.isInfinite()) {
        throw new ConfigException(": must be a positive number, got " + Setting.formatNumber(v));
      }
      return constant(v);
    }
    if (!node.isObject() || !node.has("type")) {
      return null;
    }
    String name = node.get("type").asText().trim().toLowerCase(Locale.ROOT);
    RecordSettings<? extends LearningRate> settings = schedules().get(name);
    if (settings == null) {
      throw new ConfigException(
          ".type: unknown learning-rate schedule '"
              + node.get("type").asText()
              + "' (expected one of "
              + schedules().keySet()
              + ")");
    }
    return settings.readInside(node, Set.of("type"));
  }

  private static Double parse(String text) {
    try {
      return Double.parseDouble(text.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** A learning rate that does not change. */
  record Constant(double value) implements LearningRate {
    public Constant {
      if (!(value > 0) || Double.isInfinite(value)) {
        throw new ConfigException("learning_rate: must be a positive number, got " + value);
      }
    }

    @Override
    public double at(long step) {
      return value;
    }
  }

  /**
   * Keras' {@code ExponentialDecay}: {@code initial_learning_rate * decay_rate^(step /
   * decay_steps)}, the exponent rounded down with {@code staircase}.
   */
  record ExponentialDecay(
      double initialLearningRate, long decaySteps, double decayRate, boolean staircase)
      implements LearningRate {
    public static final Setting<Double> INITIAL_LEARNING_RATE =
        Setting.positive("initial_learning_rate", null, "the learning rate at step 0");
    public static final Setting<Long> DECAY_STEPS =
        Setting.longInteger("decay_steps", null, 1, "steps per decay period");
    public static final Setting<Double> DECAY_RATE =
        Setting.positive("decay_rate", null, "the factor per decay period");
    public static final Setting<Boolean> STAIRCASE =
        Setting.bool("staircase", false, "decay in whole periods");
    public static final RecordSettings<ExponentialDecay> SETTINGS =
        RecordSettings.of(
            ExponentialDecay.class, INITIAL_LEARNING_RATE, DECAY_STEPS, DECAY_RATE, STAIRCASE);

    public ExponentialDecay {
      INITIAL_LEARNING_RATE.check(initialLearningRate);
      DECAY_STEPS.check(decaySteps);
      DECAY_RATE.check(decayRate);
    }

    @Override
    public double at(long step) {
      double p = (double) step / decaySteps;
      return initialLearningRate * Math.pow(decayRate, staircase ? Math.floor(p) : p);
    }
  }

  /**
   * Keras 3's {@code CosineDecay} with optional linear warmup (Loshchilov and Hutter, 2017; Goyal
   * et al., 2017). Without {@code warmup_target}: {@code s = min(step, decay_steps)}, {@code lr =
   * initial * ((1 - alpha) * (1 + cos(pi s / decay_steps)) / 2 + alpha)}. With it: for {@code step
   * < warmup_steps}, {@code initial + (warmup_target - initial) * step / warmup_steps}; then the
   * cosine decay from {@code warmup_target} over {@code step - warmup_steps} (capped at {@code
   * decay_steps}).
   */
  record CosineDecay(
      double initialLearningRate,
      long decaySteps,
      double alpha,
      Double warmupTarget,
      long warmupSteps)
      implements LearningRate {
    public static final Setting<Double> INITIAL_LEARNING_RATE =
        Setting.number(
            "initial_learning_rate",
            null,
            "0 or a positive number",
            v -> v >= 0,
            "the learning rate at step 0");
    public static final Setting<Long> DECAY_STEPS =
        Setting.longInteger("decay_steps", null, 1, "steps the cosine decay takes");
    public static final Setting<Double> ALPHA =
        Setting.number(
            "alpha",
            0.0,
            "a number in [0, 1]",
            v -> v >= 0 && v <= 1,
            "the final learning rate as a fraction of the decay's start");
    public static final Setting<Double> WARMUP_TARGET =
        Setting.positive("warmup_target", null, "the learning rate the warmup reaches").optional();
    public static final Setting<Long> WARMUP_STEPS =
        Setting.longInteger("warmup_steps", 0L, 0, "steps of linear warmup before the decay");
    public static final RecordSettings<CosineDecay> SETTINGS =
        RecordSettings.of(
            CosineDecay.class,
            INITIAL_LEARNING_RATE,
            DECAY_STEPS,
            ALPHA,
            WARMUP_TARGET,
            WARMUP_STEPS);

    public CosineDecay {
      INITIAL_LEARNING_RATE.check(initialLearningRate);
      DECAY_STEPS.check(decaySteps);
      ALPHA.check(alpha);
      WARMUP_TARGET.check(warmupTarget);
      WARMUP_STEPS.check(warmupSteps);
      if (warmupTarget == null && initialLearningRate == 0) {
        throw new ConfigException(
            "initial_learning_rate: must be positive without a warmup_target, got 0");
      }
    }

    @Override
    public double at(long step) {
      if (warmupTarget == null) {
        return decay(Math.min(step, decaySteps), initialLearningRate);
      }
      double s = Math.min(step, decaySteps + warmupSteps);
      if (s < warmupSteps) {
        return (warmupTarget - initialLearningRate) * (s / warmupSteps) + initialLearningRate;
      }
      return decay(s - warmupSteps, warmupTarget);
    }

    private double decay(double step, double from) {
      double cosine = 0.5 * (1 + Math.cos(Math.PI * step / decaySteps));
      return from * ((1 - alpha) * cosine + alpha);
    }
  }

  /**
   * Keras' {@code PiecewiseConstantDecay}: {@code values[0]} while {@code step <= boundaries[0]},
   * {@code values[i]} while {@code boundaries[i - 1] < step <= boundaries[i]}, and the last value
   * after the last boundary.
   */
  record PiecewiseConstantDecay(List<Long> boundaries, List<Double> values)
      implements LearningRate {
    public static final Setting<List<Long>> BOUNDARIES =
        Setting.integers("boundaries", "the steps where the rate changes, increasing");
    public static final Setting<List<Double>> VALUES =
        Setting.numbers("values", "the rates, one more than the boundaries");
    public static final RecordSettings<PiecewiseConstantDecay> SETTINGS =
        RecordSettings.of(PiecewiseConstantDecay.class, BOUNDARIES, VALUES);

    public PiecewiseConstantDecay {
      BOUNDARIES.check(boundaries);
      VALUES.check(values);
      boundaries = List.copyOf(boundaries);
      values = List.copyOf(values);
      if (values.size() != boundaries.size() + 1) {
        throw new ConfigException(
            "values: needs one more value than boundaries, got "
                + values.size()
                + " values and "
                + boundaries.size()
                + " boundaries");
      }
      for (int i = 1; i < boundaries.size(); i++) {
        if (boundaries.get(i) <= boundaries.get(i - 1)) {
          throw new ConfigException("boundaries: must increase, got " + boundaries);
        }
      }
      for (double v : values) {
        if (!(v > 0)) {
          throw new ConfigException("values: must be positive numbers, got " + values);
        }
      }
    }

    @Override
    public double at(long step) {
      for (int i = 0; i < boundaries.size(); i++) {
        if (step <= boundaries.get(i)) {
          return values.get(i);
        }
      }
      return values.get(values.size() - 1);
    }
  }

  /**
   * Keras' {@code InverseTimeDecay}: {@code initial_learning_rate / (1 + decay_rate * step /
   * decay_steps)}, the quotient rounded down with {@code staircase}.
   */
  record InverseTimeDecay(
      double initialLearningRate, long decaySteps, double decayRate, boolean staircase)
      implements LearningRate {
    public static final Setting<Double> DECAY_RATE =
        Setting.number(
            "decay_rate", null, "0 or a positive number", v -> v >= 0, "how fast the rate falls");
    public static final RecordSettings<InverseTimeDecay> SETTINGS =
        RecordSettings.of(
            InverseTimeDecay.class,
            ExponentialDecay.INITIAL_LEARNING_RATE,
            ExponentialDecay.DECAY_STEPS,
            DECAY_RATE,
            ExponentialDecay.STAIRCASE);

    public InverseTimeDecay {
      ExponentialDecay.INITIAL_LEARNING_RATE.check(initialLearningRate);
      ExponentialDecay.DECAY_STEPS.check(decaySteps);
      DECAY_RATE.check(decayRate);
    }

    @Override
    public double at(long step) {
      double p = (double) step / decaySteps;
      return initialLearningRate / (1 + decayRate * (staircase ? Math.floor(p) : p));
    }
  }

  /** The registry behind {@link #schedules()}, made at its first use. */
  final class Kinds {
    static final Map<String, RecordSettings<? extends LearningRate>> SCHEDULES = registry();

    private Kinds() {}

    private static Map<String, RecordSettings<? extends LearningRate>> registry() {
      Map<String, RecordSettings<? extends LearningRate>> m = new LinkedHashMap<>();
      m.put("exponential_decay", ExponentialDecay.SETTINGS);
      m.put("cosine_decay", CosineDecay.SETTINGS);
      m.put("piecewise_constant_decay", PiecewiseConstantDecay.SETTINGS);
      m.put("inverse_time_decay", InverseTimeDecay.SETTINGS);
      return Collections.unmodifiableMap(m);
    }

    static String nameOf(LearningRate schedule) {
      for (Map.Entry<String, RecordSettings<? extends LearningRate>> e : SCHEDULES.entrySet()) {
        if (e.getValue().type() == schedule.getClass()) {
          return e.getKey();
        }
      }
      throw new IllegalStateException("no name for " + schedule);
    }
  }
}
