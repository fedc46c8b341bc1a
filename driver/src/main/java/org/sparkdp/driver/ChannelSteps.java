package org.sparkdp.driver;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkdp.ops.Network;

/**
 * An epoch's steps without a Spark job per step: one barrier stage starts a {@link StepTask} per partition (all at
 * once, or not at all), the tasks connect to a {@link StepServer} on the driver, and each step is one exchange of
 * parameters and sums over those connections. If a task is lost, the driver, which applies a step only once every
 * sum has arrived, restarts the tasks and repeats the current step, so the result is the same as an undisturbed
 * run.
 */
final class ChannelSteps implements EpochSteps {
  private static final Logger LOG = LoggerFactory.getLogger(ChannelSteps.class);

  private final JavaSparkContext jsc;
  private final JavaRDD<Block> train;
  private final Batches batches;
  private final int epoch;
  private final Network network;
  private final int threads;
  private final ChannelOptions options;
  private final StepServer server;
  private JavaFutureAction<List<Integer>> job;
  private int restarts;

  /** Timeouts and retries of the channel. */
  record ChannelOptions(long connectTimeoutMillis, long replyTimeoutMillis, int maxRestarts) {
  }

  ChannelSteps(JavaSparkContext jsc, JavaRDD<Block> train, Batches batches, int epoch, Network network, int threads,
      ChannelOptions options) {
    this.jsc = jsc;
    this.train = train;
    this.batches = batches;
    this.epoch = epoch;
    this.network = network;
    this.threads = threads;
    this.options = options;
    String advertised = jsc.getConf().get("spark.driver.host", "127.0.0.1");
    String bind = jsc.getConf().get("spark.driver.bindAddress", advertised);
    try {
      this.server = new StepServer(bind, advertised, options.replyTimeoutMillis());
    } catch (IOException e) {
      throw new IllegalStateException("cannot open the step server on " + bind + ": " + e.getMessage(), e);
    }
    launch();
  }

  /** Whether this cluster can run one task per partition at once, which the barrier stage needs. */
  static boolean fits(JavaSparkContext jsc, int partitions) {
    int taskCpus = jsc.getConf().getInt("spark.task.cpus", 1);
    boolean dynamic = jsc.getConf().getBoolean("spark.dynamicAllocation.enabled", false);
    return !dynamic && partitions <= jsc.defaultParallelism() / taskCpus;
  }

  private void launch() {
    StepTask task = new StepTask(server.host(), server.port(), server.secret(), network, batches, epoch, threads,
        options.replyTimeoutMillis() + options.connectTimeoutMillis());
    RDD<Integer> tasks = train.rdd().barrier().mapPartitions(task, false,
        scala.reflect.ClassTag$.MODULE$.apply(Integer.class));
    job = tasks.toJavaRDD().collectAsync();
    try {
      server.awaitTasks(train.getNumPartitions(), options.connectTimeoutMillis(), this::jobFailure);
    } catch (StepServer.ChannelException e) {
      job.cancel(true);
      server.close();
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private Throwable jobFailure() {
    if (!job.isDone()) {
      return null;
    }
    try {
      job.get();
      return new IllegalStateException("the training tasks ended before the epoch did");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      return e;
    }
  }

  @Override
  public GradientSum step(int step, float[] params) {
    while (true) {
      try {
        return server.step(epoch, step, params);
      } catch (StepServer.ChannelException e) {
        if (restarts >= options.maxRestarts()) {
          job.cancel(true);
          server.close();
          throw new IllegalStateException(e.getMessage() + "; gave up after " + restarts + " restarts", e);
        }
        restarts++;
        LOG.warn("{}; restarting the training tasks ({} of {}) and repeating the step", e.getMessage(), restarts,
            options.maxRestarts());
        server.closeConnections();
        job.cancel(true);
        waitForEnd();
        launch();
      }
    }
  }

  private void waitForEnd() {
    try {
      job.get(options.connectTimeoutMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException("timed out waiting for the cancelled training tasks to end", e);
    } catch (Exception e) {
      // the job failed or was cancelled: that is what we wait for
    }
  }

  @Override
  public void close() {
    try {
      server.end();
      job.get(options.connectTimeoutMillis(), TimeUnit.MILLISECONDS);
    } catch (StepServer.ChannelException | ExecutionException | TimeoutException e) {
      job.cancel(true);
      LOG.warn("the training tasks of epoch {} did not end cleanly: {}", epoch + 1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      server.close();
    }
  }
}
