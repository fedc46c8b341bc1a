package org.sparkdp.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.DataException;
import org.sparkdp.testkit.TestSpark;

class ReadersTest {
  private static SparkSession spark() {
    return TestSpark.session();
  }

  private static double[] features(Row row) {
    Object v = row.get(0);
    if (v instanceof Vector vector) {
      return vector.toArray();
    }
    return org.sparkdp.driver.ScalaCollections.asJava((scala.collection.Seq<?>) v).stream()
        .mapToDouble(x -> ((Number) x).doubleValue())
        .toArray();
  }

  @Test
  void csvWithHeaderTakesEveryOtherColumnAsAFeatureInOrder(@TempDir Path dir) throws IOException {
    Path csv = dir.resolve("d.csv");
    Files.writeString(csv, "a,label,b,c\n1,0,2,3\n4,1,5.5,6\n");
    List<Row> rows =
        Readers.read(spark(), DataSource.fromPath(csv.toString(), "t"), "train", 3).collectAsList();
    assertArrayEquals(new double[] {1, 2, 3}, features(rows.get(0)));
    assertArrayEquals(new double[] {4, 5.5, 6}, features(rows.get(1)));
    assertEquals(1.0, ((Number) rows.get(1).get(1)).doubleValue());
  }

  @Test
  void csvWithoutTheLabelColumnOrWithTextIsExplained(@TempDir Path dir) throws IOException {
    Path csv = dir.resolve("d.csv");
    Files.writeString(csv, "a,b,y\n1,2,0\n");
    DataException noLabel =
        assertThrows(
            DataException.class,
            () -> Readers.read(spark(), DataSource.fromPath(csv.toString(), "t"), "train", 2));
    assertTrue(
        noLabel.getMessage().contains("has no label column 'label' (columns: a, b, y)"),
        noLabel.getMessage());
    Path text = dir.resolve("t.csv");
    Files.writeString(text, "a,b,label\n1,x,0\n");
    DataException notNumeric =
        assertThrows(
            DataException.class,
            () -> Readers.read(spark(), DataSource.fromPath(text.toString(), "t"), "train", 2));
    assertEquals(
        "train data (" + text + ") line 2: column 'b' (2): 'x' is not a number",
        notNumeric.getMessage());
  }

  private static String error(Path file, int inputDim) {
    return assertThrows(
            DataException.class,
            () ->
                Readers.read(spark(), DataSource.fromPath(file.toString(), "t"), "train", inputDim))
        .getMessage();
  }

  @Test
  void badLibsvmLinesAreNamedByLineAndColumn(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("d.libsvm");
    String good = "1 1:0.5 3:2\n# a comment\n0 2:1\n";
    String name = "train data (" + file + ") line 4: ";
    Files.writeString(file, good + "1 0:1 2:3\n");
    assertEquals(name + "column 3 ('0:1'): index 0; LibSVM indices start at 1", error(file, 4));
    Files.writeString(file, good + "1 1:abc 2:3\n");
    assertEquals(name + "column 3 ('1:abc'): the value is not a number", error(file, 4));
    Files.writeString(file, good + "1 1:1 9:3\n");
    assertEquals(
        name + "column 7 ('9:3'): index 9 is beyond the model's 4 features", error(file, 4));
    Files.writeString(file, good + "1 3:1 2:3\n");
    assertEquals(name + "column 7 ('2:3'): indices must ascend (2 after 3)", error(file, 4));
    Files.writeString(file, good + "one 1:1\n");
    assertEquals(name + "column 1 ('one'): the label is not a number", error(file, 4));
  }

  @Test
  void aLineLongerThanTheLimitIsRefusedWithoutBeingKept(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("wide.csv");
    // 30 MB in one line: a header of 3,000,000 columns.
    StringBuilder line = new StringBuilder("label");
    while (line.length() < 30_000_000) {
      line.append(",c").append(line.length());
    }
    Files.writeString(file, line.append('\n'));
    assertEquals(
        "train data ("
            + file
            + ") line 1: longer than the 1048576 bytes a line may have (1 MiB, or 32 bytes per"
            + " value of a row)",
        error(file, 4));
  }

