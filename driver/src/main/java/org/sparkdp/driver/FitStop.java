package org.sparkdp.driver;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A running fit's stop request. {@link #requestAll} (from a signal handler, or any thread) marks
 * every fit of this JVM and runs their hooks, which unblock the training thread at once (close the
 * channel's connections, cancel the Spark jobs it waits for); the training thread then checks
 * {@link #requested} before each step and before any retry, so it ends without retrying.
 */
final class FitStop {
  private static final Set<FitStop> RUNNING = ConcurrentHashMap.newKeySet();

  private final List<Runnable> hooks = new CopyOnWriteArrayList<>();
  private volatile String reason;

  private FitStop() {}

  /** A fit begins; {@link #end} it in a {@code finally}. */
  static FitStop begin() {
    FitStop stop = new FitStop();
    RUNNING.add(stop);
    return stop;
  }

  void end() {
    RUNNING.remove(this);
  }

  /** Asks every running fit to stop; returns whether there was one. */
  static boolean requestAll(String reason) {
    boolean any = false;
    for (FitStop stop : RUNNING) {
      stop.request(reason);
      any = true;
    }
    return any;
  }

  synchronized void request(String why) {
    if (reason == null) {
      reason = why;
      hooks.forEach(Runnable::run);
    }
  }

  boolean requested() {
    return reason != null;
  }

  String reason() {
    return reason;
  }

  /** Runs {@code hook} when a stop is requested (at once, if one was already). */
  synchronized void onRequest(Runnable hook) {
    hooks.add(hook);
    if (reason != null) {
      hook.run();
    }
  }

  void removeHook(Runnable hook) {
    hooks.remove(hook);
  }

  /** Throws if a stop was requested: the training thread's check between steps. */
  void check() {
    if (reason != null) {
      throw new Stopped(reason);
    }
  }

  /**
   * Unwinds the training thread after a stop request; {@link Recovery} turns it into the API's
   * exception.
   */
  static final class Stopped extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Stopped(String reason) {
      super("stopped (" + reason + ")");
    }
  }
}
