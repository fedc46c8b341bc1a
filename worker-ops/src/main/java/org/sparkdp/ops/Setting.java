package org.sparkdp.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Locale;

/**
 * One setting, declared once: its key in Keras' vocabulary (the YAML and {@code model.json} key),
 * its default, the values it takes and what it means. Reading from a configuration tree, checking a
 * value set from Java, writing it back to JSON, the command line's {@code --key} option and the
 * README's configuration reference all come from the declaration, so they cannot drift apart.
 *
 * <p>Every refusal names the key and the value: {@code compile.optimizer.learning_rate: must be a
 * positive number, got -0.01}.
 *
 * @param <T> the value's Java type
 */
public final class Setting<T> implements Serializable, SettingPart {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Turns a configuration value into {@code T}, or returns {@code null} when it is not of the kind.
   */
  @FunctionalInterface
  public interface Reader<T> extends Serializable {
    T read(JsonNode value);
  }

  /** Writes a value back as configuration (the inverse of a {@link Reader}). */
  @FunctionalInterface
  public interface Writer<T> extends Serializable {
    JsonNode write(T value);
  }

  /** Whether a value is allowed. */
  @FunctionalInterface
  public interface Check<T> extends Serializable {
    boolean test(T value);
  }

  private final String key;
  private final T defaultValue;
  private final boolean required;
  private final String expectation;
  private final Reader<T> reader;
  private final Writer<T> writer;
  private final Check<T> check;
  private final String doc;
  private final String shownDefault;
  private final boolean optional;

  /** The record component's name, or {@code null}: the key in camel case. */
  private final String javaName;

  private Setting(
      String key,
      T defaultValue,
      boolean required,
      String expectation,
      Reader<T> reader,
      Writer<T> writer,
      Check<T> check,
      String doc,
      String shownDefault,
      boolean optional,
      String javaName) {
    this.javaName = javaName;
    this.shownDefault = shownDefault;
    this.optional = optional;
    this.key = key;
    this.defaultValue = defaultValue;
    this.required = required;
    this.expectation = expectation;
    this.reader = reader;
    this.writer = writer;
    this.check = check;
    this.doc = doc;
  }

  /**
   * A setting of any kind.
   *
   * @param defaultValue the value when the key is absent; {@code null} makes the key required
   * @param expectation what a valid value is, as a phrase ({@code "a positive integer"})
   */
  public static <T> Setting<T> of(
      String key,
      T defaultValue,
      String expectation,
      Reader<T> reader,
      Writer<T> writer,
      Check<T> check,
      String doc) {
    return new Setting<>(
        key,
        defaultValue,
        defaultValue == null,
        expectation,
        reader,
        writer,
        check,
        doc,
        null,
        false,
        null);
  }

  /**
   * This setting with its default described in words (for a default that stands for "not given").
   */
  public Setting<T> shownAs(String defaultText) {
    return new Setting<>(
        key,
        defaultValue,
        required,
        expectation,
        reader,
        writer,
        check,
        doc,
        defaultText,
        optional,
        javaName);
  }

  /**
   * This setting held by a record component of another name than its key's: Keras' {@code
   * input_dim} of an embedding is its vocabulary size, not the input width that {@link
   * Layer#inputDim()} means.
   */
  public Setting<T> javaNamed(String name) {
    return new Setting<>(
        key,
        defaultValue,
        required,
        expectation,
        reader,
        writer,
        check,
        doc,
        shownDefault,
        optional,
        name);
  }

  /**
   * This setting with no default: absent (or {@code null} in a configuration) means "none", as
   * Keras' {@code None}; the value is then {@code null}.
   */
  public Setting<T> optional() {
    return new Setting<>(
        key, null, false, expectation, reader, writer, check, doc, "none", true, javaName);
  }

  /** An integer of at least {@code min}. */
  public static Setting<Integer> integer(String key, Integer defaultValue, int min, String doc) {
    String expectation =
        min == 1
            ? "a positive integer"
            : min == 0 ? "0 or a positive integer" : "an integer of at least " + min;
    return of(
        key, defaultValue, expectation, Setting::readInt, IntNode::valueOf, v -> v >= min, doc);
  }

