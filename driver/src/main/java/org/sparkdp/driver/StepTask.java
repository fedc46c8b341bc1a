package org.sparkdp.driver;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.sparkdp.driver.channel.ChannelKey;
import org.sparkdp.driver.channel.RingNode;
import org.sparkdp.driver.channel.StepClient;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Phases;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction1;

/**
 * A long-running training task of the driver channel: one per group of consecutive partitions
 * ({@link TaskGroups}), it connects to the driver (first, so that the driver knows at once that it
 * runs), loads its blocks, and answers every {@code STEP} with the sums of its rows in that step
 * (working out each epoch's order of its rows when the epoch changes) and every {@code EVAL} with
 * the loss and correct count of its validation rows, until {@code END}. With the executor allreduce
 * ({@code ring}), it also listens for its neighbours in the ring ({@link RingNode}), and the
 * parameters and sums of {@code RING_STEP} and {@code RING_EVAL} go along the ring.
 */
final class StepTask extends AbstractFunction1<Iterator<Block>, Iterator<Integer>>
    implements Serializable {
  private final String host;
  private final int port;
  private final ChannelKey key;
  private final int launch;
  private final Network network;
  private final Batches batches;
  private final int threads;
  private final long connectTimeoutMillis;
  private final long idleTimeoutMillis;
  private final boolean ring;

  StepTask(
      String host,
      int port,
      ChannelKey key,
      int launch,
      Network network,
      Batches batches,
      int threads,
      long connectTimeoutMillis,
      long idleTimeoutMillis,
      boolean ring) {
    this.launch = launch;
    this.ring = ring;
    this.host = host;
    this.port = port;
    this.key = key;
    this.network = network;
    this.batches = batches;
    this.threads = threads;
    this.connectTimeoutMillis = connectTimeoutMillis;
    this.idleTimeoutMillis = idleTimeoutMillis;
  }

  @Override
  public Iterator<Integer> apply(Iterator<Block> blockIterator) {
    TaskContext context = TaskContext.get();
    int group = context.partitionId();
    int parameters = network.layout().size();
    try (RingNode node =
            ring
                ? RingNode.listen(
                    SparkEnv.get().blockManager().blockManagerId().host(),
                    key,
                    parameters,
                    connectTimeoutMillis,
                    idleTimeoutMillis)
                : null;
        StepClient client =
            StepClient.connect(
                host,
                port,
                key,
                group,
                launch,
                parameters,
                connectTimeoutMillis,
                idleTimeoutMillis)) {
      client.closeWhen(
          () -> {
            boolean cancelled = context.isInterrupted() || context.isCompleted();
            if (cancelled && node != null) {
              node.close(); // a read on the ring does not notice the cancellation either
            }
            return cancelled;
          });
      float[] params = ring ? new float[parameters] : null;
      // The whole batch's statistics, from the driver, at each phase of a step (none for most);
      // the time waited for them is the exchange's, not compute.
      long[] waited = {0};
      Phases phases =
          network.phaseWidths().length == 0
              ? null
              : (phase, partial) -> {
                long t0 = System.nanoTime();
                try {
                  return client.exchange(phase, partial);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                } finally {
                  waited[0] += System.nanoTime() - t0;
                }
              };
      List<Block> all = Block.all(ScalaCollections.asJava(blockIterator));
      List<Block> blocks = all.stream().filter(b -> !b.validation).toList();
      List<Block> validation = all.stream().filter(b -> b.validation).toList();
      Orders orders = new Orders(blocks);
      while (true) {
        StepClient.Command command = client.next();
        switch (command.kind()) {
          case END -> {
            return ScalaCollections.asScala(List.of(group).iterator());
          }
          case EVAL -> client.replyEval(Evaluator.evaluate(validation, command.params(), network));
          case STEP -> {
            waited[0] = 0;
            GradientSum sum =
                StepCompute.gradient(
                    blocks,
                    orders.of(command.epoch()),
                    command.step(),
                    command.params(),
                    network,
                    threads,
                    phases);
            client.replyStep(Math.max(0, sum.computeNanos - waited[0]), sum.totals, sum.gradient);
          }
          case ADDRESS -> client.replyAddress(node.address());
          case RING -> node.answerRing(client, command.ring(), group, launch);
          case RING_EVAL -> {
            node.receiveParameters(params);
            client.replyEval(Evaluator.evaluate(validation, params, network));
          }
          case RING_STEP -> {
            node.receiveParameters(params);
            waited[0] = 0;
            GradientSum sum =
                StepCompute.gradient(
                    blocks,
                    orders.of(command.epoch()),
                    command.step(),
                    params,
                    network,
                    threads,
                    phases);
            node.reduce(sum.gradient);
            client.replyStep(Math.max(0, sum.computeNanos - waited[0]), sum.totals, null);
          }
        }
      }
    } catch (IOException | UncheckedIOException e) {
      // A cancelled fit closes the connection as it cancels the tasks: that is a kill, not a loss.
      awaitKill(context, 1000);
      context.killTaskIfInterrupted();
      throw new IllegalStateException(
          "the training task of group "
              + group
              + " lost the driver's step channel at "
              + host
              + ":"
              + port
              + (ring ? ", or its ring," : "")
              + " ("
              + e
              + ")",
          e);
    }
  }

  /** This task's order of its rows in the current epoch, worked out when the epoch changes. */
  private final class Orders {
    private final List<Block> blocks;
    private EpochOrder order;
    private int epoch = -1;

    Orders(List<Block> blocks) {
      this.blocks = blocks;
    }

    EpochOrder of(int epoch) {
      if (epoch != this.epoch) {
        order = batches.order(blocks, epoch);
        this.epoch = epoch;
      }
      return order;
    }
  }

  private static void awaitKill(TaskContext context, long millis) {
    long deadline = System.nanoTime() + millis * 1_000_000L;
    while (!context.isInterrupted() && System.nanoTime() - deadline < 0) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
