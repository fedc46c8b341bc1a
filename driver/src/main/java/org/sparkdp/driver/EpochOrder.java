package org.sparkdp.driver;

import java.io.Serializable;
import java.util.List;
import org.sparkdp.ops.Permutation;

/**
 * One partition's share of an epoch's batches: its rows grouped by the step that trains them. An
 * example with global id {@code i} sits at position {@code permutation(i)} of the epoch's shuffled
 * order and belongs to step {@code position / batchSize}; so every partition finds its rows of a
 * step on its own, and the batches do not depend on how the data is partitioned.
 *
 * <p>Rows are numbered through the partition's blocks in order; {@link #block} and {@link #row}
 * decode them. Within a step, rows come in the order of their positions in the epoch.
 */
final class EpochOrder implements Serializable {
  private final int epoch;
  private final long batchSize;
  private final int[] stepStart;
  private final int[] rows;
  private final int[] blockStart;

  private EpochOrder(int epoch, long batchSize, int[] stepStart, int[] rows, int[] blockStart) {
    this.epoch = epoch;
    this.batchSize = batchSize;
    this.stepStart = stepStart;
    this.rows = rows;
    this.blockStart = blockStart;
  }

  static EpochOrder of(
      List<Block> blocks, int epoch, Permutation permutation, long batchSize, int steps) {
    int[] blockStart = new int[blocks.size() + 1];
    for (int b = 0; b < blocks.size(); b++) {
      blockStart[b + 1] = blockStart[b] + blocks.get(b).rows;
    }
    int n = blockStart[blocks.size()];
    int[] stepOf = new int[n];
    int[] offsetOf = new int[n];
    int[] stepStart = new int[steps + 1];
    int r = 0;
    for (Block block : blocks) {
      for (int i = 0; i < block.rows; i++, r++) {
        long position = permutation.apply(block.ids[i]);
        stepOf[r] = (int) (position / batchSize);
        offsetOf[r] = (int) (position % batchSize);
        stepStart[stepOf[r] + 1]++;
      }
    }
    for (int s = 0; s < steps; s++) {
      stepStart[s + 1] += stepStart[s];
    }
    // Counting sort by step, then each step's rows by their place in the batch: the order in which
    // a task adds up its rows depends on which rows it holds, never on how they are ordered in its
    // partitions (which a shuffle leaves to chance).
    int[] next = stepStart.clone();
    long[] keyed = new long[n];
    for (int i = 0; i < n; i++) {
      keyed[next[stepOf[i]]++] = (long) offsetOf[i] << 32 | i;
    }
    int[] rows = new int[n];
    for (int s = 0; s < steps; s++) {
      java.util.Arrays.sort(keyed, stepStart[s], stepStart[s + 1]);
    }
    for (int k = 0; k < n; k++) {
      rows[k] = (int) keyed[k];
    }
    return new EpochOrder(epoch, batchSize, stepStart, rows, blockStart);
  }

  /** The epoch this is the order of (counted from 0); dropout's masks depend on it. */
  int epoch() {
    return epoch;
  }

  /** The global batch size: no task's share of a step has more rows. */
  long batchSize() {
    return batchSize;
  }

  int stepBegin(int step) {
    return stepStart[step];
  }

  int stepEnd(int step) {
    return stepStart[step + 1];
  }

  /** The local row number at position {@code k} of the step-sorted order. */
  int rowAt(int k) {
    return rows[k];
  }

  int block(int localRow) {
    int b = java.util.Arrays.binarySearch(blockStart, localRow);
    return b >= 0 ? b : -b - 2;
  }

  int row(int localRow, int block) {
    return localRow - blockStart[block];
  }
}