  /** An integer of at least {@code min} and at most {@code max}. */
  public static Setting<Integer> integer(
      String key, Integer defaultValue, int min, int max, String doc) {
    return of(
        key,
        defaultValue,
        "an integer from " + min + " to " + max,
        Setting::readInt,
        IntNode::valueOf,
        v -> v >= min && v <= max,
        doc);
  }

  /** Any 64-bit integer (a seed). */
  public static Setting<Long> longInteger(String key, Long defaultValue, String doc) {
    return of(
        key, defaultValue, "an integer", Setting::readLong, LongNode::valueOf, v -> true, doc);
  }

  /** A 64-bit integer of at least {@code min} (0 or 1): a count of steps. */
  public static Setting<Long> longInteger(String key, Long defaultValue, long min, String doc) {
    return of(
        key,
        defaultValue,
        min == 1 ? "a positive integer" : "0 or a positive integer",
        Setting::readLong,
        LongNode::valueOf,
        v -> v >= min,
        doc);
  }

  /**
   * A finite number that passes {@code check}, described by {@code expectation} ({@code "in [0,
   * 1)"}).
   */
  public static Setting<Double> number(
      String key, Double defaultValue, String expectation, Check<Double> check, String doc) {
    return of(
        key,
        defaultValue,
        expectation,
        Setting::readDouble,
        DoubleNode::valueOf,
        v -> Double.isFinite(v) && check.test(v),
        doc);
  }

  /** A finite number greater than 0. */
  public static Setting<Double> positive(String key, Double defaultValue, String doc) {
    return number(key, defaultValue, "a positive number", v -> v > 0, doc);
  }

  /** A number in {@code [0, 1)}. */
  public static Setting<Double> fraction(String key, Double defaultValue, String doc) {
    return number(key, defaultValue, "a number in [0, 1)", v -> v >= 0 && v < 1, doc);
  }

  public static Setting<Boolean> bool(String key, Boolean defaultValue, String doc) {
    return of(
        key,
        defaultValue,
        "true or false",
        v -> v.isBoolean() ? v.booleanValue() : null,
        BooleanNode::valueOf,
        v -> true,
        doc);
  }

  /** Any non-empty text. */
  public static Setting<String> text(String key, String defaultValue, String doc) {
    return of(
        key,
        defaultValue,
        "a text",
        v -> v.isTextual() || v.isNumber() ? v.asText() : null,
        TextNode::valueOf,
        v -> !v.isBlank(),
        doc);
  }

  /** A non-empty list of finite numbers, e.g. {@code [0.1, 0.01]}. */
  public static Setting<java.util.List<Double>> numbers(String key, String doc) {
    return of(
        key,
        null,
        "a non-empty list of numbers",
        v -> readList(v, Setting::readDouble),
        Setting::writeList,
        v -> !v.isEmpty() && v.stream().allMatch(Double::isFinite),
        doc);
  }

  /** A non-empty list of integers, e.g. {@code [1000, 2000]}. */
  public static Setting<java.util.List<Long>> integers(String key, String doc) {
    return of(
        key,
        null,
        "a non-empty list of integers",
        v -> readList(v, Setting::readLong),
        Setting::writeList,
        v -> !v.isEmpty(),
        doc);
  }

  /**
   * Two positive integers, given as one ({@code 3}: {@code [3, 3]}) or a pair ({@code [3, 2]}), as
   * Keras' {@code kernel_size}, {@code strides} and {@code pool_size}.
   */
  public static Setting<java.util.List<Integer>> pair(
      String key, java.util.List<Integer> defaultValue, String doc) {
    return tuple(key, 2, defaultValue, doc);
  }

