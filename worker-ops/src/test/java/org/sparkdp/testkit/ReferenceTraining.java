package org.sparkdp.testkit;

import java.util.function.IntFunction;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Optimizer;
import org.sparkdp.ops.OptimizerState;
import org.sparkdp.ops.Penalty;
import org.sparkdp.ops.Permutation;
import org.sparkdp.ops.Seeds;
import org.sparkdp.ops.Totals;

/**
 * Plain mini-batch training on one machine, written out without Spark, blocks or chunks: each epoch
 * takes the examples in an order, cuts it into consecutive batches, and applies the optimizer to
 * each batch's mean gradient plus the regularizers' (dropout drawing its masks from each example's
 * id and the epoch). The tests compare sparkdp's distributed training with it.
 */
public final class ReferenceTraining {
  private ReferenceTraining() {}

  /**
   * {@code sync}'s order, as the README defines it: epoch {@code e} puts example {@code id} at
   * position {@code permutation(id)} of a Feistel permutation keyed by the seed and {@code e}.
   */
  public static IntFunction<int[]> syncOrder(int rows, long seed) {
    return epoch -> inverse(new Permutation(rows, Seeds.mix(seed, 0x5ef1eL, epoch)), rows);
  }

  /** {@code local}'s order of one partition's rows (numbered in the partition from 0). */
  public static IntFunction<int[]> localOrder(int rows, long seed, int partition) {
    return epoch ->
        inverse(new Permutation(rows, Seeds.mix(seed, 0x10ca1L, epoch, partition)), rows);
  }

  /**
   * {@code epochs} epochs of {@code data} in {@code order(epoch)} from {@code start}; returns the
   * parameters.
   */
  public static float[] train(
      Network network,
      Optimizer optimizer,
      float[] start,
      Blobs data,
      int batchSize,
      int epochs,
      IntFunction<int[]> order) {
    return train(network, optimizer, start, data, batchSize, epochs, order, Penalty.NONE, null);
  }

  /** As the other {@code train}, with {@code penalty}'s gradient added to the regularizers'. */
  public static float[] train(
      Network network,
      Optimizer optimizer,
      float[] start,
      Blobs data,
      int batchSize,
      int epochs,
      IntFunction<int[]> order,
      Penalty penalty) {
    return train(network, optimizer, start, data, batchSize, epochs, order, penalty, null);
  }

  /**
   * {@link #train} with each example's loss weighted by {@code weights[id]} (Keras' class or sample
   * weights): the batch's gradient is the sum of each example's own gradient times its weight,
   * divided by the number of examples (Keras' {@code sum_over_batch_size}).
   */
  public static float[] train(
      Network network,
      Optimizer optimizer,
      float[] start,
      Blobs data,
      int batchSize,
      int epochs,
      IntFunction<int[]> order,
      float[] weights) {
    return train(network, optimizer, start, data, batchSize, epochs, order, Penalty.NONE, weights);
  }

  private static float[] train(
      Network network,
      Optimizer optimizer,
      float[] start,
      Blobs data,
      int batchSize,
      int epochs,
      IntFunction<int[]> order,
      Penalty penalty,
      float[] weights) {
    float[] params = start.clone();
    OptimizerState state = optimizer.newState(params.length);
    int n = data.rows();
    int in = data.dim();
    for (int epoch = 0; epoch < epochs; epoch++) {
      int[] ids = order.apply(epoch);
      for (int first = 0; first < n; first += batchSize) {
        int rows = Math.min(batchSize, n - first);
        float[] x = new float[rows * in];
        float[] y = new float[rows];
        long[] batchIds = new long[rows];
        for (int i = 0; i < rows; i++) {
          System.arraycopy(data.x(), ids[first + i] * in, x, i * in, in);
          y[i] = data.labels()[ids[first + i]];
          batchIds[i] = ids[first + i];
        }
        float[] grad = new float[params.length];
        if (weights == null) {
          network.accumulate(
              params,
              x,
              0,
              y,
              0,
              batchIds,
              0,
              epoch,
              rows,
              grad,
              new Totals(),
              network.newWorkspace(rows));
        } else {
          // One example at a time, its own gradient scaled by its weight.
          for (int i = 0; i < rows; i++) {
            float[] one = new float[params.length];
            network.accumulate(
                params,
                x,
                i * in,
                y,
                i,
                batchIds,
                i,
                epoch,
                1,
                one,
                new Totals(),
                network.newWorkspace(1));
            float w = weights[(int) batchIds[i]];
            for (int j = 0; j < grad.length; j++) {
              grad[j] += w * one[j];
            }
          }
        }
        for (int i = 0; i < grad.length; i++) {
          grad[i] /= rows;
        }
        network.regularization().plus(penalty).apply(params, grad);
        optimizer.step(params, grad, state, network.layout().bounds());
      }
    }
    return params;
  }

  /** {@code order[position] = id} for a permutation of ids to positions. */
  private static int[] inverse(Permutation permutation, int rows) {
    int[] order = new int[rows];
    for (int id = 0; id < rows; id++) {
      order[(int) permutation.apply(id)] = id;
    }
    return order;
  }
}
