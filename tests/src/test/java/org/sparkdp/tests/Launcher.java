package org.sparkdp.tests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The tests' one way to start processes: {@code bin/sparkdp} as a user runs it, capturing what it
 * prints, and other JVMs of the build's Spark (a standalone Master or Worker).
 */
final class Launcher {
  static final Path HOME =
      Path.of(System.getProperty("sparkdp.home", "..")).toAbsolutePath().normalize();

  /**
   * The {@code --add-opens} flags Spark needs on Java 17: the parent pom's list, passed by the
   * build.
   */
  private static final List<String> JAVA_OPENS =
      List.of(System.getProperty("sparkdp.javaOpens", "").trim().split("\\s+"));

  /**
   * The JVM option of every JVM the tests start: their runs last seconds, and a JVM that compiles
   * with C1 alone spends about half the CPU time on them. Java's floating point gives the same bits
   * whichever compiler runs the code.
   */
  static final String QUICK_JVM = "-XX:TieredStopAtLevel=1";

  private Launcher() {}

  record Result(int exitCode, String stdout, String stderr) {
    List<String> stderrLines() {
      return stderr.lines().toList();
    }
  }

  /** A launcher run in progress, its output going to files. */
  record Running(Process process, Path stdout, Path stderr) {
    String stdoutSoFar() throws IOException {
      return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    /** Waits until standard output contains {@code text}, or fails after {@code seconds}. */
    void awaitOutput(String text, int seconds) throws IOException, InterruptedException {
      long deadline = System.nanoTime() + seconds * 1_000_000_000L;
      while (!stdoutSoFar().contains(text)) {
        if (!process.isAlive()) {
          throw new AssertionError(
              "the run ended before printing '"
                  + text
                  + "': "
                  + stdoutSoFar()
                  + Files.readString(stderr, StandardCharsets.UTF_8));
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("no '" + text + "' after " + seconds + " s: " + stdoutSoFar());
        }
        Thread.sleep(20);
      }
    }

    /** Waits until {@code path} exists, or fails after {@code seconds} or when the run ends. */
    void awaitFile(Path path, int seconds) throws IOException, InterruptedException {
      long deadline = System.nanoTime() + seconds * 1_000_000_000L;
      while (!Files.exists(path)) {
        if (!process.isAlive()) {
          throw new AssertionError(
              "the run ended before "
                  + path
                  + " existed: "
                  + stdoutSoFar()
                  + Files.readString(stderr, StandardCharsets.UTF_8));
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("no " + path + " after " + seconds + " s: " + stdoutSoFar());
        }
        Thread.sleep(20);
      }
    }

    /**
     * The process ids of the executor JVMs that this run's Spark started (a local-cluster's: its
     * driver's descendants), and no other run's.
     */
    List<Long> executorPids() {
      return process
          .descendants()
          .filter(
              p ->
                  p.info()
                      .commandLine()
                      .map(c -> c.contains("CoarseGrainedExecutorBackend"))
                      .orElse(false))
          .map(ProcessHandle::pid)
          .sorted()
          .toList();
    }

    Result finish() throws IOException, InterruptedException {
      if (!process.waitFor(8, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new AssertionError("the run did not finish in 8 minutes");
      }
      return new Result(
          process.exitValue(),
          Files.readString(stdout, StandardCharsets.UTF_8),
          Files.readString(stderr, StandardCharsets.UTF_8));
    }
  }

  /** Starts {@code bin/sparkdp ARGS} in {@code workDir} without waiting for it. */
  static Running start(Path workDir, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(HOME.resolve("bin/sparkdp").toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
    pb.environment().remove("SPARK_HOME");
    pb.environment().put("SPARKDP_DRIVER_MEMORY", "2g");
    pb.environment().put("SPARKDP_JAVA_OPTS", QUICK_JVM);
    Path out = Files.createTempFile(workDir, "stdout", ".txt");
    Path err = Files.createTempFile(workDir, "stderr", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    return new Running(pb.start(), out, err);
  }

  /**
   * Starts {@code java MAIN...} on {@code classpath} with Spark's {@code --add-opens} flags, {@link
   * #QUICK_JVM} and {@code env}, its output going to {@code log}.
   */
  static Process java(
      Path log, String classpath, java.util.Map<String, String> env, List<String> main)
      throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                QUICK_JVM,
                "-cp",
                classpath));
    command.addAll(JAVA_OPENS);
    command.addAll(main);
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    return pb.start();
  }

  /**
   * Runs {@code command} in {@code workDir} with {@code env} added to this JVM's environment and
   * the variables {@code unset} removed, and waits for it (8 minutes at most).
   */
  static Result command(
      Path workDir, java.util.Map<String, String> env, List<String> unset, List<String> command)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
    unset.forEach(pb.environment()::remove);
    pb.environment().put("SPARK_SUBMIT_OPTS", QUICK_JVM);
    pb.environment().putAll(env);
    Path out = Files.createTempFile(workDir, "stdout", ".txt");
    Path err = Files.createTempFile(workDir, "stderr", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    try {
      return new Running(pb.start(), out, err).finish();
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /**
   * The arguments of {@code bin/sparkdp train} on the tests' {@code job.yaml}: {@code data} into
   * {@code output}, with {@code options}, Spark's UI off and executors of {@link #QUICK_JVM}.
   */
  static String[] train(String data, String output, String... options) {
    return concat(
        concat(
            new String[] {"train", "--config", "job.yaml", "--train", data, "--output", output},
            options),
        "--conf",
        "spark.ui.enabled=false",
        "--conf",
        "spark.executor.extraJavaOptions=" + QUICK_JVM);
  }

  /** {@code first} followed by {@code more}. */
  static String[] concat(String[] first, String... more) {
    List<String> all = new ArrayList<>(List.of(first));
    all.addAll(List.of(more));
    return all.toArray(new String[0]);
  }

  static Result run(Path workDir, String... args) throws IOException, InterruptedException {
    Running running = start(workDir, args);
    try {
      return running.finish();
    } finally {
      Files.deleteIfExists(running.stdout());
      Files.deleteIfExists(running.stderr());
    }
  }
}
