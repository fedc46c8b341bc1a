package org.sparkdp.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.sparkdp.ops.ConfigException;

/**
 * An owner's Ed25519 keys, with the JDK's own implementation: made by {@link #generate}, stored as
 * PEM files (the private key as PKCS#8, {@code -----BEGIN PRIVATE KEY-----}, readable by its owner
 * only; the public key as X.509 SubjectPublicKeyInfo, {@code -----BEGIN PUBLIC KEY-----}), as
 * OpenSSL writes and reads them. Private keys are read from the local file system only, and a file
 * that others may read is refused, as OpenSSH refuses one.
 *
 * <p>No message of this class shows any part of a key: errors name the file and what is wrong.
 */
public final class Keys {
  public static final String ALGORITHM = "Ed25519";
  private static final String PRIVATE_PEM = "PRIVATE KEY";
  private static final String PUBLIC_PEM = "PUBLIC KEY";
  private static final long MAX_PEM_BYTES = 64 << 10;
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private Keys() {}

  /** A new key pair, from the JDK's strong random source. */
  public static KeyPair generate() {
    try {
      return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no Ed25519", e);
    }
  }

  /**
   * Writes {@code pair}'s private key to {@code privateFile} (created readable and writable by its
   * owner only) and its public key to {@code publicFile}, each through a temporary file and a
   * rename; refuses to replace either (see {@link OutputFile#PRIVATE_KEY}).
   */
  public static void write(KeyPair pair, Path privateFile, Path publicFile) throws IOException {
    write(pair, privateFile, publicFile, false);
  }

  /**
   * {@link #write(KeyPair, Path, Path)}, replacing existing key files (or any other file at those
   * paths) when {@code overwrite}.
   */
  public static void write(KeyPair pair, Path privateFile, Path publicFile, boolean overwrite)
      throws IOException {
    org.apache.hadoop.conf.Configuration local = new org.apache.hadoop.conf.Configuration();
    OutputFile.PRIVATE_KEY.checkReplaceable(
        privateFile.toAbsolutePath().toString(), privateFile.toString(), overwrite, local);
    OutputFile.PUBLIC_KEY.checkReplaceable(
        publicFile.toAbsolutePath().toString(), publicFile.toString(), overwrite, local);
    writeAside(privateFile, pem(PRIVATE_PEM, pair.getPrivate().getEncoded()), true, overwrite);
    writeAside(publicFile, pem(PUBLIC_PEM, pair.getPublic().getEncoded()), false, overwrite);
  }

