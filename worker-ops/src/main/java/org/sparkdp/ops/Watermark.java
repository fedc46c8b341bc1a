package org.sparkdp.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;
import java.util.Set;

/**
 * The settings of an ownership watermark (Uchida et al., "Embedding Watermarks into Deep Neural
 * Networks", 2017): which key derives the secret projection and bit string, how many bits, which
 * layer's kernel carries them, and how strongly the embedding loss pulls. The bound form, which
 * computes, is {@link WatermarkEmbedding}.
 *
 * @param key the owner's private key file (PEM, from {@code bin/sparkdp keygen}); never copied
 * @param bits the length of the owner's bit string
 * @param layer the layer whose kernel carries the mark, counted from 0
 * @param strength the weight (lambda) of the embedding loss in the training loss
 */
public record Watermark(String key, int bits, int layer, double strength) implements Serializable {
  public static final Setting<String> KEY =
      Setting.text(
          "key",
          null,
          "the owner's private key (a PEM file of `bin/sparkdp keygen`), from which the secret"
              + " projection and bit string are derived");
  public static final Setting<Integer> BITS =
      Setting.integer(
          "bits", 64, 1, 1024, "the bit string's length; at most the layer's input width");
  public static final Setting<Integer> LAYER =
      Setting.integer("layer", 0, 0, "the layer whose kernel carries the bits, counted from 0");
  public static final Setting<Double> STRENGTH =
      Setting.positive(
          "strength",
          0.01,
          "lambda: the weight of the embedding loss (the bits' summed binary crossentropy) in"
              + " the training loss");
  public static final RecordSettings<Watermark> SETTINGS =
      RecordSettings.of(Watermark.class, KEY, BITS, LAYER, STRENGTH);

  public Watermark {
    KEY.check(key);
    BITS.check(bits);
    LAYER.check(layer);
    STRENGTH.check(strength);
  }

  /** A watermark of {@code bits} bits on the first layer's kernel, with the default strength. */
  public static Watermark of(String key, int bits) {
    return new Watermark(key, bits, LAYER.defaultValue(), STRENGTH.defaultValue());
  }

  /**
   * From configuration: a mapping {@code {key: owner.key, bits: 64, layer: 0, strength: 0.01}}, or
   * (as the command line gives it) the text {@code owner.key} or {@code
   * key=owner.key,bits=64,layer=0,strength=0.01}. {@code null} when the value is neither.
   *
   * @throws ConfigException naming the key at fault ({@code watermark.bits: ...})
   */
  public static Watermark fromConfig(JsonNode value) {
    if (value.isObject()) {
      return SETTINGS.read(value, "watermark", Set.of());
    }
    if (!value.isTextual() || value.asText().isBlank()) {
      return null;
    }
    String text = value.asText().trim();
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    if (!text.contains("=")) {
      node.put(KEY.key(), text);
    } else {
      for (String part : text.split(",")) {
        int eq = part.indexOf('=');
        if (eq <= 0) {
          throw new ConfigException(
              "watermark: expected key=FILE,bits=N,layer=N,strength=X, got '" + part + "'");
        }
        node.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
      }
    }
    return SETTINGS.read(node, "watermark", Set.of());
  }

  /** The settings as configuration; {@code null} (no watermark) is JSON's {@code null}. */
  public static JsonNode toConfig(Watermark value) {
    return value == null ? NullNode.getInstance() : SETTINGS.toJson(value);
  }
}
