package org.sparkdp.driver;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Totals;

/**
 * One Spark job per step: the driver broadcasts the parameters, every task adds up its rows of the step
 * ({@link StepCompute}), and {@code treeReduce} sums the tasks' results. Works with any number of partitions and
 * any cluster, at the price of Spark's scheduling per step (milliseconds). Each epoch's order of the rows is
 * computed once per partition and cached.
 */
final class JobSession implements StepSession {
  private final JavaSparkContext jsc;
  private final JavaRDD<Block> train;
  private final JavaRDD<Block> validation;
  private final Batches batches;
  private final Network network;
  private final int threads;
  private final int treeDepth;
  private final long timeoutMillis;
  private JavaRDD<EpochOrder> orders;
  private int ordersEpoch = -1;

  JobSession(JavaSparkContext jsc, JavaRDD<Block> train, JavaRDD<Block> validation, Batches batches,
      Network network, int threads, int treeDepth, long timeoutMillis) {
    this.timeoutMillis = timeoutMillis;
    this.jsc = jsc;
    this.train = train;
    this.validation = validation;
    this.batches = batches;
    this.network = network;
    this.threads = threads;
    this.treeDepth = treeDepth;
  }

  /** Tasks read their whole iterators, so Spark releases the cached blocks' read locks as each task ends. */
  @Override
  public GradientSum step(int epoch, int step, float[] params) {
    if (epoch != ordersEpoch) {
      releaseOrders();
      Batches b = batches;
      orders = train.mapPartitions(blocks -> List.of(b.order(SyncTrainer.toList(blocks), epoch)).iterator(), true);
      orders.persist(StorageLevel.MEMORY_AND_DISK());
      ordersEpoch = epoch;
    }
    Broadcast<float[]> weights = jsc.broadcast(params.clone());
    Network net = network;
    int t = threads;
    JavaRDD<EpochOrder> stepOrders = orders;
    try {
      return SparkWaits.call(jsc, "step " + (step + 1) + " of epoch " + (epoch + 1), timeoutMillis,
          () -> train.zipPartitions(stepOrders, (blocks, order) -> List.of(StepCompute.gradient(
              SyncTrainer.toList(blocks), SyncTrainer.toList(order).get(0), step, weights.value(), net, t)).iterator())
              .treeReduce(GradientSum::merge, treeDepth));
    } finally {
      weights.destroy();
    }
  }

  @Override
  public Totals validate(float[] params) {
    return SparkWaits.call(jsc, "validation", timeoutMillis,
        () -> Evaluator.evaluate(jsc, network, params, validation));
  }

  private void releaseOrders() {
    if (orders != null) {
      orders.unpersist(false);
      orders = null;
    }
  }

  @Override
  public void close() {
    releaseOrders();
  }
}
