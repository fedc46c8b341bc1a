package org.sparkdp.io;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.sparkdp.ops.Blas;
import org.sparkdp.ops.ModelFile;

/**
 * What a model records about how it was made: who made it and when, the versions of sparkdp, Spark
 * and Java, the BLAS in use, the Spark master, the code (the SHA-256 of sparkdp's jars), the data
 * it saw (rows and order-independent fingerprints), what it continues from (a checkpoint, an
 * earlier model, initial weights), the final metrics, the job that ran it (arguments, resolved
 * configuration and its SHA-256), free {@code metadata} (owner, license, ...) and, with
 * differential privacy, the privacy its training spent. Stored as {@code provenance} in {@code
 * model.json}, with snake_case keys, and signed with the model's manifest ({@link Manifest}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Provenance(
    String createdAt,
    String createdBy,
    Platform platform,
    Code code,
    Data data,
    List<Predecessor> predecessors,
    Map<String, Double> finalMetrics,
    Job job,
    JsonNode metadata,
    JsonNode privacy) {

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** The software and machine that trained the model. */
  public record Platform(
      String sparkdpVersion,
      String sparkVersion,
      String javaVersion,
      String os,
      String blas,
      String sparkMaster) {}

  /**
   * The code that trained the model: sparkdp's version and each jar its classes came from, by name
   * and SHA-256 (one jar when the application jar runs; a classes directory has no hash).
   */
  public record Code(String version, List<Jar> jars) {}

  /** A jar (or classes directory) of sparkdp's code. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Jar(String name, String sha256) {}

  /**
   * What a model continues from: the checkpoint a {@code --resume} started at, the model that was
   * in the output directory before it, or the weights a run started from ({@code init_weights}).
   *
   * @param kind {@code checkpoint}, {@code model} or {@code weights}
   * @param path where it was
   * @param sha256 each of its files' SHA-256, by file name; for a checkpoint also {@code weights},
   *     the SHA-256 that a {@code weights.npz} of its parameters has (as the model written at that
   *     checkpoint has)
   * @param epoch for a checkpoint, the epoch of its position (counted from 0, as in its name)
   * @param step for a checkpoint, the step of its position within that epoch (from 0)
   * @param createdAt for a model, when it was made
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Predecessor(
      String kind,
      String path,
      Map<String, String> sha256,
      Integer epoch,
      Integer step,
      String createdAt) {}

  /** The data a model was trained and validated on. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Data(DataSet train, DataSet validation) {}

  /**
   * One data set as trained on.
   *
   * @param name how messages named it, e.g. {@code train data (/data/train.csv)}
   * @param rows rows trained (or validated) on
   * @param validationRows rows of a {@code validation_split} taken from it, or {@code null}
   * @param partitions the partitions it was packed in
   * @param fingerprint the order-independent hash of every row's id, features and label, in hex
   * @param source where Spark read it from, for data that Spark read (a table, a query, a Delta or
   *     other source), or {@code null} for the files sparkdp reads itself (named by {@code name})
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record DataSet(
      String name,
      long rows,
      Long validationRows,
      Integer partitions,
      String fingerprint,
      Source source) {

    @com.fasterxml.jackson.annotation.JsonCreator
    public DataSet {}

    /** A data set read from files, which its name names. */
    public DataSet(
        String name, long rows, Long validationRows, Integer partitions, String fingerprint) {
      this(name, rows, validationRows, partitions, fingerprint, null);
    }

    public DataSet withSource(Source value) {
      return new DataSet(name, rows, validationRows, partitions, fingerprint, value);
    }
  }

  /**
   * Where Spark read a data set from, so that a model says which table, and which version of it, it
   * learnt from.
   *
   * @param format the source's format ({@code delta}, {@code jdbc}, ...), {@code table} or {@code
   *     query}
   * @param path the source's path, if it has one
   * @param table the catalog's table
   * @param query the SQL
   * @param options the reader's options as given (e.g. {@code versionAsOf}, {@code timestampAsOf}),
   *     secrets redacted
   * @param versions each versioned table the data came from, at the version that was read (a Delta
   *     table's snapshot), given or not
   */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record Source(
      String format,
      String path,
      String table,
      String query,
      Map<String, String> options,
      List<TableVersion> versions) {}

  /**
   * A versioned table at the version read.
   *
   * @param format the table's format ({@code delta})
   * @param location where its files are
   * @param version the version (a Delta table's snapshot version)
   */
  public record TableVersion(String format, String location, long version) {}

  /** The command that trained the model: its arguments and the configuration they resolved to. */
  public record Job(String command, List<String> arguments, JsonNode config, String configSha256) {}

  /** A new record for a model just trained on {@code data}, ending with {@code finalMetrics}. */
  public static Provenance of(
      String sparkVersion, String sparkMaster, Data data, Map<String, Double> finalMetrics) {
    Platform platform =
        new Platform(
            version(),
            sparkVersion,
            System.getProperty("java.version"),
            System.getProperty("os.name") + " " + System.getProperty("os.arch"),
            Blas.implementation(),
            sparkMaster);
    return new Provenance(
        Instant.now().toString(),
        System.getProperty("user.name"),
        platform,
        code(Provenance.class, ModelFile.class),
        data,
        null,
        Collections.unmodifiableMap(new LinkedHashMap<>(finalMetrics)),
        null,
        null,
        null);
  }

  /** No provenance (a model built in code and never fitted). */
  public static Provenance none() {
    return new Provenance(null, null, null, null, null, null, null, null, null, null);
  }

  public Provenance withJob(Job value) {
    return new Provenance(
        createdAt,
        createdBy,
        platform,
        code,
        data,
        predecessors,
        finalMetrics,
        value,
        metadata,
        privacy);
  }

  public Provenance withMetadata(JsonNode value) {
    return new Provenance(
        createdAt,
        createdBy,
        platform,
        code,
        data,
        predecessors,
        finalMetrics,
        job,
        value,
        privacy);
  }

  /** The code of these classes (the jobs' entry point adds its own jar). */
  public Provenance withCode(Class<?>... classes) {
    return new Provenance(
        createdAt,
        createdBy,
        platform,
        code(classes),
        data,
        predecessors,
        finalMetrics,
        job,
        metadata,
        privacy);
  }

  /** The predecessors, newest first; an empty list is none. */
  public Provenance withPredecessors(List<Predecessor> value) {
    return new Provenance(
        createdAt,
        createdBy,
        platform,
        code,
        data,
        value.isEmpty() ? null : List.copyOf(value),
        finalMetrics,
        job,
        metadata,
        privacy);
  }

  /** The data sets with where Spark read them from ({@code null}: files, or no such data set). */
  public Provenance withSources(Source train, Source validation) {
    Data withSources =
        data == null
            ? null
            : new Data(
                data.train() == null || train == null
                    ? data.train()
                    : data.train().withSource(train),
                data.validation() == null || validation == null
                    ? data.validation()
                    : data.validation().withSource(validation));
    return new Provenance(
        createdAt,
        createdBy,
        platform,
        code,
        withSources,
        predecessors,
        finalMetrics,
        job,
        metadata,
        privacy);
  }

  /**
   * The privacy the model's training spent, with differential privacy: {@code {epsilon, delta,
   * noise_multiplier, l2_norm_clip, sample_rate, steps, accountant, ...}}.
   */
  public Provenance withPrivacy(JsonNode value) {
    return new Provenance(
        createdAt,
        createdBy,
        platform,
        code,
        data,
        predecessors,
        finalMetrics,
        job,
        metadata,
        value);
  }

  /** The final metrics with {@code test_}-prefixed entries for metrics on test data. */
  public Provenance withTestMetrics(Map<String, Double> test) {
    Map<String, Double> all = new LinkedHashMap<>(finalMetrics == null ? Map.of() : finalMetrics);
    test.forEach((k, v) -> all.put("test_" + k, v));
    return new Provenance(
        createdAt, createdBy, platform, code, data, predecessors, all, job, metadata, privacy);
  }

  /**
   * The code of sparkdp's {@code classes}: its version and the jars they were loaded from, each
   * once, with their SHA-256 (hashed once per JVM).
   */
  public static Code code(Class<?>... classes) {
    Map<String, Jar> jars = new LinkedHashMap<>();
    for (Class<?> c : classes) {
      java.security.CodeSource source = c.getProtectionDomain().getCodeSource();
      if (source == null || source.getLocation() == null) {
        continue;
      }
      String location = source.getLocation().toString();
      jars.computeIfAbsent(location, l -> JAR_HASHES.computeIfAbsent(l, Provenance::jar));
    }
    return new Code(version(), List.copyOf(jars.values()));
  }

  private static final Map<String, Jar> JAR_HASHES = new java.util.concurrent.ConcurrentHashMap<>();

  private static Jar jar(String location) {
    try {
      java.nio.file.Path path = java.nio.file.Path.of(java.net.URI.create(location));
      if (!java.nio.file.Files.isRegularFile(path)) {
        return new Jar(path.getFileName() + " (a classes directory)", null);
      }
      java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
      try (InputStream in =
          new java.security.DigestInputStream(java.nio.file.Files.newInputStream(path), digest)) {
        in.transferTo(java.io.OutputStream.nullOutputStream());
      }
      return new Jar(
          path.getFileName().toString(), java.util.HexFormat.of().formatHex(digest.digest()));
    } catch (IOException | java.security.NoSuchAlgorithmException | RuntimeException e) {
      return new Jar(location + " (unreadable: " + e.getMessage() + ")", null);
    }
  }

  public JsonNode toJson() {
    return JSON.valueToTree(this);
  }

  /**
   * The provenance stored in a {@code model.json}; unknown fields (of other versions) are passed
   * over.
   */
  public static Provenance fromJson(JsonNode node) throws IOException {
    if (node == null || node.isMissingNode() || node.isNull() || node.isEmpty()) {
      return none();
    }
    return JSON.treeToValue(node, Provenance.class);
  }

  /** sparkdp's version, from the build. */
  public static String version() {
    try (InputStream in = Provenance.class.getResourceAsStream("/org/sparkdp/version.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }
}
