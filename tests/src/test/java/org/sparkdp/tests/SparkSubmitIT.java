package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.testkit.Blobs;

/**
 * sparkdp as cluster users run it: Spark's own {@code spark-submit} (the launcher scripts of a
 * Spark distribution, {@code -Dsparkdp.sparkDist}, beside the build's jars as {@code SPARK_HOME})
 * submitting the application jar, in local mode and to a standalone cluster in cluster deploy mode.
 */
class SparkSubmitIT {
  /** The variables by which OpenBLAS takes its thread count. */
  private static final List<String> BLAS_THREADS =
      List.of("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS");

  @TempDir static Path dir;
  private static Path sparkHome;
  private static Path app;

  @BeforeAll
  static void sparkHomeOfTheDistributionsScriptsAndTheBuildsJars() throws Exception {
    sparkHome = SparkDist.home(dir);
    app = SparkDist.APP;
    Blobs.of(1000, 8, 3, 7).writeCsv(dir.resolve("data.csv"));
    Data.config(dir.resolve("job.yaml"), 8, 3);
  }

  /** {@code spark-submit OPTIONS APP ARGS} with OpenBLAS' thread variables unset. */
  private static Launcher.Result submit(
      Map<String, String> env, List<String> options, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(sparkHome.resolve("bin/spark-submit").toString());
    command.addAll(options);
    command.addAll(
        List.of(
            "--conf",
            "spark.ui.enabled=false",
            "--class",
            "org.sparkdp.jobs.TrainJob",
            app.toString()));
    command.addAll(List.of(args));
    Map<String, String> all = new java.util.HashMap<>(env);
    all.put("SPARK_HOME", sparkHome.toString());
    return Launcher.command(dir, all, BLAS_THREADS, command);
  }

  @Test
  void localModeSaysWhatToSetForOneBlasThreadAndSparkEnvShDoesIt() throws Exception {
    String warning =
        "local mode runs the tasks in this JVM, where spark.executorEnv settings do not apply: set "
            + "OPENBLAS_NUM_THREADS=1 in the environment of spark-submit";
    Launcher.Result bare =
        submit(
            Map.of(),
            List.of("--master", "local[2]"),
            "--config",
            "job.yaml",
            "--train",
            "data.csv",
            "--output",
            "bare",
            "--epochs",
            "1");
    assertEquals(0, bare.exitCode(), bare.stderr());
    assertTrue(bare.stderr().contains(warning), bare.stderr());

    // The project's conf/spark-env.sh in the configuration directory: the JVM gets the setting.
    Path conf = Files.createDirectories(dir.resolve("conf"));
    Files.copy(Launcher.HOME.resolve("conf/spark-env.sh"), conf.resolve("spark-env.sh"));
    Launcher.Result fixed =
        submit(
            Map.of("SPARK_CONF_DIR", conf.toString()),
            List.of("--master", "local[2]"),
            "--config",
            "job.yaml",
            "--train",
            "data.csv",
            "--output",
            "fixed",
            "--epochs",
            "1");
    assertEquals(0, fixed.exitCode(), fixed.stderr());
    assertFalse(fixed.stderr().contains("BlasThreads"), fixed.stderr());
  }

  @Test
  void aFailedJobEndsSparkSubmitWithExitCodeOneAndOneLine() throws Exception {
    Launcher.Result r =
        submit(
            Map.of(),
            List.of("--master", "local[2]"),
            "--config",
            "missing.yaml",
            "--train",
            "data.csv",
            "--output",
            "never");
    assertEquals(1, r.exitCode(), r.stderr());
    String line =
        "sparkdp train: error: --config missing.yaml: no such file ("
            + dir.toAbsolutePath().resolve("missing.yaml")
            + "), and no file of that name was shipped with spark-submit --files";
    assertTrue(r.stderr().lines().anyMatch(line::equals), r.stderr());
    assertFalse(Files.exists(dir.resolve("never")));
  }

  @Test
  void theClusterExampleTrainsOnAStandaloneClusterWithOneFreeExecutorCore() throws Exception {
    Path cluster = Files.createDirectories(dir.resolve("cluster"));
    // One Worker of 2 cores: the driver (cluster deploy mode) takes one, one is left for tasks.
    try (StandaloneCluster standalone = new StandaloneCluster(cluster, 1, 2, "3g")) {
      Launcher.Result r =
          submit(
              Map.of(),
              List.of(
                  "--master",
                  standalone.masterUrl,
                  "--deploy-mode",
                  "cluster",
                  "--conf",
                  "spark.standalone.submit.waitAppCompletion=true",
                  "--conf",
                  "spark.executorEnv.OPENBLAS_NUM_THREADS=1",
                  // The driver's and the executor's JVMs, as every JVM the tests start.
                  "--conf",
                  "spark.driver.extraJavaOptions=" + Launcher.QUICK_JVM,
                  "--conf",
                  "spark.executor.extraJavaOptions=" + Launcher.QUICK_JVM,
                  "--files",
                  dir.resolve("job.yaml").toString()),
              "--config",
              "job.yaml",
              "--train",
              dir.resolve("data.csv").toString(),
              "--output",
              dir.resolve("from-cluster").toString(),
              "--partitions",
              "2",
              "--epochs",
              "2");
      // Spark's standalone client exits 0 however the driver ended: the driver's files tell.
      assertEquals(0, r.exitCode(), r.stderr());
      Path driver;
      try (Stream<Path> dirs = Files.list(cluster.resolve("worker-0"))) {
        driver =
            dirs.filter(p -> p.getFileName().toString().startsWith("driver-"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no driver ran: " + r.stderr()));
      }
      String out = Files.readString(driver.resolve("stdout"), StandardCharsets.UTF_8);
      String err = Files.readString(driver.resolve("stderr"), StandardCharsets.UTF_8);
      System.out.println(out);
      assertTrue(
          out.contains("(sync, driver channel: 1 task for 2 partitions, 1 task slot)"), out + err);
      assertTrue(out.contains("Model written to"), out + err);
      assertTrue(err.contains("--config job.yaml read from the files shipped with --files"), err);
      assertTrue(Files.exists(dir.resolve("from-cluster/model.json")));
    }
  }
}
