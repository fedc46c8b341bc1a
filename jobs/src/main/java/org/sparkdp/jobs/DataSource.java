package org.sparkdp.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.Configs;

/**
 * Where a data set is and how to read it: a file that sparkdp reads and checks itself ({@code idx},
 * {@code csv}, {@code libsvm}, {@code parquet}), or anything Spark reads: a source by its format
 * ({@code delta}, {@code orc}, {@code json}, {@code jdbc}, ...), a table of Spark's catalog, or a
 * SQL query.
 *
 * @param format {@code idx}, {@code csv}, {@code libsvm}, {@code parquet}, {@link #TABLE}, {@link
 *     #QUERY} or the name of any other Spark data source
 * @param path the file or directory ({@code csv}, {@code libsvm}, {@code parquet}, a Spark source's
 *     path, which some sources, e.g. {@code jdbc}, do without)
 * @param images the IDX image file ({@code idx})
 * @param labels the IDX label file ({@code idx})
 * @param labelColumn the label column (default {@code label})
 * @param featureColumns the feature columns: empty means every column but the label for CSV, the
 *     column {@code features} for Parquet
 * @param scale divide IDX pixels by 255 (default true)
 * @param table the catalog's table ({@link #TABLE}), e.g. {@code catalog.db.events}
 * @param query the SQL query ({@link #QUERY})
 * @param options the options of Spark's reader, e.g. Delta's {@code versionAsOf}
 */
