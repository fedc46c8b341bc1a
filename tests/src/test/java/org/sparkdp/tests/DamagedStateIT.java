package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.testkit.Blobs;

/**
 * Damaged state through {@code bin/sparkdp}: a damaged newest checkpoint is named and passed over
 * for the newest intact one; with every checkpoint damaged, resuming fails with one line and
 * changes nothing; and a disk that fills while the model is saved (a 2 MB tmpfs, mounted when the
 * tests run as root) leaves the previous run's outputs as they were.
 */
class DamagedStateIT {

  private static String[] train(String output, int epochs, String... more) {
    return Launcher.concat(
        Launcher.train(
            "data.csv", output, "--epochs", String.valueOf(epochs), "--batch-size", "16"),
        more);
  }

  @Test
  void aDamagedNewestCheckpointIsNamedAndResumingFallsBackToTheOneBefore(@TempDir Path dir)
      throws Exception {
    Blobs.of(400, 5, 3, 71).writeCsv(dir.resolve("data.csv"));
    Data.config(dir.resolve("job.yaml"), 5, 3);
    assertEquals(0, Launcher.run(dir, train("whole", 3)).exitCode());
    Launcher.Result first = Launcher.run(dir, train("out", 2));
    assertEquals(0, first.exitCode(), first.stderr());
    Path newest = dir.resolve("out/checkpoints/ckpt-00002-00000000/checkpoint.json");
    byte[] json = Files.readAllBytes(newest);
    Files.write(newest, java.util.Arrays.copyOf(json, json.length / 2));

    Launcher.Result resumed = Launcher.run(dir, train("out", 3, "--resume"));
    assertEquals(0, resumed.exitCode(), resumed.stderr());
    assertTrue(
        resumed.stderr().contains("checkpoint ckpt-00002-00000000 is damaged and passed over: ")
            && resumed
                .stderr()
                .contains(
                    "checkpoint.json: its SHA-256 differs from the one in"
                        + " SHA256SUMS (altered or truncated)"),
        resumed.stderr());
    assertTrue(
        resumed
            .stderr()
            .contains("resuming from ckpt-00001-00000000, the newest intact checkpoint"),
        resumed.stderr());
    assertArrayEquals(
        Weights.of(dir.resolve("whole")),
        Weights.of(dir.resolve("out")),
        "resumed after epoch 1: the weights of the run that never stopped");

    // Every checkpoint damaged: one line, exit code 1, nothing changed.
    for (String name : List.of("ckpt-00002-00000000", "ckpt-00003-00000000")) {
      Path state = dir.resolve("out/checkpoints").resolve(name).resolve("state.npz");
      byte[] bytes = Files.readAllBytes(state);
      bytes[bytes.length / 3] ^= 1;
      Files.write(state, bytes);
    }
    Files.delete(dir.resolve("out/checkpoints/ckpt-00001-00000000/SHA256SUMS"));
    Map<String, String> before = snapshot(dir.resolve("out"));
    Launcher.Result failed = Launcher.run(dir, train("out", 4, "--resume"));
    assertEquals(1, failed.exitCode(), failed.stderr());
    List<String> errors =
        failed.stderrLines().stream().filter(l -> l.startsWith("sparkdp train: error: ")).toList();
    assertEquals(1, errors.size(), failed.stderr());
    assertTrue(
        errors.get(0).startsWith("sparkdp train: error: no intact checkpoint in out/checkpoints: "),
        errors.get(0));
    assertTrue(
        failed.stderrLines().stream()
            .noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception")),
        failed.stderr());
    assertEquals(before, snapshot(dir.resolve("out")));
  }

  @Test
  void aDiskThatFillsWhileTheModelIsSavedLeavesThePreviousRunsOutputs(@TempDir Path dir)
      throws Exception {
    Path disk = Files.createDirectories(dir.resolve("disk"));
    assumeTrue(mount(disk), "mounting a tmpfs needs root");
    try {
      Blobs.of(200, 50, 3, 72).writeCsv(dir.resolve("data.csv"));
      Data.config(dir.resolve("job.yaml"), 50, 3);
      Launcher.Result first = Launcher.run(dir, train("disk/out", 1, "--test", "data.csv"));
      assertEquals(0, first.exitCode(), first.stderr());
      Map<String, String> before = snapshot(dir.resolve("disk/out"));
      before.keySet().removeIf(n -> n.startsWith("checkpoints"));
      assertTrue(before.containsKey("test-metrics.json"), before.keySet().toString());

      // 3,000 units: 4.8 MB of weights, more than the disk holds; no test data this time.
      Files.writeString(
          dir.resolve("wide.yaml"),
          Files.readString(dir.resolve("job.yaml"))
              .replace("units: 16, activation: relu", "units: 3000, activation: relu")
              .replace("units: 16, activation: tanh", "units: 400, activation: tanh"));
      // A new run, not a resumed one: the earlier run's checkpoints go first, as sparkdp asks.
      deleteRecursively(dir.resolve("disk/out/checkpoints"));
      Launcher.Result full =
          Launcher.run(
              dir,
              "train",
              "--config",
              "wide.yaml",
              "--train",
              "data.csv",
              "--output",
              "disk/out",
              "--epochs",
              "1",
              "--conf",
              "spark.ui.enabled=false");
      assertEquals(1, full.exitCode(), full.stderr());
      assertTrue(
          full.stderr()
              .contains(
                  "sparkdp train: error: could not write disk/out/weights.npz (No space left on"
                      + " device); disk/out keeps its previous outputs"),
          full.stderr());
      assertTrue(
          full.stderr().contains("could not write the checkpoint of epoch 2, step 1"),
          "a checkpoint that does not fit costs the checkpoint, not the run: " + full.stderr());
      Map<String, String> after = snapshot(dir.resolve("disk/out"));
      after.keySet().removeIf(n -> n.startsWith("checkpoints"));
      assertEquals(before, after, "the previous run's set, byte for byte, and no staging left");
    } finally {
      new ProcessBuilder("umount", disk.toString())
          .inheritIO()
          .start()
          .waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** Mounts a 2 MB tmpfs on {@code dir}; {@code false} if that is not allowed here. */
  private static boolean mount(Path dir) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir.toString())
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
  }

  /** Every file and directory under {@code dir} (hidden ones too) with its content. */
  private static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.toList()) {
        files.put(
            dir.relativize(p).toString(),
            Files.isDirectory(p)
                ? "dir"
                : new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1));
      }
    }
    return files;
  }
}
