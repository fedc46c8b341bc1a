package org.sparkdp.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.testkit.Fuzz;

/**
 * A run's outputs are committed together or not at all: a save that fails at any byte (a full disk)
 * leaves the previous set whole, and a crash after the commit leaves the new set, which reads back
 * and is completed by the next save.
 */
class OutputSetTest {
  private static final ModelSpec SPEC =
      ModelSpec.of(Dense.of(8, "relu").withInputDim(4), Dense.of(3, "softmax"));
  private static final CompileConfig COMPILE =
      new CompileConfig(Adam.defaults(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, List.of());
  private static final Configuration CONF = CappedFileSystem.configure(new Configuration());

  @AfterEach
  void noLimit() {
    CappedFileSystem.room.set(-1);
  }

  private static float[] params(float scale) {
    float[] p = SPEC.initialParameters(1);
    for (int i = 0; i < p.length; i++) {
      p[i] *= scale;
    }
    return p;
  }

  private static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void save(String dir, float[] params, Map<String, byte[]> files)
      throws IOException {
    ModelStore.save(dir, CONF, SPEC, COMPILE, 1, params, null, null, files);
  }

  /** Model A with a history, curves and test metrics. */
  private static void saveA(String dir) throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("history.json", text("{\"loss\": [1.0]}"));
    files.put("learning-curves.png", new byte[3000]);
    files.put("test-metrics.json", text("{\"loss\": 0.5}"));
    save(dir, params(1), files);
  }

  /** Model B: other weights, another history and curves, no test metrics. */
  private static Map<String, byte[]> filesB() {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("history.json", text("{\"loss\": [2.0, 1.5]}"));
    files.put("learning-curves.png", new byte[4000]);
    return files;
  }

  /** Every file and directory under {@code dir} with its content. */
  static Map<String, String> snapshot(Path dir) throws IOException {
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

  @Test
  void aSaveThatRunsOutOfRoomAtAnyByteLeavesThePreviousSetAsItWas(@TempDir Path tmp)
      throws IOException {
    Path out = tmp.resolve("out");
    String dir = "capped://" + out;
    saveA(dir);
    Map<String, String> before = snapshot(out);
    int failures = 0;
    int step = 97;
    for (long room = 0; ; room += step) {
      CappedFileSystem.room.set(room);
      try {
        save(dir, params(2), filesB());
      } catch (IOException e) {
        assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
        assertEquals(before, snapshot(out), "room for " + room + " bytes: nothing changed");
        failures++;
        continue;
      }
      break;
    }
    CappedFileSystem.room.set(-1);
    long written = 0;
    for (String name :
        List.of(
            "weights.npz",
            "model.json",
            "history.json",
            "learning-curves.png",
            ".sparkdp/committed.json")) {
      written += Files.size(out.resolve(name));
    }
    assertEquals(
        (written + step - 1) / step,
        failures,
        "every save with less room than the set and its record (" + written + " bytes) failed");
    assertArrayEquals(params(2), ModelStore.load(dir, CONF).params());
    assertEquals("{\"loss\": [2.0, 1.5]}", Files.readString(out.resolve("history.json")));
    assertFalse(Files.exists(out.resolve("test-metrics.json")), "A's test metrics went with A");
    assertEquals(
        List.of(".sparkdp", ".sparkdp/committed.json"),
        snapshot(out).keySet().stream().filter(n -> n.startsWith(".")).toList(),
        "no staging left behind");
  }

  @Test
  void aCrashAfterTheCommitLeavesTheNewSetWhichTheNextSaveCompletes(@TempDir Path tmp)
      throws IOException {
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    saveA(a.toString());
    saveA(b.toString());
    save(b.toString(), params(2), filesB());
    String id =
        new ObjectMapper()
            .readTree(b.resolve(".sparkdp/committed.json").toFile())
            .path("set")
            .asText();
    // A crash after B's record was written, while its files were being moved: A's files at the
    // top, B's record, and B's files still staged but for weights.npz, moved already.
    Path crashed = tmp.resolve("crashed");
    try (Stream<Path> files = Files.walk(a)) {
      for (Path p : files.toList()) {
        Path target = crashed.resolve(a.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
    Files.copy(
        b.resolve(".sparkdp/committed.json"),
        crashed.resolve(".sparkdp/committed.json"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Path staging = Files.createDirectories(crashed.resolve(".sparkdp/staging-" + id));
    for (String name : List.of("model.json", "history.json", "learning-curves.png")) {
      Files.copy(b.resolve(name), staging.resolve(name));
    }
    Files.copy(
        b.resolve("weights.npz"),
        crashed.resolve("weights.npz"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    assertArrayEquals(
        params(2), ModelStore.load(crashed.toString(), CONF).params(), "the new set is read");
    OutputSet.Committed set = OutputSet.committed(crashed.toString(), CONF);
    assertEquals(staging.resolve("history.json").toString(), set.file("history.json").path());

    OutputSet.begin(crashed.toString(), CONF).close();
    assertEquals(snapshot(b), snapshot(crashed), "the move completed, A's test metrics removed");
  }

  @Test
  void aPlainDirectoryLoadsAndASaveReplacesItsRunFiles(@TempDir Path tmp) throws IOException {
    Path plain = Files.createDirectories(tmp.resolve("plain"));
    byte[] weights = ModelFile.weightsBytes(SPEC, params(3));
    Files.write(plain.resolve("weights.npz"), weights);
    Files.write(
        plain.resolve("model.json"),
        ModelFile.toBytes(
            ModelFile.modelJson(SPEC, COMPILE, 1, ModelFile.sha256(weights), null, null)));
    Files.writeString(plain.resolve("test-metrics.json"), "{}");
    Files.writeString(plain.resolve("notes.txt"), "mine");
    assertArrayEquals(params(3), ModelStore.load(plain.toString(), CONF).params());

    save(plain.toString(), params(2), filesB());
    assertArrayEquals(params(2), ModelStore.load(plain.toString(), CONF).params());
    assertFalse(Files.exists(plain.resolve("test-metrics.json")), "a run's file, replaced");
    assertEquals("mine", Files.readString(plain.resolve("notes.txt")), "not a run's file");
  }

  @Test
  void aDamagedRecordIsReadOrRefusedCleanly(@TempDir Path tmp) throws IOException {
    saveA(tmp.toString());
    Path record = tmp.resolve(".sparkdp/committed.json");
    byte[] valid = Files.readAllBytes(record);
    Fuzz.Report report =
        Fuzz.run(
            "output set record",
            valid,
            2000,
            20,
            List.of(IOException.class),
            b -> {
              Files.write(record, b);
              ModelStore.load(tmp.toString(), CONF);
            });
    assertTrue(report.refused() > 1000, report.toString());
    // A damaged record does not stop the next run from saving its set.
    Files.writeString(record, "{\"format\": \"sparkdp.out");
    save(tmp.toString(), params(2), filesB());
    assertArrayEquals(params(2), ModelStore.load(tmp.toString(), CONF).params());
  }

  @Test
  void aCommittedFileAlteredAfterTheRunIsDetected(@TempDir Path tmp) throws IOException {
    saveA(tmp.toString());
    Path json = tmp.resolve("model.json");
    Files.writeString(json, Files.readString(json).replace("\"sequential\"", "\"renamed\""));
    IOException e = assertThrows(IOException.class, () -> ModelStore.load(tmp.toString(), CONF));
    assertEquals(
        json
            + ": its SHA-256 differs from the one committed in .sparkdp/committed.json (the file"
            + " was altered or truncated after the run)",
        e.getMessage());
  }
}
