#!/usr/bin/env bash
# Environment for Spark's launcher scripts (spark-submit, start-worker.sh): copy into $SPARK_CONF_DIR (by default
# $SPARK_HOME/conf) or add these lines to the spark-env.sh there.

# One BLAS thread per task thread. Native OpenBLAS reads this once, when it loads, from the process environment;
# in local mode (spark-submit --master 'local[N]') the tasks run in the driver's JVM, which spark-submit starts
# with this environment and which spark.executorEnv.* does not reach. On workers, it reaches the executors too.
export OPENBLAS_NUM_THREADS=1
