package org.sparkdp.driver;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Properties;
import org.apache.spark.sql.SparkSession;
import org.sparkdp.ops.Blas;

/**
 * What a model records about how it was made: the fit settings, the data it saw (rows and
 * fingerprints), the versions of sparkdp, Spark and Java, the BLAS in use, who ran it and when, and
 * the final metrics.
 */
public final class Provenance {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Provenance() {}

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

  /** The fit settings, in Keras' names. */
  public static ObjectNode training(FitOptions o, PackedData data, PackedData validation) {
    ObjectNode t = JSON.createObjectNode();
    t.put("epochs", o.epochs());
    if (o.batchSize() == FitOptions.ALL) {
      t.put("batch_size", "all");
    } else {
      t.put("batch_size", o.batchSize());
    }
    t.put("validation_split", o.validationSplit());
    t.put("shuffle", true);
    t.put("seed", o.seed());
    t.put("strategy", o.strategy());
    t.put("partitions", data.train().getNumPartitions());
    t.put("threads", o.threads());
    if (o.strategy().equals("local")) {
      t.put("sync_every", o.syncEvery());
      t.put("outer_optimizer", o.outerOptimizer());
      t.put("outer_learning_rate", o.outerLearningRate());
      t.put("outer_momentum", o.outerMomentum());
    } else {
      t.put("sync_path", o.syncPath());
    }
    t.put("features_col", o.featuresCol());
    t.put("label_col", o.labelCol());
    return t;
  }

  /** Versions, platform, data fingerprints and final metrics. */
  public static ObjectNode of(
      SparkSession spark, PackedData data, PackedData validation, History history) {
    ObjectNode p = JSON.createObjectNode();
    p.put("created_at", Instant.now().toString());
    p.put("created_by", System.getProperty("user.name"));
    p.put("sparkdp_version", version());
    p.put("spark_version", spark.version());
    p.put("java_version", System.getProperty("java.version"));
    p.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    p.put("blas", Blas.implementation());
    p.put("spark_master", spark.sparkContext().master());
    ObjectNode d = p.putObject("data");
    ObjectNode train = d.putObject("train");
    train.put("name", data.name());
    train.put("rows", data.trainRows());
    train.put("validation_rows", data.validationRows());
    train.put("fingerprint", String.format("%016x", data.fingerprint()));
    if (validation != null) {
      ObjectNode v = d.putObject("validation");
      v.put("name", validation.name());
      v.put("rows", validation.trainRows());
      v.put("fingerprint", String.format("%016x", validation.fingerprint()));
    }
    ObjectNode metrics = p.putObject("final_metrics");
    history.history().forEach((k, values) -> metrics.put(k, values.get(values.size() - 1)));
    return p;
  }
}
