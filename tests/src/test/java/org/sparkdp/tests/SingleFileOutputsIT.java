package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.testkit.Blobs;

/**
 * Every command that writes a single file ({@code export}, {@code evaluate --output/--plot}, {@code
 * keygen}, {@code sign}) replaces an earlier file of its own kind, refuses any other file with one
 * line and exit code 2, leaving it byte for byte as it was, and replaces it with {@code
 * --overwrite}.
 */
class SingleFileOutputsIT {
  private static final byte[] NOTES = "a,b,label\n1,2,0\n3,4,1\n".getBytes(StandardCharsets.UTF_8);

  @TempDir static Path dir;

  @BeforeAll
  static void trainAModel() throws Exception {
    Blobs.of(200, 4, 2, 5).writeCsv(dir.resolve("train.csv"));
    Data.config(dir.resolve("job.yaml"), 4, 2);
    Launcher.Result r = Launcher.run(dir, Launcher.train("train.csv", "model", "--epochs", "1"));
    assertEquals(0, r.exitCode(), r.stderr());
  }

  @Test
  void exportRefusesToReplaceADataFileAndReplacesItsOwnEarlierExport() throws Exception {
    for (String format : new String[] {"onnx", "keras"}) {
      Path notes = dir.resolve("notes-" + format + (format.equals("keras") ? ".keras" : ".csv"));
      Files.write(notes, NOTES);
      String name = notes.getFileName().toString();
      long start = System.nanoTime();
      Launcher.Result refused =
          Launcher.run(dir, "export", "--model", "model", "--format", format, "--output", name);
      double seconds = (System.nanoTime() - start) / 1e9;
      assertEquals(2, refused.exitCode(), refused.stdout() + refused.stderr());
      assertEquals(
          "sparkdp export: error: --output "
              + name
              + ": exists and is not "
              + (format.equals("keras") ? "a .keras model" : "an ONNX model")
              + "; not replaced (choose another name, or give --overwrite to replace it)",
          refused.stderr().strip());
      assertFalse(refused.stdout().contains("Model written"), refused.stdout());
      assertArrayEquals(NOTES, Files.readAllBytes(notes), name + " left as it was");
      assertTrue(seconds < 60, "refused after " + seconds + " s");

      String own = "own." + format;
      for (int i = 0; i < 2; i++) {
        Launcher.Result written =
            Launcher.run(dir, "export", "--model", "model", "--format", format, "--output", own);
        assertEquals(0, written.exitCode(), "export " + i + ": " + written.stderr());
      }
      Launcher.Result overwritten =
          Launcher.run(
              dir,
              "export",
              "--model",
              "model",
              "--format",
              format,
              "--output",
              name,
              "--overwrite");
      assertEquals(0, overwritten.exitCode(), overwritten.stderr());
      // Now an export (a .keras archive's entries carry their time, so compare the start).
      byte[] head = format.equals("keras") ? new byte[] {'P', 'K', 3, 4} : new byte[] {8, 8};
      assertArrayEquals(head, java.util.Arrays.copyOf(Files.readAllBytes(notes), head.length));
    }
  }

  @Test
  void evaluateRefusesAnOutputOrPlotThatItDidNotWriteBeforeEvaluating() throws Exception {
    Files.write(dir.resolve("metrics.csv"), NOTES);
    Files.write(dir.resolve("plot.txt"), NOTES);
    String[][] cases = {
      {"--output", "metrics.csv", "a metrics JSON file written by evaluate"},
      {"--plot", "plot.txt", "a PNG image"}
    };
    for (String[] c : cases) {
      Launcher.Result r =
          Launcher.run(dir, "evaluate", "--model", "model", "--data", "train.csv", c[0], c[1]);
      assertEquals(2, r.exitCode(), r.stdout() + r.stderr());
      assertEquals(
          "sparkdp evaluate: error: "
              + c[0]
              + " "
              + c[1]
              + ": exists and is not "
              + c[2]
              + "; not replaced (choose another name, or give --overwrite to replace it)",
          r.stderr().strip());
      assertFalse(r.stdout().contains("Evaluation"), "refused before evaluating: " + r.stdout());
      assertArrayEquals(NOTES, Files.readAllBytes(dir.resolve(c[1])));
    }
    // Its own earlier files are replaced without --overwrite (export's test shows --overwrite).
    for (int i = 0; i < 2; i++) {
      Launcher.Result r =
          Launcher.run(
              dir,
              "evaluate",
              "--model",
              "model",
              "--data",
              "train.csv",
              "--output",
              "m.json",
              "--plot",
              "m.png");
      assertEquals(0, r.exitCode(), "evaluate " + i + ": " + r.stderr());
    }
  }

