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
    return scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<?>) v).stream()
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
    assertTrue(
        notNumeric.getMessage().contains("column 'b' is not numeric (it reads as string)"),
        notNumeric.getMessage());
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
