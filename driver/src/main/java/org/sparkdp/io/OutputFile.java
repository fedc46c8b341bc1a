package org.sparkdp.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.sparkdp.ops.ConfigException;

/**
 * The kinds of single files that commands write, and the one rule for replacing one: a file that
 * exists is replaced only if it is recognisably an earlier file of the same kind (a cheap look at
 * its first bytes or its structure), or with {@code --overwrite}. Anything else (a data file given
 * as {@code --output} by mistake) is refused with one line and left as it was. Key files are never
 * replaced without {@code --overwrite}: losing a private key is losing the ownership of its models.
 */
public enum OutputFile {
  /** {@code export --format onnx}: a protobuf {@code ModelProto}, {@code ir_version} first. */
  ONNX("an ONNX model", true),
  /** {@code export --format keras}: a zip archive with {@code config.json} and the weights. */
  KERAS("a .keras model", true),
  /** {@code evaluate --output}: a JSON object of metrics (and a confusion matrix). */
  METRICS_JSON("a metrics JSON file written by evaluate", true),
  /** {@code evaluate --plot}: a PNG image. */
  PNG("a PNG image", true),
  /** {@code bench --json}: one JSON object of figures under snake_case keys. */
  BENCH_JSON("a figures file written by bench", true),
  /** {@code sign}: the manifest of a model directory. */
  MANIFEST("a sparkdp manifest", true),
  /** {@code sign}: the manifest's signature, one line of base64. */
  MANIFEST_SIGNATURE("a manifest signature", true),
  /** {@code keygen}: a PKCS#8 PEM private key. */
  PRIVATE_KEY("a private key", false),
  /** {@code keygen}: an X.509 PEM public key. */
  PUBLIC_KEY("a public key", false);

  /** The most bytes read to recognise a JSON file. */
  private static final long MAX_JSON_BYTES = 64L << 20;

  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String description;
  private final boolean replacedFreely;

  OutputFile(String description, boolean replacedFreely) {
    this.description = description;
    this.replacedFreely = replacedFreely;
  }

  /**
   * Refuses, leaving it as it is, an existing {@code path} that this kind may not replace: one that
   * is not an earlier file of this kind (or is a key, or a directory) unless {@code overwrite}.
   * {@code what} names the file as the user gave it ({@code --output notes.csv}).
   *
   * @throws ConfigException naming the file and {@code --overwrite}
   */
  public void checkReplaceable(String path, String what, boolean overwrite, Configuration conf)
      throws IOException {
    Path p = HadoopFiles.path(path);
    FileStatus status;
    try {
      status = p.getFileSystem(HadoopFiles.withRawLocal(conf)).getFileStatus(p);
    } catch (java.io.FileNotFoundException e) {
      return;
    }
    if (status.isDirectory()) {
      throw new ConfigException(what + ": is a directory; give the name of a file");
    }
    if (overwrite) {
      return;
    }
    if (!replacedFreely) {
      throw new ConfigException(
          what
              + ": exists; "
              + description
              + " is never replaced unless --overwrite is given (keep the old one elsewhere first)");
    }
    if (!recognises(path, conf)) {
      throw new ConfigException(
          what
              + ": exists and is not "
              + description
              + "; not replaced (choose another name, or give --overwrite to replace it)");
    }
  }

  /**
   * Writes {@code bytes} to {@code path} through a temporary file and an atomic rename, after
   * {@link #checkReplaceable}.
   */
  public void write(String path, String what, boolean overwrite, byte[] bytes, Configuration conf)
      throws IOException {
    checkReplaceable(path, what, overwrite, conf);
    HadoopFiles.writeAtomically(path, bytes, conf);
  }

  /** Whether the file {@code path} looks like one that this kind writes. */
  boolean recognises(String path, Configuration conf) throws IOException {
    Path p = HadoopFiles.path(path);
    try (InputStream in = p.getFileSystem(HadoopFiles.withRawLocal(conf)).open(p)) {
      return switch (this) {
        case ONNX -> onnx(in.readNBytes(3));
        case KERAS -> keras(in);
        case METRICS_JSON -> metrics(json(in));
        case BENCH_JSON -> figures(json(in));
        case PNG -> java.util.Arrays.equals(in.readNBytes(PNG_SIGNATURE.length), PNG_SIGNATURE);
        case MANIFEST -> {
          JsonNode root = json(in);
          yield root != null && Manifest.FORMAT.equals(root.path("format").asText());
        }
        case MANIFEST_SIGNATURE -> {
          String text = new String(in.readNBytes(4096), StandardCharsets.US_ASCII);
          yield text.matches("[A-Za-z0-9+/=]+\n?");
        }
        case PRIVATE_KEY -> startsWith(in, "-----BEGIN PRIVATE KEY-----");
        case PUBLIC_KEY -> startsWith(in, "-----BEGIN PUBLIC KEY-----");
      };
    }
  }

  /**
   * A {@code ModelProto} as every ONNX writer serialises it: field 1 ({@code ir_version}, a small
   * varint) first, then the key of another of its fields (number 2 to 20, varint or bytes).
   */
  private static boolean onnx(byte[] head) {
    if (head.length < 3 || head[0] != 0x08 || head[1] < 1) {
      return false;
    }
    int field = (head[2] & 0xff) >> 3;
    int wire = head[2] & 7;
    return field >= 2 && field <= 20 && (wire == 0 || wire == 2);
  }

  /** A zip archive that holds {@code config.json} and {@code model.weights.h5}, as Keras 3's. */
  private static boolean keras(InputStream in) throws IOException {
    boolean config = false;
    boolean weights = false;
    try (ZipInputStream zip = new ZipInputStream(in)) {
      for (ZipEntry e = zip.getNextEntry(); e != null && !(config && weights); ) {
        config |= e.getName().equals("config.json");
        weights |= e.getName().equals("model.weights.h5");
        e = zip.getNextEntry();
      }
    } catch (IOException | IllegalArgumentException e) {
      return false;
    }
    return config && weights;
  }

  /** An object of numbers, and at most a {@code confusion_matrix} array: what evaluate writes. */
  private static boolean metrics(JsonNode root) {
    if (root == null || !root.isObject() || root.isEmpty()) {
      return false;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      boolean ok =
          field.getKey().equals("confusion_matrix")
              ? field.getValue().isArray()
              : field.getValue().isNumber();
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** An object of numbers, texts and nulls under snake_case keys: what bench writes. */
  private static boolean figures(JsonNode root) {
    if (root == null || !root.isObject() || root.isEmpty()) {
      return false;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      JsonNode v = field.getValue();
      if (!field.getKey().matches("[a-z0-9_]+") || !(v.isNumber() || v.isTextual() || v.isNull())) {
        return false;
      }
    }
    return true;
  }

  /** The JSON value of a file up to {@link #MAX_JSON_BYTES}, else {@code null}. */
  private static JsonNode json(InputStream in) throws IOException {
    byte[] bytes = in.readNBytes((int) MAX_JSON_BYTES + 1);
    if (bytes.length > MAX_JSON_BYTES) {
      return null;
    }
    try {
      return JSON.readTree(bytes);
    } catch (IOException e) {
      return null;
    }
  }

  private static boolean startsWith(InputStream in, String text) throws IOException {
    byte[] expected = text.getBytes(StandardCharsets.US_ASCII);
    return java.util.Arrays.equals(in.readNBytes(expected.length), expected);
  }
}
