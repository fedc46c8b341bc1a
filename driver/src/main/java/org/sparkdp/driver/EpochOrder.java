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
 *
 * <p>With differential privacy's Poisson sampling ({@link #poisson}) each example joins each step
 * independently, so a row may sit in several steps of an epoch or in none, and a step's rows come
 * in the order of their global ids. The order also carries the clip norm of each example's gradient
 * ({@link #l2NormClip}, 0 without differential privacy), which every path's tasks apply.
 */
final class EpochOrder implements Serializable {
  private final int epoch;
  private final long batchSize;
  private final int[] stepStart;
  private final int[] rows;
  private final int[] blockStart;
  private final double l2NormClip;

  private EpochOrder(
      int epoch, long batchSize, int[] stepStart, int[] rows, int[] blockStart, double l2NormClip) {
    this.epoch = epoch;
    this.l2NormClip = l2NormClip;
    this.batchSize = batchSize;
    this.stepStart = stepStart;
    this.rows = rows;
    this.blockStart = blockStart;
  }

  static EpochOrder of(
      List<Block> blocks,
      int epoch,
      Permutation permutation,
      long batchSize,
      int steps,
      double l2NormClip) {
    int[] blockStart = blockStarts(blocks);
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
    return new EpochOrder(epoch, batchSize, stepStart, rows, blockStart, l2NormClip);
  }

  private static int[] blockStarts(List<Block> blocks) {
    int[] blockStart = new int[blocks.size() + 1];
    for (int b = 0; b < blocks.size(); b++) {
      blockStart[b + 1] = blockStart[b] + blocks.get(b).rows;
    }
    return blockStart;
  }

  /**
   * Poisson sampling: the example with global id {@code i} joins each of the epoch's {@code steps}
   * steps independently with probability {@code sampleRate}. Its steps are drawn as geometric gaps
   * (the number of steps skipped before the next one it joins, {@code floor(ln u / ln(1 - q))} for
   * a uniform {@code u} in (0, 1]) from a counter-based generator keyed by {@code key} (the seed
   * and the epoch) and {@code i}, in {@link StrictMath}: the same on every executor, whatever the
   * partitioning, in work proportional to the rows and the steps they join. {@code batchSize} is
   * the expected batch; a step may have more rows (a task processes them in chunks).
   */
  static EpochOrder poisson(
      List<Block> blocks,
      int epoch,
      long key,
      double sampleRate,
      long batchSize,
      int steps,
      double l2NormClip) {
    int[] blockStart = blockStarts(blocks);
    int n = blockStart[blocks.size()];
    // Each row's rank by global id: within a step, rows come in the order of their ids.
    long[] ids = new long[n];
    int r = 0;
    for (Block block : blocks) {
      for (int i = 0; i < block.rows; i++, r++) {
        ids[r] = block.ids[i];
      }
    }
    Integer[] byId = new Integer[n];
    for (int i = 0; i < n; i++) {
      byId[i] = i;
    }
    java.util.Arrays.sort(byId, (a, b) -> Long.compare(ids[a], ids[b]));
    int[] rank = new int[n];
    for (int k = 0; k < n; k++) {
      rank[byId[k]] = k;
    }
    double logNot = StrictMath.log1p(-Math.min(sampleRate, 1.0));
    int[] stepOf = new int[Math.max(16, (int) Math.min(Integer.MAX_VALUE - 8, 2L * n))];
    int[] rowOf = new int[stepOf.length];
    int entries = 0;
    int[] stepStart = new int[steps + 1];
    for (int row = 0; row < n; row++) {
      long rowKey = org.sparkdp.ops.Seeds.mix(key, ids[row]);
      double s = -1;
      for (long k = 0; ; k++) {
        double u =
            ((org.sparkdp.ops.Seeds.mix64(rowKey + (k + 1) * 0x9e3779b97f4a7c15L) >>> 11) + 1)
                * 0x1.0p-53;
        double gap = sampleRate >= 1 ? 0 : Math.floor(StrictMath.log(u) / logNot);
        s += 1 + gap;
        if (s >= steps) {
          break;
        }
        if (entries == stepOf.length) {
          int grown = (int) Math.min(Integer.MAX_VALUE - 8, 2L * entries);
          if (grown == entries) {
            throw new IllegalStateException("more than 2^31 sampled rows in one epoch");
          }
          stepOf = java.util.Arrays.copyOf(stepOf, grown);
          rowOf = java.util.Arrays.copyOf(rowOf, grown);
        }
        stepOf[entries] = (int) s;
        rowOf[entries] = row;
        entries++;
        stepStart[(int) s + 1]++;
      }
    }
    for (int s = 0; s < steps; s++) {
      stepStart[s + 1] += stepStart[s];
    }
    int[] next = stepStart.clone();
    int[] ranked = new int[entries];
    for (int e = 0; e < entries; e++) {
      ranked[next[stepOf[e]]++] = rank[rowOf[e]];
    }
    int[] rows = new int[entries];
    for (int s = 0; s < steps; s++) {
      java.util.Arrays.sort(ranked, stepStart[s], stepStart[s + 1]);
    }
    for (int e = 0; e < entries; e++) {
      rows[e] = byId[ranked[e]];
    }
    return new EpochOrder(epoch, batchSize, stepStart, rows, blockStart, l2NormClip);
  }

  /** The clip norm of each example's gradient (differential privacy), or 0 for none. */
  double l2NormClip() {
    return l2NormClip;
  }

  /** The epoch this is the order of (counted from 0); dropout's masks depend on it. */
  int epoch() {
    return epoch;
  }

  /**
   * The global batch size: no task's share of a step has more rows (with Poisson sampling, the
   * expected batch size, which a step may exceed).
   */
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
