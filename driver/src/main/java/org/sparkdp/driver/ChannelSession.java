package org.sparkdp.driver;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkdp.driver.channel.ChannelException;
import org.sparkdp.driver.channel.StepServer;
import org.sparkdp.driver.channel.Sums;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Totals;

/**
 * Steps without a Spark job per step: one barrier stage starts a {@link StepTask} per partition
 * (all at once, or not at all) that stays up for the whole fit; the tasks connect to a {@link
 * StepServer} on the driver, and each step (or validation) is one exchange over those connections.
 * If a task is lost, the driver, which applies a step only once every sum has arrived, restarts the
 * tasks and repeats the current step, so the result is that of an undisturbed run.
 *
 * <p>Validation rows that are part of the training partitions ({@code validation_split}) are
 * evaluated by the same tasks; validation data of its own is evaluated by a Spark job, for which
 * the tasks step aside (they end, and start again at the next step).
 */
final class ChannelSession implements StepSession {
  private static final Logger LOG = LoggerFactory.getLogger(ChannelSession.class);

  private final JavaSparkContext jsc;
  private final JavaRDD<Block> blocks;
  private final Validation validation;
  private final Batches batches;
  private final Network network;
  private final int threads;
  private final Options options;
  private final StepServer server;
  private final StepStats stats;
  private final GradientSum sum = new GradientSum();
  private JavaFutureAction<List<Integer>> job;
  private int launches;
  private int restarts;

  /** Timeouts and restarts of the channel. */
  record Options(long connectTimeoutMillis, long replyTimeoutMillis, int maxRestarts) {}

  /**
   * @param blocks every partition's training blocks, and its validation blocks (flagged) when
   *     validation is a split of the same data
   * @param validation what to validate on, or {@code null}
   */
  ChannelSession(
      JavaSparkContext jsc,
      JavaRDD<Block> blocks,
      Validation validation,
      Batches batches,
      Network network,
      int threads,
      Options options,
      StepStats stats) {
    this.stats = stats;
    this.jsc = jsc;
    this.blocks = blocks;
    this.validation = validation;
    this.batches = batches;
    this.network = network;
    this.threads = threads;
    this.options = options;
    String advertised = jsc.getConf().get("spark.driver.host", "127.0.0.1");
    String bind = jsc.getConf().get("spark.driver.bindAddress", advertised);
    try {
      this.server = new StepServer(bind, advertised, options.replyTimeoutMillis());
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot open the step server on " + bind + ": " + e.getMessage(), e);
    }
  }

  /**
   * Whether the channel suits this fit: the cluster can run one task per partition at once (which
   * the barrier stage needs, and dynamic allocation does not allow), Spark's network is not secured
   * (see {@link #securedNetwork}), and the driver's share of a step, {@code 8 n P} bytes, costs
   * less than a Spark job with a reduction tree would: {@code n (P - sqrt(P)) <= 4.7M}, from a
   * driver link of 1.25 GB/s and 30 ms per job (docs/cost-model.md).
   */
  static boolean suits(JavaSparkContext jsc, int partitions, int parameters) {
    int taskCpus = jsc.getConf().getInt("spark.task.cpus", 1);
    boolean dynamic = jsc.getConf().getBoolean("spark.dynamicAllocation.enabled", false);
    boolean slots = !dynamic && partitions <= jsc.defaultParallelism() / taskCpus;
    return slots
        && !securedNetwork(jsc)
        && (double) parameters * (partitions - Math.sqrt(partitions)) <= 4.7e6;
  }

  /**
   * Whether Spark's own traffic is authenticated or encrypted; the channel's is neither (only its
   * hello is checked), so it is not used then.
   */
  static boolean securedNetwork(JavaSparkContext jsc) {
    return jsc.getConf().getBoolean("spark.authenticate", false)
        || jsc.getConf().getBoolean("spark.network.crypto.enabled", false)
        || jsc.getConf().getBoolean("spark.ssl.enabled", false);
  }

  private void launch() {
    launches++;
    StepTask task =
        new StepTask(
            server.host(),
            server.port(),
            server.secret(),
            launches,
            network,
            batches,
            threads,
            options.connectTimeoutMillis(),
            options.replyTimeoutMillis() + options.connectTimeoutMillis());
    RDD<Integer> tasks =
        blocks
            .rdd()
            .barrier()
            .mapPartitions(task, false, scala.reflect.ClassTag$.MODULE$.apply(Integer.class));
    long started = System.nanoTime();
    job = tasks.toJavaRDD().collectAsync();
    try {
      server.awaitTasks(
          blocks.getNumPartitions(), launches, options.connectTimeoutMillis(), this::jobFailure);
      stats.addStart(System.nanoTime() - started);
    } catch (ChannelException e) {
      job.cancel(true);
      job = null;
      throw new ClusterFault(e.getMessage(), e);
    }
  }

  private Throwable jobFailure() {
    if (!job.isDone()) {
      return null;
    }
    try {
      job.get();
      return new IllegalStateException("the training tasks ended before the driver asked them to");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      return e;
    }
  }

  /** One exchange with the tasks, restarting them (and repeating the exchange) when one is lost. */
  private interface Exchange<T> {
    T run() throws ChannelException;
  }

  private <T> T withRestarts(Exchange<T> exchange) {
    while (true) {
      if (job == null) {
        launch();
      }
      try {
        return exchange.run();
      } catch (ChannelException e) {
        server.closeConnections();
        job.cancel(true);
        if (restarts >= options.maxRestarts()) {
          job = null;
          throw new ClusterFault(e.getMessage() + "; gave up after " + restarts + " restarts", e);
        }
        restarts++;
        LOG.warn(
            "{}; restarting the training tasks ({} of {}) and repeating the exchange",
            e.getMessage(),
            restarts,
            options.maxRestarts());
        awaitEnd();
        job = null;
      }
    }
  }

  @Override
  public GradientSum step(int epoch, int step, float[] params) {
    if (job == null) {
      // The tasks' one job lasts until they end: name where it started, as no per-step job will.
      jsc.setJobDescription(
          String.format(
              Locale.ROOT,
              "sparkdp training tasks of the driver channel, from epoch %d, step %d",
              epoch + 1,
              step + 1));
    }
    Sums sums = withRestarts(() -> server.step(epoch, step, params));
    sum.gradient = sums.gradient();
    sum.totals.copyFrom(sums.totals());
    sum.computeNanos = sums.computeNanos();
    return sum;
  }

  @Override
  public Totals validate(float[] params) {
    if (validation.split()) {
      return withRestarts(() -> server.evaluate(params));
    }
    suspend();
    return SparkWaits.call(
        jsc,
        "validation",
        options.replyTimeoutMillis(),
        () -> Evaluator.evaluate(jsc, network, params, validation.blocks()));
  }

  /** Ends the tasks; the next step starts them again. */
  private void suspend() {
    if (job == null) {
      return;
    }
    try {
      server.end();
      job.get(options.connectTimeoutMillis(), TimeUnit.MILLISECONDS);
    } catch (ChannelException | ExecutionException | TimeoutException e) {
      job.cancel(true);
      LOG.warn("the training tasks did not end cleanly: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      server.closeConnections();
      job = null;
    }
  }

  private void awaitEnd() {
    try {
      job.get(options.connectTimeoutMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new ClusterFault(
          "timed out after "
              + options.connectTimeoutMillis() / 1000
              + " s waiting for the cancelled training tasks to end",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // the job failed or was cancelled: that is what we waited for
    }
  }

  @Override
  public void close() {
    try {
      suspend();
    } finally {
      server.close();
    }
  }
}
