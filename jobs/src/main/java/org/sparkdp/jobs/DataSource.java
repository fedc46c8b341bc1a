package org.sparkdp.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.Configs;

/**
 * Where a data set is and how to read it.
 *
 * @param format {@code idx}, {@code csv}, {@code libsvm} or {@code parquet}
 * @param path the file or directory ({@code csv}, {@code libsvm}, {@code parquet})
 * @param images the IDX image file ({@code idx})
 * @param labels the IDX label file ({@code idx})
 * @param labelColumn the label column (default {@code label})
 * @param featureColumns the feature columns: empty means every column but the label for CSV, the
 *     column {@code features} for Parquet
 * @param scale divide IDX pixels by 255 (default true)
 */
public record DataSource(
    String format,
    String path,
    String images,
    String labels,
    String labelColumn,
    List<String> featureColumns,
    boolean scale) {

  private static final Set<String> KEYS =
      Set.of("format", "path", "images", "labels", "label_column", "features", "scale");

  /** How messages name this data, e.g. {@code train data (/data/train.csv)}. */
  public String describe(String role) {
    return role + " data (" + (format.equals("idx") ? images : path) + ")";
  }

  /** Every file this source reads. */
  public List<String> files() {
    return format.equals("idx") ? List.of(images, labels) : List.of(path);
  }

  /** From a configuration node such as {@code {format: csv, path: x.csv, label_column: y}}. */
  static DataSource fromNode(JsonNode node, String key) {
    if (node.isTextual()) {
      return fromPath(node.asText(), key);
    }
    Configs.requireObject(node, key);
    Configs.checkKeys(node, key, KEYS);
    String format =
        node.has("format") ? Configs.text(node, "format", key).toLowerCase(Locale.ROOT) : null;
    String path = node.has("path") ? Configs.text(node, "path", key) : null;
    if (format == null) {
      if (path == null) {
        throw new ConfigException(key + ": give format and path (or images and labels for idx)");
      }
      format = fromPath(path, key).format();
    }
    List<String> features = new ArrayList<>();
    JsonNode f = node.get("features");
    if (f != null) {
      if (f.isTextual()) {
        features.add(f.asText());
      } else if (f.isArray()) {
        f.forEach(c -> features.add(c.asText()));
      } else {
        throw new ConfigException(key + ".features: expected a column name or a list of them");
      }
    }
    String label = node.has("label_column") ? Configs.text(node, "label_column", key) : "label";
    boolean scale = Configs.bool(node, "scale", key, true);
    switch (format) {
      case "idx" -> {
        String images = node.has("images") ? Configs.text(node, "images", key) : null;
        String labels = node.has("labels") ? Configs.text(node, "labels", key) : null;
        if (images == null && path != null) {
          return fromPath(path, key);
        }
        if (images == null || labels == null) {
          throw new ConfigException(
              key + ": format idx needs images and labels (the two IDX files)");
        }
        return new DataSource("idx", null, images, labels, label, features, scale);
      }
      case "csv", "libsvm", "parquet" -> {
        if (path == null) {
          throw new ConfigException(key + ".path: missing (the " + format + " file or directory)");
        }
        return new DataSource(format, path, null, null, label, features, scale);
      }
      default ->
          throw new ConfigException(
              key
                  + ".format: unknown format '"
                  + format
                  + "' (supported: idx, csv, libsvm, parquet)");
    }
  }

  /**
   * From a path on the command line: the format follows the name ({@code .csv}, {@code .parquet},
   * {@code .libsvm}/{@code .svm}/{@code .txt}); {@code idx:IMAGES,LABELS} or an image file whose
   * name contains {@code images-idx3} (the labels file named like it, {@code labels-idx1}) is IDX.
   */
  public static DataSource fromPath(String text, String key) {
    String path = text.trim();
    String lower = path.toLowerCase(Locale.ROOT);
    if (lower.startsWith("idx:")) {
      String[] parts = path.substring(4).split(",");
      if (parts.length != 2) {
        throw new ConfigException(key + ": expected idx:IMAGES,LABELS, got '" + text + "'");
      }
      return new DataSource(
          "idx", null, parts[0].trim(), parts[1].trim(), "label", List.of(), true);
    }
    if (lower.contains("images-idx3")) {
      String labels =
          path.substring(0, lower.lastIndexOf("images-idx3"))
              + "labels-idx1"
              + path.substring(lower.lastIndexOf("images-idx3") + "images-idx3".length());
      return new DataSource("idx", null, path, labels, "label", List.of(), true);
    }
    String name = lower.endsWith("/") ? lower.substring(0, lower.length() - 1) : lower;
    String format;
    if (name.endsWith(".csv") || name.endsWith(".csv.gz")) {
      format = "csv";
    } else if (name.endsWith(".parquet")) {
      format = "parquet";
    } else if (name.endsWith(".libsvm") || name.endsWith(".svm") || name.endsWith(".txt")) {
      format = "libsvm";
    } else {
      throw new ConfigException(
          key
              + ": cannot tell the format of '"
              + text
              + "' from its name (use .csv, "
              + ".parquet, .libsvm, idx:IMAGES,LABELS, or a data section in the configuration)");
    }
    return new DataSource(format, path, null, null, "label", List.of(), true);
  }
}
