package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.DataException;
import org.sparkdp.driver.Engine;
import org.sparkdp.jobs.DataSource;
import org.sparkdp.jobs.Readers;
import org.sparkdp.testkit.Blobs;

/**
 * Training from tables through {@code bin/sparkdp}, with the real Delta Lake jar (delta-spark
 * 4.4.0, for Spark 4.2.0) handed to the job as a user would ({@code spark.jars}): a Delta table of
 * two versions trained on at version 0 (the provenance names the table and version 0, and the rows
 * and fingerprint are version 0's) and, in the same run, validated on through the catalog by name
 * without a version (the version read, 1, recorded), a table of Spark's JDBC catalog by its
 * three-part name, and a missing table or column in one line. A Delta job costs about twice a CSV
 * job's CPU even so (Delta's classes, its log replay as a Spark job): one run serves both versions'
 * checks. Runs on the default Spark line only: delta-spark 4.4 is built for Spark 4.2.
 */
@org.junit.jupiter.api.parallel.ResourceLock(BadInputIT.TEST_JVM_SPARK)
class TableSourcesIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int DIM = 6;

  @TempDir static Path dir;
  private static SparkSession spark;

  /** Version 0: 300 rows; version 1 (an overwrite): 200 other rows. */
  private static final Blobs V0 = Blobs.of(300, DIM, 3, 41);

  private static final Blobs V1 = Blobs.of(200, DIM, 3, 41, 77);

  /**
   * Delta's partitions for replaying a table's log: its default, 50, is meant for a cluster; on one
   * machine 50 tasks for a log of two commits cost about half a Delta job's CPU (README: Data from
   * tables).
   */
  private static final String SNAPSHOT_PARTITIONS = "spark.databricks.delta.snapshotPartitions";

  /** What a user adds to a job's command line to read Delta tables (README: Data from tables). */
  private static List<String> deltaConf() {
    String jars = System.getProperty("sparkdp.deltaJars", "");
    assertTrue(jars.contains("delta-spark"), "the build hands the Delta jars over: " + jars);
    return List.of(
        "--conf",
        "spark.jars=" + jars,
        "--conf",
        "spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension",
        "--conf",
        "spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "--conf",
        SNAPSHOT_PARTITIONS + "=1");
  }

  private static Dataset<Row> frame(Blobs data) {
    StructType schema = new StructType();
    for (int j = 0; j < DIM; j++) {
      schema = schema.add("x" + j, DataTypes.DoubleType, false);
    }
    schema = schema.add("label", DataTypes.DoubleType, false);
    List<Row> rows = new ArrayList<>();
    for (int r = 0; r < data.rows(); r++) {
      Object[] values = new Object[DIM + 1];
      double[] x = data.features(r);
      for (int j = 0; j < DIM; j++) {
        values[j] = x[j];
      }
      values[DIM] = (double) data.labels()[r];
      rows.add(RowFactory.create(values));
    }
    return spark.createDataFrame(rows, schema).coalesce(1);
  }

  @BeforeAll
  static void writeTables() throws Exception {
    spark =
        SparkSession.builder()
            .master("local[1]")
            .appName("TableSourcesIT")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.warehouse.dir", dir.resolve("warehouse").toString())
            .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
            .config(
                "spark.sql.catalog.spark_catalog",
                "org.apache.spark.sql.delta.catalog.DeltaCatalog")
            // Each commit replays the log (the overwrite, and the checksum written after each):
            // writing the two versions took 42 s of CPU with Delta's 50 partitions, 28 s with 1.
            .config(SNAPSHOT_PARTITIONS, "1")
            .getOrCreate();
    String events = dir.resolve("events").toString();
    frame(V0).write().format("delta").save(events);
    frame(V1).write().format("delta").mode("overwrite").save(events);
    // Version 0's rows in the same order as a Parquet file, whose fingerprint sparkdp computes
    // from the file.
    frame(V0).write().parquet(dir.resolve("v0.parquet").toString());
    Data.config(dir.resolve("job.yaml"), DIM, 3);
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  private static JsonNode trainData(String model) throws Exception {
    return JSON.readTree(dir.resolve(model).resolve("model.json").toFile())
        .path("provenance")
        .path("data")
        .path("train");
  }

  /** The Delta table's name in the catalog's syntax for a path. */
  private static String deltaTable() {
    return "delta.`" + dir.resolve("events") + "`";
  }

  private static JsonNode versionsModel;

  /**
   * The data section of the one Delta training run: trained on the table at version 0 (asked for),
   * validated on it by name without a version (so at the latest, 1).
   */
  private static synchronized JsonNode versionsData() throws Exception {
    if (versionsModel == null) {
      String events = dir.resolve("events").toString();
      Launcher.Result trained =
          Launcher.run(
              dir,
              Launcher.train(
                  "delta:" + events + "?versionAsOf=0",
                  "versions",
                  Launcher.concat(
                      new String[] {"--validation", "table:" + deltaTable()},
                      deltaConf().toArray(new String[0]))));
      assertEquals(0, trained.exitCode(), trained.stderr());
      versionsModel =
          JSON.readTree(dir.resolve("versions").resolve("model.json").toFile())
              .path("provenance")
              .path("data");
    }
    return versionsModel;
  }

  @Test
  void aDeltaTableIsTrainedOnAtTheVersionAskedAndTheProvenanceSaysWhich() throws Exception {
    String events = dir.resolve("events").toString();
    assertEquals(2, spark.sql("DESCRIBE HISTORY " + deltaTable()).count());
    JsonNode train = versionsData().path("train");
    assertEquals("train data (delta " + events + ")", train.path("name").asText());
    // Version 0's rows, not version 1's 200.
    assertEquals(300, train.path("rows").asLong(), train.toString());
    JsonNode source = train.path("source");
    assertEquals("delta", source.path("format").asText());
    assertEquals(events, source.path("path").asText());
    assertEquals("0", source.path("options").path("versionAsOf").asText());
    assertEquals(1, source.path("versions").size(), source.toString());
    assertEquals(0, source.path("versions").get(0).path("version").asLong());
    assertTrue(
        source.path("versions").get(0).path("location").asText().endsWith(events),
        source.toString());
    assertTrue(
        Files.readString(dir.resolve("versions").resolve("MODEL_CARD.md"))
            .contains("at version 0."),
        "the model card names the version");

    // The fingerprint is the one of version 0's rows read from a Parquet file (computed here as
    // the fingerprint command computes it: sparkdp's Parquet reader, then Engine.fingerprint), and
    // fingerprint gives it again from the table at version 0 (version 1 has other rows).
    String parquet =
        Engine.fingerprint(
            Readers.read(
                spark,
                DataSource.fromPath(dir.resolve("v0.parquet").toString(), "--data"),
                "train",
                DIM),
            "features",
            "label",
            DIM,
            "train data (v0.parquet)");
    assertEquals(train.path("fingerprint").asText(), parquet);
    Launcher.Result again =
        Launcher.run(
            dir,
            Launcher.concat(
                new String[] {
                  "fingerprint", "--data", "delta:events?versionAsOf=0", "--config", "job.yaml"
                },
                deltaConf().toArray(new String[0])));
    assertEquals(0, again.exitCode(), again.stderr());
    assertEquals(
        train.path("fingerprint").asText() + "  train data (delta events)",
        again.stdout().strip(),
        again.stdout());
  }

  @Test
  void aTableReadByNameWithoutAVersionRecordsTheVersionRead() throws Exception {
    String table = deltaTable();
    // What the job relies on to pin a table to the version it resolved: Delta takes the version
    // as a reader option of a table read by name.
    assertEquals(300, spark.read().option("versionAsOf", "0").table(table).count());
    // The validation data of the run that trains on version 0: read through the same reader as
    // training data, pinned alike, in a run that reads the same table at another version too.
    JsonNode validation = versionsData().path("validation");
    assertEquals(
        "validation data (table " + table + ")",
        validation.path("name").asText(),
        validation.toString());
    assertEquals(200, validation.path("rows").asLong(), validation.toString());
    JsonNode source = validation.path("source");
    assertEquals(table, source.path("table").asText());
    assertFalse(source.has("options"), "none was given: " + source);
    assertEquals(1, source.path("versions").size(), source.toString());
    assertEquals(1, source.path("versions").get(0).path("version").asLong(), source.toString());
  }

  /**
   * A table named {@code catalog.db.table} in a catalog that Spark ships ({@code
   * JDBCTableCatalog}), over an H2 database file: Spark's session catalog keeps no table beyond its
   * process without a Hive metastore (TableSourcesTest reads one made there with {@code CREATE
   * TABLE ... USING parquet LOCATION}).
   */
  @Test
  void aTableOfACatalogIsTrainedOnByItsThreePartName() throws Exception {
    String url = "jdbc:h2:file:" + dir.resolve("shop");
    try (java.sql.Connection db = java.sql.DriverManager.getConnection(url)) {
      StringBuilder columns = new StringBuilder();
      for (int j = 0; j < DIM; j++) {
        columns.append("\"x").append(j).append("\" DOUBLE PRECISION, ");
      }
      db.createStatement().execute("CREATE SCHEMA \"sales\"");
      db.createStatement()
          .execute("CREATE TABLE \"sales\".\"events\" (" + columns + "\"label\" DOUBLE PRECISION)");
      try (java.sql.PreparedStatement insert =
          db.prepareStatement(
              "INSERT INTO \"sales\".\"events\" VALUES (?" + ", ?".repeat(DIM) + ")")) {
        for (int r = 0; r < V0.rows(); r++) {
          double[] x = V0.features(r);
          for (int j = 0; j < DIM; j++) {
            insert.setDouble(j + 1, x[j]);
          }
          insert.setDouble(DIM + 1, V0.labels()[r]);
          insert.addBatch();
        }
        insert.executeBatch();
      }
    }
    String h2 =
        Path.of(org.h2.Driver.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .toString();
    Launcher.Result trained =
        Launcher.run(
            dir,
            Launcher.train(
                "table:shop.sales.events",
                "catalog",
                "--conf",
                "spark.jars=" + h2,
                "--conf",
                "spark.sql.catalog.shop="
                    + "org.apache.spark.sql.execution.datasources.v2.jdbc.JDBCTableCatalog",
                "--conf",
                "spark.sql.catalog.shop.url=" + url,
                "--conf",
                "spark.sql.catalog.shop.driver=org.h2.Driver"));
    assertEquals(0, trained.exitCode(), trained.stderr());
    JsonNode train = trainData("catalog");
    assertEquals("train data (table shop.sales.events)", train.path("name").asText());
    assertEquals(300, train.path("rows").asLong(), train.toString());
    assertEquals("shop.sales.events", train.path("source").path("table").asText());
    assertFalse(train.path("source").has("versions"), "a JDBC table has no versions");

    // The model loads (its provenance read back) and evaluates on the table.
    Launcher.Result evaluated =
        Launcher.run(
            dir,
            "evaluate",
            "--model",
            "catalog",
            "--data",
            "table:shop.sales.events",
            "--conf",
            "spark.jars=" + h2,
            "--conf",
            "spark.sql.catalog.shop="
                + "org.apache.spark.sql.execution.datasources.v2.jdbc.JDBCTableCatalog",
            "--conf",
            "spark.sql.catalog.shop.url=" + url,
            "--conf",
            "spark.sql.catalog.shop.driver=org.h2.Driver");
    assertEquals(0, evaluated.exitCode(), evaluated.stderr());
    assertTrue(evaluated.stdout().contains("Evaluation - loss: "), evaluated.stdout());
  }

  @Test
  void aMissingTableOrColumnIsOneLine() throws Exception {
    Launcher.Result table =
        Launcher.run(
            dir,
            Launcher.concat(
                Launcher.train("table:default.no_such_events", "missing"),
                deltaConf().toArray(new String[0])));
    assertOneError(
        table,
        "train data (table default.no_such_events): no such table or view in Spark's catalog");
    assertFalse(Files.exists(dir.resolve("missing")), "nothing written");
    // A Delta table without the label column: the data error that the job above shows as one
    // line (a DataException), raised by the job's reader from Delta's schema, here in this JVM.
    String events = dir.resolve("events").toString();
    DataException column =
        assertThrows(
            DataException.class,
            () ->
                Readers.read(
                    spark,
                    new DataSource("delta", events, null, null, "y", List.of(), true),
                    "train",
                    DIM));
    assertEquals(
        "train data (delta "
            + events
            + ") has no label column 'y' (columns: x0, x1, x2, x3, x4, x5, label); set"
            + " label_column in the data section",
        column.getMessage());
  }

  /** One error line, as sparkdp's data errors are (exit code 1), and no stack trace. */
  private static void assertOneError(Launcher.Result r, String message) {
    assertEquals(1, r.exitCode(), r.stderr());
    List<String> errors =
        r.stderrLines().stream().filter(l -> l.startsWith("sparkdp train: error: ")).toList();
    assertEquals(1, errors.size(), r.stderr());
    assertTrue(errors.get(0).startsWith("sparkdp train: error: " + message), errors.get(0));
    assertTrue(
        r.stderrLines().stream().noneMatch(l -> l.startsWith("\tat ")),
        "no stack trace: " + r.stderr());
  }
}
