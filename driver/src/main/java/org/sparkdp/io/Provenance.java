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

/**
 * What a model records about how it was made: who made it and when, the versions of sparkdp, Spark
 * and Java, the BLAS in use, the Spark master, the data it saw (rows and order-independent
 * fingerprints), the final metrics, the job that ran it (arguments, resolved configuration and its
 * SHA-256) and free {@code metadata} (owner, license, ...). Stored as {@code provenance} in {@code
 * model.json}, with snake_case keys.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Provenance(
    String createdAt,
    String createdBy,
    Platform platform,
    Data data,
    Map<String, Double> finalMetrics,
    Job job,
    JsonNode metadata) {

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
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record DataSet(
      String name, long rows, Long validationRows, Integer partitions, String fingerprint) {}

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
        data,
        Collections.unmodifiableMap(new LinkedHashMap<>(finalMetrics)),
        null,
        null);
  }

  /** No provenance (a model built in code and never fitted). */
  public static Provenance none() {
    return new Provenance(null, null, null, null, null, null, null);
  }

  public Provenance withJob(Job value) {
    return new Provenance(createdAt, createdBy, platform, data, finalMetrics, value, metadata);
  }

  public Provenance withMetadata(JsonNode value) {
    return new Provenance(createdAt, createdBy, platform, data, finalMetrics, job, value);
  }

  /** The final metrics with {@code test_}-prefixed entries for metrics on test data. */
  public Provenance withTestMetrics(Map<String, Double> test) {
    Map<String, Double> all = new LinkedHashMap<>(finalMetrics == null ? Map.of() : finalMetrics);
    test.forEach((k, v) -> all.put("test_" + k, v));
    return new Provenance(createdAt, createdBy, platform, data, all, job, metadata);
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
