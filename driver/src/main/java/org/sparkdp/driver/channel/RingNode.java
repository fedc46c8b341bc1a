package org.sparkdp.driver.channel;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * A training task's place in the executor allreduce ({@link Ring}): the driver, the tasks in group
 * order, and the driver again form a chain, {@code driver -> task 0 -> ... -> task P-1 -> driver}.
 * Per step the parameters come in from the link before this task and go on to the link after it
 * (the last task keeps them); then the running sum of the gradients comes in, this task adds its
 * own and sends it on, so the last task's sum, which goes to the driver, is {@code ((0 + g_0) +
 * g_1) + ... + g_{P-1}}: the float operations of the driver channel's sum, in partition order. Both
 * streams move as messages of {@link Ring#PIECE_FLOATS} floats, each forwarded as soon as it has
 * arrived, so the whole chain works at once on successive pieces.
 *
 * <p>Every link starts with a {@link Handshake} under the fit's {@link ChannelKey} (its own keys
 * per connection when sealed), so a ring link rejects forged, altered, replayed and reordered
 * frames as the driver's links do. A task listens before it connects to the driver and reports
 * where ({@code ADDRESS}); the driver sends every task the table ({@code RING}); each task then
 * connects to the one after it and accepts the one before it (the last task also the driver's link,
 * which it sends the sums on).
 */
public final class RingNode implements AutoCloseable {
  /** How often the wait for connections looks at the handshakes done. */
  private static final int POLL_MILLIS = 20;

  private final ServerSocket listener;
  private final String address;
  private final ChannelKey key;
  private final int parameters;
  private final long connectTimeoutMillis;
  private final long idleTimeoutMillis;
  private volatile Link in;
  private volatile Link out;
  private int rank;
  private int tasks;
  private final float[] piece;

  private RingNode(
      ServerSocket listener,
      String host,
      ChannelKey key,
      int parameters,
      long connectTimeoutMillis,
      long idleTimeoutMillis) {
    this.listener = listener;
    this.address = host + ":" + listener.getLocalPort();
    this.key = key;
    this.parameters = parameters;
    this.connectTimeoutMillis = connectTimeoutMillis;
    this.idleTimeoutMillis = idleTimeoutMillis;
    this.piece = new float[Math.min(parameters, Ring.PIECE_FLOATS)];
  }

  /**
   * Listens on {@code host}'s address (every interface if it has none here), on a free port; other
   * tasks and the driver are told to reach it at {@code host}.
   *
   * @param idleTimeoutMillis how long to wait for the next piece before giving up on the ring
   */
  public static RingNode listen(
      String host,
      ChannelKey key,
      int parameters,
      long connectTimeoutMillis,
      long idleTimeoutMillis)
      throws IOException {
    ServerSocket listener = new ServerSocket();
    try {
      listener.setReceiveBufferSize(1 << 20);
      listener.bind(new InetSocketAddress(bindAddress(host), 0), Handshakes.BACKLOG);
      return new RingNode(listener, host, key, parameters, connectTimeoutMillis, idleTimeoutMillis);
    } catch (IOException e) {
      listener.close();
      throw e;
    }
  }

  /**
   * The address of {@code host}, or {@code null} (every interface) if it does not resolve, or if it
   * is a name that resolves to loopback here (as many hosts files have it) while other executors
   * reach it by another address.
   */
  private static InetAddress bindAddress(String host) {
    try {
      InetAddress address = InetAddress.getByName(host);
      return address.isLoopbackAddress() && !host.equals(address.getHostAddress()) ? null : address;
    } catch (IOException e) {
      return null;
    }
  }

  /** Where the task before this one (or the driver) connects: {@code host:port}. */
  public String address() {
    return address;
  }

  /**
   * Joins the ring of launch {@code launch} as task {@code rank} of {@code addresses.size()}:
   * connects to the next task and accepts the one before (the driver, for task 0), and the last
   * task also the driver's link for the sums. Each task accepts only after its own connection is
   * made, so the chain closes from its end, the last task, which connects to no one. The listener
   * closes when this returns: a launch joins once.
   */
  public void join(List<String> addresses, int rank, int launch) throws IOException {
    closeLinks();
    this.rank = rank;
    this.tasks = addresses.size();
    int maxMessage = Wire.maxMessage(parameters);
    try {
      if (rank < tasks - 1) {
        out = connect(addresses.get(rank + 1), rank, launch, maxMessage);
      }
      accept(launch, maxMessage);
    } finally {
      closeListener();
    }
  }

  /**
   * Answers the driver's {@code RING} on {@code client}: joins the ring ({@link #join}) and says
   * so, or says why it could not; whether to go on without the ring is the driver's to decide.
   */
  public void answerRing(StepClient client, List<String> addresses, int rank, int launch)
      throws IOException {
    String failure = null;
    try {
      join(addresses, rank, launch);
    } catch (IOException e) {
      failure = e.getMessage() != null ? e.getMessage() : e.toString();
    }
    client.replyJoined(failure);
  }

