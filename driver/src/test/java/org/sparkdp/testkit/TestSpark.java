package org.sparkdp.testkit;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** One local Spark for every test class of a module's run, and data frames of {@link Blobs}. */
public final class TestSpark {
  public static final StructType SCHEMA =
      new StructType()
          .add("features", SQLDataTypes.VectorType(), false)
          .add("label", DataTypes.DoubleType, false);

  private TestSpark() {}

  public static SparkSession session() {
    return SparkSession.builder()
        .master("local[2]")
        .appName("sparkdp-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate();
  }

  /**
   * The examples as a data frame with a vector {@code features} and a {@code label}, in order
   * (their ids).
   */
  public static Dataset<Row> frame(Blobs data) {
    List<Row> rows = new ArrayList<>();
    for (int r = 0; r < data.rows(); r++) {
      rows.add(RowFactory.create(Vectors.dense(data.features(r)), (double) data.labels()[r]));
    }
    return session().createDataFrame(rows, SCHEMA);
  }
}
