package org.sparkdp.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.ops.ConfigException;

class KeysTest {
  private static KeyPair writePair(Path dir, String stem) throws Exception {
    KeyPair pair = Keys.generate();
    Keys.write(pair, dir.resolve(stem + ".key"), dir.resolve(stem + ".pub"));
    return pair;
  }

  @Test
  void keysRoundTripThroughPemAndThePrivateFileIsTheOwnersOnly(@TempDir Path dir) throws Exception {
    KeyPair pair = writePair(dir, "owner");
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("owner.key"))));
    assertTrue(
        Files.readString(dir.resolve("owner.key")).startsWith("-----BEGIN PRIVATE KEY-----\n"));
    assertTrue(
        Files.readString(dir.resolve("owner.pub")).startsWith("-----BEGIN PUBLIC KEY-----\n"));
    PrivateKey read = Keys.readPrivate(dir.resolve("owner.key").toString(), "owner.key");
    PublicKey pub = Keys.readPublic(dir.resolve("owner.pub").toString(), "owner.pub");
    assertArrayEquals(pair.getPrivate().getEncoded(), read.getEncoded());
    assertEquals(pair.getPublic(), pub);
    byte[] before = Files.readAllBytes(dir.resolve("owner.key"));
    assertThrows(
        org.sparkdp.ops.ConfigException.class,
        () -> Keys.write(Keys.generate(), dir.resolve("owner.key"), dir.resolve("other.pub")));
    assertArrayEquals(before, Files.readAllBytes(dir.resolve("owner.key")));
    assertFalse(Files.exists(dir.resolve("other.pub")), "nothing written when one key exists");
  }

  @Test
  void aKeyForADirectoryThatDoesNotExistIsNamedWithTheDirectory(@TempDir Path dir) {
    Path key = dir.resolve("missing/owner.key");
    java.nio.file.NoSuchFileException e =
        assertThrows(
            java.nio.file.NoSuchFileException.class,
            () -> Keys.write(Keys.generate(), key, dir.resolve("missing/owner.pub")));
    assertEquals(key + ": no such directory " + key.getParent(), e.getMessage());
  }

  @Test
  void thePublicKeyFollowsFromThePrivateOne() {
    for (int i = 0; i < 20; i++) {
      KeyPair pair = Keys.generate();
      assertEquals(pair.getPublic(), Keys.publicOf(pair.getPrivate()));
    }
  }

  @Test
  void signaturesVerifyForTheirKeyOnly() {
    KeyPair a = Keys.generate();
    KeyPair b = Keys.generate();
    byte[] data = "the manifest".getBytes(StandardCharsets.UTF_8);
    byte[] signature = Keys.sign(a.getPrivate(), data);
    assertEquals(64, signature.length);
    assertTrue(Keys.verify(a.getPublic(), data, signature));
    assertFalse(Keys.verify(b.getPublic(), data, signature));
    data[0] ^= 1;
    assertFalse(Keys.verify(a.getPublic(), data, signature));
    assertFalse(Keys.verify(a.getPublic(), data, new byte[3]));
  }

  @Test
  void openSslReadsTheKeysAndChecksTheSignatures(@TempDir Path dir) throws Exception {
    // An independent Ed25519: OpenSSL derives the same public key and verifies the JDK's signature.
    KeyPair pair = writePair(dir, "owner");
    String derived = run(dir, "openssl", "pkey", "-in", "owner.key", "-pubout");
    assertEquals(Files.readString(dir.resolve("owner.pub")).trim(), derived.trim());
    byte[] data = "a manifest to sign".getBytes(StandardCharsets.UTF_8);
    Files.write(dir.resolve("data"), data);
    Files.write(dir.resolve("sig"), Keys.sign(pair.getPrivate(), data));
    String out =
        run(
            dir,
            "openssl",
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "owner.pub",
            "-rawin",
            "-in",
            "data",
            "-sigfile",
            "sig");
    assertTrue(out.contains("Signature Verified Successfully"), out);
  }

  @Test
  void badKeyFilesAreNamedWithoutShowingTheKey(@TempDir Path dir) throws Exception {
    KeyPair pair = writePair(dir, "owner");
    String secret =
        Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded()).substring(0, 40);
    Path open = dir.resolve("open.key");
    Files.copy(dir.resolve("owner.key"), open);
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
    ConfigException e =
        assertThrows(
            ConfigException.class, () -> Keys.readPrivate(open.toString(), "--key open.key"));
    assertEquals(
        "--key open.key: the private key file is readable or writable by others (rw-r--r--);"
            + " chmod 600 "
            + open,
        e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () -> Keys.readPrivate(dir.resolve("owner.pub").toString(), "--key owner.pub"));
    assertTrue(e.getMessage().contains("it holds a public key"), e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () -> Keys.readPublic(dir.resolve("owner.key").toString(), "--public-key owner.key"));
    assertTrue(e.getMessage().contains("it holds a private key"), e.getMessage());
    assertFalse(e.getMessage().contains(secret.substring(0, 20)));
    Path garbled = dir.resolve("garbled.key");
    Files.writeString(
        garbled,
        Files.readString(dir.resolve("owner.key")).replace("MC4CAQAw", "MC4CAQBw"),
        StandardCharsets.US_ASCII);
    Files.setPosixFilePermissions(garbled, PosixFilePermissions.fromString("rw-------"));
    e = assertThrows(ConfigException.class, () -> Keys.readPrivate(garbled.toString(), "k"));
    assertEquals("k: not an Ed25519 private key in PKCS#8", e.getMessage());
    e =
        assertThrows(
            ConfigException.class, () -> Keys.readPrivate(dir.resolve("none").toString(), "k"));
    assertEquals("k: no such file", e.getMessage());
  }

  @Test
  void theWatermarkSecretIsFixedByTheKeyAndIsNotTheKey() {
    KeyPair pair = Keys.generate();
    byte[] secret = Keys.watermarkSecret(pair.getPrivate());
    assertArrayEquals(secret, Keys.watermarkSecret(pair.getPrivate()));
    assertEquals(32, secret.length);
    assertFalse(
        Base64.getEncoder()
            .encodeToString(pair.getPrivate().getEncoded())
            .contains(Base64.getEncoder().encodeToString(secret).substring(0, 20)));
    assertFalse(
        java.util.Arrays.equals(secret, Keys.watermarkSecret(Keys.generate().getPrivate())));
  }

  private static String run(Path dir, String... command) throws Exception {
    Process p =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    return out;
  }
}