  @Test
  void linesAreNumberedAcrossSplitsAndRowsKeepTheFilesOrder(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("long.csv");
    StringBuilder csv = new StringBuilder("a,label\n");
    for (int i = 0; i < 500; i++) {
      csv.append(i).append(',').append(i % 2).append('\n');
    }
    Files.writeString(file, csv);
    SparkSession spark = spark();
    spark.conf().set("spark.sql.files.maxPartitionBytes", "100");
    try {
      Dataset<Row> frame = Readers.read(spark, DataSource.fromPath(file.toString(), "t"), "t", 1);
      assertTrue(frame.javaRDD().getNumPartitions() > 20, "many splits");
      List<Row> rows = frame.collectAsList();
      assertEquals(500, rows.size());
      for (int i = 0; i < 500; i++) {
        assertEquals(i, features(rows.get(i))[0], "row " + i);
      }
      Files.writeString(file, csv.toString().replace("\n377,1\n", "\n377,x\n"));
      // Line 1 is the header: the row of 377 is line 379.
      assertEquals(
          "train data (" + file + ") line 379: column 'label' (2): 'x' is not a number",
          error(file, 1));
    } finally {
      spark.conf().unset("spark.sql.files.maxPartitionBytes");
    }
  }

  @Test
  void aCsvFileNamedParquetAndAnEmptyDirectoryAreNamed(@TempDir Path dir) throws IOException {
    Path fake = dir.resolve("fake.parquet");
    Files.writeString(fake, "a,label\n1,0\n");
    assertEquals(
        "train data (" + fake + ") is not a Parquet file (it does not start and end with PAR1)",
        error(fake, 1));
    Path empty = Files.createDirectories(dir.resolve("empty.parquet"));
    assertEquals(
        "train data (" + empty + "): the directory holds no Parquet files", error(empty, 1));
  }

  @Test
  void libsvmReadsSparseVectorsOfTheModelsWidth(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("d.libsvm");
    Files.writeString(file, "1 1:0.5 3:2\n0 2:1\n");
    List<Row> rows =
        Readers.read(spark(), DataSource.fromPath(file.toString(), "t"), "train", 4)
            .collectAsList();
    assertArrayEquals(new double[] {0.5, 0, 2, 0}, features(rows.get(0)));
    assertEquals(0.0, rows.get(1).getDouble(1));
  }

  @Test
  void parquetWithAVectorColumnIsReadAsIs(@TempDir Path dir) throws IOException {
    String path = dir.resolve("p.parquet").toString();
    spark()
        .createDataFrame(
            List.of(
                org.apache.spark.sql.RowFactory.create(
                    org.apache.spark.ml.linalg.Vectors.dense(1, 2), 1.0)),
            new org.apache.spark.sql.types.StructType()
                .add("features", org.apache.spark.ml.linalg.SQLDataTypes.VectorType())
                .add("label", org.apache.spark.sql.types.DataTypes.DoubleType))
        .write()
        .parquet(path);
    List<Row> rows =
        Readers.read(spark(), DataSource.fromPath(path, "t"), "train", 2).collectAsList();
    assertArrayEquals(new double[] {1, 2}, features(rows.get(0)));
  }

  @Test
  void idxFilesAreReadInOrderAndScaledToTheUnitInterval(@TempDir Path dir) throws IOException {
    Path images = dir.resolve("x-images-idx3-ubyte.gz");
    Path labels = dir.resolve("x-labels-idx1-ubyte.gz");
    Files.write(images, IdxTest.gzip(IdxTest.imageFile(5)));
    Files.write(
        labels, IdxTest.gzip(IdxTest.labelFile((byte) 9, (byte) 8, (byte) 7, (byte) 6, (byte) 5)));
    List<Row> rows =
        Readers.read(spark(), DataSource.fromPath(images.toString(), "t"), "train", 6)
            .collectAsList();
    assertEquals(5, rows.size());
    assertArrayEquals(
        new double[] {24 / 255.0, 25 / 255.0, 26 / 255.0, 27 / 255.0, 28 / 255.0, 29 / 255.0},
        features(rows.get(4)),
        1e-12);
    assertEquals(5.0, rows.get(4).getDouble(1));
  }
}
