package org.sparkdp.ops;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The two files of a model directory: {@code model.json} (topology in Keras' vocabulary, compile
 * settings, training configuration, provenance and the SHA-256 of the weights) and {@code
 * weights.npz} (float32 arrays named {@code dense/kernel [in, out]}, {@code dense/bias [out]},
 * {@code dense_1/...}). Only bytes and streams here; where they are stored is the caller's
 * business.
 */
public final class ModelFile {
  public static final String MODEL_JSON = "model.json";
  public static final String WEIGHTS = "weights.npz";
  public static final String FORMAT = "sparkdp.model";
  public static final int FORMAT_VERSION = 1;

  // A key given twice in a model.json is refused, not read as its last value.
  static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final Setting<Integer> LABEL_WIDTH =
      Setting.integer("label_width", 1, 1, "floats per example's label");

  private ModelFile() {}

  /**
   * A model read back: what it is, how it was compiled, its label width and the whole {@code
   * model.json}.
   */
  public record Saved(
      ModelSpec spec, CompileConfig compile, int labelWidth, String weightsSha256, JsonNode json) {}

  /** The weight arrays of {@code params} in Keras' names and shapes. */
  public static Map<String, Npz.Array> weightArrays(ModelSpec spec, float[] params) {
    ParameterLayout layout = spec.layout();
    if (params.length != layout.size()) {
      throw new IllegalArgumentException(
          "expected " + layout.size() + " parameters, got " + params.length);
    }
    Map<String, Npz.Array> arrays = new LinkedHashMap<>();
    for (ParameterLayout.View v : layout.views()) {
      arrays.put(
          v.name(),
          new Npz.Array(
              v.shape().clone(),
              java.util.Arrays.copyOfRange(params, v.offset(), v.offset() + v.size())));
    }
    return arrays;
  }

  /** The shape every weight array of {@code spec} must have (nothing is allocated for them). */
  public static Map<String, int[]> weightShapes(ModelSpec spec) {
    Map<String, int[]> shapes = new LinkedHashMap<>();
    for (ParameterLayout.View v : spec.layout().views()) {
      shapes.put(v.name(), v.shape().clone());
    }
    return shapes;
  }

  /** {@code weights.npz} bytes for {@code params}. */
  public static byte[] weightsBytes(ModelSpec spec, float[] params) {
    return Npz.toBytes(weightArrays(spec, params));
  }

  /**
   * Reads weights in Keras' layout into a flat parameter vector, checking every name and shape
   * first.
   */
  public static float[] readWeights(ModelSpec spec, InputStream in, String source)
      throws IOException {
    Map<String, float[]> arrays = Npz.read(in, weightShapes(spec), source);
    ParameterLayout layout = spec.layout();
    float[] params = new float[layout.size()];
    for (ParameterLayout.View v : layout.views()) {
      float[] values = arrays.get(v.name());
      System.arraycopy(values, 0, params, v.offset(), values.length);
    }
    for (int i = 0; i < params.length; i++) {
      if (!Float.isFinite(params[i])) {
        throw new IOException(source + ": weight " + i + " is " + params[i]);
      }
    }
    return params;
  }