  /**
   * {@code rank} positive integers, given as one ({@code 3} is {@code [3, 3]} for a pair) or as a
   * list of {@code rank} (Keras' {@code standardize_tuple}: a 1-D layer's {@code kernel_size} is
   * {@code 3} or {@code [3]}); written as the list.
   */
  public static Setting<java.util.List<Integer>> tuple(
      String key, int rank, java.util.List<Integer> defaultValue, String doc) {
    return of(
        key,
        defaultValue,
        rank == 2 ? "a positive integer or a pair of them" : "a positive integer or a list of one",
        v -> {
          if (v.isIntegralNumber() && v.canConvertToInt()) {
            return java.util.Collections.nCopies(rank, v.asInt());
          }
          if (!v.isArray() || v.size() != rank) {
            return null;
          }
          java.util.List<Integer> values = new java.util.ArrayList<>();
          for (JsonNode e : v) {
            if (!e.isIntegralNumber() || !e.canConvertToInt()) {
              return null;
            }
            values.add(e.asInt());
          }
          return java.util.List.copyOf(values);
        },
        v -> {
          com.fasterxml.jackson.databind.node.ArrayNode a = JSON.createArrayNode();
          v.forEach(a::add);
          return a;
        },
        v -> v.size() == rank && v.stream().allMatch(i -> i != null && i > 0),
        doc);
  }

  private static <E> java.util.List<E> readList(JsonNode v, Reader<E> element) {
    if (!v.isArray()) {
      return null;
    }
    java.util.List<E> values = new java.util.ArrayList<>();
    for (JsonNode e : v) {
      E value = e.isTextual() ? null : element.read(e);
      if (value == null) {
        return null;
      }
      values.add(value);
    }
    return java.util.List.copyOf(values);
  }

  private static JsonNode writeList(java.util.List<? extends Number> values) {
    com.fasterxml.jackson.databind.node.ArrayNode a = JSON.createArrayNode();
    for (Number n : values) {
      a.add(n instanceof Long l ? LongNode.valueOf(l) : DoubleNode.valueOf(n.doubleValue()));
    }
    return a;
  }

  /**
   * One of an enum's constants, named in lower case ({@code GLOROT_UNIFORM} is {@code
   * glorot_uniform}).
   */
  public static <E extends Enum<E>> Setting<E> choice(
      String key, Class<E> type, E defaultValue, String doc) {
    return choice(key, Arrays.asList(type.getEnumConstants()), defaultValue, doc);
  }

  /**
   * One of {@code constants}, named in lower case: the values of an enum that this setting takes
   * ({@code conv2d}'s padding is valid or same; {@code conv1d}'s may also be causal).
   */
  public static <E extends Enum<E>> Setting<E> choice(
      String key, java.util.List<E> constants, E defaultValue, String doc) {
    java.util.List<E> allowed = java.util.List.copyOf(constants);
    String names = allowed.stream().map(Setting::name).toList().toString();
    return of(
        key,
        defaultValue,
        "one of " + names,
        v -> {
          if (!v.isTextual()) {
            return null;
          }
          String wanted = v.asText().trim().toLowerCase(Locale.ROOT);
          return allowed.stream().filter(c -> name(c).equals(wanted)).findFirst().orElse(null);
        },
        v -> TextNode.valueOf(name(v)),
        allowed::contains,
        doc);
  }

  /** An enum constant's configuration name. */
  public static String name(Enum<?> constant) {
    return constant.name().toLowerCase(Locale.ROOT);
  }

  public String key() {
    return key;
  }

  /** The value when the key is absent ({@code null} for a required setting). */
  public T defaultValue() {
    return defaultValue;
  }

  public boolean required() {
    return required;
  }

  /** What a valid value is, e.g. {@code "a positive integer"}. */
  public String expectation() {
    return expectation;
  }

  public String doc() {
    return doc;
  }

  /** The key as a command-line option: {@code batch_size} is {@code --batch-size}. */
  public String optionName() {
    return "--" + key.replace('_', '-');
  }

