package org.sparkdp.driver;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A running fit's stop request. {@link #requestAll} (from a signal handler, or any thread) marks
 * every fit of this JVM; the training thread checks {@link #requested} before each step and before
 * any retry, so it ends at the next step without retrying, and ends its tasks as at the end of a
 * fit. A fit still running {@link #HARD_STOP_MILLIS} later is blocked in a wait: then the hooks
 * run, which unblock it (they cancel the Spark jobs it waits for and close the channel's
 * connections).
 */
final class FitStop {
  private static final Set<FitStop> RUNNING = ConcurrentHashMap.newKeySet();

  /** How long a stop request lets the training thread reach the next step on its own. */
  static final long HARD_STOP_MILLIS = 1_500;

  private final List<Runnable> hooks = new CopyOnWriteArrayList<>();
  private volatile String reason;
  private boolean hard;

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
    if (reason != null) {
      return;
    }
    reason = why;
    Thread later =
        new Thread(
            () -> {
              try {
                Thread.sleep(HARD_STOP_MILLIS);
              } catch (InterruptedException e) {
                return;
              }
              hardStop();
            },
            "sparkdp-hard-stop");
    later.setDaemon(true);
    later.start();
  }

  private synchronized void hardStop() {
    if (RUNNING.contains(this)) {
      hard = true;
      hooks.forEach(Runnable::run);
    }
  }

  boolean requested() {
    return reason != null;
  }

  String reason() {
    return reason;
  }

  /**
   * Runs {@code hook} if the fit is still running {@link #HARD_STOP_MILLIS} after a stop request
   * (at once, if that time has passed).
   */
  synchronized void onHardStop(Runnable hook) {
    hooks.add(hook);
    if (hard) {
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
