package org.sparkdp.tests;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real Spark standalone cluster on 127.0.0.1: Spark's own {@code Master} and {@code Worker}
 * classes in processes of their own, from the Spark home that {@code bin/sparkdp spark-home}
 * assembles from the build's jars, on free ports. Closing it stops every process it started.
 */
final class StandaloneCluster implements AutoCloseable {
  private final List<Process> processes = new ArrayList<>();
  final String masterUrl;

  /** {@code workers} Workers of one core and 1 GB. */
  StandaloneCluster(Path workDir, int workers) throws IOException, InterruptedException {
    this(workDir, workers, 1, "1g");
  }

  /**
   * {@code workers} Workers of {@code cores} cores and {@code memory} each; Worker {@code w} works
   * in {@code workDir/worker-w} (where a driver of cluster deploy mode writes its output too).
   */
  StandaloneCluster(Path workDir, int workers, int cores, String memory)
      throws IOException, InterruptedException {
    Launcher.Result home = Launcher.run(workDir, "spark-home");
    if (home.exitCode() != 0) {
      throw new IOException("bin/sparkdp spark-home failed: " + home.stderr());
    }
    String sparkHome = home.stdout().strip();
    int port = freePort();
    masterUrl = "spark://127.0.0.1:" + port;
    processes.add(
        start(
            workDir.resolve("master.log"),
            sparkHome,
            List.of(
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                String.valueOf(port),
                "--webui-port",
                String.valueOf(freePort()))));
    awaitPort(port, 60);
    for (int w = 0; w < workers; w++) {
      Path work = Files.createDirectories(workDir.resolve("worker-" + w));
      processes.add(
          start(
              workDir.resolve("worker-" + w + ".log"),
              sparkHome,
              List.of(
                  "org.apache.spark.deploy.worker.Worker",
                  "--host",
                  "127.0.0.1",
                  "--cores",
                  String.valueOf(cores),
                  "--memory",
                  memory,
                  "--webui-port",
                  String.valueOf(freePort()),
                  "--work-dir",
                  work.toString(),
                  masterUrl)));
    }
    awaitWorkers(workDir, workers, 60);
  }

  /** Starts a Master or a Worker ({@link Launcher#java} gives it {@link Launcher#QUICK_JVM}). */
  private Process start(Path log, String sparkHome, List<String> main) throws IOException {
    return Launcher.java(
        log,
        sparkHome + "/jars/*",
        java.util.Map.of("SPARK_HOME", sparkHome, "SPARK_SCALA_VERSION", "2.13"),
        main);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void awaitPort(int port, int seconds) throws InterruptedException, IOException {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
        return;
      } catch (IOException e) {
        Thread.sleep(200);
      }
    }
    throw new IOException(
        "the standalone Master did not open port " + port + " in " + seconds + " s");
  }

  /** Waits until the Master's log has registered every Worker. */
  private static void awaitWorkers(Path workDir, int workers, int seconds)
      throws InterruptedException, IOException {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (System.nanoTime() < deadline) {
      String log = Files.readString(workDir.resolve("master.log"), StandardCharsets.UTF_8);
      if (log.split("Registering worker", -1).length - 1 >= workers) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IOException(
        "not all "
            + workers
            + " Workers registered with the Master in "
            + seconds
            + " s: "
            + Files.readString(workDir.resolve("master.log"), StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }
}
