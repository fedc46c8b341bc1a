package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpzTest {
  private static final ModelSpec SPEC =
      ModelSpec.of(Dense.of(3, "relu").withInputDim(2), Dense.of(2, "softmax"));

  private static float[] params() {
    float[] p = new float[SPEC.layout().size()];
    for (int i = 0; i < p.length; i++) {
      p[i] = i * 0.25f - 1f;
    }
    return p;
  }

  @Test
  void weightsRoundTripInKerasLayout() throws IOException {
    float[] p = params();
    byte[] bytes = ModelFile.weightsBytes(SPEC, p);
    assertArrayEquals(p, ModelFile.readWeights(SPEC, new ByteArrayInputStream(bytes), "w.npz"));
    assertEquals(
        java.util.List.of("dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"),
        SPEC.weightNames());
  }

  @Test
  void numpyReadsTheArraysWithKerasNamesShapesAndValues(@TempDir Path dir) throws Exception {
    float[] p = params();
    Path file = dir.resolve("weights.npz");
    Files.write(file, ModelFile.weightsBytes(SPEC, p));
    String script =
        "import numpy as np, sys\n"
            + "w = np.load(sys.argv[1])\n"
            + "for k in sorted(w.files): print(k, w[k].dtype, w[k].shape, ' '.join(repr(float(v)) for v in w[k].ravel()))\n";
    Process process =
        new ProcessBuilder("/usr/bin/python3", "-c", script, file.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(
        0,
        process.waitFor(),
        "python3 with numpy must read the file (install python3-numpy): " + out);
    // kernel [in=2, out=3] row-major: the first 6 parameters; then bias [3]; then kernel [3, 2];
    // bias [2].
    String expected =
        String.join(
                "\n",
                "dense/bias float32 (3,) 0.5 0.75 1.0",
                "dense/kernel float32 (2, 3) -1.0 -0.75 -0.5 -0.25 0.0 0.25",
                "dense_1/bias float32 (2,) 2.75 3.0",
                "dense_1/kernel float32 (3, 2) 1.25 1.5 1.75 2.0 2.25 2.5")
            + "\n";
    assertEquals(expected, out);
  }

  @Test
  void truncatedFileFailsWithAMessage() {
    byte[] bytes = ModelFile.weightsBytes(SPEC, params());
    for (int cut : new int[] {0, 10, bytes.length / 2, bytes.length - 30}) {
      byte[] truncated = Arrays.copyOf(bytes, cut);
      IOException e =
          assertThrows(
              IOException.class,
              () -> ModelFile.readWeights(SPEC, new ByteArrayInputStream(truncated), "weights.npz"),
              "cut at " + cut);
      assertTrue(e.getMessage().startsWith("weights.npz: "), e.getMessage());
    }
  }

  @Test
  void alteredByteIsDetected() {
    byte[] bytes = ModelFile.weightsBytes(SPEC, params());
    int data =
        indexOf(bytes, "dense/kernel.npy".getBytes(StandardCharsets.US_ASCII)) + 16 + 128 + 4;
    bytes[data] ^= 0x40;
    IOException e =
        assertThrows(
            IOException.class,
            () -> ModelFile.readWeights(SPEC, new ByteArrayInputStream(bytes), "weights.npz"));
    assertTrue(e.getMessage().contains("weights.npz"), e.getMessage());
  }

  @Test
  void shapesThatDisagreeWithTheModelAreRejectedBeforeReading() {
    ModelSpec other = ModelSpec.of(Dense.of(4, "relu").withInputDim(2), Dense.of(2, "softmax"));
    byte[] bytes = ModelFile.weightsBytes(other, new float[other.layout().size()]);
    IOException e =
        assertThrows(
            IOException.class,
            () -> ModelFile.readWeights(SPEC, new ByteArrayInputStream(bytes), "weights.npz"));
    assertTrue(
        e.getMessage().contains("array 'dense/kernel' has shape [2, 4], expected [2, 3]"),
        e.getMessage());
  }

  @Test
  void missingAndExtraArraysAreNamed() {
    Map<String, Npz.Array> arrays = new LinkedHashMap<>(ModelFile.weightArrays(SPEC, params()));
    arrays.remove("dense_1/bias");
    IOException missing =
        assertThrows(
            IOException.class,
            () ->
                ModelFile.readWeights(
                    SPEC, new ByteArrayInputStream(Npz.toBytes(arrays)), "w.npz"));
    assertTrue(missing.getMessage().contains("'dense_1/bias' is missing"), missing.getMessage());
    arrays.put("dense_1/bias", new Npz.Array(new int[] {2}, new float[2]));
    arrays.put("dense_9/kernel", new Npz.Array(new int[] {1}, new float[1]));
    IOException extra =
        assertThrows(
            IOException.class,
            () ->
                ModelFile.readWeights(
                    SPEC, new ByteArrayInputStream(Npz.toBytes(arrays)), "w.npz"));
    assertTrue(
        extra.getMessage().contains("unexpected array 'dense_9/kernel'"), extra.getMessage());
  }

  @Test
  void numpysDefaultFloat64IsRefusedForItsDtype(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("init.npz");
    String script =
        "import numpy as np, sys\n"
            + "np.savez(sys.argv[1], **{'dense/kernel': np.zeros((2, 3)), 'dense/bias':"
            + " np.zeros(3), 'dense_1/kernel': np.zeros((3, 2)), 'dense_1/bias': np.zeros(2)})\n";
    Process process =
        new ProcessBuilder("/usr/bin/python3", "-c", script, file.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.waitFor(), out);
    byte[] bytes = Files.readAllBytes(file);
    IOException e =
        assertThrows(
            IOException.class,
            () -> ModelFile.readWeights(SPEC, new ByteArrayInputStream(bytes), "init.npz"));
    assertTrue(
        e.getMessage()
            .startsWith(
                "init.npz: array 'dense/kernel' has dtype <f8, expected float32 ('<f4') (NumPy's"
                    + " default float64"),
        e.getMessage());
  }

  @Test
  void headerIsPaddedToSixtyFourBytes() {
    byte[] npy = Npz.npy(new Npz.Array(new int[] {5}, new float[5]));
    assertEquals(0, (npy.length - 20) % 64, "header + magic is a multiple of 64");
  }

  /** An npz of one entry {@code name.npy} whose header says {@code shape} over {@code data}. */
  static byte[] hostile(String name, String shape, byte[] data) throws IOException {
    String header =
        "{'descr': '<f4', 'fortran_order': False, 'shape': ("
            + shape
            + "), }"
            + " ".repeat(8)
            + "\n";
    java.io.ByteArrayOutputStream npy = new java.io.ByteArrayOutputStream();
    npy.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    npy.write(new byte[] {(byte) header.length(), (byte) (header.length() >> 8)});
    npy.write(header.getBytes(StandardCharsets.US_ASCII));
    npy.write(data);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(out)) {
      zip.putNextEntry(new java.util.zip.ZipEntry(name + ".npy"));
      zip.write(npy.toByteArray());
      zip.closeEntry();
    }
    return out.toByteArray();
  }

  @Test
  void aHeaderClaimingMoreElementsThanItsEntryHoldsIsRefusedNamingTheEntry() throws IOException {
    // 2^40 floats claimed, 16 bytes held: refused before anything of the claimed size exists.
    byte[] npz = hostile("dense/kernel", "1048576, 1048576", new byte[16]);
    IOException e =
        assertThrows(
            IOException.class, () -> Npz.shapes(new ByteArrayInputStream(npz), "suspect.npz"));
    assertEquals(
        "suspect.npz array 'dense/kernel.npy' has shape [1048576, 1048576], 4398046511104 bytes of"
            + " data, but the entry holds 16",
        e.getMessage());

    // A product past a long, and a negative dimension, are refused by name too.
    byte[] overflow = hostile("dense/kernel", "2147483647, 2147483647, 2147483647", new byte[16]);
    IOException o =
        assertThrows(
            IOException.class, () -> Npz.shapes(new ByteArrayInputStream(overflow), "suspect.npz"));
    assertEquals(
        "suspect.npz array 'dense/kernel.npy' has shape [2147483647, 2147483647, 2147483647],"
            + " whose size overflows",
        o.getMessage());
    byte[] negative = hostile("dense/kernel", "-4, 4", new byte[64]);
    IOException n =
        assertThrows(
            IOException.class, () -> Npz.shapes(new ByteArrayInputStream(negative), "suspect.npz"));
    assertTrue(n.getMessage().contains("has a negative dimension (-4, 4)"), n.getMessage());

    // An honest entry, its shape and data in agreement, is listed.
    byte[] honest = hostile("dense/kernel", "2, 2", new byte[16]);
    assertArrayEquals(
        new int[] {2, 2},
        Npz.shapes(new ByteArrayInputStream(honest), "ok.npz").get("dense/kernel"));
  }

  @Test
  void readingAnArrayAllocatesNoMoreThanItsEntryHolds() throws IOException {
    // The expected shape may come from an untrusted model.json: 2^28 floats (1 GB) against 16
    // bytes fails as truncated, without first allocating the gigabyte.
    byte[] npz = hostile("w", "16384, 16384", new byte[16]);
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                Npz.readStreaming(
                    new ByteArrayInputStream(npz), Map.of("w", new int[] {16384, 16384}), "x.npz"));
    assertEquals(
        "x.npz: array 'w' is truncated: its data ends before 268435456 floats", e.getMessage());
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }
}
