package org.sparkdp.driver;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.sparkdp.ops.ActivationBudget;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Totals;

/**
 * Distributed evaluation: loss, accuracy and metric sums of the given parameters over packed blocks
 * (each example's loss weighted when the blocks have weights), with no gradient.
 */
final class Evaluator {
  private Evaluator() {}

  /** Summed loss, correct count, metric sums and count over every row of {@code blocks}. */
  static Totals evaluate(
      JavaSparkContext jsc, Network network, float[] params, JavaRDD<Block> blocks) {
    Broadcast<float[]> weights = jsc.broadcast(params.clone());
    try {
      // Collected in partition order and added here, so that a rerun reports the same bits.
      Totals total = new Totals();
      blocks
          .mapPartitions(
              it -> List.of(evaluate(Block.all(it), weights.value(), network)).iterator())
          .collect()
          .forEach(total::add);
      return total;
    } finally {
      weights.destroy();
    }
  }

  /** Summed loss, correct count and count over {@code blocks}, in this thread. */
  static Totals evaluate(List<Block> blocks, float[] params, Network network) {
    Totals totals = new Totals();
    TaskBuffers buffers =
        TaskBuffers.get(
            network, ActivationBudget.passRows(network.spec(), StepCompute.CHUNK_ROWS, "layers"));
    for (Block b : blocks) {
      network.evaluate(
          params, b.features, 0, b.labels, 0, b.weights, 0, b.rows, totals, buffers.workspace);
    }
    return totals;
  }
}
