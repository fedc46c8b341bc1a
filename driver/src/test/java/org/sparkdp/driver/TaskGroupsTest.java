package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.PartitionGroup;
import org.junit.jupiter.api.Test;
import org.sparkdp.testkit.TestSpark;
import scala.Option;

class TaskGroupsTest {
  private static int[] starts(TaskGroups groups) {
    int[] starts = new int[groups.tasks() + 1];
    for (int g = 0; g <= groups.tasks(); g++) {
      starts[g] = groups.start(g);
    }
    return starts;
  }

  private static String[] nowhere(int partitions) {
    return new String[partitions];
  }

  @Test
  void groupsAreRunsOfConsecutivePartitionsWithAboutEqualRows() {
    long[] equal = {100, 100, 100, 100, 100, 100, 100, 100};
    assertArrayEquals(new int[] {0, 4, 8}, starts(TaskGroups.of(equal, nowhere(8), 2, 1)));
    assertArrayEquals(
        new int[] {0, 3, 6, 8}, starts(TaskGroups.of(equal, nowhere(8), 3, 1)), "8 over 3");
    long[] skewed = {700, 100, 100, 100};
    assertArrayEquals(
        new int[] {0, 1, 4}, starts(TaskGroups.of(skewed, nowhere(4), 2, 1)), "one big partition");
    long[] empty = {0, 0, 0};
    assertArrayEquals(
        new int[] {0, 1, 2, 3},
        starts(TaskGroups.of(empty, nowhere(3), 3, 1)),
        "every group has a partition");
    assertArrayEquals(
        new int[] {0, 3}, starts(TaskGroups.of(new long[] {5, 5, 5}, nowhere(3), 1, 1)));
    assertThrows(IllegalArgumentException.class, () -> TaskGroups.of(equal, nowhere(8), 9, 1));
  }

  @Test
  void eachGroupPrefersTheExecutorWithMostOfItsRowsWhileItHasSlots() throws Exception {
    long[] rows = {10, 10, 10, 10};
    String a = "executor_host_1";
    String b = "executor_host_2";
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
    JavaRDD<Integer> four = jsc.parallelize(List.of(1, 2, 3, 4), 4);

    PartitionGroup[] split =
        TaskGroups.of(rows, new String[] {a, a, b, b}, 2, 1).coalesce(2, four.rdd());
    assertEquals(Option.apply(a), split[0].prefLoc());
    assertEquals(Option.apply(b), split[1].prefLoc());
    assertEquals(List.of(0, 1), indices(split[0]));
    assertEquals(List.of(2, 3), indices(split[1]));

    // Group 1 has as many rows on a as on b; with one slot on a, taken by group 0, it prefers b.
    String[] homes = {a, a, a, b};
    PartitionGroup[] crowded = TaskGroups.of(rows, homes, 2, 1).coalesce(2, four.rdd());
    assertEquals(Option.apply(a), crowded[0].prefLoc());
    assertEquals(Option.apply(b), crowded[1].prefLoc());
    PartitionGroup[] roomy = TaskGroups.of(rows, homes, 2, 2).coalesce(2, four.rdd());
    assertEquals(Option.apply(a), roomy[1].prefLoc(), "two slots on a");

    PartitionGroup[] unknown = TaskGroups.of(rows, nowhere(4), 2, 1).coalesce(2, four.rdd());
    assertEquals(Option.empty(), unknown[0].prefLoc(), "no cache location known: no preference");
  }

  private static List<Integer> indices(PartitionGroup group) {
    List<Integer> out = new ArrayList<>();
    group.partitions().foreach(p -> out.add(p.index()));
    return out;
  }
}
