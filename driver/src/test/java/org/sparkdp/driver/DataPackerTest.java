package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.sparkdp.DataException;
import org.sparkdp.ops.Loss;
import org.sparkdp.testkit.TestSpark;

class DataPackerTest {
  private static final DataPacker.Target TARGET =
      new DataPacker.Target(3, 4, Loss.SPARSE_CATEGORICAL_CROSSENTROPY);

  private static List<Row> rows(int n) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(RowFactory.create(Vectors.dense(i, i + 1, i + 2), (double) (i % 4)));
    }
    return rows;
  }

  private static Dataset<Row> frame(List<Row> rows) {
    return TestSpark.session().createDataFrame(rows, TestSpark.SCHEMA);
  }

  private static String failure(Consumer<List<Row>> change) {
    List<Row> rows = rows(40);
    change.accept(rows);
    DataException e =
        assertThrows(
            DataException.class,
            () ->
                DataPacker.pack(
                    frame(rows), "features", "label", TARGET, 0, 3, "train data (t.csv)"));
    return e.getMessage();
  }

  @Test
  void nanFeatureNamesTheRowAndValue() {
    assertEquals(
        "train data (t.csv) row 18: features value 1 is NaN",
        failure(r -> r.set(17, RowFactory.create(Vectors.dense(1, Double.NaN, 3), 1.0))));
  }

  @Test
  void infiniteFeatureIsRejected() {
    assertEquals(
        "train data (t.csv) row 1: features value 2 is Infinity",
        failure(
            r -> r.set(0, RowFactory.create(Vectors.dense(1, 2, Double.POSITIVE_INFINITY), 1.0))));
  }

  @Test
  void wrongFeatureCountIsRejected() {
    assertEquals(
        "train data (t.csv) row 40: features has 2 values, expected 3",
        failure(r -> r.set(39, RowFactory.create(Vectors.dense(1, 2), 1.0))));
  }

  /** A model of ids below 40 in sequences of 3: rows 0 to 37 of {@link #rows} are valid. */
  private static final org.sparkdp.ops.ModelSpec EMBEDDING =
      new org.sparkdp.ops.ModelSpec(
          List.of(
              org.sparkdp.ops.Embedding.of(40, 2),
              org.sparkdp.ops.Flatten.of(),
              org.sparkdp.ops.Dense.of(4, "softmax")),
          List.of(3));

  private static String idFailure(Consumer<List<Row>> change, int count) {
    List<Row> rows = rows(count);
    change.accept(rows);
    DataPacker.Target target =
        DataPacker.Target.of(EMBEDDING, Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
    return assertThrows(
            DataException.class,
            () -> DataPacker.pack(frame(rows), "features", "label", target, 0.25, 3, "train"))
        .getMessage();
  }

  @Test
  void anEmbeddingsIdOutOfRangeOrNotAnIntegerNamesTheRowTheValueAndTheId() {
    assertEquals(
        "train row 18: features value 1: 12.5 is not an embedding id in [0, 40)",
        idFailure(r -> r.set(17, RowFactory.create(Vectors.dense(1, 12.5, 3), 1.0)), 38));
    // Rows 39 and 40 hold ids 40 and 41, in the validation split: checked as well.
    assertEquals(
        "train row 39: features value 2: 40 is not an embedding id in [0, 40)",
        idFailure(r -> {}, 40));
    assertEquals(
        "train row 1: features value 0: -1 is not an embedding id in [0, 40)",
        idFailure(r -> r.set(0, RowFactory.create(Vectors.dense(-1, 0, 0), 1.0)), 38));
  }

  @Test
  void predictionDataIsCheckedForIdsBeforeThePrediction() {
    List<Row> rows = rows(38);
    rows.set(9, RowFactory.create(Vectors.dense(1, 2, 99), 1.0));
    DataException e =
        assertThrows(
            DataException.class,
            () -> Engine.checkFeatures(frame(rows), "features", EMBEDDING, "predict data"));
    assertEquals(
        "predict data row 10: features value 2: 99 is not an embedding id in [0, 40)",
        e.getMessage());
    Engine.checkFeatures(frame(rows(38)), "features", EMBEDDING, "predict data");
  }

  @Test
  void labelOutOfRangeIsRejected() {
    assertEquals(
        "train data (t.csv) row 5: label 4 is out of range [0, 4)",
        failure(r -> r.set(4, RowFactory.create(Vectors.dense(1, 2, 3), 4.0))));
    assertEquals(
        "train data (t.csv) row 6: label -1 is out of range [0, 4)",
        failure(r -> r.set(5, RowFactory.create(Vectors.dense(1, 2, 3), -1.0))));
  }

  @Test
  void nonIntegerLabelIsRejected() {
    assertEquals(
        "train data (t.csv) row 3: label 1.5 is not a class index (an integer in [0, 4))",
        failure(r -> r.set(2, RowFactory.create(Vectors.dense(1, 2, 3), 1.5))));
  }

  @Test
  void theFirstBadRowIsReportedWhateverThePartitioning() {
    assertEquals(
        "train data (t.csv) row 3: label 9 is out of range [0, 4)",
        failure(
            r -> {
              r.set(30, RowFactory.create(Vectors.dense(1, Double.NaN, 3), 1.0));
              r.set(2, RowFactory.create(Vectors.dense(1, 2, 3), 9.0));
            }));
  }

  @Test
  void emptyDataIsRejected() {
    DataException e =
        assertThrows(
            DataException.class,
            () ->
                DataPacker.pack(frame(List.of()), "features", "label", TARGET, 0, 0, "train data"));
    assertEquals("train data has no rows", e.getMessage());
  }

  @Test
  void missingAndMistypedColumnsAreNamed() {
    DataException missing =
        assertThrows(
            DataException.class,
            () -> DataPacker.pack(frame(rows(3)), "pixels", "label", TARGET, 0, 0, "train data"));
    assertEquals(
        "train data has no column 'pixels' (columns: features, label)", missing.getMessage());
    StructType schema =
        new StructType().add("features", DataTypes.StringType).add("label", DataTypes.DoubleType);
    Dataset<Row> strings =
        TestSpark.session().createDataFrame(List.of(RowFactory.create("1,2,3", 1.0)), schema);
    DataException mistyped =
        assertThrows(
            DataException.class,
            () -> DataPacker.pack(strings, "features", "label", TARGET, 0, 0, "train data"));
    assertTrue(
        mistyped.getMessage().contains("column 'features' has type string"), mistyped.getMessage());
  }

  @Test
  void askingForMorePartitionsThanRowsIsAMistakeNamed() {
    DataException e =
        assertThrows(
            DataException.class,
            () ->
                DataPacker.pack(frame(rows(5)), "features", "label", TARGET, 0, 12, "train data"));
    assertEquals("partitions: 12 is more than the 5 rows of train data", e.getMessage());
  }

  @Test
  void emptyPartitionsArePackedAndSkipped() {
    // 5 rows in 8 slices: parallelize leaves 3 of them empty.
    Dataset<Row> sparse =
        TestSpark.session()
            .createDataFrame(
                org.apache.spark.api.java.JavaSparkContext.fromSparkContext(
                        TestSpark.session().sparkContext())
                    .parallelize(rows(5), 8),
                TestSpark.SCHEMA);
    PackedData packed = DataPacker.pack(sparse, "features", "label", TARGET, 0, 0, "train data");
    try {
      assertEquals(8, packed.train().getNumPartitions());
      List<Integer> rowsPerPartition =
          packed
              .train()
              .mapPartitions(
                  it -> {
                    int n = 0;
                    while (it.hasNext()) {
                      n += it.next().rows;
                    }
                    return List.of(n).iterator();
                  })
              .collect();
      assertTrue(rowsPerPartition.contains(0), "some partitions are empty: " + rowsPerPartition);
      assertEquals(5, packed.trainRows());
    } finally {
      packed.unpersist();
    }
  }

  @Test
  void validationSplitTakesTheLastRowsAsKerasDoes() {
    // Keras: split_at = ceil(n * (1 - split)); 41 rows with split 0.25 -> 31 train, 10 validation.
    PackedData packed = DataPacker.pack(frame(rows(41)), "features", "label", TARGET, 0.25, 3, "d");
    try {
      assertEquals(31, packed.trainRows());
      assertEquals(10, packed.validationRows());
      long minValidationId =
          packed
              .validation()
              .map(b -> java.util.Arrays.stream(b.ids).min().orElse(99))
              .reduce(Math::min);
      assertEquals(31, minValidationId);
    } finally {
      packed.unpersist();
    }
  }

  @Test
  void fingerprintIgnoresPartitioningButSeesChanges() {
    long a = pack(rows(30), 1);
    long b = pack(rows(30), 4);
    List<Row> changed = rows(30);
    changed.set(7, RowFactory.create(Vectors.dense(7, 8, 9.5), 3.0));
    assertEquals(a, b);
    assertTrue(a != pack(changed, 1));
  }

  private static long pack(List<Row> rows, int partitions) {
    PackedData packed =
        DataPacker.pack(frame(rows), "features", "label", TARGET, 0, partitions, "d");
    packed.unpersist();
    return packed.fingerprint();
  }

  @Test
  void arrayColumnsAndOneHotLabelsArePacked() {
    StructType schema =
        new StructType()
            .add("x", DataTypes.createArrayType(DataTypes.FloatType))
            .add("y", DataTypes.createArrayType(DataTypes.DoubleType));
    List<Row> rows =
        List.of(
            RowFactory.create(new float[] {1, 2, 3}, new double[] {0, 1, 0, 0}),
            RowFactory.create(new float[] {4, 5, 6}, new double[] {0.5, 0.5, 0, 0}));
    List<Row> wrapped = new ArrayList<>();
    for (Row r : rows) {
      wrapped.add(RowFactory.create(toList((float[]) r.get(0)), toList((double[]) r.get(1))));
    }
    PackedData packed =
        DataPacker.pack(
            TestSpark.session().createDataFrame(wrapped, schema),
            "x",
            "y",
            new DataPacker.Target(3, 4, Loss.CATEGORICAL_CROSSENTROPY),
            0,
            1,
            "d");
    try {
      assertEquals(4, packed.labelWidth());
      Block b = packed.train().first();
      assertEquals(List.of(1f, 2f, 3f, 4f, 5f, 6f), toList(b.features));
      assertEquals(List.of(0f, 1f, 0f, 0f, 0.5f, 0.5f, 0f, 0f), toList(b.labels));
    } finally {
      packed.unpersist();
    }
  }

  private static List<Object> toList(float[] values) {
    List<Object> list = new ArrayList<>();
    for (float v : values) {
      list.add(v);
    }
    return list;
  }

  private static List<Object> toList(double[] values) {
    List<Object> list = new ArrayList<>();
    for (double v : values) {
      list.add(v);
    }
    return list;
  }
}
