package org.sparkdp.tests;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Python processes that use PySpark as a cluster user does: Spark's own launcher scripts and
 * PySpark's sources (a Spark distribution, see {@link SparkDist}), Spark's jars from the build, and
 * sparkdp as the app jar ({@code --jars}) and the Python zip beside it.
 */
final class PySpark {
  /** Debian's Python, which has the python3-* packages that {@code bin/sparkdp test} installs. */
  static final String PYTHON = "/usr/bin/python3";

  private PySpark() {}

  /**
   * A Spark home: the distribution's launcher scripts and the build's Spark jars, not sparkdp's.
   */
  static Path sparkHome(Path dir) throws IOException {
    Path home = dir.resolve("spark-home");
    Path jars = Files.createDirectories(home.resolve("jars"));
    Files.createSymbolicLink(home.resolve("bin"), SparkDist.dist().resolve("bin"));
    try (Stream<Path> lib = Files.list(Launcher.HOME.resolve("jobs/target/lib"))) {
      for (Path jar :
          lib.filter(p -> !p.getFileName().toString().startsWith("sparkdp-")).toList()) {
        Files.createSymbolicLink(jars.resolve(jar.getFileName()), jar);
      }
    }
    Files.writeString(home.resolve("RELEASE"), "");
    return home;
  }

  /** The build's file in {@code jobs/target} whose name ends with {@code suffix}. */
  static Path built(String suffix) throws IOException {
    try (Stream<Path> files = Files.list(Launcher.HOME.resolve("jobs/target"))) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(suffix))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no *" + suffix + " in jobs/target"));
    }
  }

  /**
   * The environment for {@code python3} with PySpark, sparkdp's zip and Spark at {@code master}.
   * The driver gets the JVM options {@code bin/sparkdp} gives it: the Vector API module (netlib's
   * BLAS) and the log4j settings.
   */
  static Map<String, String> environment(Path sparkHome, String master) throws IOException {
    List<String> path = new ArrayList<>();
    path.add(built("-python.zip").toString());
    SparkDist.pythonPath().forEach(p -> path.add(p.toString()));
    String log4j = Launcher.HOME.resolve("conf/log4j2.properties").toString();
    return Map.of(
        "SPARK_HOME",
        sparkHome.toString(),
        "PYTHONPATH",
        String.join(":", path),
        "PYSPARK_PYTHON",
        PYTHON,
        "OPENBLAS_NUM_THREADS",
        "1",
        "PYSPARK_SUBMIT_ARGS",
        "--master "
            + master
            + " --driver-memory 2g --jars "
            + SparkDist.APP
            + " --conf spark.ui.enabled=false --conf spark.ui.showConsoleProgress=false"
            + " --driver-java-options '"
            + Launcher.QUICK_JVM
            + " --add-modules=jdk.incubator.vector -Dlog4j2.configurationFile="
            + log4j
            + "' pyspark-shell");
  }

  /**
   * Runs several of this package's Python scripts, each a list of its name and arguments, one after
   * another in one Python process and so one SparkSession ({@code one_session.py}): one PySpark
   * start for all. Returns whatever the exit code: the output has one line {@code script NAME ok}
   * or {@code script NAME failed: ...} per script, which {@link #section} checks.
   */
  static Launcher.Result inOneSession(String master, Path dir, List<List<String>> scripts)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(PYTHON, copy(dir, "one_session.py").toString()));
    for (List<String> script : scripts) {
      if (command.size() > 2) {
        command.add("--");
      }
      command.add(copy(dir, script.get(0)).toString());
      command.addAll(script.subList(1, script.size()));
    }
    return start(dir, master, command);
  }

  /**
   * What {@code script} printed in an {@link #inOneSession} run: the lines after the previous
   * script's end line, up to its own, which must say {@code ok}.
   */
  static String section(Launcher.Result run, String script) {
    List<String> lines = run.stdout().lines().toList();
    int from = 0;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).equals("script " + script + " ok")) {
        return String.join("\n", lines.subList(from, i)) + "\n";
      }
      if (lines.get(i).startsWith("script ")
          && (lines.get(i).endsWith(" ok") || lines.get(i).contains(" failed: "))) {
        from = i + 1;
      }
    }
    throw new AssertionError(script + " did not end well: " + run.stdout() + run.stderr());
  }

  /** {@code dir/script}, copied there from this package's resources if it is not there yet. */
  private static Path copy(Path dir, String script) throws IOException {
    Path file = dir.resolve(script);
    if (!Files.exists(file)) {
      try (InputStream in = PySpark.class.getResourceAsStream("pyspark/" + script)) {
        Files.copy(in, file);
      }
    }
    return file;
  }

  /** Runs {@code command} with the PySpark environment, in {@code dir}, whatever its exit code. */
  private static Launcher.Result start(Path dir, String master, List<String> command)
      throws IOException, InterruptedException {
    Path home =
        Files.exists(dir.resolve("spark-home")) ? dir.resolve("spark-home") : sparkHome(dir);
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.environment().putAll(environment(home, master));
    Path out = Files.createTempFile(dir, "stdout", ".txt");
    Path err = Files.createTempFile(dir, "stderr", ".txt");
    Process process = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!process.waitFor(8, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("python did not finish in 8 minutes: " + Files.readString(out));
    }
    return new Launcher.Result(
        process.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }
}
