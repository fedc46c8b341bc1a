package org.sparkdp.driver.channel;

import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The accepting end's handshakes of inbound connections (the driver's {@link StepServer}, a task's
 * {@link RingNode}), run off the accept loop so that no connection holds up another: on at most
 * {@link #MAX_PENDING} threads, each handshake within {@link #DEADLINE_MILLIS} in all (a connection
 * that trickles bytes is cut off then, whatever its pace), and with at most {@link #MAX_PENDING}
 * unauthenticated connections open. At the cap, the oldest pending handshake is closed at once if
 * it is older than any genuine one ({@link #EVICTABLE_MILLIS}), else the newcomer is; so a flood of
 * silent connections gives way to the tasks that connect after it.
 */
final class Handshakes implements AutoCloseable {
  /** The most handshakes in progress at once. */
  static final int MAX_PENDING = 64;

  /**
   * The listening sockets' queue of connections not yet accepted: room for a burst of tasks behind
   * a flood, as the accept loop takes them at once.
   */
  static final int BACKLOG = 2 * MAX_PENDING;

  /** How long one handshake may take in all, from its accept. */
  static final long DEADLINE_MILLIS = 5_000;

  /**
   * A pending handshake older than this may be closed to make room: a genuine one takes a round
   * trip and two HMACs.
   */
  static final long EVICTABLE_MILLIS = 1_000;

  /** Closes the sockets of handshakes past their deadline, for every instance. */
  private static final ScheduledExecutorService WATCHDOG =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "sparkdp-handshake-deadline");
            t.setDaemon(true);
            return t;
          });

  /** One connection's handshake, run on the pool: the checked connection, or why it is refused. */
  interface Work {
    Handshake.Accepted run(Socket socket) throws IOException;
  }

  /** A finished handshake: {@code accepted}, or {@code refused} naming why not. */
  record Done(Socket socket, Handshake.Accepted accepted, String refused) {}

  private final ThreadPoolExecutor pool;
  private final BlockingQueue<Done> done = new LinkedBlockingQueue<>();

  /** The pending handshakes' sockets, oldest first, with when each was accepted (nanoTime). */
  private final Map<Socket, Long> pending = new LinkedHashMap<>();

  /** Counts {@link #abandon}s: a handshake started before the latest one reports nothing. */
  private long round;

  private final long evictableNanos;

  Handshakes(String threadName) {
    this(threadName, EVICTABLE_MILLIS * 1_000_000L);
  }

  /**
   * @param evictableNanos how old a pending handshake must be to be closed to make room
   */
  Handshakes(String threadName, long evictableNanos) {
    this.evictableNanos = evictableNanos;
    pool =
        new ThreadPoolExecutor(
            MAX_PENDING,
            MAX_PENDING,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, threadName);
              t.setDaemon(true);
              return t;
            });
    pool.allowCoreThreadTimeOut(true);
  }

  /**
   * Starts the handshake of a just accepted {@code socket}; its result comes from {@link #poll}.
   */
  void start(Socket socket, Work work) {
    long now = System.nanoTime();
    long started;
    synchronized (this) {
      if (pending.size() >= MAX_PENDING) {
        Map.Entry<Socket, Long> oldest = pending.entrySet().iterator().next();
        if (now - oldest.getValue() < evictableNanos) {
          closeQuietly(socket);
          return;
        }
        pending.remove(oldest.getKey());
        closeQuietly(oldest.getKey());
      }
      pending.put(socket, now);
      started = round;
    }
    ScheduledFuture<?> deadline =
        WATCHDOG.schedule(() -> closeQuietly(socket), DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
    pool.execute(() -> finish(socket, work, deadline, now, started));
  }

  private void finish(
      Socket socket, Work work, ScheduledFuture<?> deadline, long accepted, long started) {
    Done result;
    try {
      socket.setSoTimeout((int) DEADLINE_MILLIS);
      result = new Done(socket, work.run(socket), null);
    } catch (IOException e) {
      closeQuietly(socket);
      result = new Done(socket, null, refusal(e, accepted));
    } finally {
      deadline.cancel(false);
    }
    synchronized (this) {
      boolean evicted = pending.remove(socket) == null;
      if (started != round || evicted) {
        // Abandoned, or closed to make room: nobody waits for it.
        closeQuietly(socket);
        return;
      }
      done.add(result); // within the lock: an abandon after this finds it
    }
  }

  /** Why a handshake failed: its own message, or that it ran out of time. */
  private static String refusal(IOException e, long accepted) {
    if (e instanceof FrameRejectedException) {
      return e.getMessage();
    }
    if (System.nanoTime() - accepted >= DEADLINE_MILLIS * 1_000_000L) {
      return "a connection that did not complete its handshake within "
          + DEADLINE_MILLIS / 1000
          + " s";
    }
    if (e instanceof EOFException) {
      return "a connection that closed before completing its handshake";
    }
    return e.getMessage() != null ? e.getMessage() : e.toString();
  }

  /** The next finished handshake, or {@code null} if none has finished since the last call. */
  Done poll() {
    return done.poll();
  }

  /**
   * The next finished handshake, waiting up to {@code millis} for one; {@code null} if none
   * finished.
   */
  Done poll(long millis) throws InterruptedException {
    return done.poll(millis, TimeUnit.MILLISECONDS);
  }

  /**
   * Closes every pending handshake and every finished one not taken: once the wait for connections
   * ends, they are of no use.
   */
  void abandon() {
    synchronized (this) {
      round++;
      for (Socket socket : pending.keySet()) {
        closeQuietly(socket);
      }
      pending.clear();
    }
    for (Done d; (d = done.poll()) != null; ) {
      if (d.accepted() != null) {
        d.accepted().link().close();
      }
      closeQuietly(d.socket());
    }
  }

  /** How many handshakes are in progress (for tests). */
  synchronized int pending() {
    return pending.size();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // it went away
    }
  }

  @Override
  public void close() {
    abandon();
    pool.shutdownNow();
  }
}
