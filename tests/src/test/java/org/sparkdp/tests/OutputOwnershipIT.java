package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Isolated;
import org.sparkdp.io.ModelStore;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.testkit.Blobs;

/**
 * An output directory has one owner through {@code bin/sparkdp}: of two runs into one directory the
 * second is refused at once with one line naming the first, which writes the only model; a lock
 * left by a run killed with SIGKILL is taken over; and a run with a bad test file, or one that
 * would replace an earlier run's checkpoints, is refused before it writes anything, so that the
 * earlier run's files stay byte for byte and it still resumes.
 */
@Isolated
class OutputOwnershipIT {
  /** The refusal must come well before a run could train: JVM start and a few file reads. */
  private static final double REFUSED_WITHIN_SECONDS = 5;

  @TempDir static Path dir;

  @BeforeAll
  static void data() throws IOException {
    Blobs.of(200, 5, 3, 31).writeCsv(dir.resolve("data.csv"));
    Data.config(dir.resolve("job.yaml"), 5, 3);
    // The same rows with the last label out of range for three classes.
    List<String> lines = Files.readAllLines(dir.resolve("data.csv"));
    String last = lines.get(lines.size() - 1);
    lines.set(lines.size() - 1, last.substring(0, last.lastIndexOf(',') + 1) + "7");
    Files.write(dir.resolve("bad-test.csv"), lines);
  }

  private static String[] train(String output, String... more) {
    return Launcher.concat(
        Launcher.train("data.csv", output, "--batch-size", "20", "--partitions", "2"), more);
  }

  /** Waits for {@code file} to appear while {@code run} is alive. */
  private static void awaitFile(Launcher.Running run, Path file) throws Exception {
    long deadline = System.nanoTime() + 240_000_000_000L;
    while (!Files.exists(file)) {
      if (!run.process().isAlive()) {
        throw new AssertionError(
            "the run ended before " + file + " appeared: " + run.finish().stderr());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no " + file + " after 240 s");
      }
      Thread.sleep(10);
    }
  }

