package org.sparkdp.driver;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** One local Spark for every test class of the module, and seeded data generators. */
final class TestSpark {
  private TestSpark() {}

  static SparkSession session() {
    return SparkSession.builder()
        .master("local[2]")
        .appName("sparkdp-driver-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate();
  }

  static final StructType SCHEMA =
      new StructType()
          .add("features", SQLDataTypes.VectorType(), false)
          .add("label", DataTypes.DoubleType, false);

  /**
   * {@code rows} examples of {@code classes} Gaussian blobs in {@code dim} dimensions: label {@code
   * c} centred at a seeded random point, so a small network can learn it.
   */
  static List<Row> blobs(int rows, int dim, int classes, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[][] centres = new double[classes][dim];
    for (double[] c : centres) {
      for (int j = 0; j < dim; j++) {
        c[j] = 3 * random.nextGaussian();
      }
    }
    List<Row> list = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      int label = random.nextInt(classes);
      double[] x = new double[dim];
      for (int j = 0; j < dim; j++) {
        x[j] = centres[label][j] + random.nextGaussian();
      }
      list.add(RowFactory.create(Vectors.dense(x), (double) label));
    }
    return list;
  }

  /** The rows as a data frame, in list order (which fixes their ids). */
  static Dataset<Row> frame(List<Row> rows) {
    return session().createDataFrame(rows, SCHEMA);
  }
}
