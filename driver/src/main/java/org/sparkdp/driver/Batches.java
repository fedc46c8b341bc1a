package org.sparkdp.driver;

import java.io.Serializable;
import org.sparkdp.FitOptions;
import org.sparkdp.ops.Permutation;
import org.sparkdp.ops.Seeds;
import org.sparkdp.ops.privacy.DifferentialPrivacy;

/**
 * How {@code rows} training examples are cut into batches: {@code steps = ceil(rows / batchSize)}
 * per epoch, in the order of a permutation of the example ids keyed by the seed and the epoch; or,
 * with differential privacy's Poisson sampling ({@code sampleRate > 0}), as many steps, each of
 * which every example joins with probability {@code sampleRate}. {@code l2NormClip} is the clip
 * norm of each example's gradient (0: none).
 */
record Batches(
    long rows, long batchSize, int steps, long seed, double sampleRate, double l2NormClip)
    implements Serializable {
  private static final long SHUFFLE_KEY = 0x5ef1eL;
  private static final long POISSON_KEY = 0x9015_5011L;

  static Batches of(long rows, int batchSize, long seed) {
    return of(rows, batchSize, seed, null);
  }

  /** The batches of a fit with differential privacy {@code dp} ({@code null}: none). */
  static Batches of(long rows, int batchSize, long seed, DifferentialPrivacy dp) {
    long batch = batchSize == FitOptions.ALL ? rows : batchSize;
    long steps = (rows + batch - 1) / batch;
    if (steps > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("more than 2^31 steps per epoch; raise batch_size");
    }
    double rate =
        dp != null && dp.sampling() == DifferentialPrivacy.Sampling.POISSON
            ? Math.min(1.0, (double) batch / rows)
            : 0;
    return new Batches(rows, batch, (int) steps, seed, rate, dp == null ? 0 : dp.l2NormClip());
  }

  /**
   * The probability with which an example joins a step, as the accountant takes it: the Poisson
   * rate, or for shuffled batches {@code batchSize / rows}.
   */
  double accountedRate() {
    return Math.min(1.0, (double) batchSize / rows);
  }

  /** The shuffled order of {@code epoch} (counted from 0). */
  Permutation permutation(int epoch) {
    return new Permutation(rows, Seeds.mix(seed, SHUFFLE_KEY, epoch));
  }

  /** One partition's rows of {@code epoch}, grouped by step. */
  EpochOrder order(java.util.List<Block> blocks, int epoch) {
    if (sampleRate > 0) {
      return EpochOrder.poisson(
          blocks,
          epoch,
          Seeds.mix(seed, POISSON_KEY, epoch),
          sampleRate,
          batchSize,
          steps,
          l2NormClip);
    }
    return EpochOrder.of(blocks, epoch, permutation(epoch), batchSize, steps, l2NormClip);
  }
}