  /**
   * Accepts the link before this task, and the driver's for the sums on the last task. Each
   * connection's handshake runs off this loop, on a bounded pool and within a few seconds in all
   * ({@link Handshakes}), so a silent or slow connection, or many, do not hold up the ones
   * expected; one that fails it (no secret, another launch, a replayed hello) is turned away and
   * named if the wait times out.
   */
  private void accept(int launch, int maxMessage) throws IOException {
    long started = System.nanoTime();
    String refused = null;
    listener.setSoTimeout(POLL_MILLIS);
    try (Handshakes handshakes = new Handshakes("sparkdp-ring-handshake")) {
      while (true) {
        for (Handshakes.Done d; (d = handshakes.poll()) != null; ) {
          if (d.accepted() == null) {
            refused = d.refused() != null ? d.refused() : refused;
          } else if (!take(d.accepted())) {
            d.accepted().link().close();
          }
        }
        if (in != null && out != null) {
          return;
        }
        if (System.nanoTime() - started > connectTimeoutMillis * 1_000_000L) {
          throw new SocketTimeoutException(
              "timed out after "
                  + connectTimeoutMillis / 1000
                  + " s waiting for "
                  + (in == null ? "the ring's link from " + before(rank) : "the driver's ring link")
                  + " at "
                  + address
                  + (refused == null ? "" : " (refused: " + refused + ")"));
        }
        Socket socket;
        try {
          socket = listener.accept();
        } catch (SocketTimeoutException e) {
          continue;
        }
        handshakes.start(socket, s -> handshake(s, launch, maxMessage));
      }
    }
  }

  private Handshake.Accepted handshake(Socket socket, int launch, int maxMessage)
      throws IOException {
    socket.setTcpNoDelay(true);
    socket.setSendBufferSize(1 << 20);
    Handshake.Accepted accepted =
        Handshake.accept(
            socket,
            key,
            maxMessage,
            hello -> admit(hello, launch),
            hello ->
                hello.role() == Handshake.ROLE_RING_TAIL
                    ? "the driver's ring link"
                    : "the ring's link from " + before(rank));
    accepted.link().timeout(idleTimeoutMillis);
    return accepted;
  }

  /**
   * Makes {@code accepted} this task's link before or after; false if that one is taken already.
   */
  private boolean take(Handshake.Accepted accepted) {
    boolean before = accepted.hello().role() == Handshake.ROLE_RING;
    if (before ? in != null : out != null) {
      return false;
    }
    if (before) {
      in = accepted.link();
    } else {
      out = accepted.link();
    }
    return true;
  }

  private static String before(int rank) {
    return rank == 0 ? "the driver" : "the task of group " + (rank - 1);
  }

  /** Admits a ring hello, or says why not. */
  private void admit(Handshake.Hello hello, int launch) throws FrameRejectedException {
    if (hello.launch() != launch) {
      throw new FrameRejectedException(
          "a ring link of launch " + hello.launch() + " where launch " + launch + " runs");
    }
    if (hello.role() == Handshake.ROLE_RING && hello.group() == rank - 1 && in == null) {
      return;
    }
    if (hello.role() == Handshake.ROLE_RING_TAIL && rank == tasks - 1 && out == null) {
      return;
    }
    throw new FrameRejectedException(
        "a ring link of role "
            + hello.role()
            + " from group "
            + hello.group()
            + " where task "
            + rank
            + " of "
            + tasks
            + " expects "
            + before(rank));
  }

  private Link connect(String address, int rank, int launch, int maxMessage) throws IOException {
    Socket socket;
    try {
      socket = Ring.socket(address, connectTimeoutMillis);
    } catch (IOException e) {
      throw new IOException(
          "could not reach the task of group "
              + (rank + 1)
              + " at "
              + address
              + " ("
              + e.getMessage()
              + ")",
          e);
    }
    try {
      Link link =
          Handshake.connect(
              socket,
              key,
              new Handshake.Hello(Handshake.ROLE_RING, rank, launch),
              false,
              maxMessage,
              "the ring's task of group " + (rank + 1) + " at " + address);
      link.timeout(idleTimeoutMillis);
      return link;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  /**
   * Receives the parameters from the link before into {@code params}, forwarding every piece to the
   * task after (the last task keeps them).
   */
  public void receiveParameters(float[] params) throws IOException {
    for (int offset = 0; offset < params.length; offset += Ring.PIECE_FLOATS) {
      int count = Math.min(Ring.PIECE_FLOATS, params.length - offset);
      ByteBuffer m = nextPiece(count);
      if (rank < tasks - 1) {
        out.message(4 * count).put(m.duplicate());
        out.send();
      }
      m.asFloatBuffer().get(params, offset, count);
    }
  }

  /**
   * Adds {@code gradient} (this task's sum, or {@code null} when it had no examples in the step)
   * into the running sum from the link before and sends the result on, piece by piece; the first
   * task starts the sum at 0, the last sends it to the driver.
   */
  public void reduce(float[] gradient) throws IOException {
    for (int offset = 0; offset < parameters; offset += Ring.PIECE_FLOATS) {
      int count = Math.min(Ring.PIECE_FLOATS, parameters - offset);
      if (rank == 0) {
        Arrays.fill(piece, 0, count, 0f);
      } else {
        nextPiece(count).asFloatBuffer().get(piece, 0, count);
      }
      if (gradient != null) {
        for (int i = 0; i < count; i++) {
          piece[i] += gradient[offset + i];
        }
      }
      ByteBuffer m = out.message(4 * count);
      m.asFloatBuffer().put(piece, 0, count);
      m.position(4 * count);
      out.send();
    }
  }

  /** The next piece from the link before, which must hold {@code count} floats. */
  private ByteBuffer nextPiece(int count) throws IOException {
    ByteBuffer m = in.receive();
    if (m.remaining() != 4 * count) {
      throw new IOException(
          in.peer() + " sent a piece of " + m.remaining() + " bytes where " + 4 * count + " fit");
    }
    return m;
  }

  private void closeLinks() {
    Link a = in;
    Link b = out;
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
    in = null;
    out = null;
  }

  private void closeListener() {
    try {
      listener.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
  }

  /** Closes the links and the listener: a task blocked on the ring fails at once. */
  @Override
  public void close() {
    closeLinks();
    closeListener();
  }
}
