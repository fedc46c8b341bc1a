package org.sparkdp.driver.channel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.sparkdp.ops.Totals;

/**
 * The sealed channel rejects every frame it did not get, in order, from the other end: forged,
 * altered, replayed and reordered frames fail with a message saying which, first on one direction's
 * cipher, then on real sockets between a {@link StepServer} and a {@link StepClient} through a
 * proxy that tampers with the frames in flight.
 */
class SealedFramesTest {
  private static final int PARAMETERS = 5;
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stopThreads() {
    threads.shutdownNow();
  }

  private static byte[] key(int seed) {
    byte[] key = new byte[32];
    Arrays.fill(key, (byte) seed);
    return key;
  }

  private static byte[] seal(FrameCipher cipher, String text) {
    byte[] plain = text.getBytes(StandardCharsets.UTF_8);
    byte[] frame = new byte[FrameCipher.HEADER + plain.length + FrameCipher.TAG];
    int size = cipher.seal(plain, 0, plain.length, true, frame, 0);
    return Arrays.copyOf(frame, size);
  }

  private static String open(FrameCipher cipher, byte[] frame) throws FrameRejectedException {
    byte[] plain = new byte[frame.length];
    int n = cipher.open(frame, frame.length, plain, 0);
    return new String(plain, 0, n, StandardCharsets.UTF_8);
  }

  @Test
  void framesOpenOnceAndInOrderOnly() throws Exception {
    FrameCipher sender = new FrameCipher(key(1), "the driver");
    FrameCipher receiver = new FrameCipher(key(1), "the driver");
    byte[] first = seal(sender, "step 1");
    byte[] second = seal(sender, "step 2");
    byte[] third = seal(sender, "step 3");
    assertFalse(Arrays.equals(first, second), "each frame has its own nonce");
    assertFalse(
        new String(first, StandardCharsets.UTF_8).contains("step"), "the message is encrypted");
    assertEquals("step 1", open(receiver, first));

    String replayed =
        assertThrows(FrameRejectedException.class, () -> open(receiver, first)).getMessage();
    assertTrue(replayed.contains("sequence number 0, already received (replayed)"), replayed);

    String reordered =
        assertThrows(FrameRejectedException.class, () -> open(receiver, third)).getMessage();
    assertTrue(reordered.contains("sequence number 2 where 1 was due (reordered"), reordered);

    byte[] altered = second.clone();
    altered[FrameCipher.HEADER + 2] ^= 1;
    String alteredMessage =
        assertThrows(FrameRejectedException.class, () -> open(receiver, altered)).getMessage();
    assertTrue(alteredMessage.contains("does not match (forged or altered)"), alteredMessage);

    // The rejected frames changed nothing: the genuine ones still open, in order.
    assertEquals("step 2", open(receiver, second));
    assertEquals("step 3", open(receiver, third));
  }

  @Test
  void aFrameSealedWithAnotherKeyOrAMovedSequenceNumberIsForged() throws Exception {
    FrameCipher receiver = new FrameCipher(key(1), "a task");
    byte[] forged = seal(new FrameCipher(key(2), "a task"), "sums");
    String message =
        assertThrows(FrameRejectedException.class, () -> open(receiver, forged)).getMessage();
    assertTrue(message.contains("rejected frame 0 from a task"), message);
    assertTrue(message.contains("forged or altered"), message);

    // The header is authenticated too: frame 1 relabelled as frame 0 does not open.
    FrameCipher sender = new FrameCipher(key(1), "a task");
    seal(sender, "first");
    byte[] relabelled = seal(sender, "second");
    ByteBuffer.wrap(relabelled).putLong(4, 0);
    message =
        assertThrows(FrameRejectedException.class, () -> open(receiver, relabelled)).getMessage();
    assertTrue(message.contains("forged or altered"), message);

    byte[] lengthened = seal(new FrameCipher(key(1), "a task"), "x");
    ByteBuffer.wrap(lengthened).putInt(0, 99);
    message =
        assertThrows(FrameRejectedException.class, () -> open(receiver, lengthened)).getMessage();
    assertTrue(message.contains("length field does not match"), message);
  }