  @Test
  void keygenNeverReplacesAKeyWithoutOverwrite() throws Exception {
    Path keys = Files.createDirectories(dir.resolve("keys"));
    assertEquals(0, Launcher.run(keys, "keygen", "--out", "owner").exitCode());
    byte[] privateKey = Files.readAllBytes(keys.resolve("owner.key"));
    byte[] publicKey = Files.readAllBytes(keys.resolve("owner.pub"));
    Launcher.Result again = Launcher.run(keys, "keygen", "--out", "owner");
    assertEquals(2, again.exitCode(), again.stderr());
    assertEquals(
        "sparkdp keygen: error: owner.key: exists; a private key is never replaced unless"
            + " --overwrite is given (keep the old one elsewhere first)",
        again.stderr().strip());
    assertArrayEquals(privateKey, Files.readAllBytes(keys.resolve("owner.key")));
    assertArrayEquals(publicKey, Files.readAllBytes(keys.resolve("owner.pub")));

    // Nor a data file in a key's place, and the other file of the pair is not written either.
    Files.write(keys.resolve("data.pub"), NOTES);
    Launcher.Result beside = Launcher.run(keys, "keygen", "--out", "data");
    assertEquals(2, beside.exitCode(), beside.stderr());
    assertTrue(beside.stderr().contains("data.pub: exists;"), beside.stderr());
    assertFalse(Files.exists(keys.resolve("data.key")));
    assertArrayEquals(NOTES, Files.readAllBytes(keys.resolve("data.pub")));

    Launcher.Result replaced = Launcher.run(keys, "keygen", "--out", "owner", "--overwrite");
    assertEquals(0, replaced.exitCode(), replaced.stderr());
    assertFalse(
        java.util.Arrays.equals(privateKey, Files.readAllBytes(keys.resolve("owner.key"))),
        "a new key");
    assertEquals(
        "rw-------",
        java.nio.file.attribute.PosixFilePermissions.toString(
            Files.getPosixFilePermissions(keys.resolve("owner.key"))));
    try (var listing = Files.list(keys)) {
      assertEquals(
          java.util.List.of("data.pub", "owner.key", "owner.pub"),
          listing.map(p -> p.getFileName().toString()).sorted().toList(),
          "no temporary file left");
    }
  }

  @Test
  void signRefusesToReplaceAManifestThatItDidNotWrite() throws Exception {
    Path keys = Files.createDirectories(dir.resolve("signing"));
    assertEquals(0, Launcher.run(keys, "keygen", "--out", "owner").exitCode());
    Launcher.Result copied =
        Launcher.command(
            dir,
            java.util.Map.of(),
            java.util.List.of(),
            java.util.List.of("cp", "-r", "model", "signed"));
    assertEquals(0, copied.exitCode(), copied.stderr());
    byte[] foreign = "{\"files\": [\"mine\"]}\n".getBytes(StandardCharsets.UTF_8);
    Files.write(dir.resolve("signed/manifest.json"), foreign);
    Launcher.Result r =
        Launcher.run(dir, "sign", "--model", "signed", "--key", "signing/owner.key");
    assertEquals(2, r.exitCode(), r.stderr());
    assertEquals(
        "sparkdp sign: error: signed/manifest.json: exists and is not a sparkdp manifest; not"
            + " replaced (choose another name, or give --overwrite to replace it)",
        r.stderr().strip());
    assertArrayEquals(foreign, Files.readAllBytes(dir.resolve("signed/manifest.json")));
    assertFalse(Files.exists(dir.resolve("signed/manifest.sig")));
  }
}
