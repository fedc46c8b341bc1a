package org.sparkdp.driver.channel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.sparkdp.ops.Totals;

/**
 * The executor allreduce's ring ({@link Ring} on the driver, {@link RingNode} in the tasks) on real
 * sockets: its sum is the partition-order sum, bit for bit, every task gets the driver's
 * parameters, and, sealed, a ring link rejects forged, altered, replayed and reordered frames as
 * the driver's links do ({@link SealedFramesTest}), with a message saying which.
 */
class SealedRingTest {
  private static final int PARAMETERS = 5;
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stopThreads() {
    threads.shutdownNow();
  }

  /** A task's gradient: values of mixed size and sign, so that the order of the additions shows. */
  private static float[] gradient(int group, int parameters) {
    float[] g = new float[parameters];
    for (int i = 0; i < parameters; i++) {
      g[i] = (float) (Math.sin(0.7 * i + group) * Math.pow(10, (i + 2 * group) % 7 - 3));
    }
    return g;
  }

  /**
   * A training task of the ring, answering every step with {@link #gradient} and one example and
   * recording the parameters it received, until its connections fail; returns that failure.
   *
   * @param advertise what the task reports as its ring address, given its own
   */
  private Future<IOException> task(
      StepServer server,
      int group,
      int parameters,
      UnaryOperator<String> advertise,
      List<float[]> received) {
    return threads.submit(
        () -> {
          try (RingNode node =
                  RingNode.listen("127.0.0.1", server.key(), parameters, 10_000, 10_000);
              StepClient client =
                  StepClient.connect(
                      "127.0.0.1",
                      server.port(),
                      server.key(),
                      group,
                      1,
                      parameters,
                      10_000,
                      10_000)) {
            float[] params = new float[parameters];
            while (true) {
              StepClient.Command c = client.next();
              switch (c.kind()) {
                case ADDRESS -> client.replyAddress(advertise.apply(node.address()));
                case RING -> node.answerRing(client, c.ring(), group, 1);
                case RING_STEP -> {
                  node.receiveParameters(params);
                  received.add(params.clone());
                  node.reduce(gradient(group, parameters));
                  Totals totals = new Totals();
                  totals.count = 1;
                  client.replyStep(0, totals, null);
                }
                default -> throw new IOException("unexpected " + c.kind());
              }
            }
          } catch (IOException e) {
            return e;
          }
        });
  }

  private void sumsInPartitionOrder(boolean sealed) throws Exception {
    int tasks = 3;
    int parameters = 2 * Ring.PIECE_FLOATS + 1000; // three pieces per stream
    List<List<float[]>> received = new ArrayList<>();
    try (StepServer server = new StepServer("127.0.0.1", "127.0.0.1", 10_000, parameters, sealed);
        Ring ring = new Ring(server, parameters, 10_000, 10_000)) {
      for (int g = 0; g < tasks; g++) {
        received.add(new CopyOnWriteArrayList<>());
        task(server, g, parameters, a -> a, received.get(g));
      }
      assertEquals(tasks, server.awaitTasks(tasks, 1, 10_000, () -> null, connected -> false));
      ring.link(1);
      float[] expected = new float[parameters];
      for (int g = 0; g < tasks; g++) {
        float[] own = gradient(g, parameters);
        for (int i = 0; i < parameters; i++) {
          expected[i] += own[i]; // the driver channel's sum: group after group
        }
      }
      for (int s = 0; s < 2; s++) {
        float[] params = gradient(10 + s, parameters);
        Sums sums = ring.step(0, s, params);
        assertArrayEquals(expected, sums.gradient(), "step " + s + ": the sum in group order");
        assertEquals(tasks, sums.totals().count);
        for (int g = 0; g < tasks; g++) {
          assertArrayEquals(params, received.get(g).get(s), "the parameters task " + g + " got");
        }
      }
      server.closeConnections();
    }
  }

