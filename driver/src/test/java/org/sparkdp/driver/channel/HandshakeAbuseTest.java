package org.sparkdp.driver.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What any host that reaches the channel's port can try during {@code awaitTasks}: replay a hello
 * recorded from a real task (refused, plain and sealed, as a replayed hello), and hold connections
 * open or trickle bytes into them (each handshake is cut off after {@link
 * Handshakes#DEADLINE_MILLIS}, and the real tasks connect meanwhile).
 */
class HandshakeAbuseTest {
  private static final int PARAMETERS = 5;

  /** Generous for a machine that runs other builds: far below what the old loop took. */
  private static final long HEADROOM_MILLIS = 10_000;

  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor();
  private final List<Socket> opened = new ArrayList<>();

  @AfterEach
  void stop() throws IOException {
    threads.shutdownNow();
    ticks.shutdownNow();
    for (Socket s : opened) {
      s.close();
    }
  }

  private Socket open(int port) throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
    opened.add(s);
    return s;
  }

  /** A task of {@code group} that connects and then waits for commands until its link ends. */
  private Future<IOException> task(int port, ChannelKey key, int group) {
    return threads.submit(
        () -> {
          try (StepClient client =
              StepClient.connect("127.0.0.1", port, key, group, 1, PARAMETERS, 30_000, 60_000)) {
            while (true) {
              client.next();
            }
          } catch (IOException e) {
            return e;
          }
        });
  }

  /** Reads {@code socket} until the other end closes it; returns when it did. */
  private Future<Long> closedByTheServer(Socket socket) {
    return threads.submit(
        () -> {
          InputStream in = socket.getInputStream();
          try {
            while (in.read() >= 0) {
              // the server's answer, if any
            }
          } catch (IOException reset) {
            // closed too
          }
          return System.nanoTime();
        });
  }

  private void replayedHelloIsRefused(boolean sealed) throws Exception {
    try (StepServer server = new StepServer("127.0.0.1", "127.0.0.1", 5_000, PARAMETERS, sealed);
        ServerSocket relay = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      // What the task sends: its hello, its HMAC, then READY (group, launch, HMAC).
      int handshake = FrameRelay.CONNECTOR_HANDSHAKE + (sealed ? Link.sealedSize(40) : 4 + 40);
      ByteArrayOutputStream recorded = new ByteArrayOutputStream();
      CountDownLatch recordedAll = new CountDownLatch(1);
      threads.submit(
          () -> {
            try (Socket task = relay.accept();
                Socket driver = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
              threads.submit(() -> copy(driver.getInputStream(), task.getOutputStream()));
              InputStream in = task.getInputStream();
              OutputStream out = driver.getOutputStream();
              byte[] buffer = new byte[1 << 12];
              for (int n; (n = in.read(buffer)) > 0; ) {
                synchronized (recorded) {
                  recorded.write(buffer, 0, n);
                  if (recorded.size() >= handshake) {
                    recordedAll.countDown();
                  }
                }
                out.write(buffer, 0, n);
                out.flush();
              }
            }
            return null;
          });
      Future<ChannelException> waited =
          threads.submit(
              () ->
                  assertThrows(
                      ChannelException.class,
                      () -> server.awaitTasks(2, 1, 8_000, () -> null, connected -> false)));
      task(relay.getLocalPort(), server.key(), 0);
      assertTrue(recordedAll.await(30, TimeUnit.SECONDS), "the task's handshake was recorded");
      byte[] replay;
      synchronized (recorded) {
        replay = Arrays.copyOf(recorded.toByteArray(), handshake);
      }
      Socket replayer = open(server.port());
      replayer.getOutputStream().write(replay);
      replayer.getOutputStream().flush();
      closedByTheServer(replayer).get(30, TimeUnit.SECONDS);
      String message = waited.get(30, TimeUnit.SECONDS).getMessage();
      System.out.println((sealed ? "sealed: " : "plain: ") + message);
      assertTrue(
          message.contains(
              "(1 connected; refused: a replayed hello (role 1, group 0, launch 1): "
                  + (sealed ? "rejected frame 0" : "its READY does not prove this handshake")),
          message);
    }
  }

  @Test
  void aReplayedPlainHelloIsRefusedAndNamed() throws Exception {
    replayedHelloIsRefused(false);
  }

  @Test
  void aReplayedSealedHelloIsRefusedAndNamed() throws Exception {
    replayedHelloIsRefused(true);
  }

  @Test
  void fiftySilentConnectionsAndASlowOneDoNotHoldUpTheTasks() throws Exception {
    try (StepServer server = new StepServer("127.0.0.1", "127.0.0.1", 5_000, PARAMETERS, false)) {
      long started = System.nanoTime();
      Future<Integer> waited =
          threads.submit(() -> server.awaitTasks(2, 1, 120_000, () -> null, connected -> false));
      Socket slow = open(server.port());
      ticks.scheduleAtFixedRate(() -> write(slow, 0x53), 0, 2, TimeUnit.SECONDS);
      List<Socket> silent = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        silent.add(open(server.port()));
      }
      task(server.port(), server.key(), 0);
      task(server.port(), server.key(), 1);
      assertEquals(2, waited.get(120, TimeUnit.SECONDS));
      long millis = (System.nanoTime() - started) / 1_000_000;
      System.out.printf("2 tasks connected past 51 stalling connections in %d ms%n", millis);
      assertTrue(
          millis < Handshakes.DEADLINE_MILLIS + HEADROOM_MILLIS,
          "the tasks waited " + millis + " ms");
      // None of the stalling connections is held once the wait is over.
      closedByTheServer(slow).get(30, TimeUnit.SECONDS);
      for (Socket s : silent) {
        closedByTheServer(s).get(30, TimeUnit.SECONDS);
      }
      server.closeConnections();
    }
  }

  @Test
  void aConnectionThatTricklesItsHelloIsCutOffAtTheDeadline() throws Exception {
    // A byte a second passes any per-read timeout; the handshake's deadline counts from the accept.
    try (StepServer server = new StepServer("127.0.0.1", "127.0.0.1", 5_000, PARAMETERS, false)) {
      Future<Integer> waited =
          threads.submit(() -> server.awaitTasks(1, 1, 120_000, () -> null, connected -> false));
      long started = System.nanoTime();
      Socket slow = open(server.port());
      ticks.scheduleAtFixedRate(() -> write(slow, 0x53), 0, 1, TimeUnit.SECONDS);
      long cut = (closedByTheServer(slow).get(60, TimeUnit.SECONDS) - started) / 1_000_000;
      System.out.printf("the trickling connection was cut off after %d ms%n", cut);
      assertTrue(cut >= Handshakes.DEADLINE_MILLIS - 1_000, "cut off after " + cut + " ms");
      assertTrue(cut < Handshakes.DEADLINE_MILLIS + HEADROOM_MILLIS, "cut off after " + cut);
      task(server.port(), server.key(), 0);
      assertEquals(1, waited.get(60, TimeUnit.SECONDS));
      server.closeConnections();
    }
  }

  @Test
  void beyondTheCapANewcomerIsClosedAtOnceOrTheOldestMakesRoom() throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        Handshakes young = new Handshakes("test-handshake", Long.MAX_VALUE);
        Handshakes old = new Handshakes("test-handshake", 0)) {
      for (Handshakes handshakes : List.of(young, old)) {
        List<Socket> clients = new ArrayList<>();
        for (int i = 0; i <= Handshakes.MAX_PENDING; i++) {
          clients.add(open(listener.getLocalPort()));
          handshakes.start(listener.accept(), HandshakeAbuseTest::readForEver);
        }
        assertEquals(Handshakes.MAX_PENDING, handshakes.pending());
        // The young pool turned the newcomer away; the other closed the oldest for it.
        Socket closed = handshakes == young ? clients.get(Handshakes.MAX_PENDING) : clients.get(0);
        closedByTheServer(closed).get(30, TimeUnit.SECONDS);
        handshakes.abandon();
        assertEquals(0, handshakes.pending());
      }
    }
  }

  private static Handshake.Accepted readForEver(Socket socket) throws IOException {
    while (socket.getInputStream().read() >= 0) {
      // a silent client sends nothing
    }
    throw new IOException("closed");
  }

  private static void write(Socket socket, int b) {
    try {
      socket.getOutputStream().write(b);
      socket.getOutputStream().flush();
    } catch (IOException closed) {
      throw new IllegalStateException(closed); // ends the schedule
    }
  }

  private static Void copy(InputStream in, OutputStream out) throws IOException {
    byte[] buffer = new byte[1 << 12];
    try {
      for (int n; (n = in.read(buffer)) > 0; ) {
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException closed) {
      // one end went away
    }
    out.close();
    return null;
  }
}
