package org.sparkdp.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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

class ManifestTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Configuration CONF = new Configuration();
  private static final KeyPair OWNER = Keys.generate();
  private static Sequential model;

  @BeforeAll
  static void train() {
    model = new Sequential(Dense.of(6, "relu").withInputDim(5), Dense.of(3, "softmax"));
    model.compile(Adam.withLearningRate(0.01), "sparse_categorical_crossentropy", "accuracy");
    model.fit(TestSpark.frame(Blobs.of(150, 5, 3, 4)), new FitOptions().epochs(2).verbose(0));
  }

  private static Map<String, byte[]> runFiles() {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("history.json", "{\"loss\":[0.5,0.25]}".getBytes(StandardCharsets.UTF_8));
    files.put("test-metrics.json", "{\"loss\":0.3}".getBytes(StandardCharsets.UTF_8));
    return files;
  }

  private static Path signedModel(Path dir) throws IOException {
    Path m = dir.resolve("model");
    model.save(m.toString(), runFiles(), OWNER.getPrivate());
    return m;
  }

  /** The model's files, as a person lists them: all but the set's record and the checkpoints. */
  private static List<Path> files(Path m) throws IOException {
    try (Stream<Path> s = Files.walk(m)) {
      return s.filter(Files::isRegularFile)
          .filter(p -> !m.relativize(p).toString().startsWith(".sparkdp"))
          .sorted()
          .toList();
    }
  }

  private static List<String> problems(Manifest.Report report) {
    return report.findings().stream().filter(f -> !f.ok()).map(Manifest.Finding::line).toList();
  }

  @Test
  void aFreshSignedModelVerifiesAndListsEveryFile(@TempDir Path dir) throws IOException {
    Path m = signedModel(dir);
    Manifest.Report report = Manifest.verify(m.toString(), CONF, OWNER.getPublic());
    assertTrue(report.ok(), problems(report).toString());
    assertEquals(Keys.keyId(OWNER.getPublic()), report.signer());
    List<String> subjects = report.findings().stream().map(Manifest.Finding::subject).toList();
    assertEquals(
        List.of(
            "manifest.sig",
            "MODEL_CARD.md",
            "history.json",
            "model.json",
            "test-metrics.json",
            "weights.npz"),
        subjects);
    assertEquals(
        List.of(
            "MODEL_CARD.md",
            "history.json",
            "manifest.json",
            "manifest.sig",
            "model.json",
            "test-metrics.json",
            "weights.npz"),
        files(m).stream().map(p -> m.relativize(p).toString()).toList());
    JsonNode manifest = JSON.readTree(m.resolve("manifest.json").toFile());
    assertEquals(
        JSON.readTree(m.resolve("model.json").toFile()).get("provenance"),
        manifest.get("provenance"));
    assertArrayEquals(
        CanonicalJson.bytes(manifest),
        Files.readAllBytes(m.resolve("manifest.json")),
        "the manifest is canonical JSON");
    assertTrue(ModelStore.load(m.toString(), CONF).params().length > 0);
  }

  @Test
  void anyFlippedByteOfAnyFileFailsVerifyNamingTheFile(@TempDir Path dir) throws IOException {
    Path m = signedModel(dir);
    for (Path file : files(m)) {
      byte[] original = Files.readAllBytes(file);
      String name = m.relativize(file).toString();
      for (int at : new int[] {0, original.length / 2, original.length - 1}) {
        byte[] flipped = original.clone();
        flipped[at] ^= 0x01;
        Files.write(file, flipped);
        Manifest.Report report = Manifest.verify(m.toString(), CONF, OWNER.getPublic());
        assertFalse(report.ok(), name + " byte " + at);
        assertTrue(
            problems(report).stream().anyMatch(line -> line.contains(name)),
            name + " byte " + at + ": " + problems(report));
        Files.write(file, original);
      }
    }
    assertTrue(Manifest.verify(m.toString(), CONF, OWNER.getPublic()).ok());
  }

  @Test
  void anAddedOrRemovedFileFailsVerify(@TempDir Path dir) throws IOException {
    Path m = signedModel(dir);
    Files.writeString(m.resolve("notes.txt"), "added");
    assertEquals(
        List.of("notes.txt: ADDED (not in the manifest)"),
        problems(Manifest.verify(m.toString(), CONF, OWNER.getPublic())));
    Files.delete(m.resolve("notes.txt"));
    Files.createDirectories(m.resolve("extra"));
    Files.writeString(m.resolve("extra/more.bin"), "x");
    assertEquals(
        List.of("extra/more.bin: ADDED (not in the manifest)"),
        problems(Manifest.verify(m.toString(), CONF, OWNER.getPublic())));
    Files.delete(m.resolve("extra/more.bin"));
    Files.writeString(m.resolve("checkpoints-are-not-the-model"), "x");
    assertFalse(Manifest.verify(m.toString(), CONF, OWNER.getPublic()).ok());
    Files.delete(m.resolve("checkpoints-are-not-the-model"));
    Files.createDirectories(m.resolve("checkpoints/ckpt-00001-00000000"));
    Files.writeString(m.resolve("checkpoints/ckpt-00001-00000000/state.npz"), "training state");
    assertTrue(Manifest.verify(m.toString(), CONF, OWNER.getPublic()).ok(), "checkpoints aside");

    Files.delete(m.resolve("history.json"));
    assertEquals(
        List.of("history.json: MISSING (the manifest lists it)"),
        problems(Manifest.verify(m.toString(), CONF, OWNER.getPublic())));
  }

  @Test
  void anotherOwnersKeyFailsVerifyAndWithoutAKeyTheManifestsSignerIsNamed(@TempDir Path dir)
      throws IOException {
    Path m = signedModel(dir);
    KeyPair other = Keys.generate();
    Manifest.Report report = Manifest.verify(m.toString(), CONF, other.getPublic());
    assertFalse(report.ok());
    List<String> lines = problems(report);
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(
        lines
            .get(0)
            .startsWith(
                "manifest.sig: INVALID signature of manifest.json for the key given ("
                    + Keys.keyId(other.getPublic())),
        lines.get(0));
    assertTrue(
        lines
            .get(0)
            .endsWith("the manifest names another signer, " + Keys.keyId(OWNER.getPublic())));
    Manifest.Report unpinned = Manifest.verify(m.toString(), CONF, null);
    assertTrue(unpinned.ok());
    assertTrue(unpinned.findings().get(0).text().contains(Keys.keyId(OWNER.getPublic())));

    // Re-signed by another key, the files still match but the owner's key no longer does.
    Manifest.signDirectory(m.toString(), CONF, other.getPrivate());
    assertTrue(Manifest.verify(m.toString(), CONF, other.getPublic()).ok());
    assertFalse(Manifest.verify(m.toString(), CONF, OWNER.getPublic()).ok());
  }

  @Test
  void openSslVerifiesTheManifestsSignature(@TempDir Path dir) throws Exception {
    Path m = signedModel(dir);
    Files.write(
        dir.resolve("owner.pub"),
        ("-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(OWNER.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n")
            .getBytes(StandardCharsets.US_ASCII));
    Files.write(
        dir.resolve("sig.bin"),
        Base64.getDecoder().decode(Files.readString(m.resolve("manifest.sig")).trim()));
    Process p =
        new ProcessBuilder(
                "openssl",
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                "owner.pub",
                "-rawin",
                "-in",
                m.resolve("manifest.json").toString(),
                "-sigfile",
                "sig.bin")
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
  }

  @Test
  void loadRefusesAModelThatDoesNotMatchItsManifestUnlessToldNotToCheck(@TempDir Path dir)
      throws IOException {
    Path m = signedModel(dir);
    Path card = m.resolve("MODEL_CARD.md");
    Files.writeString(card, Files.readString(card) + "\nAn edit.\n");
    IOException e = assertThrows(IOException.class, () -> Sequential.load(m.toString()));
    assertTrue(
        e.getMessage()
            .startsWith(m + ": the model does not match its manifest: MODEL_CARD.md: ALTERED"),
        e.getMessage());
    Sequential loaded = Sequential.load(m.toString(), false);
    assertArrayEquals(model.weights(), loaded.weights());

    // An unsigned model has no manifest to match.
    Path plain = dir.resolve("plain");
    model.save(plain.toString());
    assertFalse(Files.exists(plain.resolve("manifest.json")));
    assertNotNull(Sequential.load(plain.toString()));
    assertFalse(Manifest.verify(plain.toString(), CONF, null).ok());
    assertEquals(
        "manifest.json: MISSING: the model is not signed (bin/sparkdp sign --model DIR --key KEY)",
        Manifest.verify(plain.toString(), CONF, null).findings().get(0).line());
  }

  @Test
  void signingLaterSignsTheSetAsItIsAndAnUnsignedSaveRemovesTheOldSignature(@TempDir Path dir)
      throws IOException {
    Path m = dir.resolve("model");
    model.save(m.toString(), runFiles());
    Files.writeString(m.resolve("README.txt"), "a note beside the model");
    Manifest.signDirectory(m.toString(), CONF, OWNER.getPrivate());
    Manifest.Report report = Manifest.verify(m.toString(), CONF, OWNER.getPublic());
    assertTrue(report.ok(), problems(report).toString());
    assertTrue(
        report.findings().stream().anyMatch(f -> f.subject().equals("README.txt") && f.ok()));

    // A file altered after its run is not signed.
    Path weights = m.resolve("weights.npz");
    byte[] original = Files.readAllBytes(weights);
    byte[] altered = original.clone();
    altered[altered.length / 2] ^= 1;
    Files.write(weights, altered);
    IOException e =
        assertThrows(
            IOException.class,
            () -> Manifest.signDirectory(m.toString(), CONF, OWNER.getPrivate()));
    assertTrue(e.getMessage().contains("weights.npz: its SHA-256 differs"), e.getMessage());
    Files.write(weights, original);
    assertTrue(Manifest.verify(m.toString(), CONF, OWNER.getPublic()).ok(), "nothing changed");

    model.save(m.toString(), runFiles());
    assertFalse(Files.exists(m.resolve("manifest.json")), "no signature of another set");
    assertFalse(Files.exists(m.resolve("manifest.sig")));
  }

  @Test
  void theManifestCoversTheFilesTheProvenanceAndTheSigner(@TempDir Path dir) throws IOException {
    Path m = signedModel(dir);
    JsonNode manifest = JSON.readTree(m.resolve("manifest.json").toFile());
    List<String> names = new ArrayList<>();
    manifest.get("files").fieldNames().forEachRemaining(names::add);
    assertEquals(
        List.of("MODEL_CARD.md", "history.json", "model.json", "test-metrics.json", "weights.npz"),
        names);
    for (String name : names) {
      byte[] bytes = Files.readAllBytes(m.resolve(name));
      assertEquals(
          org.sparkdp.ops.ModelFile.sha256(bytes),
          manifest.path("files").path(name).path("sha256").asText());
      assertEquals(bytes.length, manifest.path("files").path(name).path("size").asLong());
    }
    assertEquals("Ed25519", manifest.path("signer").path("algorithm").asText());
    assertEquals(
        Base64.getEncoder().encodeToString(OWNER.getPublic().getEncoded()),
        manifest.path("signer").path("public_key").asText());
    JsonNode code = manifest.path("provenance").path("code");
    assertEquals(Provenance.version(), code.path("version").asText());
    assertFalse(code.path("jars").isEmpty());
  }
}
