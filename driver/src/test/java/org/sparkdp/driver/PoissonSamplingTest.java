package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.sparkdp.ops.privacy.DifferentialPrivacy;
import org.sparkdp.ops.privacy.DifferentialPrivacy.Sampling;

/**
 * DP-SGD's Poisson sampling in the tasks' epoch orders: every example joins every step
 * independently with probability {@code q}, the same whatever the partitioning and the order of the
 * rows in a partition, and within a step the rows come in the order of their ids.
 */
class PoissonSamplingTest {
  private static final int ROWS = 3000;
  private static final int BATCH = 60;

  /** {@code ids} as blocks of at most {@code size} rows (features and labels do not matter). */
  private static List<Block> blocks(List<Long> ids, int size) {
    List<Block> blocks = new ArrayList<>();
    for (int start = 0; start < ids.size(); start += size) {
      int n = Math.min(size, ids.size() - start);
      long[] own = new long[n];
      for (int i = 0; i < n; i++) {
        own[i] = ids.get(start + i);
      }
      blocks.add(new Block(n, 1, 1, new float[n], new float[n], own, null, false, null, -1, 0));
    }
    return blocks;
  }

  private static List<Long> ids(int from, int to) {
    List<Long> ids = new ArrayList<>();
    for (long i = from; i < to; i++) {
      ids.add(i);
    }
    return ids;
  }

  /** Each step's example ids, as the partitions {@code parts} find them together. */
  private static List<List<Long>> steps(Batches batches, int epoch, List<List<Block>> parts) {
    List<List<Long>> steps = new ArrayList<>();
    for (int s = 0; s < batches.steps(); s++) {
      steps.add(new ArrayList<>());
    }
    for (List<Block> part : parts) {
      EpochOrder order = batches.order(part, epoch);
      for (int s = 0; s < batches.steps(); s++) {
        long previous = Long.MIN_VALUE;
        for (int k = order.stepBegin(s); k < order.stepEnd(s); k++) {
          int local = order.rowAt(k);
          int b = order.block(local);
          long id = part.get(b).ids[order.row(local, b)];
          assertTrue(
              batches.sampleRate() == 0 || id > previous,
              "a step's rows in the order of their ids");
          previous = id;
          steps.get(s).add(id);
        }
      }
    }
    steps.forEach(java.util.Collections::sort);
    return steps;
  }

  private static Batches poisson() {
    return Batches.of(ROWS, BATCH, 17, DifferentialPrivacy.of(1.0, 1.0));
  }

  @Test
  void theStepsExamplesDoNotDependOnThePartitioningOrTheRowsOrder() {
    Batches batches = poisson();
    List<List<Long>> one = steps(batches, 2, List.of(blocks(ids(0, ROWS), 512)));
    List<Long> shuffled = ids(0, ROWS);
    java.util.Collections.shuffle(shuffled, new java.util.Random(3));
    List<List<Block>> three =
        List.of(
            blocks(shuffled.subList(0, 1000), 100),
            blocks(shuffled.subList(1000, 1700), 333),
            blocks(shuffled.subList(1700, ROWS), 2000));
    assertEquals(one, steps(batches, 2, three));
    assertTrue(!one.equals(steps(batches, 3, List.of(blocks(ids(0, ROWS), 512)))), "epochs differ");
  }

  @Test
  void eachExampleJoinsEachStepWithTheSampleRateIndependently() {
    Batches batches = poisson();
    double q = (double) BATCH / ROWS;
    assertEquals(q, batches.sampleRate(), 0);
    int steps = batches.steps();
    assertEquals(ROWS / BATCH, steps);
    long total = 0;
    long[] perRow = new long[ROWS];
    // Pairs of consecutive steps an example joins both of: q^2 for independent draws.
    long both = 0;
    int epochs = 20;
    for (int epoch = 0; epoch < epochs; epoch++) {
      List<List<Long>> order = steps(batches, epoch, List.of(blocks(ids(0, ROWS), 700)));
      for (int s = 0; s < steps; s++) {
        total += order.get(s).size();
        for (long id : order.get(s)) {
          perRow[(int) id]++;
        }
        if (s > 0) {
          Set<Long> previous = new TreeSet<>(order.get(s - 1));
          both += order.get(s).stream().filter(previous::contains).count();
        }
      }
    }
    double trials = (double) ROWS * steps * epochs;
    // Binomial counts within five standard deviations.
    assertEquals(trials * q, total, 5 * Math.sqrt(trials * q * (1 - q)), "examples drawn");
    double pairs = (double) ROWS * (steps - 1) * epochs;
    assertEquals(
        pairs * q * q, both, 5 * Math.sqrt(pairs * q * q * (1 - q * q)), "consecutive pairs");
    // Each example's count over all steps is Binomial(steps * epochs, q): its variance too.
    double n = (double) steps * epochs;
    double mean = n * q;
    double variance = 0;
    for (long c : perRow) {
      variance += (c - mean) * (c - mean);
    }
    variance /= ROWS;
    double expected = n * q * (1 - q);
    // The sample variance of ROWS draws: standard error about expected * sqrt(2 / ROWS).
    assertEquals(expected, variance, 5 * expected * Math.sqrt(2.0 / ROWS), "per-example spread");
  }

  @Test
  void shuffledBatchesStayTheFitsBatchesWithTheClipNorm() {
    Batches plain = Batches.of(ROWS, BATCH, 17);
    Batches shuffled =
        Batches.of(
            ROWS, BATCH, 17, DifferentialPrivacy.of(0.5, 1.0).withSampling(Sampling.SHUFFLE));
    List<List<Block>> parts = List.of(blocks(ids(0, ROWS), 512));
    assertEquals(steps(plain, 1, parts), steps(shuffled, 1, parts));
    assertEquals(0.5, shuffled.order(parts.get(0), 1).l2NormClip(), 0);
    assertEquals(0, plain.order(parts.get(0), 1).l2NormClip(), 0);
    assertEquals(0, shuffled.sampleRate(), 0);
    assertEquals((double) BATCH / ROWS, shuffled.accountedRate(), 0);
  }
}
