package org.sparkdp.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.Sequential;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Sgd;

/** Each kind of single file recognises what its writer writes, and nothing else. */
class OutputFileTest {
  private static final Configuration CONF = new Configuration();
  private static final byte[] CSV = "a,b,label\n1,2,0\n".getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;

  private static Sequential model() {
    Sequential model = new Sequential(Dense.of(2, "softmax").withInputDim(3));
    model.compile(Sgd.defaults(), "sparse_categorical_crossentropy", "accuracy");
    return model;
  }

  private String write(String name, byte[] bytes) throws Exception {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p.toString();
  }

  @Test
  void eachKindRecognisesItsWritersFilesAndNotADataFile() throws Exception {
    model().exportOnnx(dir.resolve("m.onnx").toString());
    model().exportKeras(dir.resolve("m.keras").toString());
    java.security.KeyPair pair = Keys.generate();
    Keys.write(pair, dir.resolve("k.key"), dir.resolve("k.pub"));
    Map<OutputFile, String> own =
        Map.of(
            OutputFile.ONNX, dir.resolve("m.onnx").toString(),
            OutputFile.KERAS, dir.resolve("m.keras").toString(),
            OutputFile.METRICS_JSON,
                write(
                    "metrics.json",
                    "{\"loss\": 0.5, \"accuracy\": 1.0, \"confusion_matrix\": [[1, 0], [0, 1]]}"
                        .getBytes(StandardCharsets.UTF_8)),
            OutputFile.PNG,
                write("p.png", new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0}),
            OutputFile.MANIFEST,
                write(
                    "manifest.json",
                    "{\"format\": \"sparkdp.manifest\", \"format_version\": 1, \"files\": {}}"
                        .getBytes(StandardCharsets.UTF_8)),
            OutputFile.BENCH_JSON,
                write(
                    "bench.json",
                    "{\"blas\": \"JNIBLAS\", \"cores\": 2, \"torch_version\": null}"
                        .getBytes(StandardCharsets.UTF_8)),
            OutputFile.MANIFEST_SIGNATURE,
                write("manifest.sig", "AAECAw==\n".getBytes(StandardCharsets.US_ASCII)),
            OutputFile.PRIVATE_KEY, dir.resolve("k.key").toString(),
            OutputFile.PUBLIC_KEY, dir.resolve("k.pub").toString());
    String csv = write("notes.csv", CSV);
    String empty = write("empty", new byte[0]);
    // A zip that is not a .keras file, and JSON that is not evaluate's.
    String zip = write("other.zip", new byte[] {'P', 'K', 3, 4, 0, 0, 0, 0});
    String json =
        write(
            "other.json", "{\"Name\": \"notes\", \"rows\": [1]}".getBytes(StandardCharsets.UTF_8));
    assertEquals(OutputFile.values().length, own.size());
    for (OutputFile kind : OutputFile.values()) {
      assertTrue(kind.recognises(own.get(kind), CONF), kind + " " + own.get(kind));
      for (String other : new String[] {csv, empty, zip, json}) {
        assertFalse(kind.recognises(other, CONF), kind + " " + other);
      }
      for (OutputFile another : OutputFile.values()) {
        if (another != kind) {
          assertFalse(another.recognises(own.get(kind), CONF), another + " " + own.get(kind));
        }
      }
    }
  }

  @Test
  void aDataFileIsRefusedAndLeftAsItWasUnlessOverwrite() throws Exception {
    String csv = write("notes.csv", CSV);
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> OutputFile.ONNX.write(csv, "--output notes.csv", false, new byte[] {1}, CONF));
    assertEquals(
        "--output notes.csv: exists and is not an ONNX model; not replaced (choose another name,"
            + " or give --overwrite to replace it)",
        e.getMessage());
    assertArrayEquals(CSV, Files.readAllBytes(Path.of(csv)));
    OutputFile.ONNX.write(csv, "--output notes.csv", true, new byte[] {1}, CONF);
    assertArrayEquals(new byte[] {1}, Files.readAllBytes(Path.of(csv)));
  }

  @Test
  void aKeyIsNeverReplacedWithoutOverwriteAndADirectoryNever() throws Exception {
    Keys.write(Keys.generate(), dir.resolve("k.key"), dir.resolve("k.pub"));
    String key = dir.resolve("k.key").toString();
    assertThrows(
        ConfigException.class,
        () -> OutputFile.PRIVATE_KEY.checkReplaceable(key, "k.key", false, CONF));
    assertDoesNotThrow(() -> OutputFile.PRIVATE_KEY.checkReplaceable(key, "k.key", true, CONF));
    assertDoesNotThrow(
        () -> OutputFile.PRIVATE_KEY.checkReplaceable(key + ".new", "k.key.new", false, CONF));
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> OutputFile.PNG.checkReplaceable(dir.toString(), "--plot d", true, CONF));
    assertEquals("--plot d: is a directory; give the name of a file", e.getMessage());
  }
}