public record DataSource(
    String format,
    String path,
    String images,
    String labels,
    String labelColumn,
    List<String> featureColumns,
    boolean scale,
    String table,
    String query,
    Map<String, String> options) {

  /** The format of a table of Spark's catalog. */
  public static final String TABLE = "table";

  /** The format of a SQL query's result. */
  public static final String QUERY = "query";

  /** The files that sparkdp reads and checks itself, row by row. */
  static final Set<String> OWN_FORMATS = Set.of("idx", "csv", "libsvm", "parquet");

  /**
   * Spark sources whose path is a file or directory, which is checked before Spark starts; other
   * sources' paths (an Iceberg table's name, a Kafka topic) are Spark's to judge.
   */
  private static final Set<String> FILE_FORMATS =
      Set.of("delta", "orc", "json", "avro", "xml", "hudi", "text", "binaryfile");

  /**
   * The Spark sources that a command-line path may name as {@code FORMAT:PATH}: not {@code hdfs:},
   * {@code s3a:} or any other file system's scheme.
   */
  private static final Set<String> PREFIXES =
      Set.of("delta", "orc", "json", "avro", "xml", "hudi", "iceberg");

  private static final Set<String> KEYS =
      Set.of(
          "format",
          "path",
          "images",
          "labels",
          "label_column",
          "features",
          "scale",
          "table",
          "query",
          "options");

  /** Spark's default {@code spark.redaction.regex}: options that hold secrets, by name or value. */
  private static final java.util.regex.Pattern SECRET =
      java.util.regex.Pattern.compile("(?i)secret|password|token|access[.]?key");

  /** What a secret option's value is recorded as (Spark's own replacement text). */
  static final String REDACTED = "*********(redacted)";

  /** Whether an option holds a secret, which no model or log may record. */
  static boolean secret(String name, String value) {
    return SECRET.matcher(name).find() || SECRET.matcher(value).find();
  }

  /** The options as a model may record them: secrets replaced by {@link #REDACTED}. */
  Map<String, String> recordedOptions() {
    Map<String, String> out = new LinkedHashMap<>();
    options.forEach((k, v) -> out.put(k, secret(k, v) ? REDACTED : v));
    return out;
  }

  public DataSource {
    featureColumns = List.copyOf(featureColumns);
    options =
        options == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
  }

  /** A file source (no table, query or options). */
  public DataSource(
      String format,
      String path,
      String images,
      String labels,
      String labelColumn,
      List<String> featureColumns,
      boolean scale) {
    this(format, path, images, labels, labelColumn, featureColumns, scale, null, null, Map.of());
  }

  /** Whether Spark reads this data (a source, table or query), not sparkdp's own readers. */
  public boolean spark() {
    return !OWN_FORMATS.contains(format);
  }

  /**
   * How messages name this data, e.g. {@code train data (/data/train.csv)}, {@code train data
   * (table db.events)}, {@code train data (delta /data/events)}.
   */
  public String describe(String role) {
    String what =
        switch (format) {
          case "idx" -> images;
          case "csv", "libsvm", "parquet" -> path;
          case TABLE -> "table " + table;
          case QUERY -> "query " + (query.length() > 60 ? query.substring(0, 57) + "..." : query);
          default -> format + (path == null ? "" : " " + path);
        };
    return role + " data (" + what.strip().replaceAll("\\s+", " ") + ")";
  }

  /** Every file this source reads (none for tables, queries and sources other than files). */
  public List<String> files() {
    if (format.equals("idx")) {
      return List.of(images, labels);
    }
    return path != null && (OWN_FORMATS.contains(format) || FILE_FORMATS.contains(format))
        ? List.of(path)
        : List.of();
  }

  /**
   * Writes where this data is into a job file's data node (replacing what said where it was there,
   * keeping its label column and features).
   */
  void writeTo(ObjectNode node) {
    node.remove(List.of("format", "path", "images", "labels", "table", "query", "options"));
    switch (format) {
      case TABLE -> node.put("table", table);
      case QUERY -> node.put("query", query);
      case "idx" -> node.put("format", format).put("images", images).put("labels", labels);
      default -> {
        node.put("format", format);
        if (path != null) {
          node.put("path", path);
        }
      }
    }
    if (!options.isEmpty()) {
      ObjectNode o = node.putObject("options");
      options.forEach(o::put);
    }
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
    String table = node.has("table") ? Configs.text(node, "table", key).strip() : null;
    String query = node.has("query") ? Configs.text(node, "query", key).strip() : null;
    Map<String, String> options = options(node.get("options"), key + ".options");
    List<String> where = new ArrayList<>();
    for (String k : List.of("path", "table", "query", "images")) {
      if (node.has(k)) {
        where.add(k);
      }
    }
    if (where.size() > 1) {
      throw new ConfigException(
          key + ": give one of path, table, query (or images and labels), not " + where);
    }
    if (table != null || query != null) {
      String what = table != null ? "table" : "query";
      if (format != null) {
        throw new ConfigException(
            key
                + ".format: a "
                + what
                + " has its own format (the catalog's); drop format, or give format and path");
      }
      if (table != null && table.isEmpty() || query != null && query.isEmpty()) {
        throw new ConfigException(key + "." + what + ": empty");
      }
      if (query != null && !options.isEmpty()) {
        throw new ConfigException(
            key + ".options: a query takes none (say it in the SQL, e.g. VERSION AS OF 3)");
      }
      format = table != null ? TABLE : QUERY;
    }
    if (format == null) {
      if (path == null) {
        throw new ConfigException(
            key + ": give format and path, a table, a query (or images and labels for idx)");
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
        if (!options.isEmpty() && !format.equals("parquet")) {
          throw new ConfigException(
              key
                  + ".options: sparkdp reads "
                  + format
                  + " itself and takes no reader options (they are for Spark's sources: delta,"
                  + " orc, json, jdbc, ...)");
        }
        return new DataSource(
            format, path, null, null, label, features, scale, null, null, options);
      }
      case TABLE, QUERY -> {
        return new DataSource(
            format, null, null, null, label, features, scale, table, query, options);
      }
      default -> {
        if (!format.matches("[a-z0-9_.\\-]+")) {
          throw new ConfigException(
              key + ".format: '" + format + "' is not the name of a Spark data source");
        }
        if (path == null && FILE_FORMATS.contains(format)) {
          throw new ConfigException(key + ".path: missing (the " + format + " table or files)");
        }
        return new DataSource(
            format, path, null, null, label, features, scale, null, null, options);
      }
    }
  }

  /** A data section's {@code options}: a mapping of names to values (numbers and booleans too). */
  private static Map<String, String> options(JsonNode node, String key) {
    Map<String, String> options = new LinkedHashMap<>();
    if (node == null || node.isNull()) {
      return options;
    }
    Configs.requireObject(node, key);
    node.fields()
        .forEachRemaining(
            e -> {
              if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                throw new ConfigException(
                    key + "." + e.getKey() + ": expected a value (text, number or true/false)");
              }
              options.put(e.getKey(), e.getValue().asText());
            });
    return options;
  }

  /**
   * From a path on the command line: the format follows the name ({@code .csv}, {@code .parquet},
   * {@code .libsvm}/{@code .svm}/{@code .txt}); {@code idx:IMAGES,LABELS} or an image file whose
   * name contains {@code images-idx3} (the labels file named like it, {@code labels-idx1}) is IDX.
   * Spark reads {@code table:NAME}, {@code query:SQL} and {@code FORMAT:PATH} for the sources of
   * {@link #PREFIXES} ({@code delta:/data/events}); a table's or source's reader options follow a
   * {@code ?}, as in a URL: {@code delta:/data/events?versionAsOf=3}.
   */
  public static DataSource fromPath(String text, String key) {
    String path = text.trim();
    String lower = path.toLowerCase(Locale.ROOT);
    int colon = path.indexOf(':');
    String prefix = colon > 0 ? lower.substring(0, colon) : "";
    if (prefix.equals(QUERY)) {
      String sql = path.substring(colon + 1).strip();
      if (sql.isEmpty()) {
        throw new ConfigException(key + ": query: needs the SQL, e.g. 'query:SELECT * FROM t'");
      }
      return new DataSource(QUERY, null, null, null, "label", List.of(), true, null, sql, Map.of());
    }
    if (prefix.equals(TABLE) || PREFIXES.contains(prefix)) {
      String rest = path.substring(colon + 1).strip();
      Map<String, String> options = new LinkedHashMap<>();
      int mark = rest.indexOf('?');
      if (mark >= 0) {
        for (String pair : rest.substring(mark + 1).split("&")) {
          int eq = pair.indexOf('=');
          if (eq <= 0) {
            throw new ConfigException(
                key
                    + ": expected NAME=VALUE options after '?', got '"
                    + pair
                    + "' in '"
                    + text
                    + "'");
          }
          options.put(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
        }
        rest = rest.substring(0, mark).strip();
      }
      if (rest.isEmpty()) {
        throw new ConfigException(
            key
                + ": "
                + prefix
                + ": needs "
                + (prefix.equals(TABLE) ? "a table's name" : "a path"));
      }
      return prefix.equals(TABLE)
          ? new DataSource(TABLE, null, null, null, "label", List.of(), true, rest, null, options)
          : new DataSource(prefix, rest, null, null, "label", List.of(), true, null, null, options);
    }
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
              + "' from its name (use .csv, .parquet, .libsvm, idx:IMAGES,LABELS, FORMAT:PATH"
              + " such as delta:/data/events, table:NAME, query:SQL, or a data section in the"
              + " configuration)");
    }
    return new DataSource(format, path, null, null, "label", List.of(), true);
  }

  private static String decode(String text) {
    return URLDecoder.decode(text, StandardCharsets.UTF_8);
  }
}
