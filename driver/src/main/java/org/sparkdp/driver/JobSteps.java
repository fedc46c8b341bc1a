package org.sparkdp.driver;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.sparkdp.ops.Network;

/**
 * One Spark job per step: the driver broadcasts the parameters, every task adds up its rows of the step
 * ({@link StepCompute}), and {@code treeReduce} sums the tasks' results. Works with any number of partitions and
 * any cluster, at the price of Spark's scheduling per step (milliseconds).
 */
final class JobSteps implements EpochSteps {
  private final JavaSparkContext jsc;
  private final JavaRDD<Block> train;
  private final JavaRDD<EpochOrder> orders;
  private final Network network;
  private final int threads;
  private final int treeDepth;

  JobSteps(JavaSparkContext jsc, JavaRDD<Block> train, Batches batches, int epoch, Network network, int threads,
      int treeDepth) {
    this.jsc = jsc;
    this.train = train;
    this.network = network;
    this.threads = threads;
    this.treeDepth = treeDepth;
    this.orders = train.mapPartitions(blocks -> List.of(batches.order(SyncTrainer.toList(blocks), epoch)).iterator(),
        true);
    orders.persist(StorageLevel.MEMORY_AND_DISK());
  }

  /** Tasks read their whole iterators, so Spark releases the cached blocks' read locks as each task ends. */
  @Override
  public GradientSum step(int step, float[] params) {
    Broadcast<float[]> weights = jsc.broadcast(params.clone());
    Network net = network;
    int t = threads;
    try {
      return train.zipPartitions(orders, (blocks, order) -> List.of(StepCompute.gradient(SyncTrainer.toList(blocks),
          SyncTrainer.toList(order).get(0), step, weights.value(), net, t)).iterator())
          .treeReduce(GradientSum::merge, treeDepth);
    } finally {
      weights.destroy();
    }
  }

  @Override
  public void close() {
    orders.unpersist(false);
  }
}
