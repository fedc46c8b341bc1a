package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.io.ModelStore;
import org.sparkdp.testkit.Blobs;

/**
 * A training run killed (SIGKILL) while it writes its outputs over a previous run's: the directory
 * still loads, as the previous model with its weights intact, and every file of the previous run
 * (model, history, curves) is as it was. The model is wide (6M parameters, 25 MB of weights), so
 * the write lasts long enough to be caught: the kill follows the staging directory the writer
 * creates.
 */
class ModelWriteKillIT {

  @Test
  void killingTheProcessWhileItWritesTheModelLeavesThePreviousOne(@TempDir Path dir)
      throws Exception {
    Blobs.of(40, 100, 3, 61).writeCsv(dir.resolve("data.csv"));
    Data.config(dir.resolve("job.yaml"), 100, 3);
    Files.writeString(
        dir.resolve("wide.yaml"),
        Files.readString(dir.resolve("job.yaml"))
            .replace("units: 16, activation: relu", "units: 60000, activation: relu")
            .replace("units: 16, activation: tanh", "units: 3, activation: tanh"));
    String[] train = {
      "train",
      "--config",
      "wide.yaml",
      "--train",
      "data.csv",
      "--epochs",
      "1",
      "--batch-size",
      "all",
      "--output",
      "model",
      "--conf",
      "spark.ui.enabled=false"
    };
    Launcher.Result first = Launcher.run(dir, Launcher.concat(train, "--seed", "1"));
    assertEquals(0, first.exitCode(), first.stderr());
    Path model = dir.resolve("model");
    float[] previous =
        ModelStore.load(model.toString(), new org.apache.hadoop.conf.Configuration()).params();
    Map<String, byte[]> files = visibleFiles(model);
    assertEquals(
        List.of(
            "MODEL_CARD.md", "history.json", "learning-curves.png", "model.json", "weights.npz"),
        List.copyOf(files.keySet()));

    // A new run, not a resumed one: the earlier run's checkpoints go first, as sparkdp asks.
    try (Stream<Path> s = Files.walk(model.resolve("checkpoints"))) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
    try (WatchService watcher = model.getFileSystem().newWatchService()) {
      model.resolve(".sparkdp").register(watcher, StandardWatchEventKinds.ENTRY_CREATE);
      Launcher.Running second = Launcher.start(dir, Launcher.concat(train, "--seed", "2"));
      boolean killed = false;
      while (!killed && second.process().isAlive()) {
        WatchKey key = watcher.poll(100, TimeUnit.MILLISECONDS);
        if (key == null) {
          continue;
        }
        for (WatchEvent<?> event : key.pollEvents()) {
          if (event.context().toString().startsWith("staging-") && !killed) {
            second.process().destroyForcibly();
            killed = true;
            System.out.println("killed the run when " + event.context() + " appeared");
          }
        }
        key.reset();
      }
      second.process().waitFor();
      assertFalse(!killed, "the run ended before it started writing its model");
    }
    float[] after =
        ModelStore.load(model.toString(), new org.apache.hadoop.conf.Configuration()).params();
    assertArrayEquals(previous, after, "the previous model, intact");
    Map<String, byte[]> now = visibleFiles(model);
    assertEquals(files.keySet(), now.keySet());
    files.forEach((name, bytes) -> assertArrayEquals(bytes, now.get(name), name + " unchanged"));
  }

  /** The files of {@code dir} that a person sees, with their bytes, by name. */
  private static Map<String, byte[]> visibleFiles(Path dir) throws java.io.IOException {
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        if (Files.isRegularFile(p) && !p.getFileName().toString().startsWith(".")) {
          files.put(p.getFileName().toString(), Files.readAllBytes(p));
        }
      }
    }
    return files;
  }
}
