package org.sparkdp.driver.channel;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import org.sparkdp.ops.Totals;

/**
 * The driver's end of the step channel: a server socket that the training tasks connect to (each
 * proving it holds the fit's {@link ChannelKey} in a {@link Handshake}), then, per step, the
 * parameters out to every task and the sums back, added up in the order of the tasks' groups (which
 * are consecutive runs of partitions, so in partition order) so that the result does not depend on
 * timing. A command is the same for every task: it is built, and sealed, once, and its frames go to
 * each task in turn. Every wait has a timeout that names what it waited for.
 */
public final class StepServer implements StepPath {
  /** How often the wait for tasks looks at the handshakes done. */
  private static final int POLL_MILLIS = 20;

  /** How often the wait for tasks asks after the job and whether to give up: 4 times a second. */
  private static final long ASK_NANOS = 250_000_000L;

  /** How the refusal of a task of an earlier launch starts, which is not worth naming. */
  private static final String STALE = "a task of launch ";

  private final ServerSocket server;
  private final ChannelKey key;
  private final String host;
  private final long replyTimeoutMillis;
  private final int parameters;
  private final int[] phaseWidths;
  private volatile Link[] links = new Link[0];
  private FrameCipher commands;
  private byte[] command = new byte[0];
  private byte[] frame = new byte[0];
  private ByteBuffer message;
  private float[] gradient = new float[0];
  private float[] sum = new float[0];
  private ExecutorService receivers;

  /** The tasks' handshakes, off the accept loop. */
  private final Handshakes handshakes = new Handshakes("sparkdp-step-handshake");

  /**
   * Opens the server on {@code bindHost}, on a free port; tasks are told to reach it at {@code
   * advertisedHost}.
   *
   * @param replyTimeoutMillis how long to wait for one task's reply to a command
   * @param parameters the model's parameter count (bounds every message)
   * @param sealed encrypt and authenticate every frame
   */
  public StepServer(
      String bindHost,
      String advertisedHost,
      long replyTimeoutMillis,
      int parameters,
      boolean sealed)
      throws IOException {
    this(bindHost, advertisedHost, replyTimeoutMillis, parameters, new int[0], sealed);
  }

  /**
   * A server for a model whose steps have phases of these widths ({@link
   * org.sparkdp.ops.Network#phaseWidths()}; none: one exchange per step).
   */
  public StepServer(
      String bindHost,
      String advertisedHost,
      long replyTimeoutMillis,
      int parameters,
      int[] phaseWidths,
      boolean sealed)
      throws IOException {
    this.phaseWidths = phaseWidths.clone();
    key = ChannelKey.random(sealed);
    server = new ServerSocket();
    try {
      server.setReceiveBufferSize(1 << 20);
      server.bind(new InetSocketAddress(InetAddress.getByName(bindHost), 0), Handshakes.BACKLOG);
    } catch (IOException e) {
      server.close();
      throw e;
    }
    this.host = advertisedHost;
    this.replyTimeoutMillis = replyTimeoutMillis;
    this.parameters = parameters;
  }

  public String host() {
    return host;
  }

  public int port() {
    return server.getLocalPort();
  }

  /** The key the tasks prove themselves with; it travels in their closure. */
  public ChannelKey key() {
    return key;
  }

