package org.sparkdp.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.DataException;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.testkit.TestSpark;

/**
 * Data that Spark reads for sparkdp: a table of Spark's built-in catalog, a SQL query, ORC and JSON
 * by format, with the checks and one-line errors of sparkdp's own readers. Delta Lake, which is a
 * package of its own, is tested with its real jar in the integration tests (TableSourcesIT).
 */
class TableSourcesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static SparkSession spark() {
    return TestSpark.session();
  }

  private static DataSource node(String json) throws IOException {
    return DataSource.fromNode(JSON.readTree(json), "data.train");
  }

  /** Three rows of columns x1, x2, kind (text) and y, written by Spark as {@code format}. */
  private static String write(Path dir, String format) {
    String path = dir.resolve("rows." + format).toString();
    spark()
        .sql(
            "SELECT * FROM VALUES (1.0, 2.0, 'a', 0), (3.0, 4.0, 'b', 1), (5.0, 6.0, 'c', 1)"
                + " AS t(x1, x2, kind, y)")
        .coalesce(1)
        .write()
        .format(format)
        .save(path);
    return path;
  }

  private static List<double[]> rows(Readers.Read read) {
    return read.frame().collectAsList().stream()
        .sorted(Comparator.comparingDouble(r -> ((Number) r.getList(0).get(0)).doubleValue()))
        .map(
            r ->
                new double[] {
                  ((Number) r.getList(0).get(0)).doubleValue(),
                  ((Number) r.getList(0).get(1)).doubleValue(),
                  ((Number) r.get(1)).doubleValue()
                })
        .toList();
  }

  @Test
  void aCatalogTableIsReadByNameWithItsLabelAndFeatureColumns(@TempDir Path dir)
      throws IOException {
    String location = write(dir, "parquet");
    spark().sql("DROP TABLE IF EXISTS default.sources_test_events");
    spark()
        .sql("CREATE TABLE default.sources_test_events USING parquet LOCATION '" + location + "'");
    try {
      DataSource table =
          node(
              "{\"table\": \"default.sources_test_events\", \"label_column\": \"y\","
                  + " \"features\": [\"x1\", \"x2\"]}");
      assertEquals("train data (table default.sources_test_events)", table.describe("train"));
      assertEquals(List.of(), table.files());
      Readers.Read read = Readers.open(spark(), table, "train", 2, null);
      List<double[]> rows = rows(read);
      assertArrayEquals(new double[] {1, 2, 0}, rows.get(0));
      assertArrayEquals(new double[] {5, 6, 1}, rows.get(2));
      assertEquals("default.sources_test_events", read.source().table());
      assertNull(read.source().format());
      // A Parquet table has no versions to record.
      assertEquals(List.of(), read.source().versions());

      DataSource query =
          DataSource.fromPath(
              "query:SELECT x1, x2, y AS label FROM default.sources_test_events WHERE y = 1",
              "--train");
      assertEquals(2, Readers.open(spark(), query, "train", 2, null).frame().count());
    } finally {
      spark().sql("DROP TABLE IF EXISTS default.sources_test_events");
    }
  }

  @Test
  void orcAndJsonAreReadByFormatWithTheSameColumnChecks(@TempDir Path dir) throws IOException {
    String orc = write(dir, "orc");
    Readers.Read read =
        Readers.open(
            spark(),
            node(
                "{\"format\": \"orc\", \"path\": \""
                    + orc
                    + "\", \"label_column\": \"y\", \"features\": [\"x1\", \"x2\"]}"),
            "train",
            2,
            null);
    assertArrayEquals(new double[] {3, 4, 1}, rows(read).get(1));
    assertEquals("orc", read.source().format());
    assertEquals(orc, read.source().path());

    String json = write(dir, "json");
    DataSource cli = DataSource.fromPath("json:" + json, "--train");
    assertEquals("json", cli.format());
    assertEquals(List.of(json), cli.files());
    // Every column but the label is a feature, and the text column is named.
    DataException text =
        assertThrows(
            DataException.class,
            () -> Readers.read(spark(), EvaluateJob.withLabel(cli, "y"), "train", 3));
    assertEquals(
        "train data (json " + json + "): column 'kind' is not numeric (it reads as string)",
        text.getMessage());
  }

  @Test
  void aMissingTableColumnOrDataSourceIsOneLineNamingIt(@TempDir Path dir) throws IOException {
    DataException table =
        assertThrows(
            DataException.class,
            () ->
                Readers.read(
                    spark(), DataSource.fromPath("table:db_nope.events", "t"), "train", 2));
    assertTrue(
        table
            .getMessage()
            .startsWith(
                "train data (table db_nope.events): no such table or view in Spark's catalog"),
        table.getMessage());
    String orc = write(dir, "orc");
    DataException column =
        assertThrows(
            DataException.class,
            () ->
                Readers.read(
                    spark(),
                    node(
                        "{\"format\": \"orc\", \"path\": \""
                            + orc
                            + "\", \"label_column\": \"y\", \"features\": [\"x1\", \"x9\"]}"),
                    "train",
                    2));
    assertEquals(
        "train data (orc "
            + orc
            + ") has no column 'x9' (columns: x1, x2, kind, y); see features in the data section",
        column.getMessage());
    DataException label =
        assertThrows(
            DataException.class,
            () -> Readers.read(spark(), DataSource.fromPath("orc:" + orc, "t"), "train", 2));
    assertTrue(label.getMessage().contains("has no label column 'label'"), label.getMessage());
    DataException query =
        assertThrows(
            DataException.class,
            () ->
                Readers.read(
                    spark(), DataSource.fromPath("query:SELECT * FROM nope_t", "t"), "train", 2));
    assertTrue(
        query
            .getMessage()
            .startsWith("train data (query SELECT * FROM nope_t): [TABLE_OR_VIEW_NOT_FOUND]"),
        query.getMessage());
    assertEquals(1, query.getMessage().lines().count());
    DataException format =
        assertThrows(
            DataException.class,
            () ->
                Readers.read(
                    spark(),
                    node("{\"format\": \"no_such_source\", \"path\": \"x\"}"),
                    "train",
                    2));
    assertTrue(
        format
            .getMessage()
            .startsWith("train data (no_such_source x): Spark has no data source 'no_such_source'"),
        format.getMessage());
    assertEquals(1, JobRunner.exitCode(format));
    // Delta Lake is the user's package: without it, the same line (as the README shows it).
    DataException delta =
        assertThrows(
            DataException.class,
            () ->
                Readers.read(
                    spark(), DataSource.fromPath("delta:/lake/events", "--train"), "train", 2));
    assertTrue(
        delta
            .getMessage()
            .startsWith(
                "train data (delta /lake/events): Spark has no data source 'delta' (sparkdp reads"
                    + " idx, csv, libsvm and parquet itself;"),
        delta.getMessage());
  }

  @Test
  void theCommandLineNamesTablesQueriesAndSourcesWithTheirOptions() {
    DataSource delta = DataSource.fromPath("delta:/data/events?versionAsOf=3&x=a%26b", "--train");
    assertEquals("delta", delta.format());
    assertEquals("/data/events", delta.path());
    assertEquals(Map.of("versionAsOf", "3", "x", "a&b"), delta.options());
    assertEquals("train data (delta /data/events)", delta.describe("train"));
    DataSource table = DataSource.fromPath("table:main.db.events?timestampAsOf=2026-01-01", "t");
    assertEquals("main.db.events", table.table());
    assertEquals(Map.of("timestampAsOf", "2026-01-01"), table.options());
    // A file system's scheme is still a path.
    assertEquals("parquet", DataSource.fromPath("hdfs:/data/x.parquet", "t").format());
    assertEquals(
        "--train: expected NAME=VALUE options after '?', got 'v3' in 'delta:/x?v3'",
        assertThrows(ConfigException.class, () -> DataSource.fromPath("delta:/x?v3", "--train"))
            .getMessage());
  }

  @Test
  void aDataSectionGivesOneOfPathTableAndQuery() {
    assertEquals(
        "data.train: give one of path, table, query (or images and labels), not [path, table]",
        assertThrows(ConfigException.class, () -> node("{\"path\": \"a\", \"table\": \"t\"}"))
            .getMessage());
    assertEquals(
        "data.train.format: a table has its own format (the catalog's); drop format, or give"
            + " format and path",
        assertThrows(ConfigException.class, () -> node("{\"format\": \"delta\", \"table\": \"t\"}"))
            .getMessage());
    assertEquals(
        "data.train.path: missing (the delta table or files)",
        assertThrows(ConfigException.class, () -> node("{\"format\": \"delta\"}")).getMessage());
    assertTrue(
        assertThrows(
                ConfigException.class,
                () -> node("{\"path\": \"a.csv\", \"options\": {\"header\": true}}"))
            .getMessage()
            .startsWith("data.train.options: sparkdp reads csv itself"));
  }

  @Test
  void aTableOnTheCommandLineReplacesTheFilesTableAndKeepsItsColumns() {
    String yaml =
        String.join(
            "\n",
            "model: {layers: [{type: dense, units: 2, activation: softmax, input_dim: 2}]}",
            "compile: {optimizer: adam, loss: sparse_categorical_crossentropy}",
            "data:",
            "  train: {table: db.old, label_column: y, features: [a, b]}",
            "");
    JobConfig c =
        JobConfig.parse(
            yaml,
            "job.yaml",
            Cli.parse(Cli.train(), new String[] {"--train", "table:db.new?versionAsOf=2"}));
    assertEquals("db.new", c.train().table());
    assertEquals(Map.of("versionAsOf", "2"), c.train().options());
    assertEquals("y", c.train().labelColumn());
    assertEquals(List.of("a", "b"), c.train().featureColumns());
    assertEquals("db.new", c.resolved().path("data").path("train").path("table").asText());
  }

  @Test
  void secretOptionsAreNotRecorded() throws IOException {
    DataSource jdbc =
        node(
            "{\"format\": \"jdbc\", \"options\": {\"url\": \"jdbc:postgresql://db/x\","
                + " \"dbtable\": \"events\", \"password\": \"hunter2\"}}");
    assertEquals(List.of(), jdbc.files());
    assertEquals(
        Map.of(
            "url", "jdbc:postgresql://db/x", "dbtable", "events", "password", DataSource.REDACTED),
        jdbc.recordedOptions());
  }

  @Test
  void aJobFileRecordsNoSecret() {
    JobConfig c =
        JobConfig.parse(
            String.join(
                "\n",
                "model: {layers: [{type: dense, units: 2, activation: softmax, input_dim: 2}]}",
                "compile: {optimizer: adam, loss: sparse_categorical_crossentropy}",
                "data:",
                "  train: {format: jdbc, options: {url: 'jdbc:h2:mem:x', password: hunter2}}",
                ""),
            "job.yaml",
            Cli.parse(Cli.train(), new String[0]));
    assertEquals("hunter2", c.train().options().get("password"));
    assertEquals(
        DataSource.REDACTED,
        c.resolved().path("data").path("train").path("options").path("password").asText());
  }
}
