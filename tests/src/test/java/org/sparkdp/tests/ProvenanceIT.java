package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.testkit.Blobs;

/**
 * Models as property through {@code bin/sparkdp}: keys, a signed model that {@code verify} passes
 * and fails (a flipped byte in each file, a file added or removed, another owner's key), loading a
 * model that does not match its manifest, a model refused unless its owner signed it ({@code
 * --require-signer}), signing later, the data's fingerprint computed again, a resumed run's
 * predecessors, export beside a signed model and not into it, and no key in any file or log.
 */
class ProvenanceIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final List<String> logs = new ArrayList<>();

  private Launcher.Result run(Path dir, String... args) throws Exception {
    Launcher.Result r = Launcher.run(dir, args);
    logs.add(r.stdout());
    logs.add(r.stderr());
    return r;
  }

  private Launcher.Result verify(Path dir, String publicKey) throws Exception {
    return publicKey == null
        ? run(dir, "verify", "--model", "model")
        : run(dir, "verify", "--model", "model", "--public-key", publicKey);
  }

  /** The model's files: all but the output set's record and the checkpoints. */
  private static List<Path> modelFiles(Path model) throws IOException {
    try (Stream<Path> s = Files.walk(model)) {
      return s.filter(Files::isRegularFile)
          .filter(p -> !model.relativize(p).toString().startsWith(".sparkdp"))
          .filter(p -> !model.relativize(p).toString().startsWith("checkpoints"))
          .sorted()
          .toList();
    }
  }

  @Test
  void aSignedModelVerifiesAndEveryChangeFailsNamingTheFile(@TempDir Path dir) throws Exception {
    Blobs.of(400, 6, 3, 41).writeCsv(dir.resolve("train.csv"));
    Blobs.of(150, 6, 3, 41, 42).writeCsv(dir.resolve("test.csv"));
    Data.config(dir.resolve("job.yaml"), 6, 3);
    assertEquals(0, run(dir, "keygen", "--out", "owner").exitCode());
    assertEquals(0, run(dir, "keygen", "--out", "other").exitCode());
    Launcher.Result trained =
        run(
            dir,
            Launcher.train("train.csv", "model", "--test", "test.csv", "--sign-with", "owner.key"));
    assertEquals(0, trained.exitCode(), trained.stderr());
    assertTrue(trained.stdout().contains("signed by key SHA256:"), trained.stdout());
    Path model = dir.resolve("model");
    for (String f :
        List.of("manifest.json", "manifest.sig", "MODEL_CARD.md", "test-per-class.json")) {
      assertTrue(Files.exists(model.resolve(f)), f);
    }

    Launcher.Result ok = verify(dir, "owner.pub");
    assertEquals(0, ok.exitCode(), ok.stdout() + ok.stderr());
    assertTrue(ok.stdout().lines().anyMatch(l -> l.equals("weights.npz: ok")), ok.stdout());
    assertTrue(ok.stdout().lines().reduce((a, b) -> b).orElse("").startsWith("verified: model"));

    // Every file changed in turn: the command's own check (Manifest.verify, whose findings verify
    // prints line by line) in this JVM, and the command itself for the weights.
    java.security.PublicKey owner =
        org.sparkdp.io.Keys.readPublic(dir.resolve("owner.pub").toString(), "owner.pub");
    for (Path file : modelFiles(model)) {
      String name = model.relativize(file).toString();
      byte[] original = Files.readAllBytes(file);
      byte[] flipped = original.clone();
      flipped[flipped.length / 2] ^= 0x20;
      Files.write(file, flipped);
      org.sparkdp.io.Manifest.Report report =
          org.sparkdp.io.Manifest.verify(
              model.toString(), new org.apache.hadoop.conf.Configuration(), owner);
      Launcher.Result r = name.equals("weights.npz") ? verify(dir, "owner.pub") : null;
      Files.write(file, original);
      List<String> lines = report.findings().stream().map(f -> f.line()).toList();
      assertFalse(report.ok(), name + ": " + lines);
      assertTrue(
          lines.stream().anyMatch(l -> l.contains(name) && !l.endsWith(": ok")),
          name + ": " + lines);
      if (r != null) {
        assertEquals(1, r.exitCode(), name + ": " + r.stdout());
        assertTrue(
            r.stdout().lines().anyMatch(l -> l.contains(name) && !l.endsWith(": ok")),
            name + ": " + r.stdout());
      }
    }

    Files.writeString(model.resolve("notes.txt"), "a file added");
    Launcher.Result added = verify(dir, "owner.pub");
    assertEquals(1, added.exitCode());
    assertTrue(added.stdout().contains("notes.txt: ADDED (not in the manifest)"), added.stdout());
    Files.delete(model.resolve("notes.txt"));

    Path history = model.resolve("history.json");
    byte[] kept = Files.readAllBytes(history);
    Files.delete(history);
    Launcher.Result removed = verify(dir, "owner.pub");
    assertEquals(1, removed.exitCode());
    assertTrue(
        removed.stdout().contains("history.json: MISSING (the manifest lists it)"),
        removed.stdout());
    Files.write(history, kept);

    Launcher.Result otherKey = verify(dir, "other.pub");
    assertEquals(1, otherKey.exitCode());
    assertTrue(
        otherKey.stdout().startsWith("manifest.sig: INVALID signature of manifest.json"),
        otherKey.stdout());
    assertEquals(0, verify(dir, null).exitCode(), "intact again, without a key: integrity only");

    // Loading checks the manifest unless told not to.
    Path card = model.resolve("MODEL_CARD.md");
    byte[] cardBytes = Files.readAllBytes(card);
    Files.writeString(card, "# my own card\n");
    String[] evaluate = {
      "evaluate", "--model", "model", "--data", "test.csv", "--conf", "spark.ui.enabled=false"
    };
    Launcher.Result refused = run(dir, evaluate);
    assertEquals(1, refused.exitCode());
    assertTrue(
        refused
            .stderr()
            .contains("model: the model does not match its manifest: MODEL_CARD.md: ALTERED"),
        refused.stderr());
    Launcher.Result unchecked = run(dir, Launcher.concat(evaluate, "--no-manifest-check"));
    assertEquals(0, unchecked.exitCode(), unchecked.stderr());
    Launcher.Result alteredForOwner =
        run(dir, Launcher.concat(evaluate, "--require-signer", "owner.pub"));
    assertEquals(1, alteredForOwner.exitCode());
    assertTrue(
        alteredForOwner.stderr().contains(": MODEL_CARD.md: ALTERED"), alteredForOwner.stderr());
    Files.write(card, cardBytes);

    // A deployment that takes only its owner's models names the owner's key.
    String notTheOwners =
        "sparkdp evaluate: error: model: refused: not a model signed by the required";
    Launcher.Result owners = run(dir, Launcher.concat(evaluate, "--require-signer", "owner.pub"));
    assertEquals(0, owners.exitCode(), owners.stderr());
    Launcher.Result others = run(dir, Launcher.concat(evaluate, "--require-signer", "other.pub"));
    assertEquals(1, others.exitCode(), others.stderr());
    assertEquals(
        1,
        others
            .stderr()
            .lines()
            .filter(
                l -> l.startsWith(notTheOwners) && l.contains("manifest.sig: INVALID signature"))
            .count(),
        others.stderr());
    Launcher.Result noKey = run(dir, Launcher.concat(evaluate, "--require-signer", "missing.pub"));
    assertEquals(2, noKey.exitCode(), noKey.stderr());
    assertTrue(noKey.stderr().contains("--require-signer missing.pub: no such file"));

    // The fingerprint, computed again from the data alone; one changed value changes it.
    String recorded =
        JSON.readTree(model.resolve("model.json").toFile())
            .path("provenance")
            .path("data")
            .path("train")
            .path("fingerprint")
            .asText();
    assertEquals(16, recorded.length());
    assertEquals(recorded, fingerprint(dir, "--data", "train.csv", "--input-dim", "6"));
    assertEquals(recorded, fingerprint(dir, "--config", "job.yaml", "--data", "train.csv"));
    List<String> lines = new ArrayList<>(Files.readAllLines(dir.resolve("train.csv")));
    String[] row = lines.get(200).split(",");
    row[3] = String.valueOf(Float.parseFloat(row[3]) + 0.5f);
    lines.set(200, String.join(",", row));
    Files.write(dir.resolve("changed.csv"), lines);
    assertNotEquals(recorded, fingerprint(dir, "--data", "changed.csv", "--input-dim", "6"));

    // A resumed run (unsigned) records the checkpoint it resumed at and the model it continues.
    byte[] firstJson = Files.readAllBytes(model.resolve("model.json"));
    Launcher.Result resumed =
        run(dir, Launcher.train("train.csv", "model", "--resume", "--epochs", "3"));
    assertEquals(0, resumed.exitCode(), resumed.stderr());
    assertFalse(Files.exists(model.resolve("manifest.json")), "no signature of the earlier set");
    JsonNode predecessors =
        JSON.readTree(model.resolve("model.json").toFile()).path("provenance").path("predecessors");
    assertEquals("checkpoint", predecessors.path(0).path("kind").asText(), predecessors.toString());
    assertTrue(
        predecessors.path(0).path("path").asText().endsWith("checkpoints/ckpt-00002-00000000"));
    assertEquals(64, predecessors.path(0).path("sha256").path("state.npz").asText().length());
    assertEquals("model", predecessors.path(1).path("kind").asText());
    assertEquals(
        ModelFile.sha256(firstJson),
        predecessors.path(1).path("sha256").path("model.json").asText());
    assertEquals(
        JSON.readTree(firstJson).path("weights").path("sha256").asText(),
        predecessors.path(1).path("sha256").path("weights.npz").asText());
    assertEquals(
        predecessors.path(0).path("sha256").path("weights").asText(),
        predecessors.path(1).path("sha256").path("weights.npz").asText(),
        "the checkpoint resumed at has the weights the earlier model ended with");

    // Unsigned now: refused where the owner's signature is required.
    Launcher.Result unsignedForOwner =
        run(
            dir,
            "predict",
            "--model",
            "model",
            "--data",
            "test.csv",
            "--output",
            "predictions",
            "--require-signer",
            "owner.pub");
    assertEquals(1, unsignedForOwner.exitCode(), unsignedForOwner.stderr());
    assertTrue(
        unsignedForOwner
            .stderr()
            .contains(
                "sparkdp predict: error: model: refused: not a model signed by the required signer"
                    + " SHA256:"),
        unsignedForOwner.stderr());
    assertTrue(
        unsignedForOwner.stderr().contains(": the model is not signed (no manifest.json)"),
        unsignedForOwner.stderr());
    assertFalse(Files.exists(dir.resolve("predictions")));

    // Signed later, by sign.
    Launcher.Result unsigned = verify(dir, "owner.pub");
    assertEquals(1, unsigned.exitCode());
    assertTrue(unsigned.stdout().contains("manifest.json: MISSING: the model is not signed"));
    assertEquals(0, run(dir, "sign", "--model", "model", "--key", "owner.key").exitCode());
    assertEquals(0, verify(dir, "owner.pub").exitCode());

    // Export writes beside a signed model, never into it (the manifest lists every file).
    Launcher.Result into =
        run(dir, "export", "--model", "model", "--format", "onnx", "--output", "model/m.onnx");
    assertEquals(2, into.exitCode(), into.stderr());
    assertTrue(into.stderr().contains("inside the signed model directory model"), into.stderr());
    assertFalse(Files.exists(model.resolve("m.onnx")));
    assertEquals(
        0,
        run(dir, "export", "--model", "model", "--format", "onnx", "--output", "m.onnx")
            .exitCode());
    assertTrue(Files.size(dir.resolve("m.onnx")) > 0);
    assertEquals(0, verify(dir, "owner.pub").exitCode());

    // No key in any file under the model directory, or in any log.
    List<String> secrets = secrets(dir.resolve("owner.key"));
    try (Stream<Path> all = Files.walk(model)) {
      for (Path p : all.filter(Files::isRegularFile).toList()) {
        String text = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
        for (String secret : secrets) {
          assertFalse(text.contains(secret), p + " holds the private key");
        }
      }
    }
    for (String log : logs) {
      for (String secret : secrets) {
        assertFalse(log.contains(secret), "a log shows the private key");
      }
    }
  }

  private String fingerprint(Path dir, String... options) throws Exception {
    Launcher.Result r =
        run(
            dir,
            Launcher.concat(
                Launcher.concat(new String[] {"fingerprint"}, options),
                "--conf",
                "spark.ui.enabled=false"));
    assertEquals(0, r.exitCode(), r.stderr());
    return r.stdout().trim().split("\\s+")[0];
  }

  /**
   * How the private key could appear: its PEM body, its base64 DER without line breaks, and its 32
   * bytes in hex and base64.
   */
  private static List<String> secrets(Path keyFile) throws Exception {
    String pem = Files.readString(keyFile);
    String body =
        pem.replace("-----BEGIN PRIVATE KEY-----", "").replace("-----END PRIVATE KEY-----", "");
    byte[] der = Base64.getMimeDecoder().decode(body);
    byte[] seed =
        ((EdECPrivateKey)
                KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der)))
            .getBytes()
            .orElseThrow();
    return List.of(
        body.trim(),
        Base64.getEncoder().encodeToString(der),
        HexFormat.of().formatHex(seed),
        Base64.getEncoder().encodeToString(seed).substring(0, 40));
  }
}
