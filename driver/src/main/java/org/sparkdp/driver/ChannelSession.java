package org.sparkdp.driver;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.ToLongFunction;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkdp.driver.channel.ChannelException;
import org.sparkdp.driver.channel.Ring;
import org.sparkdp.driver.channel.StepPath;
import org.sparkdp.driver.channel.StepServer;
import org.sparkdp.driver.channel.Sums;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Totals;
import scala.Option;

/**
 * Steps without a Spark job per step: one stage of ordinary tasks, one per task slot, each owning a
 * run of consecutive cached partitions ({@link TaskGroups}), that stay up for the whole fit; the
 * tasks connect to a {@link StepServer} on the driver, and each step (or validation) is one
 * exchange over those connections, the sums added in group order. The tasks meet at the driver,
 * with a deadline, instead of in a barrier stage: Spark refuses barrier stages under dynamic
 * allocation and over coalesced partitions, and the driver's deadline does what the barrier did
 * (all tasks, or a clear failure). If a task is lost, the driver, which applies a step only once
 * every sum has arrived, restarts the tasks and repeats the current step, so the result is that of
 * an undisturbed run.
 *
 * <p>With fewer slots than groups (executors lost, or dynamic allocation granting fewer than
 * asked), the tasks that cannot start would wait for ever: when the tasks stop coming for a tenth
 * of the connect timeout (30 s by default) while the cluster has fewer slots than tasks, the driver
 * starts again with as many tasks as there are slots, and says so.
 *
 * <p>Each exchange goes through a {@link StepPath} of the tasks: the {@link StepServer} itself, or,
 * for the executor allreduce, a {@link Ring} of the same tasks, linked anew at every launch, along
 * which the parameters and sums of each step go instead of through the driver's links to every
 * task; everything else (launches, restarts, deadlines, stops) is the channel's. The session is
 * itself a path, the one the fit's steps see: the server's or the ring's, with restarts.
 *
 * <p>Validation rows that are part of the training partitions ({@code validation_split}) are
 * evaluated by the same tasks; validation data of its own is evaluated by a Spark job, for which
 * the tasks step aside (they end, and start again at the next step).
 */
final class ChannelSession implements StepPath {
  private static final Logger LOG = LoggerFactory.getLogger(ChannelSession.class);

  /** How long a stop request waits for the cancelled tasks to end. */
  private static final long STOP_WAIT_MILLIS = 3_000;

  private final JavaSparkContext jsc;
  private final PackedData data;
  private final Validation validation;
  private final Batches batches;
  private final Network network;
  private final int threads;
  private final Options options;
  private final StepServer server;
  private final StepStats stats;
  private final FitStop stop;
  private final Runnable onStop;
  private final boolean ringFallback;

  /** The server itself, or the ring of its tasks (until the ring gives way to the server). */
  private volatile StepPath path;

  private boolean linked;
  private boolean formed;
  private volatile JavaFutureAction<List<Integer>> job;
  private int tasks;
  private int launches;
  private int restarts;

  /**
   * When the current tasks had all connected, until their first exchange ends (0 after it): they
   * load their partitions during that exchange, which is part of their start.
   */
  private long connectedAt;

  /** Timeouts and restarts of the channel. */
  record Options(long connectTimeoutMillis, long replyTimeoutMillis, int maxRestarts) {}

  /**
   * @param data every partition's training blocks, and its validation blocks (flagged) when
   *     validation is a split of the same data
   * @param validation what to validate on, or {@code null}
   */
  ChannelSession(
      JavaSparkContext jsc,
      PackedData data,
      Validation validation,
      Batches batches,
      Network network,
      int threads,
      ChannelPlan plan,
      Options options,
      StepStats stats,
      FitStop stop) {
    this.stats = stats;
    this.jsc = jsc;
    this.data = data;
    this.validation = validation;
    this.batches = batches;
    this.network = network;
    this.threads = threads;
    this.options = options;
    this.tasks = plan.tasks();
    this.stop = stop;
    String advertised = jsc.getConf().get("spark.driver.host", "127.0.0.1");
    String bind = jsc.getConf().get("spark.driver.bindAddress", advertised);
    try {
      this.server =
          new StepServer(
              bind,
              advertised,
              options.replyTimeoutMillis(),
              network.layout().size(),
              network.phaseWidths(),
              plan.security().sealed());
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot open the step server on " + bind + ": " + e.getMessage(), e);
    }
    this.path =
        plan.ring()
            ? new Ring(
                server,
                network.layout().size(),
                options.connectTimeoutMillis(),
                options.replyTimeoutMillis())
            : server;
    this.ringFallback = plan.fallback();
    this.onStop =
        () -> {
          JavaFutureAction<List<Integer>> running = job;
          if (running != null) {
            running.cancel(true);
          }
          server.closeConnections();
          path.unlink();
        };
    stop.onHardStop(onStop);
  }

