package org.sparkdp.driver;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The task slots of the live cluster, as Spark's scheduler counts them (never {@code
 * defaultParallelism}, which is at least 2 on a cluster even when one core is free), and what
 * dynamic allocation may add.
 */
final class Slots {
  private Slots() {}

  /**
   * Tasks the registered executors can run at once: each active executor's cores over {@code
   * spark.task.cpus} (and its custom resources over the task's), summed. This is the count Spark's
   * own scheduler checks stages against ({@code SparkContext.maxNumConcurrentTasks}, which Scala
   * keeps package-private and Java reaches).
   */
  static int count(JavaSparkContext jsc) {
    return jsc.sc()
        .maxNumConcurrentTasks(jsc.sc().resourceProfileManager().defaultResourceProfile());
  }

  /** Registered executors (the driver counts as one in local mode, where it runs the tasks). */
  static int executors(JavaSparkContext jsc) {
    int known = jsc.sc().statusTracker().getExecutorInfos().length;
    return local(jsc.getConf()) ? known : Math.max(0, known - 1);
  }

  static boolean local(SparkConf conf) {
    String master = conf.get("spark.master", "");
    return master.equals("local") || master.startsWith("local[");
  }

  /** Whether executors come and go with dynamic allocation (Spark ignores it in local mode). */
  static boolean dynamic(SparkConf conf) {
    return conf.getBoolean("spark.dynamicAllocation.enabled", false) && !local(conf);
  }

  /**
   * The most task slots dynamic allocation may grant: {@code maxExecutors} executors of {@code
   * spark.executor.cores} cores each (1 when unset, as on YARN and Kubernetes) over {@code
   * spark.task.cpus}; {@link Integer#MAX_VALUE} when {@code maxExecutors} is unset.
   */
  static int dynamicLimit(SparkConf conf) {
    long executors = conf.getLong("spark.dynamicAllocation.maxExecutors", Integer.MAX_VALUE);
    if (executors >= Integer.MAX_VALUE) {
      return Integer.MAX_VALUE;
    }
    long cores = conf.getLong("spark.executor.cores", 1);
    long taskCpus = Math.max(1, conf.getLong("spark.task.cpus", 1));
    return (int) Math.min(Integer.MAX_VALUE, executors * (cores / taskCpus));
  }
}
