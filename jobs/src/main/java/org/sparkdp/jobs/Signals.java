package org.sparkdp.jobs;

import java.util.concurrent.atomic.AtomicBoolean;
import org.sparkdp.Sequential;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT (what Ctrl-C, YARN's kill and a scheduler's timeout send) stop a job cleanly
 * instead of letting the JVM shut Spark down under a running fit (which then retries, and fails
 * with a stray error). The handler asks the running fit to stop ({@link
 * Sequential#interruptTraining}): the fit ends within moments without a retry, and the job reports
 * one line and exits with 128 + the signal's number (130, 143). With no fit running (reading data,
 * writing the model, which is written atomically), it reports and exits at once. If the fit has not
 * ended within {@link #GRACE_MILLIS}, the JVM halts anyway.
 */
final class Signals {
  static final long GRACE_MILLIS = 8_000;

  private static volatile Signal received;
  private static final AtomicBoolean REPORTED = new AtomicBoolean();

  private Signals() {}

  /** Handles SIGINT and SIGTERM for {@code command} from now on. */
  static void install(String command) {
    for (String name : new String[] {"INT", "TERM"}) {
      Signal.handle(new Signal(name), signal -> onSignal(command, signal));
    }
  }

  private static void onSignal(String command, Signal signal) {
    if (received != null) {
      return; // the first one is being handled
    }
    received = signal;
    Thread grace =
        new Thread(
            () -> {
              try {
                Thread.sleep(GRACE_MILLIS);
              } catch (InterruptedException e) {
                return;
              }
              report(
                  command,
                  "interrupted ("
                      + name()
                      + "); training did not stop within "
                      + GRACE_MILLIS / 1000
                      + " s");
              Runtime.getRuntime().halt(exitCode());
            },
            "sparkdp-stop-grace");
    grace.setDaemon(true);
    grace.start();
    if (!Sequential.interruptTraining(name())) {
      report(command, "interrupted (" + name() + ")");
      System.exit(exitCode());
    }
  }

  /** The signal received, e.g. {@code "SIGTERM"}, or {@code null}. */
  static String name() {
    Signal s = received;
    return s == null ? null : "SIG" + s.getName();
  }

  /** 128 + the signal's number, as shells report a process ended by it. */
  static int exitCode() {
    return 128 + received.getNumber();
  }

  /** Prints {@code sparkdp COMMAND: text} to standard error, once per run. */
  static void report(String command, String text) {
    if (REPORTED.compareAndSet(false, true)) {
      System.out.flush();
      System.err.println("sparkdp " + command + ": " + text);
      System.err.flush();
    }
  }
}