  /** Hex SHA-256 of {@code bytes}. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  /**
   * The {@code model.json} tree. {@code training} (fit settings) and {@code provenance} (who, on
   * what data, with which versions) are stored as given.
   */
  public static ObjectNode modelJson(
      ModelSpec spec,
      CompileConfig compile,
      int labelWidth,
      String weightsSha256,
      JsonNode training,
      JsonNode provenance) {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", FORMAT);
    root.put("format_version", FORMAT_VERSION);
    root.put("class_name", "Sequential");
    ObjectNode config = root.putObject("config");
    config.put("name", "sequential");
    ArrayNode layers = config.putArray("layers");
    java.util.List<String> names = spec.names();
    for (int l = 0; l < spec.layers().size(); l++) {
      Layer layer = spec.layers().get(l);
      ObjectNode node = layers.addObject();
      node.put("class_name", layer.className());
      ObjectNode c = node.putObject("config");
      c.put("name", names.get(l));
      c.setAll(layer.config());
      if (l > 0) {
        c.remove(Layer.INPUT_DIM.key());
      } else if (spec.inputShape().size() > 1) {
        c.remove(Layer.INPUT_DIM.key());
        c.set(Configs.INPUT_SHAPE.key(), JSON.valueToTree(spec.inputShape()));
      }
    }
    ObjectNode compileNode = root.putObject("compile_config");
    ObjectNode optimizer = compileNode.putObject("optimizer");
    optimizer.put("type", compile.optimizer().kerasName());
    optimizer.setAll(compile.optimizer().config());
    if (compile.loss() == Loss.HUBER) {
      ObjectNode loss = compileNode.putObject("loss");
      loss.put("type", compile.loss().kerasName());
      loss.put(Loss.DELTA.key(), compile.huberDelta());
    } else {
      compileNode.put("loss", compile.loss().kerasName());
    }
    compileNode.put("from_logits", compile.fromLogits());
    ArrayNode metrics = compileNode.putArray("metrics");
    compile.metrics().forEach(m -> metrics.add(m.toConfig()));
    root.put("label_width", labelWidth);
    ObjectNode weights = root.putObject("weights");
    weights.put("file", WEIGHTS);
    weights.put("sha256", weightsSha256);
    ObjectNode shapes = weights.putObject("shapes");
    weightShapes(spec)
        .forEach(
            (name, shape) -> {
              ArrayNode s = shapes.putArray(name);
              for (int d : shape) {
                s.add(d);
              }
            });
    root.set("training_config", training == null ? JSON.createObjectNode() : training);
    root.set("provenance", provenance == null ? JSON.createObjectNode() : provenance);
    return root;
  }

  /** Serialises a {@code model.json} tree. */
  public static byte[] toBytes(JsonNode json) {
    try {
      return JSON.writeValueAsBytes(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses {@code model.json}; {@code source} names the file in messages. */
  public static Saved parse(byte[] bytes, String source) throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(new String(bytes, StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw new IOException(source + ": not valid JSON (" + e.getOriginalMessage() + ")", e);
    }
    if (root == null || !root.isObject() || !FORMAT.equals(root.path("format").asText())) {
      throw new IOException(
          source + ": not a sparkdp model file (no \"format\": \"" + FORMAT + "\")");
    }
    if (root.path("format_version").asInt() > FORMAT_VERSION) {
      throw new IOException(
          source
              + ": format_version "
              + root.path("format_version").asInt()
              + " is newer than this sparkdp reads ("
              + FORMAT_VERSION
              + ")");
    }
    try {
      JsonNode layers = root.path("config").path("layers");
      java.util.List<JsonNode> configs = new java.util.ArrayList<>();
      layers.forEach(
          layer -> {
            String className = layer.path("class_name").asText();
            if (Layer.typeOfClass(className) == null) {
              throw new ConfigException(
                  "config.layers: unknown layer class '"
                      + className
                      + "' (supported: "
                      + String.join(", ", Layer.classNames())
                      + ")");
            }
            ObjectNode c =
                layer.path("config").isObject()
                    ? ((ObjectNode) layer.path("config")).deepCopy()
                    : JSON.createObjectNode();
            c.put("class_name", className);
            configs.add(c);
          });
      ModelSpec spec = Configs.model(JSON.valueToTree(configs), "config.layers");
      CompileConfig compile = Configs.compile(root.path("compile_config"), "compile_config");
      int labelWidth = LABEL_WIDTH.read(root, "");
      String sha = root.path("weights").path("sha256").asText("");
      // Fails here, before any weights are read, if the shapes recorded disagree with the topology.
      Map<String, int[]> expected = weightShapes(spec);
      JsonNode recorded = root.path("weights").path("shapes");
      if (!recorded.isMissingNode()) {
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
          int[] r = JSON.convertValue(recorded.path(e.getKey()), int[].class);
          if (r == null || !java.util.Arrays.equals(r, e.getValue())) {
            throw new ConfigException(
                "weights.shapes."
                    + e.getKey()
                    + " is "
                    + recorded.path(e.getKey())
                    + " but the layers need "
                    + java.util.Arrays.toString(e.getValue()));
          }
        }
      }
      return new Saved(spec, compile, labelWidth, sha, root);
    } catch (IllegalArgumentException e) {
      throw new IOException(source + ": " + e.getMessage(), e);
    }
  }
}
