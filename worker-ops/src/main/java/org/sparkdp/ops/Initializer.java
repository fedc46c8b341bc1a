package org.sparkdp.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * How a weight starts, with Keras 3's names, arguments and formulas. A weight of shape {@code [in,
 * out]} has {@code fanIn = in}, {@code fanOut = out}; a convolution's kernel {@code [kh, kw, in,
 * out]} has {@code fanIn = kh * kw * in}, {@code fanOut = kh * kw * out}; a weight of shape {@code
 * [n]} has both equal to {@code n} (Keras' {@code compute_fans}). In configuration an initializer
 * is a name ({@code he_normal}, or {@code random_normal} with its default arguments) or {@code
 * {type: random_normal, stddev: 0.1}}.
 *
 * <p>The random draws come from the fit's seed and the layer's position, not from a {@code seed}
 * argument of the initializer.
 */
public sealed interface Initializer extends Serializable
    permits Initializer.Preset,
        Initializer.Constant,
        Initializer.RandomNormal,
        Initializer.RandomUniform,
        Initializer.TruncatedNormal,
        Initializer.VarianceScaling,
        Initializer.Orthogonal,
        Initializer.Identity,
        Initializer.UnitForgetBias {

  Initializer ZEROS = Preset.ZEROS;
  Initializer ONES = Preset.ONES;
  Initializer GLOROT_UNIFORM = Preset.GLOROT_UNIFORM;
  Initializer GLOROT_NORMAL = Preset.GLOROT_NORMAL;
  Initializer HE_UNIFORM = Preset.HE_UNIFORM;
  Initializer HE_NORMAL = Preset.HE_NORMAL;
  Initializer LECUN_UNIFORM = Preset.LECUN_UNIFORM;
  Initializer LECUN_NORMAL = Preset.LECUN_NORMAL;

  /** The initializers that take arguments, by their Keras names. */
  static Map<String, RecordSettings<? extends Initializer>> withArguments() {
    return Kinds.WITH_ARGUMENTS;
  }

  /** The Keras name, e.g. {@code "glorot_uniform"}. */
  String kerasName();

  /**
   * Fills {@code values[off .. off + prod(shape))}, row-major, drawing from {@code random}.
   *
   * @throws IllegalArgumentException if this initializer does not apply to a weight of this shape
   */
  void fill(float[] values, int off, int[] shape, SplittableRandom random);

  /** Fails (naming the problem) if this initializer cannot fill a weight of {@code shape}. */
  default void checkShape(int[] shape) {}

  /** The configuration: the name, or {@code {type: name, argument: value, ...}}. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  default JsonNode toConfig() {
    ObjectNode node = ModelFile.JSON.createObjectNode();
    node.put("type", kerasName());
    RecordSettings settings = withArguments().get(kerasName());
    node.setAll(settings.toJson((Record) this));
    return node;
  }

  /** A setting whose value is an initializer. */
  static Setting<Initializer> setting(String key, Initializer defaultValue, String doc) {
    return Setting.of(
        key,
        defaultValue,
        "an initializer: a name, or {type: ..., argument: ...}",
        Initializer::fromConfig,
        Initializer::toConfig,
        v -> true,
        doc);
  }

  /** An initializer from its configuration; {@code null} when it is not one. */
  static Initializer fromConfig(JsonNode node) {
    if (node.isTextual()) {
      String name = alias(node.asText().trim().toLowerCase(Locale.ROOT));
      for (Preset p : Preset.values()) {
        if (p.kerasName().equals(name)) {
          return p;
        }
      }
      RecordSettings<? extends Initializer> settings = withArguments().get(name);
      if (settings == null) {
        throw unknown(node.asText());
      }
      return settings.defaults();
    }
    if (!node.isObject() || !node.has("type")) {
      return null;
    }
    String name = alias(node.get("type").asText().trim().toLowerCase(Locale.ROOT));
    RecordSettings<? extends Initializer> settings = withArguments().get(name);
    if (settings == null) {
      if (Arrays.stream(Preset.values()).anyMatch(p -> p.kerasName().equals(name))
          && node.size() == 1) {
        return fromConfig(node.get("type"));
      }
      throw unknown(node.get("type").asText());
    }
    return settings.readInside(node, java.util.Set.of("type"));
  }

  /** Keras' short names {@code uniform} and {@code normal} (an embedding's default is uniform). */
  private static String alias(String name) {
    return switch (name) {
      case "uniform" -> "random_uniform";
      case "normal" -> "random_normal";
      default -> name;
    };
  }

  private static ConfigException unknown(String name) {
    return new ConfigException(
        "unknown initializer '"
            + name
            + "' (expected one of "
            + Kinds.names()
            + ", or {type: name, ...} with arguments)");
  }

  /** The initializers without arguments. */
  enum Preset implements Initializer {
    /** All zeros. Keras' default bias initializer. */
    ZEROS("all zeros"),
    /** All ones. */
    ONES("all ones"),
    /** {@code variance_scaling(1, fan_avg, uniform)}: Keras' default kernel initializer. */
    GLOROT_UNIFORM("uniform on [-l, l], l = sqrt(6 / (fan_in + fan_out))"),
    /** {@code variance_scaling(1, fan_avg, truncated_normal)}. */
    GLOROT_NORMAL("truncated normal, variance 2 / (fan_in + fan_out)"),
    /** {@code variance_scaling(2, fan_in, uniform)}. */
    HE_UNIFORM("uniform on [-l, l], l = sqrt(6 / fan_in)"),
    /** {@code variance_scaling(2, fan_in, truncated_normal)}. */
    HE_NORMAL("truncated normal, variance 2 / fan_in"),
    /** {@code variance_scaling(1, fan_in, uniform)}. */
    LECUN_UNIFORM("uniform on [-l, l], l = sqrt(3 / fan_in)"),
    /** {@code variance_scaling(1, fan_in, truncated_normal)}. */
    LECUN_NORMAL("truncated normal, variance 1 / fan_in");

    private final String definition;

    Preset(String definition) {
      this.definition = definition;
    }

    /** The formula, as the README's reference shows it. */
    public String definition() {
      return definition;
    }

    @Override
    public String kerasName() {
      return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public void fill(float[] values, int off, int[] shape, SplittableRandom random) {
      int n = size(shape);
      switch (this) {
        case ZEROS -> Arrays.fill(values, off, off + n, 0f);
        case ONES -> Arrays.fill(values, off, off + n, 1f);
        default -> asVarianceScaling().fill(values, off, shape, random);
      }
    }

    private VarianceScaling asVarianceScaling() {
      return switch (this) {
        case GLOROT_UNIFORM -> new VarianceScaling(1, Mode.FAN_AVG, Distribution.UNIFORM);
        case GLOROT_NORMAL -> new VarianceScaling(1, Mode.FAN_AVG, Distribution.TRUNCATED_NORMAL);
        case HE_UNIFORM -> new VarianceScaling(2, Mode.FAN_IN, Distribution.UNIFORM);
        case HE_NORMAL -> new VarianceScaling(2, Mode.FAN_IN, Distribution.TRUNCATED_NORMAL);
        case LECUN_UNIFORM -> new VarianceScaling(1, Mode.FAN_IN, Distribution.UNIFORM);
        case LECUN_NORMAL -> new VarianceScaling(1, Mode.FAN_IN, Distribution.TRUNCATED_NORMAL);
        default -> throw new IllegalStateException(name());
      };
    }

    @Override
    public JsonNode toConfig() {
      return TextNode.valueOf(kerasName());
    }
  }

  /** Which fan {@link VarianceScaling} divides by. */
  enum Mode {
    FAN_IN,
    FAN_OUT,
    FAN_AVG
  }

  /** What {@link VarianceScaling} draws from. */
  enum Distribution {
    TRUNCATED_NORMAL,
    UNTRUNCATED_NORMAL,
    UNIFORM
  }

  /**
   * Keras' {@code Constant}: every value {@code value}.
   *
   * @param value the value (default 0)
   */
  record Constant(double value) implements Initializer {
    public static final Setting<Double> VALUE =
        Setting.number("value", 0.0, "a number", v -> true, "the value");
    public static final RecordSettings<Constant> SETTINGS =
        RecordSettings.of(Constant.class, VALUE);

    @Override
    public String kerasName() {
      return "constant";
    }

    @Override
    public void fill(float[] values, int off, int[] shape, SplittableRandom random) {
      Arrays.fill(values, off, off + size(shape), (float) value);
    }
  }

  /**
   * Keras' {@code RandomNormal}: normal with {@code mean} and {@code stddev}.
   *
   * @param mean default 0
   * @param stddev default 0.05
   */
  record RandomNormal(double mean, double stddev) implements Initializer {
    public static final Setting<Double> MEAN =
        Setting.number("mean", 0.0, "a number", v -> true, "the mean");
    public static final Setting<Double> STDDEV =
        Setting.number(
            "stddev", 0.05, "0 or a positive number", v -> v >= 0, "the standard deviation");
    public static final RecordSettings<RandomNormal> SETTINGS =
        RecordSettings.of(RandomNormal.class, MEAN, STDDEV);

    @Override
    public String kerasName() {
      return "random_normal";
    }

    @Override
    public void fill(float[] values, int off, int[] shape, SplittableRandom random) {
      for (int i = 0, n = size(shape); i < n; i++) {
        values[off + i] = (float) (mean + stddev * gaussian(random));
      }
    }
  }

  /**
   * Keras' {@code RandomUniform}: uniform on {@code [minval, maxval)}.
   *
   * @param minval default -0.05
   * @param maxval default 0.05
   */
  record RandomUniform(double minval, double maxval) implements Initializer {
    public static final Setting<Double> MINVAL =
        Setting.number("minval", -0.05, "a number", v -> true, "the lower bound");
    public static final Setting<Double> MAXVAL =
        Setting.number("maxval", 0.05, "a number", v -> true, "the upper bound");
    public static final RecordSettings<RandomUniform> SETTINGS =
        RecordSettings.of(RandomUniform.class, MINVAL, MAXVAL);

    public RandomUniform {
      if (!(minval <= maxval)) {
        throw new ConfigException("minval " + minval + " is above maxval " + maxval);
      }
    }

    @Override
    public String kerasName() {
      return "random_uniform";
    }

    @Override
    public void fill(float[] values, int off, int[] shape, SplittableRandom random) {
      for (int i = 0, n = size(shape); i < n; i++) {
        values[off + i] = (float) (minval + (maxval - minval) * random.nextDouble());
      }
    }
  }

  /**
   * Keras' {@code TruncatedNormal}: normal with {@code mean} and {@code stddev}, values more than
   * two standard deviations from the mean drawn again.
   *
   * @param mean default 0
   * @param stddev default 0.05
   */
  record TruncatedNormal(double mean, double stddev) implements Initializer {
    public static final Setting<Double> MEAN = RandomNormal.MEAN;
    public static final Setting<Double> STDDEV = RandomNormal.STDDEV;
    public static final RecordSettings<TruncatedNormal> SETTINGS =
        RecordSettings.of(TruncatedNormal.class, MEAN, STDDEV);

    @Override
    public String kerasName() {
      return "truncated_normal";
    }

    @Override
    public void fill(float[] values, int off, int[] shape, SplittableRandom random) {
      for (int i = 0, n = size(shape); i < n; i++) {
        values[off + i] = (float) (mean + stddev * truncatedGaussian(random));
      }
    }
  }

  /**
   * Keras' {@code VarianceScaling}: with {@code s = scale / max(1, fan)} (the fan by {@code mode}),
   * a truncated normal of standard deviation {@code sqrt(s) / 0.8796...} (the deviation of a unit
   * normal truncated at 2), a normal of deviation {@code sqrt(s)}, or a uniform on {@code [-sqrt(3
   * s), sqrt(3 s)]}.
   *
   * @param scale positive (default 1)
   * @param mode fan_in (default), fan_out or fan_avg
   * @param distribution truncated_normal (default), untruncated_normal or uniform
   */
  record VarianceScaling(double scale, Mode mode, Distribution distribution)
      implements Initializer {
    public static final Setting<Double> SCALE =
        Setting.positive("scale", 1.0, "the variance's scale");
    public static final Setting<Mode> MODE =
        Setting.choice("mode", Mode.class, Mode.FAN_IN, "the fan the scale is divided by");
    public static final Setting<Distribution> DISTRIBUTION =
        Setting.choice(
            "distribution",
            Distribution.class,
            Distribution.TRUNCATED_NORMAL,
            "what the values are drawn from");
    public static final RecordSettings<VarianceScaling> SETTINGS =
        RecordSettings.of(VarianceScaling.class, SCALE, MODE, DISTRIBUTION);

    /** Standard deviation of a standard normal truncated to [-2, 2]. */
    static final double TRUNCATED_STDDEV = 0.87962566103423978;

    public VarianceScaling {
      SCALE.check(scale);
      MODE.check(mode);
      DISTRIBUTION.check(distribution);
    }

    @Override
    public String kerasName() {
      return "variance_scaling";
    }

    @Override
    public void fill(float[] values, int off, int[] shape, SplittableRandom random) {
      int n = size(shape);
      // Keras' compute_fans: a kernel [*window, in, out] has fans in and out times the window's
      // size (a conv2d [3, 3, 32, 64]: 288 and 576); a vector [n] has both n.
      long window = 1;
      for (int d = 0; d < shape.length - 2; d++) {
        window *= shape[d];
      }
      double fanIn = shape.length >= 2 ? window * shape[shape.length - 2] : n;
      double fanOut = shape.length >= 2 ? window * shape[shape.length - 1] : n;
      double fan =
          switch (mode) {
            case FAN_IN -> fanIn;
            case FAN_OUT -> fanOut;
            case FAN_AVG -> (fanIn + fanOut) / 2.0;
          };
      double s = scale / Math.max(1, fan);
      switch (distribution) {
        case UNIFORM -> {
          double limit = Math.sqrt(3 * s);
          for (int i = 0; i < n; i++) {
            values[off + i] = (float) ((2 * random.nextDouble() - 1) * limit);
          }
        }
        case TRUNCATED_NORMAL -> {
          double stddev = Math.sqrt(s) / TRUNCATED_STDDEV;
          for (int i = 0; i < n; i++) {
            values[off + i] = (float) (truncatedGaussian(random) * stddev);
          }
        }
        case UNTRUNCATED_NORMAL -> {
          double stddev = Math.sqrt(s);
          for (int i = 0; i < n; i++) {
            values[off + i] = (float) (gaussian(random) * stddev);
          }
        }
      }
    }
  }

  /**
   * Keras' {@code Orthogonal}: {@code gain} times the orthogonal factor {@code Q} of the QR
   * decomposition of a {@code [max(in, out), min(in, out)]} matrix of unit normals (with {@code
   * R}'s diagonal positive), transposed when {@code in < out}; its columns (or rows) are
   * orthonormal. Two-dimensional weights only.
   *
   * @param gain default 1
   */
  record Orthogonal(double gain) implements Initializer {
    public static final Setting<Double> GAIN =
        Setting.number("gain", 1.0, "a number", v -> true, "the factor applied to the matrix");
    public static final RecordSettings<Orthogonal> SETTINGS =
        RecordSettings.of(Orthogonal.class, GAIN);

    @Override
    public String kerasName() {
      return "orthogonal";
    }

    @Override
    public void checkShape(int[] shape) {
      if (shape.length != 2) {
        throw new IllegalArgumentException(
            "orthogonal initializes two-dimensional weights only, not shape "
                + Arrays.toString(shape));
      }
    }

    @Override
    public void fill(float[] values, int off, int[] shape, SplittableRandom random) {
      checkShape(shape);
      int rows = shape[0];
      int cols = shape[1];
      int m = Math.max(rows, cols);
      int k = Math.min(rows, cols);
      // Modified Gram-Schmidt on the k columns of a normal [m, k] matrix: Q with R's diagonal
      // positive, which is what Keras' sign correction of a Householder QR makes too.
      double[][] q = new double[k][m];
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < k; j++) {
          q[j][i] = gaussian(random);
        }
      }
      for (int j = 0; j < k; j++) {
        for (int p = 0; p < j; p++) {
          double dot = 0;
          for (int i = 0; i < m; i++) {
            dot += q[p][i] * q[j][i];
          }
          for (int i = 0; i < m; i++) {
            q[j][i] -= dot * q[p][i];
          }
        }
        double norm = 0;
        for (int i = 0; i < m; i++) {
          norm += q[j][i] * q[j][i];
        }
        norm = Math.sqrt(norm);
        for (int i = 0; i < m; i++) {
          q[j][i] /= norm;
        }
      }
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          // Q is [m, k]; for rows < cols the weight is its transpose.
          double v = rows >= cols ? q[c][r] : q[r][c];
          values[off + r * cols + c] = (float) (gain * v);
        }
      }
    }
  }

  /**
   * Keras' {@code Identity}: {@code gain} on the diagonal, zeros elsewhere. Two-dimensional weights
   * only.
   *
   * @param gain default 1
   */
  record Identity(double gain) implements Initializer {
    public static final Setting<Double> GAIN = Orthogonal.GAIN;
    public static final RecordSettings<Identity> SETTINGS = RecordSettings.of(Identity.class, GAIN);

    @Override
    public String kerasName() {
      return "identity";
    }

    @Override
    public void checkShape(int[] shape) {
      if (shape.length != 2) {
        throw new IllegalArgumentException(
            "identity initializes two-dimensional weights only, not shape "
                + Arrays.toString(shape));
      }
    }

    @Override
    public void fill(float[] values, int off, int[] shape, SplittableRandom random) {
      checkShape(shape);
      int cols = shape[1];
      Arrays.fill(values, off, off + size(shape), 0f);
      for (int i = 0; i < Math.min(shape[0], cols); i++) {
        values[off + i * cols + i] = (float) gain;
      }
    }
  }

  /**
   * An LSTM's bias {@code [4u]} with Keras' {@code unit_forget_bias}: the forget gate's {@code u}
   * values are 1, the input gate's {@code [u]} and the cell and output gates' {@code [2u]} come
   * from {@code bias}. What a layer's weight starts from, not a setting of its own.
   *
   * @param bias the layer's bias initializer
   */
  record UnitForgetBias(Initializer bias) implements Initializer {
    @Override
    public String kerasName() {
      return bias.kerasName();
    }

    @Override
    public void fill(float[] values, int off, int[] shape, SplittableRandom random) {
      int u = size(shape) / 4;
      bias.fill(values, off, new int[] {u}, random);
      Arrays.fill(values, off + u, off + 2 * u, 1f);
      bias.fill(values, off + 2 * u, new int[] {2 * u}, random);
    }

    @Override
    public JsonNode toConfig() {
      return bias.toConfig();
    }
  }

  /** The number of values of a weight of {@code shape}. */
  static int size(int[] shape) {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }

  /** A standard normal (Box-Muller; SplittableRandom has no nextGaussian on Java 17). */
  static double gaussian(SplittableRandom random) {
    double u = 1 - random.nextDouble();
    double v = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A standard normal drawn again until it lies in [-2, 2]. */
  static double truncatedGaussian(SplittableRandom random) {
    double g;
    do {
      g = gaussian(random);
    } while (Math.abs(g) > 2);
    return g;
  }

  /** The registry behind {@link #withArguments()}, made at its first use. */
  final class Kinds {
    static final Map<String, RecordSettings<? extends Initializer>> WITH_ARGUMENTS = registry();

    private Kinds() {}

    private static Map<String, RecordSettings<? extends Initializer>> registry() {
      Map<String, RecordSettings<? extends Initializer>> m = new LinkedHashMap<>();
      m.put("constant", Constant.SETTINGS);
      m.put("random_normal", RandomNormal.SETTINGS);
      m.put("random_uniform", RandomUniform.SETTINGS);
      m.put("truncated_normal", TruncatedNormal.SETTINGS);
      m.put("variance_scaling", VarianceScaling.SETTINGS);
      m.put("orthogonal", Orthogonal.SETTINGS);
      m.put("identity", Identity.SETTINGS);
      return Collections.unmodifiableMap(m);
    }

    static java.util.List<String> names() {
      java.util.List<String> names = new java.util.ArrayList<>();
      for (Preset p : Preset.values()) {
        names.add(p.kerasName());
      }
      names.addAll(WITH_ARGUMENTS.keySet());
      return names;
    }
  }
}