  /**
   * Waits until one task of every group in {@code [0, tasks)} has connected, or {@code giveUp} says
   * to stop waiting. Each connection's handshake runs off this loop ({@link Handshakes}), within a
   * few seconds in all, so a silent or slow connection, or many, do not hold up the tasks.
   *
   * @param launch the launch the tasks must belong to (tasks of a cancelled earlier launch are
   *     turned away)
   * @param jobFailure the training job's failure if it has ended, else {@code null}: waiting stops
   *     at once then
   * @param giveUp asked four times a second with the number connected so far: {@code true} ends the
   *     wait early
   * @return how many tasks connected: {@code tasks}, or fewer if {@code giveUp} ended the wait
   * @throws ChannelException on timeout, naming how many tasks connected
   */
  public int awaitTasks(
      int tasks,
      int launch,
      long timeoutMillis,
      Supplier<Throwable> jobFailure,
      IntPredicate giveUp)
      throws ChannelException {
    closeConnections();
    links = new Link[tasks];
    commands =
        key.sealed() ? new FrameCipher(Handshake.commandKey(key, launch), "the driver") : null;
    if (key.sealed()) {
      CipherWarmUp.once(); // while the tasks start
    }
    int connected = 0;
    String refused = null;
    long started = System.nanoTime();
    long asked = started - ASK_NANOS;
    try {
      server.setSoTimeout(POLL_MILLIS);
    } catch (IOException e) {
      throw new ChannelException("cannot poll the step server socket", e);
    }
    try {
      while (true) {
        for (Handshakes.Done d; (d = handshakes.poll()) != null; ) {
          if (d.accepted() == null) {
            if (d.refused() != null && !d.refused().startsWith(STALE)) {
              refused = d.refused(); // a task of an earlier launch is expected now and then
            }
            continue;
          }
          int group = d.accepted().hello().group();
          if (links[group] == null) {
            connected++;
          } else {
            links[group].close();
          }
          links[group] = d.accepted().link();
        }
        if (connected == tasks) {
          return connected;
        }
        long now = System.nanoTime();
        if (now - asked >= ASK_NANOS) {
          asked = now;
          Throwable failure = jobFailure.get();
          if (failure != null) {
            throw new ChannelException(
                "the training tasks failed before they all connected: " + failure, failure);
          }
          if (giveUp.test(connected)) {
            return connected;
          }
        }
        if (now - started > timeoutMillis * 1_000_000L) {
          throw new ChannelException(
              "timed out after "
                  + timeoutMillis / 1000
                  + " s waiting for "
                  + tasks
                  + " training tasks to connect to the driver at "
                  + host
                  + ":"
                  + port()
                  + " ("
                  + connected
                  + " connected"
                  + (refused == null ? "" : "; refused: " + refused)
                  + "); are there "
                  + tasks
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
        handshakes.start(socket, s -> accept(s, tasks, launch));
      }
    } finally {
      handshakes.abandon();
    }
  }

  private Handshake.Accepted accept(Socket socket, int tasks, int launch) throws IOException {
    socket.setTcpNoDelay(true);
    socket.setSendBufferSize(1 << 20);
    Handshake.Accepted accepted =
        Handshake.accept(
            socket,
            key,
            Wire.maxMessage(parameters),
            hello -> {
              if (hello.role() != Handshake.ROLE_TASK) {
                throw new FrameRejectedException(
                    "a connection of role " + hello.role() + " where tasks connect");
              }
              if (hello.group() < 0 || hello.group() >= tasks) {
                throw new FrameRejectedException(
                    "a task of group " + hello.group() + ", outside [0, " + tasks + ")");
              }
              if (hello.launch() != launch) {
                throw new FrameRejectedException(
                    STALE + hello.launch() + ", which was cancelled (launch " + launch + " runs)");
              }
            },
            hello -> "the task of group " + hello.group());
    accepted.link().timeout(replyTimeoutMillis);
    return accepted;
  }

  @Override
  public String name() {
    return "driver channel";
  }

  /**
   * Sends step {@code step} of {@code epoch} to every task and adds up their replies in group
   * order.
   */
  @Override
  public Sums step(int epoch, int step, float[] params) throws ChannelException {
    int current = -1;
    try {
      sendAll(params, Wire.STEP, epoch, step);
      int[] at = {-1};
      double[][] phases;
      try {
        phases = phases(at);
      } finally {
        current = at[0];
      }
      current = -1;
      Future<ByteBuffer>[] replies = receiveAhead();
      Totals totals = new Totals();
      long nanos = 0;
      if (sum.length != params.length) {
        sum = new float[params.length];
        gradient = new float[params.length];
      }
      Arrays.fill(sum, 0f);
      boolean any = false;
      for (int g = 0; g < links.length; g++) {
        current = g;
        ByteBuffer reply = replies == null || g == 0 ? links[g].receive() : await(replies[g]);
        nanos = Math.max(nanos, reply.getLong());
        Wire.addTotals(reply, totals);
        int n = reply.getInt();
        if (n >= 0) {
          Wire.getFloats(reply, n, gradient);
          for (int i = 0; i < gradient.length; i++) {
            sum[i] += gradient[i];
          }
          any = true;
        }
      }
      return new Sums(any ? sum : null, totals, nanos, phases);
    } catch (IOException e) {
      // The streams stop mid-message, and a reply of another task may still be being read.
      closeConnections();
      throw stepFailure(e, current, epoch, step);
    } catch (RuntimeException e) {
      // A reply cut short or malformed: the task is as good as lost, and its stream out of step.
      closeConnections();
      throw stepFailure(new IOException("a malformed reply (" + e + ")", e), current, epoch, step);
    }
  }

  /**
   * The phases of the step in flight, in order ({@link Wire}): every task's partial, received in
   * group order and added, and the total sent to every task; none for a model without phases. The
   * group being read is left in {@code at[0]} for the failure's message.
   */
  double[][] phases(int[] at) throws IOException, ChannelException {
    double[][] totals = new double[phaseWidths.length][];
    for (int p = 0; p < phaseWidths.length; p++) {
      double[] total = new double[phaseWidths[p]];
      double[] partial = new double[phaseWidths[p]];
      for (int g = 0; g < links.length; g++) {
        at[0] = g;
        ByteBuffer m = links[g].receive();
        Wire.getDoubles(m, m.getInt(), partial);
        for (int i = 0; i < total.length; i++) {
          total[i] += partial[i];
        }
      }
      at[0] = -1;
      int phase = p;
      tell(
          Wire.OVERHEAD + 8 * total.length,
          m -> {
            m.putInt(Wire.PHASE).putInt(phase);
            Wire.putDoubles(m, total);
          },
          "while sending it the totals of phase " + (p + 1));
      totals[p] = total;
    }
    return totals;
  }

  private ChannelException stepFailure(IOException e, int group, int epoch, int step) {
    String when = "epoch " + (epoch + 1) + ", step " + (step + 1);
    if (e instanceof SocketTimeoutException) {
      return new ChannelException(
          "timed out after "
              + replyTimeoutMillis / 1000
              + " s waiting for the sums of group "
              + group
              + " for "
              + when,
          e);
    }
    return new ChannelException(
        "lost the task of group "
            + (group < 0 ? "?" : String.valueOf(group))
            + " during "
            + when
            + " ("
            + e.getMessage()
            + ")",
        e);
  }

  /**
   * Sealed, starts reading the replies of every task but the first in threads of their own, so that
   * the driver opens replies as they arrive, side by side, instead of one after another (opening is
   * an AES-GCM pass over the whole gradient); {@code null} when plain or with one task.
   */
  @SuppressWarnings("unchecked")
  private Future<ByteBuffer>[] receiveAhead() {
    Link[] current = links;
    if (commands == null || current.length < 2) {
      return null;
    }
    if (receivers == null) {
      receivers =
          Executors.newCachedThreadPool(
              r -> {
                Thread t = new Thread(r, "sparkdp-step-replies");
                t.setDaemon(true);
                return t;
              });
    }
    Future<ByteBuffer>[] replies = new Future[current.length];
    for (int g = 1; g < current.length; g++) {
      replies[g] = receivers.submit(current[g]::receive);
    }
    return replies;
  }

  /**
   * A reply read in a thread of {@link #receiveAhead}, with the failure of its read if any, as an
   * {@link IOException} whatever it was, so that {@link #step} closes the connections and fails
   * with a {@link ChannelException} (which restarts the tasks).
   */
  static ByteBuffer await(Future<ByteBuffer> reply) throws IOException {
    try {
      return reply.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException("reading a reply failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for a reply");
    }
  }

  /**
   * Sends {@code params} to every task for validation and adds up their loss and correct counts.
   */
  @Override
  public Totals evaluate(float[] params) throws ChannelException {
    int current = -1;
    try {
      sendAll(params, Wire.EVAL);
      Totals total = new Totals();
      for (int g = 0; g < links.length; g++) {
        current = g;
        Wire.addTotals(links[g].receive(), total);
      }
      return total;
    } catch (IOException e) {
      throw new ChannelException(
          "lost the task of group "
              + (current < 0 ? "?" : String.valueOf(current))
              + " during validation ("
              + e.getMessage()
              + ")",
          e);
    }
  }

  /** Sends every task a command: its code and integer arguments, then the parameters. */
  private void sendAll(float[] params, int... header) throws ChannelException {
    ByteBuffer m = command(Wire.OVERHEAD + 4 * params.length);
    for (int h : header) {
      m.putInt(h);
    }
    Wire.putFloats(m, params);
    broadcast("while sending it a command");
  }

  /** A buffer for the next command to every task, positioned at 0. */
  private ByteBuffer command(int bytes) {
    if (commands == null) {
      if (frame.length < 4 + bytes) {
        frame = new byte[4 + bytes];
      }
      message = ByteBuffer.wrap(frame, 4, frame.length - 4).slice();
    } else {
      if (command.length < bytes) {
        command = new byte[bytes];
        frame = new byte[Link.sealedSize(bytes)];
      }
      message = ByteBuffer.wrap(command);
    }
    return message.order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * Sends the command built since {@link #command} to every task: one plain frame, or its sealed
   * frames, sealed once for all tasks, in two halves ({@link Link#half}).
   */
  private void broadcast(String doing) throws ChannelException {
    int length = message.position();
    if (commands == null) {
      ByteBuffer.wrap(frame, 0, 4).putInt(length);
      writeAll(0, 4 + length, doing);
      return;
    }
    int half = Link.half(length);
    int first = Link.sealRange(commands, command, 0, half, length, frame, 0);
    writeAll(0, first, doing);
    if (half < length) {
      writeAll(first, Link.sealRange(commands, command, half, length, length, frame, first), doing);
    }
  }

  /** Writes {@code frame[from, to)} to every connected task. */
  private void writeAll(int from, int to, String doing) throws ChannelException {
    for (int g = 0; g < links.length; g++) {
      if (links[g] == null) {
        continue; // a launch that did not complete: only END goes out then
      }
      try {
        links[g].write(frame, from, to);
      } catch (IOException e) {
        throw new ChannelException(
            "lost the task of group " + g + " " + doing + " (" + e.getMessage() + ")", e);
      }
    }
  }

  /**
   * Sends every task the same command of at most {@code bytes} bytes, written by {@code fill}
   * (which the executor allreduce's {@link Ring} uses for its commands).
   */
  void tell(int bytes, Consumer<ByteBuffer> fill, String doing) throws ChannelException {
    fill.accept(command(bytes));
    broadcast(doing);
  }

  /** The tasks' connections, in group order, for replies that {@link Ring} reads. */
  Link[] links() {
    return links;
  }

  /** Tells every connected task to end. */
  public void end() throws ChannelException {
    command(4).putInt(Wire.END);
    broadcast("while ending the epoch");
  }

  /** Closes every task's connection (a blocked {@link #step} then fails at once). */
  public void closeConnections() {
    for (Link link : links) {
      if (link != null) {
        link.close();
      }
    }
  }

  @Override
  public void close() {
    handshakes.close();
    closeConnections();
    if (receivers != null) {
      receivers.shutdownNow();
    }
    try {
      server.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
  }
}