  /**
   * A proxy between a task and the driver that passes the handshake through and hands every later
   * frame of one direction to {@code tamper} (the frames seen so far in that direction, the newest
   * last), which returns what to forward instead.
   */
  private final class Proxy implements AutoCloseable {
    final ServerSocket listen = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());

    Proxy(int serverPort, boolean fromTask, BiFunction<List<byte[]>, byte[], byte[]> tamper)
        throws IOException {
      threads.submit(
          () -> {
            try (Socket task = listen.accept();
                Socket driver = new Socket(InetAddress.getLoopbackAddress(), serverPort)) {
              Future<?> up =
                  threads.submit(
                      () ->
                          FrameRelay.pump(
                              task,
                              driver,
                              FrameRelay.CONNECTOR_HANDSHAKE,
                              fromTask ? tamper : null));
              FrameRelay.pump(
                  driver, task, FrameRelay.ACCEPTOR_HANDSHAKE, fromTask ? null : tamper);
              up.get();
            }
            return null;
          });
    }

    int port() {
      return listen.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      listen.close();
    }
  }

  /**
   * A task that answers every step with the gradient {@code [1, 2, 3, 4, 5]} and one example, until
   * its connection fails; returns that failure.
   */
  private Future<IOException> task(int port, ChannelKey key) {
    return threads.submit(
        () -> {
          try (StepClient client =
              StepClient.connect("127.0.0.1", port, key, 0, 1, PARAMETERS, 10_000, 10_000)) {
            while (true) {
              client.next();
              Totals totals = new Totals();
              totals.count = 1;
              client.replyStep(0, totals, new float[] {1, 2, 3, 4, 5});
            }
          } catch (IOException e) {
            return e;
          }
        });
  }

  /** Two steps through a tampering proxy; returns the second step's failure on the driver. */
  private String secondStepThrough(
      boolean fromTask, BiFunction<List<byte[]>, byte[], byte[]> tamper) throws Exception {
    try (StepServer server = new StepServer("127.0.0.1", "127.0.0.1", 5_000, PARAMETERS, true);
        Proxy proxy = new Proxy(server.port(), fromTask, tamper)) {
      Future<IOException> task = task(proxy.port(), server.key());
      assertEquals(1, server.awaitTasks(1, 1, 10_000, () -> null, connected -> false));
      float[] params = new float[PARAMETERS];
      Sums first = server.step(0, 0, params);
      assertArrayEquals(new float[] {1, 2, 3, 4, 5}, first.gradient(), "an untouched step");
      ChannelException e = assertThrows(ChannelException.class, () -> server.step(0, 1, params));
      server.closeConnections();
      IOException taskSide = task.get(10, TimeUnit.SECONDS);
      return fromTask ? e.getMessage() : taskSide.getMessage();
    }
  }

  @Test
  void aReplayedReplyIsRejectedByTheDriver() throws Exception {
    String message =
        secondStepThrough(
            true, (seen, frame) -> seen.size() == 2 ? seen.get(1) : frame); // READY, then replies
    assertTrue(message.contains("lost the task of group 0 during epoch 1, step 2"), message);
    assertTrue(message.contains("already received (replayed)"), message);
  }

  @Test
  void aReorderedReplyIsRejectedByTheDriver() throws Exception {
    // The task's second reply arrives claiming a later place in the stream, as when frames in
    // between were dropped or it was held back and sent after a later one.
    String message =
        secondStepThrough(
            true,
            (seen, frame) -> {
              if (seen.size() == 2) {
                byte[] later = frame.clone();
                ByteBuffer.wrap(later).putLong(4, 3);
                return later;
              }
              return frame;
            });
    assertTrue(message.contains("where 2 was due (reordered"), message);
  }

  @Test
  void anAlteredCommandIsRejectedByTheTask() throws Exception {
    String message =
        secondStepThrough(
            false,
            (seen, frame) -> {
              if (seen.size() == 1) {
                byte[] altered = frame.clone();
                altered[altered.length - 20] ^= 0x40; // a bit of a parameter
                return altered;
              }
              return frame;
            });
    assertTrue(message.contains("rejected frame 1 from the driver at 127.0.0.1:"), message);
    assertTrue(message.contains("forged or altered"), message);
  }

  @Test
  void aForgedReplyIsRejectedByTheDriver() throws Exception {
    byte[] forged = seal(new FrameCipher(key(7), "x"), "made up by someone without the key");
    ByteBuffer.wrap(forged).putLong(4, 2);
    String message = secondStepThrough(true, (seen, frame) -> seen.size() == 2 ? forged : frame);
    assertTrue(message.contains("rejected frame 2 from the task of group 0"), message);
    assertTrue(message.contains("forged or altered"), message);
  }

  @Test
  void aTaskWithoutTheSecretIsTurnedAwayAndNamed() throws Exception {
    taskWithoutTheSecretIsTurnedAway(true);
  }

  @Test
  void aPlainChannelStillTurnsAwayATaskWithoutTheSecret() throws Exception {
    taskWithoutTheSecretIsTurnedAway(false);
  }

  private void taskWithoutTheSecretIsTurnedAway(boolean sealed) throws Exception {
    try (StepServer server = new StepServer("127.0.0.1", "127.0.0.1", 5_000, PARAMETERS, sealed)) {
      Future<IOException> impostor = task(server.port(), ChannelKey.random(sealed));
      ChannelException e =
          assertThrows(
              ChannelException.class,
              () -> server.awaitTasks(1, 1, 1_500, () -> null, connected -> false));
      assertTrue(
          e.getMessage().contains("refused: a hello that does not prove this fit's channel secret"),
          e.getMessage());
      assertTrue(impostor.get(10, TimeUnit.SECONDS) != null, "the impostor was cut off");
    }
  }

  @Test
  void aMessageLargerThanOneFrameArrivesWhole() throws Exception {
    int parameters = Link.CHUNK / 4 * 2 + 1000; // more than two frames' worth of floats
    try (StepServer server = new StepServer("127.0.0.1", "127.0.0.1", 5_000, parameters, true)) {
      threads.submit(
          () -> {
            try (StepClient client =
                StepClient.connect(
                    "127.0.0.1", server.port(), server.key(), 0, 1, parameters, 10_000, 10_000)) {
              while (true) {
                StepClient.Command c = client.next();
                Totals totals = new Totals();
                totals.count = 1;
                client.replyStep(0, totals, c.params().clone()); // echoes the parameters
              }
            }
          });
      assertEquals(1, server.awaitTasks(1, 1, 10_000, () -> null, connected -> false));
      float[] params = new float[parameters];
      for (int i = 0; i < parameters; i++) {
        params[i] = i * 0.5f;
      }
      assertArrayEquals(params, server.step(0, 0, params).gradient());
      server.closeConnections();
    }
  }

  /**
   * Three sealed tasks whose gradients give a different float sum in any other order ((1e8 + 1) -
   * 1e8 is 0 in float, 1e8 - 1e8 + 1 is 1): the first group answers last, yet the sums are added in
   * group order; then the task of group 2 drops out and is named.
   */
  @Test
  void sealedRepliesOfSeveralTasksAddUpInGroupOrderWhateverTheirArrival() throws Exception {
    float[][] gradients = {{1e8f, 1f}, {1f, 2f}, {-1e8f, 3f}};
    try (StepServer server = new StepServer("127.0.0.1", "127.0.0.1", 5_000, 2, true)) {
      List<Future<IOException>> tasks = new ArrayList<>();
      for (int g = 0; g < 3; g++) {
        int group = g;
        tasks.add(
            threads.submit(
                () -> {
                  try (StepClient client =
                      StepClient.connect(
                          "127.0.0.1", server.port(), server.key(), group, 1, 2, 10_000, 10_000)) {
                    for (int step = 0; ; step++) {
                      client.next();
                      if (group == 2 && step == 1) {
                        return null; // leaves during the second step
                      }
                      if (group == 0) {
                        Thread.sleep(200); // the others' replies arrive first
                      }
                      Totals totals = new Totals();
                      totals.count = group + 1;
                      client.replyStep(0, totals, gradients[group]);
                    }
                  } catch (IOException e) {
                    return e;
                  }
                }));
      }
      assertEquals(3, server.awaitTasks(3, 1, 10_000, () -> null, connected -> false));
      Sums sums = server.step(0, 0, new float[2]);
      assertArrayEquals(
          new float[] {
            (0f + gradients[0][0] + gradients[1][0]) + gradients[2][0],
            (0f + gradients[0][1] + gradients[1][1]) + gradients[2][1]
          },
          sums.gradient());
      assertEquals(0f, sums.gradient()[0], "1e8 + 1 - 1e8 in float, in group order");
      assertEquals(6, sums.totals().count);
      ChannelException e =
          assertThrows(ChannelException.class, () -> server.step(0, 1, new float[2]));
      assertTrue(
          e.getMessage().contains("lost the task of group 2 during epoch 1, step 2"),
          e.getMessage());
      for (Future<IOException> task : tasks) {
        task.get(10, TimeUnit.SECONDS); // all ended: the failed step closed every connection
      }
    }
  }

  @Test
  void plainFramesCarryTheSameSums() throws Exception {
    try (StepServer server = new StepServer("127.0.0.1", "127.0.0.1", 5_000, PARAMETERS, false)) {
      task(server.port(), server.key());
      assertEquals(1, server.awaitTasks(1, 1, 10_000, () -> null, connected -> false));
      for (int s = 0; s < 3; s++) {
        Sums sums = server.step(0, s, new float[PARAMETERS]);
        assertArrayEquals(new float[] {1, 2, 3, 4, 5}, sums.gradient());
        assertEquals(1, sums.totals().count);
      }
      server.closeConnections();
    }
  }

  @Test
  void aMalformedReplyFailsTheStepAndClosesTheConnections() throws Exception {
    try (StepServer server = new StepServer("127.0.0.1", "127.0.0.1", 5_000, PARAMETERS, false)) {
      Future<IOException> task =
          threads.submit(
              () -> {
                Socket socket =
                    Ring.socket(new InetSocketAddress("127.0.0.1", server.port()), 10_000);
                try (Link link =
                    Handshake.connect(
                        socket,
                        server.key(),
                        new Handshake.Hello(Handshake.ROLE_TASK, 0, 1),
                        true,
                        Wire.maxMessage(PARAMETERS),
                        "the driver")) {
                  link.receive();
                  link.message(4).putInt(7); // a reply cut short
                  link.send();
                  link.receive();
                  return null;
                } catch (IOException e) {
                  return e;
                }
              });
      assertEquals(1, server.awaitTasks(1, 1, 10_000, () -> null, connected -> false));
      ChannelException e =
          assertThrows(ChannelException.class, () -> server.step(0, 0, new float[PARAMETERS]));
      assertTrue(
          e.getMessage().contains("lost the task of group 0 during epoch 1, step 1 (a malformed"),
          e.getMessage());
      assertTrue(task.get(10, TimeUnit.SECONDS) != null, "the task's connection was closed");
    }
  }

  @Test
  void aReplyReadThatFailsWithoutAnIoErrorStillFailsAsOne() {
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                StepServer.await(
                    CompletableFuture.failedFuture(new IllegalStateException("no AES-GCM"))));
    assertTrue(e.getMessage().contains("reading a reply failed"), e.getMessage());
  }
}
