package org.sparkdp.driver.channel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.sparkdp.ops.Totals;

/**
 * The driver's end of the executor allreduce: the driver channel's tasks ({@link StepServer}, the
 * same launch, deadlines and stops), with the parameters and the gradient sums going through the
 * tasks themselves. The driver streams the parameters into the first task, each task passes them on
 * and adds its gradient into the running sum that follows them ({@link RingNode}), and the last
 * task streams the total back: the driver's link carries {@code 8n} bytes per step whatever the
 * number of tasks, where the channel's carries {@code 8nP}. Commands and each task's totals (loss,
 * counts, metrics) still go through the channel. The sum is the channel's, bit for bit: the same
 * additions in partition order. The driver keeps applying the optimizer, so checkpoints, callbacks,
 * validation and penalties see the weights exactly as on the other paths, and every task works on
 * the driver's parameters, copied byte for byte along the ring.
 */
public final class Ring implements StepPath {
  /**
   * Floats per message along the ring: a task forwards each piece as soon as it has it, so the
   * pieces move through the ring as a pipeline.
   */
  public static final int PIECE_FLOATS = 1 << 16;

  private final StepServer server;
  private final int parameters;
  private final long connectTimeoutMillis;
  private final long replyTimeoutMillis;
  private final ExecutorService sender =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "sparkdp-ring-sender");
            t.setDaemon(true);
            return t;
          });
  private volatile Link head;
  private volatile Link tail;
  private float[] sum = new float[0];

  /**
   * @param server the channel whose tasks form the ring
   * @param parameters the model's parameter count
   * @param connectTimeoutMillis how long to wait for a link to a task, and for the parameters to go
   *     out
   * @param replyTimeoutMillis how long to wait for the sums of a step (or the totals of a
   *     validation)
   */
  public Ring(
      StepServer server, int parameters, long connectTimeoutMillis, long replyTimeoutMillis) {
    this.server = server;
    this.parameters = parameters;
    this.connectTimeoutMillis = connectTimeoutMillis;
    this.replyTimeoutMillis = replyTimeoutMillis;
  }

  /** A connected socket to {@code address} ({@code host:port}), as the ring's links use them. */
  static Socket socket(String address, long connectTimeoutMillis) throws IOException {
    int colon = address.lastIndexOf(':');
    return socket(
        new InetSocketAddress(
            address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))),
        connectTimeoutMillis);
  }

  /**
   * A connected socket to {@code address} as the channel's and the ring's links use them: no Nagle
   * delay, 1 MB buffers, reads that time out after {@code connectTimeoutMillis}.
   */
  static Socket socket(InetSocketAddress address, long connectTimeoutMillis) throws IOException {
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.setReceiveBufferSize(1 << 20);
      socket.setSendBufferSize(1 << 20);
      socket.connect(address, (int) Math.min(Integer.MAX_VALUE, connectTimeoutMillis));
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, connectTimeoutMillis));
      return socket;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /**
   * Forms the ring of the tasks of launch {@code launch}, which have all connected: asks each for
   * its ring address, sends every task the table, links the driver to the first and last task, and
   * waits for every task to say it has joined. If it cannot form, the exception names why: the
   * first task's report of what it could not do, else what the driver could not do.
   */
  @Override
  public void link(int launch) throws ChannelException {
    unlink();
    Link[] links = server.links();
    List<String> addresses = new ArrayList<>();
    int current = -1;
    boolean told = false;
    try {
      server.tell(4, m -> m.putInt(Wire.ADDRESS), "while asking for its ring address");
      for (int g = 0; g < links.length; g++) {
        current = g;
        addresses.add(Wire.getText(links[g].receive()));
      }
      int bytes = 8 + addresses.stream().mapToInt(a -> 8 + 4 * a.length()).sum();
      server.tell(
          bytes,
          m -> {
            m.putInt(Wire.RING).putInt(addresses.size());
            addresses.forEach(a -> Wire.putText(m, a));
          },
          "while sending it the ring");
      told = true;
      current = -1;
      head = connect(addresses.get(0), Handshake.ROLE_RING, launch, "the ring's first task");
      Link t =
          connect(
              addresses.get(addresses.size() - 1),
              Handshake.ROLE_RING_TAIL,
              launch,
              "the ring's last task");
      tail = t;
      t.timeout(replyTimeoutMillis);
      for (int g = 0; g < links.length; g++) {
        current = g;
        String failure = joinFailure(links[g].receive());
        if (failure != null) {
          throw new IOException(failure);
        }
      }
    } catch (IOException e) {
      unlink();
      String reported = told && current < 0 ? reportedFailure(links) : null;
      throw new ChannelException(
          "could not form the ring of "
              + links.length
              + " tasks: "
              + (reported != null
                  ? reported
                  : (current < 0 ? "" : "the task of group " + current + ": ") + e.getMessage()),
          e);
    }
  }

  /** A task's answer to {@code RING}: {@code null} if it joined, else why it could not. */
  private static String joinFailure(ByteBuffer reply) throws IOException {
    return reply.hasRemaining() ? Wire.getText(reply) : null;
  }

  /**
   * The first failure a task reported within a second, once the driver's own link to the ring
   * failed: a task that cannot reach the next makes the driver's link to it fail too, which says
   * less.
   */
  private static String reportedFailure(Link[] links) {
    long deadline = System.nanoTime() + 1_000_000_000L;
    for (int g = 0; g < links.length; g++) {
      try {
        links[g].timeout(Math.max(1, (deadline - System.nanoTime()) / 1_000_000L));
        String failure = joinFailure(links[g].receive());
        if (failure != null) {
          return "the task of group " + g + ": " + failure;
        }
      } catch (IOException e) {
        // nothing reported: the next task may have
      }
    }
    return null;
  }

  private Link connect(String address, int role, int launch, String peer) throws IOException {
    Socket socket = socket(address, connectTimeoutMillis);
    try {
      return Handshake.connect(
          socket,
          server.key(),
          new Handshake.Hello(role, -1, launch),
          false,
          Wire.maxMessage(parameters),
          peer + " at " + address);
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  @Override
  public String name() {
    return "executor allreduce";
  }

  /**
   * Step {@code step} of {@code epoch} at {@code params}: the gradient summed along the ring, and
   * every task's totals added in group order.
   */
  @Override
  public Sums step(int epoch, int step, float[] params) throws ChannelException {
    String during = "during epoch " + (epoch + 1) + ", step " + (step + 1);
    Future<?> sent = null;
    int current = -1;
    try {
      // The links as they are now: a hard stop may close them (and forget them) at any time.
      Link h = linked(head);
      Link t = linked(tail);
      server.tell(
          12, m -> m.putInt(Wire.RING_STEP).putInt(epoch).putInt(step), "while sending it a step");
      sent = sender.submit(() -> sendParameters(h, params));
      // The phases go over the channel's links: a few sums each, which the ring's pipeline would
      // only delay.
      int[] at = {-1};
      double[][] phases;
      try {
        phases = server.phases(at);
      } finally {
        current = at[0];
      }
      current = -1;
      if (sum.length != parameters) {
        sum = new float[parameters];
      }
      for (int offset = 0; offset < parameters; offset += PIECE_FLOATS) {
        int count = Math.min(PIECE_FLOATS, parameters - offset);
        ByteBuffer m = t.receive();
        if (m.remaining() != 4 * count) {
          throw new IOException("the ring's last task sent a piece of " + m.remaining() + " bytes");
        }
        m.asFloatBuffer().get(sum, offset, count);
      }
      Totals totals = new Totals();
      long nanos = 0;
      Link[] links = server.links();
      for (int g = 0; g < links.length; g++) {
        current = g;
        ByteBuffer reply = links[g].receive();
        nanos = Math.max(nanos, reply.getLong());
        Wire.addTotals(reply, totals);
        if (reply.getInt() != -1) {
          throw new IOException("a ring step's reply carries a gradient");
        }
      }
      awaitSent(sent);
      return new Sums(totals.count > 0 ? sum : null, totals, nanos, phases);
    } catch (SocketTimeoutException e) {
      unlink();
      throw new ChannelException(
          "timed out after "
              + replyTimeoutMillis / 1000
              + " s waiting for the ring's sums "
              + during
              + (current < 0 ? "" : " (the totals of group " + current + ")"),
          e);
    } catch (IOException e) {
      unlink();
      throw new ChannelException(
          "lost the ring "
              + during
              + (current < 0 ? "" : " (the task of group " + current + ")")
              + " ("
              + failure(sent, e)
              + ")",
          e);
    }
  }

  /** The loss, counts and metrics of every task's validation rows at {@code params}. */
  @Override
  public Totals evaluate(float[] params) throws ChannelException {
    Future<?> sent = null;
    int current = -1;
    try {
      Link h = linked(head);
      server.tell(4, m -> m.putInt(Wire.RING_EVAL), "while sending it a validation");
      sent = sender.submit(() -> sendParameters(h, params));
      Totals total = new Totals();
      Link[] links = server.links();
      for (int g = 0; g < links.length; g++) {
        current = g;
        Wire.addTotals(links[g].receive(), total);
      }
      awaitSent(sent);
      return total;
    } catch (IOException e) {
      unlink();
      throw new ChannelException(
          "lost the ring during validation"
              + (current < 0 ? "" : " (the task of group " + current + ")")
              + " ("
              + failure(sent, e)
              + ")",
          e);
    }
  }

  /** {@code link}, unless the ring's links have been closed. */
  private static Link linked(Link link) throws IOException {
    if (link == null) {
      throw new IOException("the ring's links are closed");
    }
    return link;
  }

  private static Void sendParameters(Link link, float[] params) throws IOException {
    for (int offset = 0; offset < params.length; offset += PIECE_FLOATS) {
      int count = Math.min(PIECE_FLOATS, params.length - offset);
      ByteBuffer m = link.message(4 * count);
      m.asFloatBuffer().put(params, offset, count);
      m.position(4 * count);
      link.send();
    }
    return null;
  }

  /** Waits for the parameters to have gone out; they have, once the replies are in. */
  private void awaitSent(Future<?> sent) throws IOException {
    try {
      sent.get(connectTimeoutMillis, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("the parameters did not go out to the ring's first task", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while sending the parameters", e);
    }
  }

  /**
   * The first failure worth naming: the sending of the parameters, if that failed, else {@code e}.
   */
  private static String failure(Future<?> sent, IOException e) {
    if (sent != null && sent.isDone()) {
      try {
        sent.get();
      } catch (ExecutionException f) {
        return f.getCause().getMessage() + "; then " + e.getMessage();
      } catch (Exception ignored) {
        // cancelled or interrupted: e says enough
      }
    }
    return e.getMessage();
  }

  /**
   * Closes the driver's ring links (a blocked step fails at once); {@link #link} makes new ones.
   */
  @Override
  public void unlink() {
    Link h = head;
    Link t = tail;
    if (h != null) {
      h.close();
    }
    if (t != null) {
      t.close();
    }
    head = null;
    tail = null;
  }

  @Override
  public void close() {
    unlink();
    sender.shutdownNow();
  }
}