  /**
   * Writes {@code bytes}, synced, to a temporary file beside {@code target} and puts it in place:
   * renamed over {@code target} when {@code overwrite}, else linked to it, which fails if {@code
   * target} has appeared since the check (a key is never replaced by a race either).
   */
  private static void writeAside(Path target, byte[] bytes, boolean ownerOnly, boolean overwrite)
      throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      // Named by the key file, not by the temporary file beside it.
      throw new NoSuchFileException(target.toString(), null, "no such directory " + dir);
    }
    Path temp =
        dir.resolve("." + target.getFileName() + "." + java.util.UUID.randomUUID() + ".tmp");
    boolean posix = Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null;
    try {
      // The private key's file is created with its final permissions: never readable by others,
      // even for a moment.
      if (ownerOnly && posix) {
        Files.createFile(temp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      } else {
        Files.createFile(temp);
      }
      try (java.nio.channels.FileChannel out =
          java.nio.channels.FileChannel.open(temp, StandardOpenOption.WRITE)) {
        out.write(java.nio.ByteBuffer.wrap(bytes));
        out.force(true);
      }
      if (overwrite) {
        Files.move(
            temp,
            target,
            java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      } else {
        try {
          Files.createLink(target, temp);
        } catch (FileAlreadyExistsException e) {
          throw new FileAlreadyExistsException(target + ": exists; keys are never overwritten");
        } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
          // No hard links here: a move that does not replace.
          Files.move(temp, target);
        }
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * The private key in the PEM file {@code file} (a local path); {@code what} names it in errors
   * ({@code --sign-with owner.key}).
   *
   * @throws ConfigException if the file is missing, readable by others, or not an Ed25519 key
   */
  public static PrivateKey readPrivate(String file, String what) {
    Path path = Path.of(file);
    try {
      byte[] der = der(path, PRIVATE_PEM, what);
      if (Files.getFileAttributeView(path, PosixFileAttributeView.class) != null) {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(path);
        if (!OWNER_ONLY.containsAll(perms)) {
          throw new ConfigException(
              what
                  + ": the private key file is readable or writable by others ("
                  + PosixFilePermissions.toString(perms)
                  + "); chmod 600 "
                  + file);
        }
      }
      PrivateKey key =
          KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(der));
      if (!(key instanceof EdECPrivateKey)) {
        throw new ConfigException(what + ": not an Ed25519 private key");
      }
      return key;
    } catch (NoSuchFileException e) {
      throw new ConfigException(what + ": no such file");
    } catch (IOException e) {
      throw new ConfigException(what + ": cannot read the key (" + e.getMessage() + ")");
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      if (e instanceof ConfigException c) {
        throw c;
      }
      throw new ConfigException(what + ": not an Ed25519 private key in PKCS#8");
    }
  }

  /**
   * The public key in the PEM file {@code file} (a local path); {@code what} names it in errors.
   */
  public static PublicKey readPublic(String file, String what) {
    try {
      return decodePublic(der(Path.of(file), PUBLIC_PEM, what), what);
    } catch (NoSuchFileException e) {
      throw new ConfigException(what + ": no such file");
    } catch (IOException e) {
      throw new ConfigException(what + ": cannot read the key (" + e.getMessage() + ")");
    }
  }

  /** A public key from its X.509 encoding; {@code what} names it in errors. */
  public static PublicKey decodePublic(byte[] x509, String what) {
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(x509));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new ConfigException(what + ": not an Ed25519 public key in X.509");
    }
  }

  /**
   * The public key of {@code key}. The JDK has no call for it, but its Ed25519 key pair generator
   * draws the 32-byte private key from the random source it is given and derives the public key
   * from it (RFC 8032, 5.1.5): given a source that returns this key's bytes, it derives this key's
   * public key.
   */
  public static PublicKey publicOf(PrivateKey key) {
    byte[] seed = seed(key);
    SecureRandom replay =
        new SecureRandom() {
          @Override
          public void nextBytes(byte[] bytes) {
            if (bytes.length != seed.length) {
              throw new IllegalStateException("expected a request for " + seed.length + " bytes");
            }
            System.arraycopy(seed, 0, bytes, 0, seed.length);
          }
        };
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance(ALGORITHM);
      generator.initialize(NamedParameterSpec.ED25519, replay);
      KeyPair pair = generator.generateKeyPair();
      if (!java.util.Arrays.equals(seed(pair.getPrivate()), seed)) {
        throw new IllegalStateException("the JDK's Ed25519 generator did not take the key given");
      }
      return pair.getPublic();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no Ed25519", e);
    } finally {
      java.util.Arrays.fill(seed, (byte) 0);
    }
  }

  /** A public key's identity: {@code SHA256:} and the hex SHA-256 of its X.509 encoding. */
  public static String keyId(PublicKey key) {
    try {
      return "SHA256:"
          + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  /** The Ed25519 signature of {@code data} (64 bytes). */
  public static byte[] sign(PrivateKey key, byte[] data) {
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initSign(key);
      s.update(data);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign with Ed25519: " + e.getMessage(), e);
    }
  }

  /** Whether {@code signature} is {@code key}'s Ed25519 signature of {@code data}. */
  public static boolean verify(PublicKey key, byte[] data, byte[] signature) {
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initVerify(key);
      s.update(data);
      return s.verify(signature);
    } catch (java.security.SignatureException e) {
      return false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot verify Ed25519: " + e.getMessage(), e);
    }
  }

  /**
   * The secret from which an ownership watermark is derived: HMAC-SHA256 under the private key's 32
   * bytes of a fixed label, so the watermark's secret is not the signing key itself.
   */
  public static byte[] watermarkSecret(PrivateKey key) {
    byte[] seed = seed(key);
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(seed, "HmacSHA256"));
      return mac.doFinal("sparkdp.watermark.key.v1".getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no HMAC-SHA256", e);
    } finally {
      java.util.Arrays.fill(seed, (byte) 0);
    }
  }

  private static byte[] seed(PrivateKey key) {
    if (!(key instanceof EdECPrivateKey ed) || ed.getBytes().isEmpty()) {
      throw new IllegalArgumentException("not an Ed25519 private key with its bytes");
    }
    return ed.getBytes().get();
  }

  private static byte[] pem(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
    return ("-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** The DER bytes of the one PEM block of {@code type} in {@code path}. */
  private static byte[] der(Path path, String type, String what) throws IOException {
    if (Files.size(path) > MAX_PEM_BYTES) {
      throw new ConfigException(what + ": too large for a PEM key file");
    }
    String text = Files.readString(path, StandardCharsets.US_ASCII);
    String begin = "-----BEGIN " + type + "-----";
    String end = "-----END " + type + "-----";
    int from = text.indexOf(begin);
    int to = text.indexOf(end);
    if (from < 0 || to < from) {
      throw new ConfigException(
          what + ": not a PEM file with a " + begin + " block" + wrongKind(text, type));
    }
    try {
      return Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(what + ": the PEM block is not valid base64");
    }
  }

  /** A hint when a file holds the other kind of key than the one asked for. */
  private static String wrongKind(String text, String wanted) {
    if (wanted.equals(PRIVATE_PEM) && text.contains("-----BEGIN " + PUBLIC_PEM)) {
      return " (it holds a public key; give the private one)";
    }
    if (wanted.equals(PUBLIC_PEM) && text.contains("-----BEGIN " + PRIVATE_PEM)) {
      return " (it holds a private key; give the public one, KEY.pub)";
    }
    return "";
  }
}
