package org.sparkdp.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.FitOptions;
import org.sparkdp.Sequential;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.Dense;
import org.sparkdp.testkit.Blobs;
import org.sparkdp.testkit.TestSpark;

/**
 * A model directory from someone else: names in its manifest that point outside it, files that
 * never end or never open, and a deployment that takes only models its owner signed.
 */
class UntrustedModelDirectoryTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Configuration CONF = new Configuration();
  private static final KeyPair OWNER = Keys.generate();
  private static final KeyPair OTHER = Keys.generate();

  /** Far more than any of these reads takes on a loaded machine; a hang would take forever. */
  private static final Duration QUICKLY = Duration.ofSeconds(60);

  private static Sequential model;

  @BeforeAll
  static void train() {
    model = new Sequential(Dense.of(6, "relu").withInputDim(5), Dense.of(3, "softmax"));
    model.compile(Adam.withLearningRate(0.01), "sparse_categorical_crossentropy", "accuracy");
    model.fit(TestSpark.frame(Blobs.of(150, 5, 3, 4)), new FitOptions().epochs(1).verbose(0));
  }

  private static Path saved(Path dir, KeyPair signer) throws IOException {
    Path m = dir.resolve("model");
    model.save(m.toString(), Map.of(), signer == null ? null : signer.getPrivate());
    return m;
  }

  private static List<String> problems(Manifest.Report report) {
    return report.findings().stream().filter(f -> !f.ok()).map(Manifest.Finding::line).toList();
  }

  /** Signs, with the owner's key, the manifest of {@code m} with {@code extra} entries added. */
  private static void resign(Path m, Map<String, Manifest.Entry> extra) throws IOException {
    JsonNode manifest = JSON.readTree(m.resolve(Manifest.FILE).toFile());
    Map<String, Manifest.Entry> entries = new LinkedHashMap<>();
    manifest
        .get("files")
        .fields()
        .forEachRemaining(
            e ->
                entries.put(
                    e.getKey(),
                    new Manifest.Entry(
                        e.getValue().get("size").asLong(), e.getValue().get("sha256").asText())));
    entries.putAll(extra);
    Manifest.Signed signed = Manifest.sign(entries, manifest.get("provenance"), OWNER.getPrivate());
    Files.write(m.resolve(Manifest.FILE), signed.manifest());
    Files.write(m.resolve(Manifest.SIGNATURE), signed.signature());
  }

  @Test
  void aManifestNamingAFileOutsideTheDirectoryHasItRefusedWithoutReadingIt(@TempDir Path dir)
      throws IOException {
    Path m = saved(dir, OWNER);
    // Real files with the right sizes and hashes: resolved, they would verify as "ok".
    byte[] secret = "a file beside the model".getBytes(StandardCharsets.UTF_8);
    Files.write(dir.resolve("secret"), secret);
    Path absolute = Files.write(dir.resolve("absolute.txt"), secret);
    Map<String, Manifest.Entry> extra = new LinkedHashMap<>();
    extra.put("../secret", Manifest.Entry.of(secret));
    extra.put(absolute.toString(), Manifest.Entry.of(secret));
    extra.put("/dev/zero", Manifest.Entry.of(new byte[0]));
    extra.put("bad\nname", Manifest.Entry.of(secret));
    resign(m, extra);

    Manifest.Report report =
        assertTimeoutPreemptively(QUICKLY, () -> Manifest.verify(m.toString(), CONF, null));
    String refusal =
        ": REFUSED: not the name of a file of a model directory (a plain name of letters, digits,"
            + " '.', '_' and '-', not starting with '.'); not read";
    assertEquals(
        List.of(
            "'../secret'" + refusal,
            "'/dev/zero'" + refusal,
            "'" + absolute + "'" + refusal,
            "'bad\\u000aname'" + refusal),
        problems(report));
    assertTrue(report.findings().get(0).ok(), "the signature itself is valid");

    IOException e =
        assertThrows(
            IOException.class,
            () -> assertTimeoutPreemptively(QUICKLY, () -> Sequential.load(m.toString())));
    assertEquals(
        m
            + ": the model does not match its manifest: '../secret'"
            + refusal
            + " (bin/sparkdp verify --model "
            + m
            + " lists every finding; load without the manifest check to read it anyway)",
        e.getMessage());
  }

  @Test
  void aWeightsFileLinkedToDevZeroIsRefusedQuicklyNamingIt(@TempDir Path dir) throws IOException {
    assumeTrue(Files.exists(Path.of("/dev/zero")), "a system with /dev/zero");
    Path plain = saved(dir.resolve("plain"), null);
    Path weights = plain.resolve("weights.npz");
    Files.delete(weights);
    Files.createSymbolicLink(weights, Path.of("/dev/zero"));
    IOException e =
        assertThrows(
            IOException.class,
            () -> assertTimeoutPreemptively(QUICKLY, () -> Sequential.load(plain.toString())));
    assertEquals(
        weights + ": not a regular file (a device, FIFO or socket, or a link to one); refused",
        e.getMessage());

    Path signed = saved(dir.resolve("signed"), OWNER);
    Path signedWeights = signed.resolve("weights.npz");
    Files.delete(signedWeights);
    Files.createSymbolicLink(signedWeights, Path.of("/dev/zero"));
    Manifest.Report report =
        assertTimeoutPreemptively(QUICKLY, () -> Manifest.verify(signed.toString(), CONF, null));
    assertEquals(
        List.of(
            "weights.npz: UNREADABLE ("
                + signedWeights
                + ": not a regular file (a device, FIFO or socket, or a link to one); refused)"),
        problems(report));
  }

  @Test
  void aWeightsFileThatIsAFifoIsRefusedWithoutWaitingForAWriter(@TempDir Path dir)
      throws Exception {
    Path plain = saved(dir, null);
    Path weights = plain.resolve("weights.npz");
    Files.delete(weights);
    Process mkfifo = new ProcessBuilder("mkfifo", weights.toString()).inheritIO().start();
    assumeTrue(
        mkfifo.waitFor(30, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "a system with mkfifo");
    IOException e =
        assertThrows(
            IOException.class,
            () -> assertTimeoutPreemptively(QUICKLY, () -> Sequential.load(plain.toString())));
    assertTrue(e.getMessage().startsWith(weights + ": not a regular file"), e.getMessage());
  }

  @Test
  void aLinkToTheRootOrToItsOwnDirectoryIsOneAddedNameNotAWalkOfTheDisk(@TempDir Path dir)
      throws IOException {
    Path m = saved(dir, OWNER);
    Files.createSymbolicLink(m.resolve("root"), Path.of("/"));
    Files.createSymbolicLink(m.resolve("loop"), m);
    Manifest.Report report =
        assertTimeoutPreemptively(QUICKLY, () -> Manifest.verify(m.toString(), CONF, null));
    assertEquals(
        List.of("loop: ADDED (not in the manifest)", "root: ADDED (not in the manifest)"),
        problems(report));
  }

  @Test
  void aReadStopsOneBytePastItsBoundWhenTheFileIsLongerThanItSays(@TempDir Path dir)
      throws IOException {
    assumeTrue(Files.exists(Path.of("/dev/zero")), "a system with /dev/zero");
    // Under another scheme than file:, the bound on what is read is the only defence (as on a
    // remote file system that a writer appends to): /dev/zero says it is empty and never ends.
    Path endless = Files.createSymbolicLink(dir.resolve("weights.npz"), Path.of("/dev/zero"));
    Configuration capped = CappedFileSystem.configure(CONF);
    String path = "capped://" + endless;
    IOException e =
        assertThrows(
            IOException.class,
            () -> assertTimeoutPreemptively(QUICKLY, () -> HadoopFiles.read(path, capped, 4096)));
    assertEquals(
        path + ": more than the 4096 bytes expected (it grew, or never ends)", e.getMessage());

    // The same through a stream: it fails past its bound rather than filling the memory.
    IOException streamed =
        assertThrows(
            IOException.class,
            () ->
                assertTimeoutPreemptively(
                    QUICKLY,
                    () -> {
                      try (InputStream in = HadoopFiles.open(path, capped, 1 << 20)) {
                        in.transferTo(OutputStream.nullOutputStream());
                      }
                    }));
    assertTrue(
        streamed.getMessage().contains("more than the 1048576 bytes"), streamed.getMessage());

    // A file exactly at its bound is read whole.
    Path exact = Files.write(dir.resolve("exact.bin"), new byte[4096]);
    assertArrayEquals(new byte[4096], HadoopFiles.read("capped://" + exact, capped, 4096));
  }

  @Test
  void requireSignerLoadsTheOwnersModelOnly(@TempDir Path dir) throws IOException {
    Path owners = saved(dir.resolve("owners"), OWNER);
    assertArrayEquals(
        model.weights(), Sequential.load(owners.toString(), OWNER.getPublic()).weights());

    String required = ": refused: not a model signed by the required signer ";
    IOException other =
        assertThrows(
            IOException.class, () -> Sequential.load(owners.toString(), OTHER.getPublic()));
    assertTrue(
        other
            .getMessage()
            .startsWith(
                owners
                    + required
                    + Keys.keyId(OTHER.getPublic())
                    + ": manifest.sig: INVALID signature of manifest.json for the key given"),
        other.getMessage());
    assertTrue(
        other
            .getMessage()
            .endsWith("the manifest names another signer, " + Keys.keyId(OWNER.getPublic())),
        other.getMessage());

    Path unsigned = saved(dir.resolve("unsigned"), null);
    assertEquals(
        unsigned
            + required
            + Keys.keyId(OWNER.getPublic())
            + ": the model is not signed (no manifest.json)",
        assertThrows(
                IOException.class, () -> Sequential.load(unsigned.toString(), OWNER.getPublic()))
            .getMessage());

    Path resigned = saved(dir.resolve("resigned"), OWNER);
    Manifest.signDirectory(resigned.toString(), CONF, OTHER.getPrivate());
    assertTrue(
        assertThrows(
                IOException.class, () -> Sequential.load(resigned.toString(), OWNER.getPublic()))
            .getMessage()
            .contains("INVALID signature"),
        "re-signed by another key");
  }

  @Test
  void requireSignerRefusesAMissingSignatureOrAnAlteredFileNamingIt(@TempDir Path dir)
      throws IOException {
    String required =
        ": refused: not a model signed by the required signer " + Keys.keyId(OWNER.getPublic());
    Path noSignature = saved(dir.resolve("no-signature"), OWNER);
    Files.delete(noSignature.resolve(Manifest.SIGNATURE));
    assertEquals(
        noSignature + required + ": manifest.sig: MISSING: the manifest is not signed",
        assertThrows(
                IOException.class, () -> Sequential.load(noSignature.toString(), OWNER.getPublic()))
            .getMessage());

    Path altered = saved(dir.resolve("altered"), OWNER);
    Path card = altered.resolve(ModelCard.FILE);
    Files.writeString(card, Files.readString(card) + "\nAn edit.\n");
    String message =
        assertThrows(
                IOException.class, () -> Sequential.load(altered.toString(), OWNER.getPublic()))
            .getMessage();
    assertTrue(
        message.startsWith(altered + required + ": MODEL_CARD.md: ALTERED (more than the"),
        message);

    // Without a manifest at all, a model is unsigned: deleting it does not get a model through.
    Path deleted = saved(dir.resolve("deleted"), OWNER);
    Files.delete(deleted.resolve(Manifest.FILE));
    Files.delete(deleted.resolve(Manifest.SIGNATURE));
    assertFalse(Files.exists(deleted.resolve(Manifest.FILE)));
    assertTrue(
        assertThrows(
                IOException.class, () -> Sequential.load(deleted.toString(), OWNER.getPublic()))
            .getMessage()
            .endsWith(": the model is not signed (no manifest.json)"));
  }
}