  private void launch() {
    long started = System.nanoTime();
    while (true) {
      launches++;
      TaskGroups groups =
          TaskGroups.of(
              data.partitionRows(),
              data.partitionHomes(),
              tasks,
              Math.max(
                  1,
                  (Slots.count(jsc) + Slots.executors(jsc) - 1)
                      / Math.max(1, Slots.executors(jsc))));
      StepTask task =
          new StepTask(
              server.host(),
              server.port(),
              server.key(),
              launches,
              network,
              batches,
              threads,
              options.connectTimeoutMillis(),
              options.replyTimeoutMillis() + options.connectTimeoutMillis(),
              path != server); // the tasks of a ring open a port for it
      RDD<Integer> stage =
          data.all()
              .rdd()
              .coalesce(tasks, false, Option.apply(ScalaCollections.coalescer(groups)), null)
              .mapPartitions(task, false, scala.reflect.ClassTag$.MODULE$.apply(Integer.class));
      job = stage.toJavaRDD().collectAsync();
      int connected;
      try {
        connected =
            server.awaitTasks(
                tasks,
                launches,
                options.connectTimeoutMillis(),
                this::jobFailure,
                new Stall(tasks)::giveUp);
      } catch (ChannelException e) {
        job.cancel(true);
        job = null;
        throw new ClusterFault(e.getMessage(), e);
      }
      if (connected == tasks) {
        linked = false;
        connectedAt = System.nanoTime();
        stats.addStart(connectedAt - started);
        return;
      }
      job.cancel(true);
      awaitEnd();
      job = null;
      int slots = Math.max(1, Math.max(connected, Slots.count(jsc) / threads));
      LOG.warn(
          "only {} of {} training tasks started within {} s, and the cluster has {} task slots: "
              + "training on {} tasks",
          connected,
          tasks,
          stallMillis() / 1000,
          Slots.count(jsc),
          Math.min(tasks - 1, slots));
      tasks = Math.min(tasks - 1, slots);
    }
  }

  /**
   * Decides when waiting for the tasks is hopeless: none has connected, nor has a slot been added,
   * for {@link #stallMillis}, and the cluster has fewer slots than tasks (with enough slots, the
   * connect deadline applies instead).
   */
  private final class Stall {
    private final int wanted;
    private int connected = -1;
    private int slots = -1;
    private long since;

    Stall(int wanted) {
      this.wanted = wanted;
    }

    boolean giveUp(int now) {
      int free = Slots.count(jsc) / threads;
      if (now > connected || free > slots) {
        connected = Math.max(connected, now);
        slots = Math.max(slots, free);
        since = System.nanoTime();
        return false;
      }
      return wanted > 1
          && now > 0
          && free < wanted
          && System.nanoTime() - since > stallMillis() * 1_000_000L;
    }
  }

  /** How long the tasks may stop coming, with too few slots for all, before fewer are started. */
  private long stallMillis() {
    return options.connectTimeoutMillis() / 10;
  }

