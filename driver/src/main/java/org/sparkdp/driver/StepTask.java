package org.sparkdp.driver;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import org.apache.spark.TaskContext;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Totals;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction1;

/**
 * The executor's end of the step channel: one task per partition that loads its blocks, connects to
 * the driver and answers every {@code STEP} with the sums of its rows in that step (working out
 * each epoch's order of its rows when the epoch changes) and every {@code EVAL} with the loss and
 * correct count of its validation rows, until {@code END}. A task that hears nothing for {@code
 * idleTimeoutMillis} gives up, so a lost driver never leaves tasks behind.
 */
final class StepTask extends AbstractFunction1<Iterator<Block>, Iterator<Integer>>
    implements Serializable {
  private final String host;
  private final int port;
  private final byte[] secret;
  private final int launch;
  private final Network network;
  private final Batches batches;
  private final int threads;
  private final long idleTimeoutMillis;

  StepTask(
      String host,
      int port,
      byte[] secret,
      int launch,
      Network network,
      Batches batches,
      int threads,
      long idleTimeoutMillis) {
    this.launch = launch;
    this.host = host;
    this.port = port;
    this.secret = secret;
    this.network = network;
    this.batches = batches;
    this.threads = threads;
    this.idleTimeoutMillis = idleTimeoutMillis;
  }

  @Override
  public Iterator<Integer> apply(Iterator<Block> blockIterator) {
    List<Block> all =
        SyncTrainer.toList(scala.jdk.javaapi.CollectionConverters.asJava(blockIterator));
    List<Block> blocks = all.stream().filter(b -> !b.validation).toList();
    List<Block> validation = all.stream().filter(b -> b.validation).toList();
    EpochOrder order = null;
    int orderEpoch = -1;
    TaskContext context = TaskContext.get();
    int partition = context.partitionId();
    try (Socket socket = new Socket()) {
      socket.setTcpNoDelay(true);
      socket.setReceiveBufferSize(1 << 20);
      socket.setSendBufferSize(1 << 20);
      socket.connect(new InetSocketAddress(host, port), 60_000);
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, idleTimeoutMillis));
      DataInputStream in =
          new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
      DataOutputStream out =
          new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
      out.writeInt(Wire.MAGIC);
      out.write(secret);
      out.writeInt(partition);
      out.writeInt(launch);
      out.flush();
      watchForCancellation(context, socket);
      float[] params = null;
      byte[] scratch = null;
      while (true) {
        int command = in.readInt();
        if (command == Wire.END) {
          break;
        }
        if (command != Wire.STEP && command != Wire.EVAL) {
          throw new IOException("unknown command " + command + " from the driver");
        }
        int epoch = command == Wire.STEP ? in.readInt() : -1;
        int step = command == Wire.STEP ? in.readInt() : -1;
        int n = in.readInt();
        if (params == null) {
          params = new float[n];
          scratch = new byte[4 * n];
        }
        Wire.readFloats(in, n, params, scratch);
        if (command == Wire.EVAL) {
          Totals totals = Evaluator.evaluate(validation, params, network);
          out.writeLong(totals.count);
          out.writeDouble(totals.loss);
          out.writeDouble(totals.correct);
          out.flush();
          continue;
        }
        if (epoch != orderEpoch) {
          order = batches.order(blocks, epoch);
          orderEpoch = epoch;
        }
        GradientSum sum = StepCompute.gradient(blocks, order, step, params, network, threads);
        out.writeLong(sum.computeNanos);
        out.writeLong(sum.totals.count);
        out.writeDouble(sum.totals.loss);
        out.writeDouble(sum.totals.correct);
        if (sum.gradient == null) {
          out.writeInt(-1);
        } else {
          Wire.writeFloats(out, sum.gradient, scratch);
        }
        out.flush();
      }
    } catch (IOException e) {
      throw new IllegalStateException(
          "partition "
              + partition
              + " lost the driver's step channel at "
              + host
              + ":"
              + port
              + " ("
              + e
              + ")",
          e);
    }
    return scala.jdk.javaapi.CollectionConverters.asScala(List.of(partition).iterator());
  }

  /**
   * A blocking socket read does not notice that Spark cancelled the task (an interrupt does not
   * reach it), so a daemon thread closes the socket when the task is interrupted, which ends the
   * read at once.
   */
  private static void watchForCancellation(TaskContext context, Socket socket) {
    Thread watchdog =
        new Thread(
            () -> {
              while (!socket.isClosed()) {
                if (context.isInterrupted() || context.isCompleted()) {
                  try {
                    socket.close();
                  } catch (IOException ignored) {
                    // closing is all we wanted
                  }
                  return;
                }
                try {
                  Thread.sleep(250);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "sparkdp-step-task-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }
}