  /** Every file under {@code dir} (hidden ones too) with its SHA-256; directories as such. */
  private static Map<String, String> hashes(Path dir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.toList()) {
        files.put(
            dir.relativize(p).toString(),
            Files.isDirectory(p) ? "dir" : ModelFile.sha256(Files.readAllBytes(p)));
      }
    }
    return files;
  }

  private static List<String> errorLines(Launcher.Result r) {
    return r.stderrLines().stream().filter(l -> l.startsWith("sparkdp train: ")).toList();
  }

  @Test
  void ofTwoRunsIntoOneDirectoryTheSecondIsRefusedAtOnceAndTheFirstWritesTheOnlyModel()
      throws Exception {
    // Ten pairs with -Dsparkdp.soak=true (the figure the closing notes quote), three by default.
    int rounds = Boolean.getBoolean("sparkdp.soak") ? 10 : 3;
    double slowest = 0;
    for (int round = 0; round < rounds; round++) {
      String output = "shared-" + round;
      Launcher.Running first = Launcher.start(dir, train(output, "--epochs", "1", "--seed", "1"));
      awaitFile(first, dir.resolve(output).resolve(".sparkdp/lock.json"));
      long started = System.nanoTime();
      Launcher.Result second = Launcher.run(dir, train(output, "--epochs", "1", "--seed", "2"));
      double seconds = (System.nanoTime() - started) / 1e9;
      slowest = Math.max(slowest, seconds);
      Launcher.Result firstResult = first.finish();

      assertEquals(1, second.exitCode(), second.stderr());
      List<String> lines = errorLines(second);
      assertEquals(1, lines.size(), second.stderr());
      assertTrue(
          lines
              .get(0)
              .matches(
                  "sparkdp train: error: "
                      + output
                      + " is being written by another run [0-9a-f-]{36} \\(train, pid "
                      + first.process().pid()
                      + " on host [^,]+, since 20[0-9-]+T[0-9:]+Z, heartbeat [0-9]+ s ago\\);"
                      + " wait for it to end, or write to another directory"),
          lines.get(0));
      assertTrue(seconds < REFUSED_WITHIN_SECONDS, "refused after " + seconds + " s");
      assertFalse(second.stdout().contains("Epoch"), "the second run trained: " + second.stdout());

      assertEquals(0, firstResult.exitCode(), firstResult.stderr());
      Path model = dir.resolve(output);
      ModelStore.load(model.toString(), new Configuration()); // every file against its SHA-256
      List<String> args = new java.util.ArrayList<>();
      new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(model.resolve("model.json").toFile())
          .findValue("arguments")
          .forEach(a -> args.add(a.asText()));
      assertEquals("1", args.get(args.indexOf("--seed") + 1), "the first run's model: " + args);
      assertEquals(
          List.of("committed.json"),
          List.of(model.resolve(".sparkdp").toFile().list()),
          "no lock and no staging left");
      assertEquals(
          java.util.Set.of("ckpt-00001-00000000", "FINISHED"),
          java.util.Set.of(model.resolve("checkpoints").toFile().list()),
          "the first run's checkpoint, marked as a finished run's");
    }
    System.out.printf("second runs refused within %.2f s at the slowest of 10%n", slowest);
  }

  @Test
  void aLockLeftByARunKilledWithSigkillIsTakenOverAndItsRunResumes() throws Exception {
    Launcher.Running killed =
        Launcher.start(dir, train("killed", "--epochs", "200", "--seed", "4"));
    awaitFile(killed, dir.resolve("killed/checkpoints/ckpt-00001-00000000"));
    killed.process().destroyForcibly().waitFor(); // SIGKILL: no shutdown hook releases the lock
    killed.finish();
    Path lock = dir.resolve("killed/.sparkdp/lock.json");
    assertTrue(Files.exists(lock), "the killed run's lock is left");
    assertTrue(
        Files.readString(lock).contains("\"pid\":" + killed.process().pid())
            || Files.readString(lock).contains("\"pid\" : " + killed.process().pid()),
        Files.readString(lock));

    int next = newestEpoch(dir.resolve("killed/checkpoints")) + 1;
    Launcher.Result resumed =
        Launcher.run(
            dir, train("killed", "--epochs", String.valueOf(next), "--seed", "4", "--resume"));
    assertEquals(0, resumed.exitCode(), resumed.stderr());
    assertTrue(
        resumed.stderr().contains("killed: taking over the lock of run ")
            && resumed
                .stderr()
                .contains(
                    "which is stale: process "
                        + killed.process().pid()
                        + " is no longer running on "),
        resumed.stderr());
    assertTrue(resumed.stdout().contains("Resuming at epoch " + next), resumed.stdout());
    ModelStore.load(dir.resolve("killed").toString(), new Configuration());
    assertFalse(Files.exists(lock), "released at the end");
  }

  @Test
  void aRunWithABadTestFileOrOneThatWouldReplaceCheckpointsIsRefusedBeforeItWritesAnything()
      throws Exception {
    // Run 1, stopped with SIGTERM after its first checkpoint: it releases the lock as it stops.
    Launcher.Running first =
        Launcher.start(dir, train("earlier", "--epochs", "200", "--seed", "5"));
    awaitFile(first, dir.resolve("earlier/checkpoints/ckpt-00001-00000000"));
    first.process().destroy();
    Launcher.Result stopped = first.finish();
    assertEquals(143, stopped.exitCode(), stopped.stderr());
    Path earlier = dir.resolve("earlier");
    assertFalse(Files.exists(earlier.resolve(".sparkdp/lock.json")), "released on SIGTERM");
    Map<String, String> before = hashes(earlier);
    int next = newestEpoch(earlier.resolve("checkpoints")) + 1;

    // A resumed run with a test label out of range: refused before it trains or writes.
    Launcher.Result badTest =
        Launcher.run(
            dir,
            train(
                "earlier",
                "--epochs",
                String.valueOf(next),
                "--seed",
                "5",
                "--resume",
                "--test",
                "bad-test.csv"));
    assertEquals(1, badTest.exitCode(), badTest.stderr());
    List<String> lines = errorLines(badTest);
    assertEquals(1, lines.size(), badTest.stderr());
    assertTrue(
        lines.get(0).startsWith("sparkdp train: error: test data (bad-test.csv) row 200: "),
        lines.get(0));
    assertFalse(badTest.stdout().contains("Epoch"), "it trained: " + badTest.stdout());
    assertEquals(before, hashes(earlier), "run 1's files, byte for byte");

    // A new run (no --resume) into the same directory: refused, naming the way out.
    Launcher.Result fresh = Launcher.run(dir, train("earlier", "--epochs", "1", "--seed", "6"));
    assertEquals(2, fresh.exitCode(), fresh.stderr());
    lines = errorLines(fresh);
    assertEquals(1, lines.size(), fresh.stderr());
    assertTrue(
        lines
            .get(0)
            .matches(
                "sparkdp train: error: earlier/checkpoints holds the checkpoints of an earlier run"
                    + " that did not finish \\(the newest is ckpt-0000[0-9]-00000000\\); continue that run with"
                    + " --resume, train into another --output, or remove earlier/checkpoints to"
                    + " start afresh"),
        lines.get(0));
    assertEquals(before, hashes(earlier), "run 1's files, byte for byte");

    Launcher.Result resumed =
        Launcher.run(
            dir, train("earlier", "--epochs", String.valueOf(next), "--seed", "5", "--resume"));
    assertEquals(0, resumed.exitCode(), resumed.stderr());
    assertTrue(resumed.stdout().contains("Resuming at epoch " + next), resumed.stdout());
    ModelStore.load(earlier.toString(), new Configuration());
  }

  /** The epoch of the newest checkpoint in {@code dir} (counted from 1, as its name has it). */
  private static int newestEpoch(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("ckpt-"))
          .mapToInt(n -> Integer.parseInt(n.substring(5, 10)))
          .max()
          .orElseThrow();
    }
  }
}
