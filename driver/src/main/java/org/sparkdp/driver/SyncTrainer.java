package org.sparkdp.driver;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.OptimizerState;
import org.sparkdp.ops.Permutation;
import org.sparkdp.ops.Seeds;
import org.sparkdp.ops.Totals;

/**
 * Exact data-parallel mini-batch SGD. Each epoch shuffles the training examples by a keyed permutation of their
 * ids (seed and epoch), so step {@code s} trains exactly the examples at positions
 * {@code [s * batchSize, (s + 1) * batchSize)} whatever the partitioning. Per step the driver broadcasts the
 * parameters, every task adds up the gradient, loss and correct count of its examples in the step,
 * {@code treeReduce} sums them, and the driver applies the optimizer to the mean gradient.
 */
public final class SyncTrainer {
  /** Rows one kernel call handles at most; a larger batch is processed in chunks whose gradients add up. */
  static final int CHUNK_ROWS = 256;
  private static final long SHUFFLE_KEY = 0x5ef1eL;

  private final JavaSparkContext jsc;
  private final Network network;
  private final CompileConfig compile;
  private final FitOptions options;

  public SyncTrainer(JavaSparkContext jsc, Network network, CompileConfig compile, FitOptions options) {
    this.jsc = jsc;
    this.network = network;
    this.compile = compile;
    this.options = options.check();
  }

  /**
   * Trains {@code params} (updated in place, with {@code state}) for the configured epochs, validating after each
   * on {@code validation} when it is not {@code null}.
   */
  public History fit(float[] params, OptimizerState state, PackedData data, JavaRDD<Block> validation) {
    long rows = data.trainRows();
    long batch = options.batchSize() == FitOptions.ALL ? rows : options.batchSize();
    int steps = (int) ((rows + batch - 1) / batch);
    int epochs = options.epochs();
    History history = new History();
    if (options.verbose() > 0) {
      System.out.printf(Locale.ROOT, "Training on %d rows in %d partitions%s; %d steps of batch %d per epoch (%s)%n",
          rows, data.train().getNumPartitions(),
          validation == null ? "" : ", validating on " + Evaluator.count(validation) + " rows", steps, batch,
          options.strategy());
    }
    for (int epoch = 0; epoch < epochs; epoch++) {
      long started = System.nanoTime();
      Permutation permutation = new Permutation(rows, Seeds.mix(options.seed(), SHUFFLE_KEY, epoch));
      long batchSize = batch;
      JavaRDD<EpochOrder> orders = data.train().mapPartitions(
          blocks -> List.of(EpochOrder.of(toList(blocks), permutation, batchSize, steps)).iterator(), true);
      orders.persist(StorageLevel.MEMORY_AND_DISK());
      Totals epochTotals = new Totals();
      float[] mean = new float[params.length];
      for (int step = 0; step < steps; step++) {
        jsc.setJobDescription(String.format(Locale.ROOT, "sparkdp epoch %d/%d step %d/%d", epoch + 1, epochs,
            step + 1, steps));
        GradientSum sum = step(params, data.train(), orders, step);
        if (sum.gradient == null || sum.totals.count == 0) {
          throw new IllegalStateException("step " + (step + 1) + " of epoch " + (epoch + 1) + " found no examples");
        }
        if (!Double.isFinite(sum.totals.loss)) {
          orders.unpersist(false);
          throw new TrainingDivergedException(String.format(Locale.ROOT,
              "training diverged: the loss became %s at epoch %d, step %d (lower the learning rate?)",
              sum.totals.loss, epoch + 1, step + 1));
        }
        float inverse = 1f / sum.totals.count;
        for (int i = 0; i < mean.length; i++) {
          mean[i] = sum.gradient[i] * inverse;
        }
        compile.optimizer().step(params, mean, state);
        epochTotals.add(sum.totals);
      }
      orders.unpersist(false);
      history.add("loss", epochTotals.meanLoss());
      if (compile.reportsAccuracy()) {
        history.add("accuracy", epochTotals.accuracy());
      }
      if (validation != null) {
        jsc.setJobDescription(String.format(Locale.ROOT, "sparkdp epoch %d/%d validation", epoch + 1, epochs));
        Totals v = Evaluator.evaluate(jsc, network, params, validation);
        history.add("val_loss", v.meanLoss());
        if (compile.reportsAccuracy()) {
          history.add("val_accuracy", v.accuracy());
        }
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      history.addEpochSeconds(seconds);
      if (options.verbose() > 0) {
        System.out.println(progressLine(history, epoch, epochs, seconds));
      }
    }
    jsc.setJobDescription(null);
    return history;
  }

  /**
   * One synchronous step: the summed gradient of the step's examples at {@code params}. Tasks read their whole
   * iterators, so Spark releases the cached blocks' read locks as soon as each task is done.
   */
  private GradientSum step(float[] params, JavaRDD<Block> train, JavaRDD<EpochOrder> orders, int step) {
    Broadcast<float[]> weights = jsc.broadcast(params.clone());
    Network net = network;
    try {
      return train.zipPartitions(orders,
          (blocks, order) -> List.of(partitionGradient(toList(blocks), toList(order).get(0), step, weights.value(),
              net)).iterator())
          .treeReduce(GradientSum::merge, options.treeDepth());
    } finally {
      weights.destroy();
    }
  }

  /** A task's part of one step: the gradient sum over its rows of the step, in chunks of {@link #CHUNK_ROWS}. */
  static GradientSum partitionGradient(List<Block> blocks, EpochOrder order, int step, float[] params,
      Network network) {
    GradientSum sum = new GradientSum();
    int begin = order.stepBegin(step);
    int end = order.stepEnd(step);
    if (begin == end) {
      return sum;
    }
    TaskBuffers buffers = TaskBuffers.get(network, CHUNK_ROWS);
    sum.gradient = new float[params.length];
    for (int k = begin; k < end; k += CHUNK_ROWS) {
      int n = Math.min(CHUNK_ROWS, end - k);
      for (int i = 0; i < n; i++) {
        int local = order.rowAt(k + i);
        int b = order.block(local);
        buffers.gather(blocks.get(b), order.row(local, b), i);
      }
      network.accumulate(params, buffers.features, 0, buffers.labels, 0, n, sum.gradient, sum.totals,
          buffers.workspace);
    }
    return sum;
  }

  static String progressLine(History history, int epoch, int epochs, double seconds) {
    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "Epoch %d/%d - %.1fs", epoch + 1, epochs,
        seconds));
    history.history().forEach((metric, values) -> line.append(String.format(Locale.ROOT, " - %s: %.4f", metric,
        values.get(values.size() - 1))));
    return line.toString();
  }

  static <T> List<T> toList(Iterator<T> it) {
    List<T> list = new ArrayList<>();
    it.forEachRemaining(list::add);
    return list;
  }
}
