package org.sparkdp.driver;

import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkdp.ops.Blas;

/**
 * One BLAS thread per task thread: warns, once per JVM, where native BLAS may run threads of its
 * own inside Spark's tasks, and says what to set. In local mode the tasks run in the driver's JVM,
 * whose environment is that of {@code spark-submit}: {@code spark.executorEnv.*} does not reach it
 * (and OpenBLAS reads its setting only when it loads, so the JVM cannot fix it afterwards). On a
 * cluster the executors take {@code spark.executorEnv.OPENBLAS_NUM_THREADS}, or their workers'
 * {@code spark-env.sh}.
 */
final class BlasThreads {
  private static final Logger LOG = LoggerFactory.getLogger(BlasThreads.class);
  private static boolean warned;

  private BlasThreads() {}

  static synchronized void check(JavaSparkContext jsc) {
    if (warned) {
      return;
    }
    String problem = Blas.threadsProblem();
    if (problem == null) {
      return;
    }
    if (Slots.local(jsc.getConf())) {
      warned = true;
      LOG.warn(
          "native BLAS may run threads of its own inside Spark's task threads ({}), which is "
              + "slower and changes the sums; local mode runs the tasks in this JVM, where "
              + "spark.executorEnv settings do not apply: set OPENBLAS_NUM_THREADS=1 in the "
              + "environment of spark-submit, e.g. in $SPARK_CONF_DIR/spark-env.sh (see "
              + "conf/spark-env.sh)",
          problem);
    } else if (!jsc.getConf().contains("spark.executorEnv.OPENBLAS_NUM_THREADS")) {
      warned = true;
      LOG.warn(
          "spark.executorEnv.OPENBLAS_NUM_THREADS is not set: unless the workers' spark-env.sh "
              + "sets OPENBLAS_NUM_THREADS=1, native BLAS on the executors may run threads of its "
              + "own inside the task threads (see conf/spark-defaults.conf)");
    }
  }
}