  /** The key as a Java name: {@code batch_size} is {@code batchSize}. */
  public String javaName() {
    if (javaName != null) {
      return javaName;
    }
    StringBuilder s = new StringBuilder();
    boolean upper = false;
    for (char c : key.toCharArray()) {
      if (c == '_') {
        upper = true;
      } else {
        s.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return s.toString();
  }

  /** {@code value} as configuration. */
  public JsonNode toJson(T value) {
    return value == null
        ? com.fasterxml.jackson.databind.node.NullNode.getInstance()
        : writer.write(value);
  }

  /**
   * {@code value} as the README, messages and the command line show it: {@code 1e-7}, {@code all},
   * {@code glorot_uniform}, a mapping or list as JSON.
   */
  public String format(T value) {
    if (value == null) {
      return "";
    }
    JsonNode node = writer.write(value);
    if (node.isContainerNode()) {
      return node.toString();
    }
    return node.isFloatingPointNumber() ? formatNumber(node.asDouble()) : node.asText();
  }

  /** The default as the README shows it (empty for a required setting). */
  public String defaultText() {
    return shownDefault != null ? shownDefault : format(defaultValue);
  }

  /**
   * Returns {@code value} if it is allowed, else fails naming the key, what it takes and the value.
   */
  public T check(T value) {
    if (value == null && optional) {
      return null;
    }
    if (value == null || !check.test(value)) {
      throw new ConfigException(
          key
              + ": must be "
              + expectation
              + ", got "
              + (value == null ? "nothing" : format(value)));
    }
    return value;
  }

  /**
   * The value of this key in {@code parent} (a configuration mapping at {@code path}), checked; the
   * default when the key is absent or null.
   */
  public T read(JsonNode parent, String path) {
    JsonNode value = parent == null ? null : parent.get(key);
    String at = path == null || path.isEmpty() ? key : path + "." + key;
    if (value == null || value.isNull() || value.isMissingNode()) {
      if (required && !optional) {
        throw new ConfigException(at + ": missing (" + expectation + ")");
      }
      return defaultValue;
    }
    return convert(value, at);
  }

  /**
   * A configuration value (or a Java value: a number, a string, a boolean) as this setting's type,
   * checked.
   */
  public T convert(Object value, String at) {
    JsonNode node = value instanceof JsonNode n ? n : JSON.valueToTree(value);
    if (optional && (node == null || node.isNull())) {
      return null;
    }
    T parsed;
    try {
      parsed = reader.read(node);
    } catch (ConfigException e) {
      // A structured value (an initializer, a schedule, a list) names what is wrong inside it.
      String m = e.getMessage();
      throw new ConfigException(
          at + (m.startsWith(".") || m.startsWith(":") || m.startsWith("[") ? "" : ": ") + m);
    }
    if (parsed == null || !check.test(parsed)) {
      // asText: NaN as NaN (toString quotes it, as JSON has no NaN).
      String shown =
          node.isTextual()
              ? "'" + node.asText() + "'"
              : node.isNumber() ? node.asText() : node.toString();
      if (parsed == null && expectation.startsWith("one of ")) {
        throw new ConfigException(
            at
                + ": unknown "
                + key.replace('_', ' ')
                + " "
                + shown
                + " (expected "
                + expectation
                + ")");
      }
      throw new ConfigException(at + ": must be " + expectation + ", got " + shown);
    }
    return parsed;
  }

  @Override
  public String toString() {
    return key;
  }

  /** Numbers as a person writes them: {@code 0.001}, {@code 1e-7}, {@code 300}. */
  public static String formatNumber(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return String.valueOf((long) v);
    }
    return Double.toString(v).replace(".0E", "e").replace("E", "e");
  }

  private static Integer readInt(JsonNode v) {
    Long l = readLong(v);
    return l == null || l < Integer.MIN_VALUE || l > Integer.MAX_VALUE ? null : (int) (long) l;
  }

  private static Long readLong(JsonNode v) {
    if (v.isIntegralNumber()) {
      return v.canConvertToLong() ? v.asLong() : null;
    }
    if (v.isFloatingPointNumber()) {
      double d = v.asDouble();
      return d == Math.rint(d) && Math.abs(d) < 9e15 ? (long) d : null;
    }
    if (v.isTextual()) {
      try {
        return Long.parseLong(v.asText().trim());
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  private static Double readDouble(JsonNode v) {
    if (v.isNumber()) {
      return v.asDouble();
    }
    if (v.isTextual()) {
      try {
        return Double.parseDouble(v.asText().trim());
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }
}
