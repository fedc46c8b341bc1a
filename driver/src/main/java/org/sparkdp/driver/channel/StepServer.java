package org.sparkdp.driver.channel;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.function.Supplier;
import org.sparkdp.ops.Totals;

/**
 * The driver's end of the step channel: a server socket that the training tasks connect to (proving
 * themselves with a per-run secret), then, per step, the parameters out to every task and the sums
 * back, added up in partition order so that the result does not depend on timing. Every wait has a
 * timeout that names what it waited for.
 */
public final class StepServer implements AutoCloseable {
  private final ServerSocket server;
  private final byte[] secret = new byte[Wire.SECRET_BYTES];
  private final String host;
  private final long replyTimeoutMillis;
  private Connection[] connections = new Connection[0];
  private byte[] paramBytes = new byte[0];
  private float[] sum = new float[0];

  /** One task's connection and its buffers. */
  private static final class Connection implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;
    final int partition;
    float[] gradient = new float[0];
    byte[] scratch = new byte[0];

    Connection(Socket socket, DataInputStream in, int partition) throws IOException {
      this.socket = socket;
      this.in = in;
      this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
      this.partition = partition;
    }

    @Override
    public void close() {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing a broken connection
      }
    }
  }

  /**
   * Opens the server on {@code bindHost}, on a free port; tasks are told to reach it at {@code
   * advertisedHost}.
   *
   * @param replyTimeoutMillis how long to wait for one task's reply to a command
   */
  public StepServer(String bindHost, String advertisedHost, long replyTimeoutMillis)
      throws IOException {
    new SecureRandom().nextBytes(secret);
    server = new ServerSocket();
    try {
      server.setReceiveBufferSize(1 << 20);
      server.bind(new InetSocketAddress(InetAddress.getByName(bindHost), 0));
    } catch (IOException e) {
      server.close();
      throw e;
    }
    this.host = advertisedHost;
    this.replyTimeoutMillis = replyTimeoutMillis;
  }

  public String host() {
    return host;
  }

  public int port() {
    return server.getLocalPort();
  }

  /** The secret a task proves itself with; it travels in the task's closure. */
  public byte[] secret() {
    return secret.clone();
  }

  /**
   * Waits until one task of every partition in {@code [0, partitions)} has connected.
   *
   * @param launch the launch the tasks must belong to (tasks of a cancelled earlier launch are
   *     turned away)
   * @param jobFailure the training job's failure if it has ended, else {@code null}: waiting stops
   *     at once then
   * @throws ChannelException on timeout, naming how many tasks connected
   */
  public void awaitTasks(
      int partitions, int launch, long timeoutMillis, Supplier<Throwable> jobFailure)
      throws ChannelException {
    closeConnections();
    connections = new Connection[partitions];
    int connected = 0;
    long deadline = System.currentTimeMillis() + timeoutMillis;
    try {
      server.setSoTimeout(250);
    } catch (IOException e) {
      throw new ChannelException("cannot poll the step server socket", e);
    }
    while (connected < partitions) {
      Throwable failure = jobFailure.get();
      if (failure != null) {
        throw new ChannelException(
            "the training tasks failed before they all connected: " + failure, failure);
      }
      if (System.currentTimeMillis() > deadline) {
        throw new ChannelException(
            "timed out after "
                + timeoutMillis / 1000
                + " s waiting for "
                + partitions
                + " training tasks to connect to the driver at "
                + host
                + ":"
                + port()
                + " ("
                + connected
                + " connected); are there "
                + partitions
                + " free task slots, and can executors reach the driver?",
            null);
      }
      Socket socket;
      try {
        socket = server.accept();
      } catch (SocketTimeoutException e) {
        continue;
      } catch (IOException e) {
        throw new ChannelException("the step server stopped accepting tasks", e);
      }
      Connection c = handshake(socket, partitions, launch);
      if (c != null) {
        if (connections[c.partition] == null) {
          connected++;
        } else {
          connections[c.partition].close();
        }
        connections[c.partition] = c;
      }
    }
  }

  /**
   * Checks a new connection's hello; returns {@code null} (and closes it) if it is not one of our
   * tasks, or a task of an earlier launch (a cancelled stage's task that connected late).
   */
  private Connection handshake(Socket socket, int partitions, int launch) {
    try {
      socket.setSoTimeout(10_000);
      socket.setTcpNoDelay(true);
      socket.setSendBufferSize(1 << 20);
      DataInputStream in =
          new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
      Wire.Hello hello = Wire.readHello(in);
      if (hello.magic() != Wire.MAGIC
          || !MessageDigest.isEqual(hello.secret(), secret)
          || hello.partition() < 0
          || hello.partition() >= partitions
          || hello.launch() != launch) {
        socket.close();
        return null;
      }
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, replyTimeoutMillis));
      return new Connection(socket, in, hello.partition());
    } catch (IOException e) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // not one of ours, or it went away
      }
      return null;
    }
  }

  /**
   * Sends step {@code step} of {@code epoch} to every task and adds up their replies in partition
   * order.
   */
  public Sums step(int epoch, int step, float[] params) throws ChannelException {
    Connection current = null;
    try {
      sendAll(params, Wire.STEP, epoch, step);
      Totals totals = new Totals();
      long nanos = 0;
      Arrays.fill(sum, 0f);
      boolean any = false;
      for (Connection c : connections) {
        current = c;
        nanos = Math.max(nanos, c.in.readLong());
        Wire.addTotals(c.in, totals);
        int n = c.in.readInt();
        if (n >= 0) {
          if (c.gradient.length != params.length) {
            c.gradient = new float[params.length];
            c.scratch = new byte[4 * params.length];
          }
          Wire.readFloats(c.in, n, c.gradient, c.scratch);
          float[] g = c.gradient;
          for (int i = 0; i < g.length; i++) {
            sum[i] += g[i];
          }
          any = true;
        }
      }
      return new Sums(any ? sum : null, totals, nanos);
    } catch (SocketTimeoutException e) {
      throw new ChannelException(
          "timed out after "
              + replyTimeoutMillis / 1000
              + " s waiting for partition "
              + current.partition
              + "'s sums of epoch "
              + (epoch + 1)
              + ", step "
              + (step + 1),
          e);
    } catch (IOException e) {
      throw new ChannelException(
          "lost the task of partition "
              + (current == null ? "?" : current.partition)
              + " during epoch "
              + (epoch + 1)
              + ", step "
              + (step + 1)
              + " ("
              + e
              + ")",
          e);
    }
  }

  /**
   * Sends {@code params} to every task for validation and adds up their loss and correct counts.
   */
  public Totals evaluate(float[] params) throws ChannelException {
    Connection current = null;
    try {
      sendAll(params, Wire.EVAL);
      Totals total = new Totals();
      for (Connection c : connections) {
        current = c;
        Wire.addTotals(c.in, total);
      }
      return total;
    } catch (IOException e) {
      throw new ChannelException(
          "lost the task of partition "
              + (current == null ? "?" : current.partition)
              + " during validation ("
              + e
              + ")",
          e);
    }
  }

  /** Sends every task a command: its code and integer arguments, then the parameters. */
  private void sendAll(float[] params, int... header) throws ChannelException {
    if (paramBytes.length < 4 * params.length) {
      paramBytes = new byte[4 * params.length];
      sum = new float[params.length];
    }
    for (Connection c : connections) {
      try {
        for (int h : header) {
          c.out.writeInt(h);
        }
        Wire.writeFloats(c.out, params, paramBytes);
        c.out.flush();
      } catch (IOException e) {
        throw new ChannelException(
            "lost the task of partition " + c.partition + " while sending it a command (" + e + ")",
            e);
      }
    }
  }

  /** Tells every connected task to end. */
  public void end() throws ChannelException {
    try {
      for (Connection c : connections) {
        if (c != null) {
          c.out.writeInt(Wire.END);
          c.out.flush();
        }
      }
    } catch (IOException e) {
      throw new ChannelException("lost a task while ending the epoch (" + e + ")", e);
    }
  }

  public void closeConnections() {
    for (Connection c : connections) {
      if (c != null) {
        c.close();
      }
    }
  }

  @Override
  public void close() {
    closeConnections();
    try {
      server.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
  }
}
