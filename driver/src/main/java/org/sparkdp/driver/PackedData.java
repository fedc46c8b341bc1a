package org.sparkdp.driver;

import org.apache.spark.api.java.JavaRDD;

/**
 * A data set checked and packed into cached {@link Block}s: the rows to train on and, when a {@code
 * validation_split} was taken off the end, the rows to validate on.
 *
 * @param name how messages name the data (e.g. {@code "train data (/data/train.csv)"})
 * @param fingerprint order-independent hash of every row's id, features and label: the same rows
 *     give the same value however they are partitioned
 * @param partitionRows training rows in each partition of {@code all}
 * @param partitionHomes the executor that cached each partition of {@code all} ({@code
 *     executor_HOST_ID}), as a scheduling hint
 */
record PackedData(
    String name,
    JavaRDD<Block> all,
    JavaRDD<Block> train,
    JavaRDD<Block> validation,
    long trainRows,
    long validationRows,
    int inputDim,
    int labelWidth,
    long fingerprint,
    long[] partitionRows,
    String[] partitionHomes) {

  /** The training rows' size as float32 blocks (features, labels and ids). */
  long packedBytes() {
    return trainRows * (4L * (inputDim + labelWidth) + 8);
  }

  /** Releases the cached blocks. */
  void unpersist() {
    all.unpersist(false);
  }
}
