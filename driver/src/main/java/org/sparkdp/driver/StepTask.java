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
import scala.collection.Iterator;
import scala.runtime.AbstractFunction1;

/**
 * The executor's end of the step channel: one task per partition that loads its blocks, works out the epoch's
 * order of its rows, connects to the driver and answers every {@code STEP} with the sums of its rows in that
 * step, until {@code END}. A task that hears nothing for {@code idleTimeoutMillis} gives up, so a lost driver
 * never leaves tasks behind.
 */
final class StepTask extends AbstractFunction1<Iterator<Block>, Iterator<Integer>> implements Serializable {
  private final String host;
  private final int port;
  private final byte[] secret;
  private final Network network;
  private final Batches batches;
  private final int epoch;
  private final int threads;
  private final long idleTimeoutMillis;

  StepTask(String host, int port, byte[] secret, Network network, Batches batches, int epoch, int threads,
      long idleTimeoutMillis) {
    this.host = host;
    this.port = port;
    this.secret = secret;
    this.network = network;
    this.batches = batches;
    this.epoch = epoch;
    this.threads = threads;
    this.idleTimeoutMillis = idleTimeoutMillis;
  }

  @Override
  public Iterator<Integer> apply(Iterator<Block> blockIterator) {
    List<Block> blocks = SyncTrainer.toList(scala.jdk.javaapi.CollectionConverters.asJava(blockIterator));
    EpochOrder order = batches.order(blocks, epoch);
    TaskContext context = TaskContext.get();
    int partition = context.partitionId();
    try (Socket socket = new Socket()) {
      socket.setTcpNoDelay(true);
      socket.setReceiveBufferSize(1 << 20);
      socket.setSendBufferSize(1 << 20);
      socket.connect(new InetSocketAddress(host, port), 60_000);
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, idleTimeoutMillis));
      DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
      out.writeInt(Wire.MAGIC);
      out.write(secret);
      out.writeInt(partition);
      out.writeInt(context.attemptNumber());
      out.flush();
      float[] params = null;
      byte[] scratch = null;
      while (true) {
        int command = in.readInt();
        if (command == Wire.END) {
          break;
        }
        if (command != Wire.STEP) {
          throw new IOException("unknown command " + command + " from the driver");
        }
        int commandEpoch = in.readInt();
        int step = in.readInt();
        int n = in.readInt();
        if (params == null) {
          params = new float[n];
          scratch = new byte[4 * n];
        }
        Wire.readFloats(in, n, params, scratch);
        if (commandEpoch != epoch) {
          throw new IOException("the driver asked for epoch " + commandEpoch + " of a task of epoch " + epoch);
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
      throw new IllegalStateException("partition " + partition + " lost the driver's step channel at " + host + ":"
          + port + " (" + e + ")", e);
    }
    return scala.jdk.javaapi.CollectionConverters.asScala(List.of(partition).iterator());
  }
}
