package org.sparkdp.driver;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.Partition;
import org.apache.spark.rdd.PartitionCoalescer;
import org.apache.spark.rdd.PartitionGroup;
import org.apache.spark.rdd.RDD;
import scala.Option;

/**
 * How the driver channel's tasks share the cached partitions: {@code tasks} runs of consecutive
 * partitions with about equal training rows, so a task's rows, and the sums the driver adds group
 * after group, are in partition order. Each group prefers the executor that cached most of its rows
 * (a hint to Spark's scheduler, at most as many groups per executor as it has slots); rows cached
 * elsewhere are fetched once, when the task starts. Used as a coalescer, so the groups read the
 * cached blocks without a shuffle.
 */
final class TaskGroups implements PartitionCoalescer, Serializable {
  private static final long serialVersionUID = 1L;

  /** Group {@code g} is partitions {@code [starts[g], starts[g + 1])}. */
  private final int[] starts;

  /** Each group's preferred executor location ({@code executor_HOST_ID}), or {@code null}. */
  private final String[] homes;

  private TaskGroups(int[] starts, String[] homes) {
    this.starts = starts;
    this.homes = homes;
  }

  /**
   * @param rows training rows of each partition
   * @param homes where each partition's blocks were cached ({@code executor_HOST_ID}), or {@code
   *     null} entries where unknown
   * @param tasks groups to make, at most the number of partitions
   * @param perExecutor how many groups one executor may be preferred by
   */
  static TaskGroups of(long[] rows, String[] homes, int tasks, int perExecutor) {
    int partitions = rows.length;
    if (tasks < 1 || tasks > partitions) {
      throw new IllegalArgumentException(tasks + " task groups for " + partitions + " partitions");
    }
    long[] before = new long[partitions + 1];
    for (int p = 0; p < partitions; p++) {
      before[p + 1] = before[p] + rows[p];
    }
    int[] starts = new int[tasks + 1];
    starts[tasks] = partitions;
    for (int g = 1; g < tasks; g++) {
      // The first partition with g / tasks of the rows before it, leaving every group one at least.
      long target = before[partitions] * g / tasks;
      int p = starts[g - 1] + 1;
      while (p < partitions - (tasks - g) && before[p] < target) {
        p++;
      }
      starts[g] = p;
    }
    return new TaskGroups(starts, preferences(starts, rows, homes, perExecutor));
  }

  /**
   * Greedy: groups with the strongest claim (most rows on one executor) choose first, each the
   * executor with most of its rows that has a preference left.
   */
  private static String[] preferences(int[] starts, long[] rows, String[] homes, int perExecutor) {
    int tasks = starts.length - 1;
    List<Map<String, Long>> byHome = new ArrayList<>();
    for (int g = 0; g < tasks; g++) {
      Map<String, Long> counts = new HashMap<>();
      for (int p = starts[g]; p < starts[g + 1]; p++) {
        if (homes[p] != null) {
          counts.merge(homes[p], rows[p], Long::sum);
        }
      }
      byHome.add(counts);
    }
    List<Integer> order = new ArrayList<>();
    for (int g = 0; g < tasks; g++) {
      order.add(g);
    }
    order.sort(
        (a, b) ->
            Long.compare(
                byHome.get(b).values().stream().mapToLong(Long::longValue).max().orElse(0),
                byHome.get(a).values().stream().mapToLong(Long::longValue).max().orElse(0)));
    Map<String, Integer> taken = new HashMap<>();
    String[] chosen = new String[tasks];
    for (int g : order) {
      String best = null;
      long most = 0;
      for (Map.Entry<String, Long> e : byHome.get(g).entrySet()) {
        boolean free = taken.getOrDefault(e.getKey(), 0) < perExecutor;
        if (free
            && (e.getValue() > most
                || e.getValue() == most && best != null && e.getKey().compareTo(best) < 0)) {
          best = e.getKey();
          most = e.getValue();
        }
      }
      if (best != null) {
        taken.merge(best, 1, Integer::sum);
        chosen[g] = best;
      }
    }
    return chosen;
  }

  int tasks() {
    return starts.length - 1;
  }

  /** The first partition of group {@code g}; {@code start(tasks())} is the partition count. */
  int start(int g) {
    return starts[g];
  }

  @Override
  public PartitionGroup[] coalesce(int maxPartitions, RDD<?> parent) {
    Partition[] partitions = parent.partitions();
    if (partitions.length != starts[starts.length - 1]) {
      throw new IllegalStateException(
          "task groups of "
              + starts[starts.length - 1]
              + " partitions applied to "
              + partitions.length);
    }
    PartitionGroup[] groups = new PartitionGroup[tasks()];
    for (int g = 0; g < groups.length; g++) {
      groups[g] = new PartitionGroup(Option.apply(homes[g]));
      for (int p = starts[g]; p < starts[g + 1]; p++) {
        groups[g].partitions().$plus$eq(partitions[p]); // += in Scala 2.12 and 2.13
      }
    }
    return groups;
  }
}