  private Throwable jobFailure() {
    JavaFutureAction<List<Integer>> running = job;
    if (running == null || !running.isDone()) {
      return null;
    }
    try {
      running.get();
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

  /**
   * @param computeNanos the tasks' compute time in an exchange's result, which is not part of their
   *     start
   */
  private <T> T withRestarts(Exchange<T> exchange, ToLongFunction<T> computeNanos) {
    while (true) {
      stop.check();
      if (job == null) {
        launch();
      }
      boolean joining = false;
      try {
        if (!linked) {
          joining = true;
          path.link(launches);
          joining = false;
          linked = true;
          formed = true;
        }
        T result = exchange.run();
        if (connectedAt != 0) {
          // The ring's forming and the first exchange's loading of the partitions are start.
          stats.addStart(
              Math.max(0, System.nanoTime() - connectedAt - computeNanos.applyAsLong(result)));
          connectedAt = 0;
        }
        return result;
      } catch (ChannelException e) {
        server.closeConnections();
        path.unlink();
        job.cancel(true);
        stop.check();
        Remedy remedy = onRingFailure(joining, formed, ringFallback);
        if (remedy == Remedy.FAIL) {
          job = null;
          throw new ClusterFault(
              "executor allreduce: "
                  + e.getMessage()
                  + "; the ring needs the executors to reach each other on an ephemeral port"
                  + " (sync_path: channel trains through the driver alone)",
              e);
        }
        if (remedy == Remedy.CHANNEL) {
          LOG.warn("executor allreduce: {}; training through the driver channel", e.getMessage());
          path.close();
          path = server;
          stats.path(server.name());
          awaitEnd();
          job = null;
          continue;
        }
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

  /** What a failed exchange leads to. */
  enum Remedy {
    /** Restart the tasks and repeat the exchange, as for a lost task. */
    RESTART,
    /** Start the tasks again without the ring, on the plain channel, without counting a restart. */
    CHANNEL,
    /** End the fit. */
    FAIL
  }

  /**
   * A ring that cannot form at the first launch (the ring never formed) says that the cluster keeps
   * executors apart, which restarts would not change: {@code sync_path: auto} then trains on the
   * plain channel, a forced allreduce ends the fit. Any other failure restarts the tasks.
   *
   * @param joining whether the failure was the forming of the ring
   * @param formed whether the ring formed at an earlier launch
   * @param fallback whether the plain channel may take over ({@link ChannelPlan#fallback})
   */
  static Remedy onRingFailure(boolean joining, boolean formed, boolean fallback) {
    if (!joining || formed) {
      return Remedy.RESTART;
    }
    return fallback ? Remedy.CHANNEL : Remedy.FAIL;
  }

  @Override
  public String name() {
    return path.name();
  }

  @Override
  public Sums step(int epoch, int step, float[] params) {
    if (job == null) {
      // The tasks' one job lasts until they end: name where it started, as no per-step job will.
      jsc.setJobDescription(
          String.format(
              Locale.ROOT,
              "sparkdp training tasks of the %s, from epoch %d, step %d",
              path.name(),
              epoch + 1,
              step + 1));
    }
    return withRestarts(() -> path.step(epoch, step, params), Sums::computeNanos);
  }

  @Override
  public Totals evaluate(float[] params) {
    if (validation.split()) {
      return withRestarts(() -> path.evaluate(params), totals -> 0);
    }
    suspend();
    return SparkWaits.call(
        jsc,
        "validation",
        options.replyTimeoutMillis(),
        () -> Evaluator.evaluate(jsc, network, params, validation.blocks()));
  }

  /**
   * Ends the tasks; the next step starts them again. After a stop request, they are waited for a
   * few seconds only (they are cancelled if a hard stop closed their connections already).
   */
  private void suspend() {
    JavaFutureAction<List<Integer>> running = job;
    if (running == null) {
      return;
    }
    try {
      server.end();
      running.get(
          stop.requested() ? STOP_WAIT_MILLIS : options.connectTimeoutMillis(),
          TimeUnit.MILLISECONDS);
    } catch (ChannelException | ExecutionException | TimeoutException e) {
      running.cancel(true);
      if (!stop.requested()) {
        LOG.warn("the training tasks did not end cleanly: {}", e.toString());
      }
    } catch (CancellationException e) {
      // cancelled on a stop request: what we waited for
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      server.closeConnections();
      path.unlink();
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
    stop.removeHook(onStop);
    try {
      suspend();
    } finally {
      server.close();
      if (path != server) {
        path.close(); // the ring's links and sender
      }
    }
  }
}
