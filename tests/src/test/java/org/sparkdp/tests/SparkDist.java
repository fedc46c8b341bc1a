package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real {@code SPARK_HOME}: the launcher scripts of a Spark distribution beside the jars that
 * {@code bin/sparkdp spark-home} assembles. The distribution is, in order: {@code
 * -Dsparkdp.sparkDist} (which {@code bin/sparkdp test} sets, from the same search), {@code
 * SPARK_HOME}, the {@code pyspark} package installed for {@link PySpark#PYTHON} (pip's ships {@code
 * bin/spark-submit} and the jars), and the vendored {@code shared/vendor/spark-dist} above the
 * repository. Without one, the tests that need it fail, saying what to install: skipping them would
 * let a run pass without testing spark-submit, YARN and the Python package.
 */
final class SparkDist {
  static final Path DIST = find();

  /** What to install when no distribution is found ({@code bin/sparkdp test} says the same). */
  static final String MISSING =
      "no Spark distribution: set SPARK_HOME to one, or install PySpark for "
          + PySpark.PYTHON
          + " (pip install pyspark), or put one in shared/vendor/spark-dist above "
          + Launcher.HOME;

  /**
   * The application jar that a cluster user gives to {@code spark-submit}: the build's, named for
   * its Spark line ({@code sparkdp-jobs-VERSION-sparkLINE_SCALA-app.jar}), found as {@code
   * bin/sparkdp} finds it.
   */
  static final Path APP = appJar();

  private SparkDist() {}

  /** The first distribution with {@code bin/spark-submit}, or {@code null}. */
  private static Path find() {
    String given = System.getProperty("sparkdp.sparkDist", "");
    if (!given.isBlank()) {
      return Path.of(given);
    }
    List<Path> candidates = new java.util.ArrayList<>();
    String sparkHome = System.getenv("SPARK_HOME");
    if (sparkHome != null && !sparkHome.isBlank()) {
      candidates.add(Path.of(sparkHome));
    }
    Path pip = pipPyspark();
    if (pip != null) {
      candidates.add(pip);
    }
    for (Path dir = Launcher.HOME; dir != null; dir = dir.getParent()) {
      candidates.add(dir.resolve("shared/vendor/spark-dist"));
    }
    return candidates.stream()
        .filter(d -> Files.isExecutable(d.resolve("bin/spark-submit")))
        .findFirst()
        .orElse(null);
  }

  /** The directory of the {@code pyspark} package {@link PySpark#PYTHON} imports, or null. */
  private static Path pipPyspark() {
    try {
      Process p =
          new ProcessBuilder(
                  PySpark.PYTHON,
                  "-c",
                  "import os, pyspark; print(os.path.dirname(pyspark.__file__))")
              .redirectErrorStream(false)
              .start();
      String out = new String(p.getInputStream().readAllBytes()).strip();
      return p.waitFor() == 0 && !out.isEmpty() ? Path.of(out) : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** The distribution, or an assertion error saying what to install. */
  static Path dist() {
    if (DIST == null) {
      throw new AssertionError(MISSING);
    }
    return DIST;
  }

  /**
   * Where PySpark's Python sources are: a distribution's {@code python/lib} zips, or nothing to add
   * for a pip-installed {@code pyspark}, which its Python imports already.
   */
  static List<Path> pythonPath() throws IOException {
    Path lib = dist().resolve("python/lib");
    if (!Files.isDirectory(lib)) {
      return List.of();
    }
    try (Stream<Path> zips = Files.list(lib)) {
      return zips.filter(p -> p.toString().endsWith(".zip")).sorted().toList();
    }
  }

  private static Path appJar() {
    try (java.util.stream.Stream<Path> files = Files.list(Launcher.HOME.resolve("jobs/target"))) {
      return files
          .filter(p -> p.getFileName().toString().matches("sparkdp-jobs-.*-spark.*-app\\.jar"))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no sparkdp-jobs-*-spark*-app.jar in jobs/target"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Makes {@code dir/spark}, a Spark home of the distribution's scripts and the build's jars. */
  static Path home(Path dir) throws Exception {
    Path dist = dist();
    assertTrue(
        Files.isExecutable(dist.resolve("bin/spark-submit")),
        "no Spark launcher scripts in "
            + dist
            + " (set -Dsparkdp.sparkDist to a Spark distribution)");
    Launcher.Result home = Launcher.run(dir, "spark-home");
    assertEquals(0, home.exitCode(), home.stderr());
    Path sparkHome = Files.createDirectories(dir.resolve("spark"));
    for (String part : List.of("bin", "sbin", "conf")) {
      copy(dist.resolve(part), sparkHome.resolve(part));
    }
    Files.createSymbolicLink(
        sparkHome.resolve("jars"), Path.of(home.stdout().strip()).resolve("jars"));
    Files.writeString(sparkHome.resolve("RELEASE"), "");
    return sparkHome;
  }

  private static void copy(Path from, Path to) throws IOException {
    if (!Files.exists(from)) {
      return; // pip's pyspark has no conf/
    }
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Path target = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }
}