  @Test
  void sealedTheRingSumsInGroupOrderAndEveryTaskGetsTheDriversParameters() throws Exception {
    sumsInPartitionOrder(true);
  }

  @Test
  void plainTheRingSumsInGroupOrderAndEveryTaskGetsTheDriversParameters() throws Exception {
    sumsInPartitionOrder(false);
  }

  @Test
  void aRingLinkWithoutTheSecretIsTurnedAwayAndTheRingStillForms() throws Exception {
    List<Future<?>> impostors = new CopyOnWriteArrayList<>();
    try (StepServer server = new StepServer("127.0.0.1", "127.0.0.1", 5_000, PARAMETERS, true);
        Ring ring = new Ring(server, PARAMETERS, 5_000, 5_000)) {
      task(server, 0, PARAMETERS, a -> a, new CopyOnWriteArrayList<>());
      task(
          server,
          1,
          PARAMETERS,
          a -> {
            // Knocks first on the listener, as anyone on the network could, with a key of its own.
            Socket socket;
            try {
              socket = Ring.socket(a, 5_000);
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
            impostors.add(
                threads.submit(
                    () ->
                        Handshake.connect(
                            socket,
                            ChannelKey.random(true),
                            new Handshake.Hello(Handshake.ROLE_RING, 0, 1),
                            false,
                            1 << 20,
                            "the impostor's target")));
            return a;
          },
          new CopyOnWriteArrayList<>());
      assertEquals(2, server.awaitTasks(2, 1, 10_000, () -> null, connected -> false));
      ring.link(1);
      float[] expected = gradient(0, PARAMETERS);
      float[] other = gradient(1, PARAMETERS);
      for (int i = 0; i < PARAMETERS; i++) {
        expected[i] += other[i];
      }
      assertArrayEquals(expected, ring.step(0, 0, new float[PARAMETERS]).gradient());
      Exception e = assertThrows(Exception.class, () -> impostors.get(0).get(10, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof IOException, "the impostor was cut off: " + e);
      server.closeConnections();
    }
  }

  @Test
  void aSilentConnectionDoesNotHoldUpTheRing() throws Exception {
    List<Socket> silent = new CopyOnWriteArrayList<>();
    try (StepServer server = new StepServer("127.0.0.1", "127.0.0.1", 10_000, PARAMETERS, false);
        Ring ring = new Ring(server, PARAMETERS, 10_000, 10_000)) {
      task(server, 0, PARAMETERS, a -> a, new CopyOnWriteArrayList<>());
      task(
          server,
          1,
          PARAMETERS,
          a -> {
            // Connects before anyone else and says nothing, as a port scanner may.
            try {
              silent.add(Ring.socket(a, 5_000));
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
            return a;
          },
          new CopyOnWriteArrayList<>());
      assertEquals(2, server.awaitTasks(2, 1, 10_000, () -> null, connected -> false));
      long started = System.nanoTime();
      ring.link(1);
      long millis = (System.nanoTime() - started) / 1_000_000;
      assertTrue(
          millis < Handshakes.DEADLINE_MILLIS,
          "the ring formed in " + millis + " ms despite the silent connection");
      float[] expected = gradient(0, PARAMETERS);
      float[] other = gradient(1, PARAMETERS);
      for (int i = 0; i < PARAMETERS; i++) {
        expected[i] += other[i];
      }
      assertArrayEquals(expected, ring.step(0, 0, new float[PARAMETERS]).gradient());
      assertEquals(-1, silent.get(0).getInputStream().read(), "the silent connection was closed");
      server.closeConnections();
    } finally {
      for (Socket socket : silent) {
        socket.close();
      }
    }
  }

  @Test
  void aTaskThatCannotReachTheNextSaysSoAndTheRingFailsAtOnce() throws Exception {
    int closed;
    try (ServerSocket gone = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = gone.getLocalPort();
    }
    String nowhere = "127.0.0.1:" + closed;
    try (StepServer server = new StepServer("127.0.0.1", "127.0.0.1", 10_000, PARAMETERS, true);
        Ring ring = new Ring(server, PARAMETERS, 10_000, 10_000)) {
      task(server, 0, PARAMETERS, a -> a, new CopyOnWriteArrayList<>());
      task(server, 1, PARAMETERS, a -> nowhere, new CopyOnWriteArrayList<>());
      assertEquals(2, server.awaitTasks(2, 1, 10_000, () -> null, connected -> false));
      long started = System.nanoTime();
      ChannelException e = assertThrows(ChannelException.class, () -> ring.link(1));
      long millis = (System.nanoTime() - started) / 1_000_000;
      assertTrue(
          e.getMessage()
              .matches(
                  "could not form the ring of 2 tasks: the task of group 0: could not reach the"
                      + " task of group 1 at "
                      + nowhere
                      + " \\([^()]+\\)"),
          e.getMessage());
      assertTrue(millis < 5_000, "it failed in " + millis + " ms, not at the deadline");
      server.closeConnections();
    }
  }

  @Test
  void aStepAfterTheLinksWereClosedFailsAsTheChannelDoes() throws Exception {
    try (StepServer server = new StepServer("127.0.0.1", "127.0.0.1", 10_000, PARAMETERS, false);
        Ring ring = new Ring(server, PARAMETERS, 10_000, 10_000)) {
      task(server, 0, PARAMETERS, a -> a, new CopyOnWriteArrayList<>());
      task(server, 1, PARAMETERS, a -> a, new CopyOnWriteArrayList<>());
      assertEquals(2, server.awaitTasks(2, 1, 10_000, () -> null, connected -> false));
      ring.link(1);
      ring.unlink(); // as a hard stop does, from another thread
      ChannelException e =
          assertThrows(ChannelException.class, () -> ring.step(0, 0, new float[PARAMETERS]));
      assertTrue(e.getMessage().contains("the ring's links are closed"), e.getMessage());
      server.closeConnections();
    }
  }

  /**
   * A proxy in front of one task's ring listener that passes every connection's handshake through
   * and hands every later frame of connection {@code tampered} in one direction to {@code tamper}
   * (the frames seen so far in that direction, the newest last), which returns what to forward.
   */
  private final class Proxy implements AutoCloseable {
    final ServerSocket listen = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
    volatile String target;

    Proxy(int tampered, boolean up, BiFunction<List<byte[]>, byte[], byte[]> tamper)
        throws IOException {
      threads.submit(
          () -> {
            for (int c = 0; ; c++) {
              Socket from = listen.accept();
              int connection = c;
              threads.submit(
                  () -> {
                    String[] hostPort = target.split(":");
                    try (Socket client = from;
                        Socket server = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
                      boolean mine = connection == tampered;
                      Future<?> upstream =
                          threads.submit(
                              () ->
                                  FrameRelay.pump(
                                      client,
                                      server,
                                      FrameRelay.CONNECTOR_HANDSHAKE,
                                      mine && up ? tamper : null));
                      FrameRelay.pump(
                          server,
                          client,
                          FrameRelay.ACCEPTOR_HANDSHAKE,
                          mine && !up ? tamper : null);
                      upstream.get();
                    }
                    return null;
                  });
            }
          });
    }

    String address() {
      return "127.0.0.1:" + listen.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      listen.close();
    }
  }

  /**
   * Two steps of a sealed ring of two tasks whose second task is reached through a {@link Proxy}:
   * its connection 0 is the first task's link to it (frames up: {@code READY}, then per step the
   * parameters and the sum), connection 1 the driver's link for the sums (frames down: per step the
   * sum). Returns the second step's failure: on the second task ({@code up}) or on the driver.
   */
  private String secondStepThrough(
      int connection, boolean up, BiFunction<List<byte[]>, byte[], byte[]> tamper)
      throws Exception {
    try (StepServer server = new StepServer("127.0.0.1", "127.0.0.1", 5_000, PARAMETERS, true);
        Ring ring = new Ring(server, PARAMETERS, 5_000, 5_000);
        Proxy proxy = new Proxy(connection, up, tamper)) {
      task(server, 0, PARAMETERS, a -> a, new CopyOnWriteArrayList<>());
      Future<IOException> second =
          task(
              server,
              1,
              PARAMETERS,
              a -> {
                proxy.target = a;
                return proxy.address();
              },
              new CopyOnWriteArrayList<>());
      assertEquals(2, server.awaitTasks(2, 1, 10_000, () -> null, connected -> false));
      ring.link(1);
      float[] params = new float[PARAMETERS];
      float[] expected = gradient(0, PARAMETERS);
      float[] other = gradient(1, PARAMETERS);
      for (int i = 0; i < PARAMETERS; i++) {
        expected[i] += other[i];
      }
      assertArrayEquals(expected, ring.step(0, 0, params).gradient(), "an untouched step");
      ChannelException e = assertThrows(ChannelException.class, () -> ring.step(0, 1, params));
      server.closeConnections();
      ring.unlink();
      if (!up) {
        return e.getMessage();
      }
      assertTrue(
          e.getMessage().contains("lost the ring during epoch 1, step 2"),
          "the driver names the step: " + e.getMessage());
      return second.get(10, TimeUnit.SECONDS).getMessage();
    }
  }

  @Test
  void aReplayedPieceIsRejectedByTheNextTask() throws Exception {
    String message = secondStepThrough(0, true, (seen, f) -> seen.size() == 3 ? seen.get(1) : f);
    assertTrue(
        message.contains(
            "from the ring's link from the task of group 0: it carries sequence "
                + "number 1, already received (replayed)"),
        message);
  }

  @Test
  void aReorderedPieceIsRejectedByTheNextTask() throws Exception {
    String message =
        secondStepThrough(
            0,
            true,
            (seen, frame) -> {
              if (seen.size() == 3) {
                byte[] later = frame.clone();
                ByteBuffer.wrap(later).putLong(4, 5);
                return later;
              }
              return frame;
            });
    assertTrue(message.contains("sequence number 5 where 3 was due (reordered"), message);
  }

  @Test
  void anAlteredPieceIsRejectedByTheNextTask() throws Exception {
    String message =
        secondStepThrough(
            0,
            true,
            (seen, frame) -> {
              if (seen.size() == 3) {
                byte[] altered = frame.clone();
                altered[altered.length - 20] ^= 0x40; // a bit of a parameter
                return altered;
              }
              return frame;
            });
    assertTrue(
        message.contains("rejected frame 3 from the ring's link from the task of group 0"),
        message);
    assertTrue(message.contains("forged or altered"), message);
  }

  @Test
  void aForgedPieceIsRejectedByTheNextTask() throws Exception {
    byte[] key = new byte[32];
    Arrays.fill(key, (byte) 7);
    byte[] plain = new byte[4 * PARAMETERS];
    byte[] forged = new byte[FrameCipher.HEADER + plain.length + FrameCipher.TAG];
    new FrameCipher(key, "x").seal(plain, 0, plain.length, true, forged, 0);
    ByteBuffer.wrap(forged).putLong(4, 3);
    String message = secondStepThrough(0, true, (seen, f) -> seen.size() == 3 ? forged : f);
    assertTrue(message.contains("rejected frame 3 from the ring's link"), message);
    assertTrue(message.contains("forged or altered"), message);
  }

  @Test
  void aReplayedSumIsRejectedByTheDriver() throws Exception {
    String message = secondStepThrough(1, false, (seen, f) -> seen.size() == 1 ? seen.get(0) : f);
    assertTrue(message.contains("lost the ring during epoch 1, step 2"), message);
    assertTrue(
        message.contains("from the ring's last task at 127.0.0.1:")
            && message.contains("sequence number 0, already received (replayed)"),
        message);
  }
}
