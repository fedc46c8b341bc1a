package org.sparkdp.driver;

import java.io.Serializable;
import org.sparkdp.FitOptions;
import org.sparkdp.ops.Permutation;
import org.sparkdp.ops.Seeds;

/**
 * How {@code rows} training examples are cut into batches: {@code steps = ceil(rows / batchSize)}
 * per epoch, in the order of a permutation of the example ids keyed by the seed and the epoch.
 */
record Batches(long rows, long batchSize, int steps, long seed) implements Serializable {
  private static final long SHUFFLE_KEY = 0x5ef1eL;

  static Batches of(long rows, int batchSize, long seed) {
    long batch = batchSize == FitOptions.ALL ? rows : batchSize;
    long steps = (rows + batch - 1) / batch;
    if (steps > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("more than 2^31 steps per epoch; raise batch_size");
    }
    return new Batches(rows, batch, (int) steps, seed);
  }

  /** The shuffled order of {@code epoch} (counted from 0). */
  Permutation permutation(int epoch) {
    return new Permutation(rows, Seeds.mix(seed, SHUFFLE_KEY, epoch));
  }

  /** One partition's rows of {@code epoch}, grouped by step. */
  EpochOrder order(java.util.List<Block> blocks, int epoch) {
    return EpochOrder.of(blocks, epoch, permutation(epoch), batchSize, steps);
  }
}
