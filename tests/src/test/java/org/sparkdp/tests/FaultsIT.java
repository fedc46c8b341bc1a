package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.ops.Comparisons;
import org.sparkdp.testkit.Blobs;

/**
 * Real faults on real processes: an executor JVM killed with SIGKILL in the middle of an epoch, the
 * driver killed after two epochs of four and resumed, and the driver stopped with SIGTERM in the
 * middle of an epoch and resumed. Each run must end with the weights of an undisturbed run (the
 * stopped one bit for bit). {@code -Dsparkdp.soak=true} kills an executor in three different epochs
 * instead of one.
 */
class FaultsIT {
  private static final int EPOCHS = 4;

  @TempDir static Path dir;
  private static float[] undisturbed;

  @BeforeAll
  static void undisturbedRun() throws Exception {
    Blobs.of(20000, 20, 5, 41).writeCsv(dir.resolve("data.csv"));
    // Wide enough that an epoch takes about a second: long enough to be killed in the middle of.
    Data.config(dir.resolve("job.yaml"), 20, 256, 5);
    Launcher.Result r = Launcher.run(dir, args("undisturbed", "local[2]"));
    assertEquals(0, r.exitCode(), r.stderr());
    undisturbed = Weights.of(dir.resolve("undisturbed"));
  }

  private static String[] args(String output, String master) {
    return Launcher.train(
        "data.csv",
        output,
        "--epochs",
        String.valueOf(EPOCHS),
        "--batch-size",
        "20",
        "--seed",
        "8",
        "--partitions",
        "2",
        "--master",
        master);
  }

  @Test
  void killingAnExecutorMidEpochChangesNothing() throws Exception {
    Launcher.Running run = Launcher.start(dir, args("executor-killed", "local-cluster[2,1,1024]"));
    boolean soak = Boolean.getBoolean("sparkdp.soak");
    for (int epoch : soak ? List.of(1, 2, 3) : List.of(2)) {
      run.awaitOutput("Epoch " + epoch + "/" + EPOCHS, 240);
      List<Long> executors = run.executorPids();
      assertFalse(executors.isEmpty(), "no executor JVM found to kill");
      long victim = executors.get(0);
      new ProcessBuilder("kill", "-9", String.valueOf(victim)).start().waitFor();
      System.out.printf(
          "killed executor JVM %d during epoch %d of %d%n", victim, epoch + 1, EPOCHS);
    }
    Launcher.Result r = run.finish();
    assertEquals(0, r.exitCode(), r.stderr());
    assertTrue(
        r.stderr().contains("restarting the training tasks"), "the driver noticed: " + r.stderr());
    double d =
        Comparisons.maxRelativeDifference(Weights.of(dir.resolve("executor-killed")), undisturbed);
    System.out.printf(
        "executor killed: max |diff| / max |w| against an undisturbed run = %.3g%n", d);
    assertTrue(d <= 1e-5, "relative difference " + d);
  }

  @Test
  void sigtermMidEpochStopsWithinSecondsWithOneLineAndResumesBitIdentical() throws Exception {
    Launcher.Running run = Launcher.start(dir, args("stopped", "local[2]"));
    // The second epoch's checkpoint, committed as the third epoch starts (an epoch is ~1000 steps).
    run.awaitFile(dir.resolve("stopped/checkpoints/ckpt-00002-00000000"), 240);
    long sent = System.nanoTime();
    run.process().destroy(); // SIGTERM, as YARN's kill or a scheduler's timeout sends it
    Launcher.Result r = run.finish();
    double seconds = (System.nanoTime() - sent) / 1e9;
    System.out.printf("SIGTERM: exit %d after %.2f s%n", r.exitCode(), seconds);
    assertEquals(143, r.exitCode(), r.stderr());
    assertTrue(seconds < 10, "stopped within 10 s: " + seconds);
    List<String> lines = r.stderrLines().stream().filter(l -> l.startsWith("sparkdp ")).toList();
    assertEquals(1, lines.size(), "one line from sparkdp: " + r.stderr());
    assertTrue(
        lines
            .get(0)
            .matches(
                "sparkdp train: interrupted at epoch 3, step [0-9]+; the last checkpoint is "
                    + "stopped/checkpoints/ckpt-00002-00000000 \\(resume with --resume\\)"),
        lines.get(0));
    assertFalse(r.stderr().contains("retrying"), "no retry: " + r.stderr());
    assertFalse(Files.exists(dir.resolve("stopped/model.json")), "no model of a stopped run");
    try (var s = Files.list(dir.resolve("stopped/checkpoints"))) {
      List<String> left = s.map(p -> p.getFileName().toString()).sorted().toList();
      assertTrue(left.stream().noneMatch(n -> n.startsWith(".tmp")), "no half-written: " + left);
    }

    Launcher.Result resumed =
        Launcher.run(dir, Launcher.concat(args("stopped", "local[2]"), "--resume"));
    assertEquals(0, resumed.exitCode(), resumed.stderr());
    assertTrue(resumed.stdout().contains("Resuming at epoch 3, step 1"), resumed.stdout());
    assertArrayEquals(
        undisturbed, Weights.of(dir.resolve("stopped")), "bit-identical to the undisturbed run");
  }

  @Test
  void killingTheDriverAfterTwoEpochsAndResumingChangesNothing() throws Exception {
    Launcher.Running run = Launcher.start(dir, args("driver-killed", "local[2]"));
    run.awaitOutput("Epoch 2/" + EPOCHS, 240);
    run.process().destroyForcibly().waitFor(); // SIGKILL: no shutdown hooks, nothing flushed
    assertFalse(
        Files.exists(dir.resolve("driver-killed").resolve("model.json")),
        "it was killed before the end");
    List<String> checkpoints;
    try (var s = Files.list(dir.resolve("driver-killed").resolve("checkpoints"))) {
      checkpoints = s.map(p -> p.getFileName().toString()).sorted().toList();
    }
    System.out.println("checkpoints after the kill: " + checkpoints);
    assertFalse(checkpoints.isEmpty(), "a checkpoint was written before the kill");

    String[] resume = Launcher.concat(args("driver-killed", "local[2]"), "--resume");
    Launcher.Result r = Launcher.run(dir, resume);
    assertEquals(0, r.exitCode(), r.stderr());
    assertTrue(r.stdout().contains("Resuming at epoch"), r.stdout());
    double d =
        Comparisons.maxRelativeDifference(Weights.of(dir.resolve("driver-killed")), undisturbed);
    System.out.printf(
        "driver killed and resumed: max |diff| / max |w| against an undisturbed run = %.3g%n", d);
    assertTrue(d <= 1e-5, "relative difference " + d);
  }
}
