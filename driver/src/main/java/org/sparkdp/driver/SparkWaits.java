package org.sparkdp.driver;

import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Spark jobs with a deadline: Spark itself waits for resources without end (no executors, no free
 * slots), so each job of the training loop runs in a job group of its own, and a job that overruns
 * is cancelled and ends the run with a message naming what it waited for.
 */
final class SparkWaits {
  private static final ExecutorService RUNNER =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "sparkdp-job");
            t.setDaemon(true);
            return t;
          });

  /** The job groups waited for now, so that a stop request can cancel them. */
  private static final java.util.Set<String> RUNNING =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  private SparkWaits() {}

  /** Cancels every job this class is waiting for (their waits then fail at once). */
  static void cancelRunning(JavaSparkContext jsc) {
    for (String group : RUNNING) {
      jsc.cancelJobGroup(group);
    }
  }

  static <T> T call(JavaSparkContext jsc, String what, long timeoutMillis, Callable<T> body) {
    String group = "sparkdp-" + UUID.randomUUID();
    String description = jsc.getLocalProperty("spark.job.description");
    Future<T> future =
        RUNNER.submit(
            () -> {
              jsc.setJobGroup(group, description == null ? what : description, true);
              RUNNING.add(group);
              try {
                return body.call();
              } finally {
                RUNNING.remove(group);
                jsc.clearJobGroup();
              }
            });
    try {
      return future.get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      jsc.cancelJobGroup(group);
      future.cancel(true);
      throw new ClusterFault(
          "timed out after "
              + timeoutMillis / 1000
              + " s waiting for "
              + what
              + " (are there executors with free task slots?)",
          e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause().toString(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      jsc.cancelJobGroup(group);
      throw new IllegalStateException("interrupted while waiting for " + what, e);
    }
  }
}
