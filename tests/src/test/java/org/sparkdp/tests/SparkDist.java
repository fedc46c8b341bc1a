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
 * A real {@code SPARK_HOME}: the launcher scripts of a Spark distribution ({@code
 * -Dsparkdp.sparkDist}) beside the jars that {@code bin/sparkdp spark-home} assembles.
 */
final class SparkDist {
  static final Path DIST =
      Path.of(System.getProperty("sparkdp.sparkDist", "/work/shared/vendor/spark-dist"));

  /**
   * The application jar that a cluster user gives to {@code spark-submit}: the build's, named for
   * its Spark line ({@code sparkdp-jobs-VERSION-sparkLINE_SCALA-app.jar}), found as {@code
   * bin/sparkdp} finds it.
   */
  static final Path APP = appJar();

  private SparkDist() {}

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
    assertTrue(
        Files.isExecutable(DIST.resolve("bin/spark-submit")),
        "no Spark launcher scripts in "
            + DIST
            + " (set -Dsparkdp.sparkDist to a Spark distribution)");
    Launcher.Result home = Launcher.run(dir, "spark-home");
    assertEquals(0, home.exitCode(), home.stderr());
    Path sparkHome = Files.createDirectories(dir.resolve("spark"));
    for (String part : List.of("bin", "sbin", "conf")) {
      copy(DIST.resolve(part), sparkHome.resolve(part));
    }
    Files.createSymbolicLink(
        sparkHome.resolve("jars"), Path.of(home.stdout().strip()).resolve("jars"));
    Files.writeString(sparkHome.resolve("RELEASE"), "");
    return sparkHome;
  }

  private static void copy(Path from, Path to) throws IOException {
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
