package org.sparkdp.jobs;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.sparkdp.DataException;
import org.sparkdp.TrainingDivergedException;
import org.sparkdp.TrainingInterruptedException;
import org.sparkdp.ops.ConfigException;

/**
 * What every entry point shares: a one-line error message instead of a stack trace (the trace with
 * {@code --verbose}), exit codes (0 done, 1 failed, 2 bad configuration or usage, 130 or 143 after
 * SIGINT or SIGTERM, see {@link Signals}), and the Spark session.
 */
final class JobRunner {
  /** The work of one command; returns its exit code. */
  interface Job {
    int run(String[] args) throws Exception;
  }

  private JobRunner() {}

  static void main(String command, String[] args, Job job) {
    boolean verbose = Arrays.asList(args).contains("--verbose");
    Signals.install(command);
    int code;
    try {
      code = job.run(args);
    } catch (Throwable t) {
      if (Signals.name() != null) {
        Signals.report(command, interrupted(t));
        code = Signals.exitCode();
      } else {
        System.out.flush();
        System.err.println(errorLine(command, t));
        code = exitCode(t);
      }
      if (verbose) {
        t.printStackTrace();
      }
    }
    if (Signals.name() != null && code == 0) {
      Signals.report(command, "interrupted (" + Signals.name() + ") as it finished");
      code = Signals.exitCode();
    }
    if (SparkSession.getActiveSession().isDefined()) {
      SparkSession.getActiveSession().get().stop();
    }
    System.out.flush();
    if (code != 0) {
      System.exit(code);
    }
  }

  /**
   * {@code interrupted at epoch E, step S; the last checkpoint is DIR (resume with --resume)}, or
   * what was interrupted when no fit was.
   */
  static String interrupted(Throwable t) {
    Throwable found = outermost(t, List.of(TrainingInterruptedException.class));
    if (found == null) {
      return "interrupted (" + Signals.name() + ")";
    }
    TrainingInterruptedException stop = (TrainingInterruptedException) found;
    return "interrupted at epoch "
        + stop.epoch()
        + ", step "
        + stop.step()
        + "; "
        + (stop.checkpoint() == null
            ? "no checkpoint was written yet (start again without --resume)"
            : "the last checkpoint is " + stop.checkpoint() + " (resume with --resume)");
  }

  /**
   * sparkdp's own kinds of failure. The outermost one in a cause chain tells the story: a {@code
   * model.json} with a bad layer is an {@link IOException} (naming the file) caused by a {@link
   * ConfigException} (naming the key), and it is a bad file, not a bad configuration.
   */
  private static final List<Class<? extends Throwable>> OWN =
      List.of(
          ConfigException.class,
          DataException.class,
          TrainingDivergedException.class,
          IOException.class);

  /** The one line a failed {@code command} prints: {@code sparkdp COMMAND: error: MESSAGE}. */
  static String errorLine(String command, Throwable t) {
    return "sparkdp " + command + ": error: " + message(t);
  }

  /** 2 for bad configuration or usage, 1 for anything else (data, files, training). */
  static int exitCode(Throwable t) {
    return outermost(t, OWN) instanceof ConfigException ? 2 : 1;
  }

  /** The most telling message in the cause chain (Spark wraps task failures), on one line. */
  static String message(Throwable t) {
    Throwable chosen = outermost(t, OWN);
    if (chosen == null) {
      chosen = outermost(t, List.of(IllegalArgumentException.class, IllegalStateException.class));
    }
    boolean known = chosen != null;
    if (!known) {
      chosen = t;
    }
    String text = chosen.getMessage();
    if (text == null || text.isBlank() || !known) {
      // Our own messages say what went wrong; anything else is named by its type.
      text = chosen.getClass().getSimpleName() + (text == null ? "" : ": " + text);
    }
    String line = text.lines().findFirst().orElse(text).trim();
    return line + (text.lines().count() > 1 ? " ..." : "");
  }

  /** The first throwable along the cause chain that is of one of {@code kinds}, or {@code null}. */
  static Throwable outermost(Throwable t, List<Class<? extends Throwable>> kinds) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      for (Class<? extends Throwable> kind : kinds) {
        if (kind.isInstance(c)) {
          return c;
        }
      }
    }
    return null;
  }

  /**
   * The Spark session: the master comes from spark-submit, else {@code local[*]}; a {@code
   * spark://} master that does not answer, and Hadoop's waits, bounded by {@link Connections}.
   */
  static SparkSession session(String appName, Map<String, String> settings) throws IOException {
    SparkConf conf = new SparkConf().setAppName(appName);
    if (!conf.contains("spark.master")) {
      conf.setMaster("local[*]");
    }
    settings.forEach(conf::set);
    Connections.checkMaster(conf.get("spark.master"));
    Connections.bound(conf);
    return SparkSession.builder().config(conf).getOrCreate();
  }

  /** The Hadoop configuration of the driver's own file access, its waits bounded. */
  static org.apache.hadoop.conf.Configuration hadoopConf() {
    return Connections.hadoopConf();
  }
}
