package org.sparkdp.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.LinkOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.sparkdp.ops.ModelFile;

/**
 * A model directory's signed manifest: {@code manifest.json} lists every file of the model with its
 * size and SHA-256, holds the model's provenance (from {@code model.json}: data fingerprints, code,
 * configuration hash, predecessors) and the signer's public key, in canonical JSON ({@link
 * CanonicalJson}); {@code manifest.sig} is the base64 Ed25519 signature of those exact bytes. Both
 * join the model's {@link OutputSet}, so a signature is committed with the files it covers or not
 * at all.
 *
 * <p>The model's files are every file under the directory but the output set's own record ({@code
 * .sparkdp/}) and the training checkpoints ({@code checkpoints/}, which a later {@code --resume}
 * replaces and which have their own {@code SHA256SUMS}); the manifest and its signature cover
 * themselves by the signature.
 *
 * <p>{@link #verify} reports one finding per file and one for the signature: a file altered, added
 * or removed, a signature that is not valid, or valid for another key than the one given.
 */
public final class Manifest {
  public static final String FILE = "manifest.json";
  public static final String SIGNATURE = "manifest.sig";
  static final String FORMAT = "sparkdp.manifest";
  static final int FORMAT_VERSION = 1;
  private static final String CHECKPOINTS = "checkpoints";
  private static final long MAX_MANIFEST_BYTES = 64L << 20;

  /** The largest file a signed model holds: as large as the weights a model can load. */
  private static final long MAX_FILE_BYTES = ModelStore.MAX_WEIGHTS_BYTES;

  private static final ObjectMapper JSON = new ObjectMapper();

  private Manifest() {}

  /** A file as the manifest records it. */
  public record Entry(long size, String sha256) {
    public static Entry of(byte[] bytes) {
      return new Entry(bytes.length, ModelFile.sha256(bytes));
    }
  }

  /** A manifest's bytes (canonical JSON) and its signature file's. */
  public record Signed(byte[] manifest, byte[] signature) {}

  /**
   * One thing {@link #verify} found.
   *
   * @param ok whether it is as it should be
   * @param subject the file it is about, relative to the model directory
   */
  public record Finding(boolean ok, String subject, String text) {
    /** The line a person reads: {@code weights.npz: ALTERED (...)}. */
    public String line() {
      return subject + ": " + text;
    }
  }

  /**
   * What {@link #verify} found.
   *
   * @param signed whether the directory has a manifest at all
   * @param signer the key id that the manifest names, or {@code null}
   * @param listed the files the manifest lists, as it lists them (empty when it cannot be read), so
   *     that a reader can check the bytes it reads later against what was verified
   */
  public record Report(
      boolean signed, String signer, List<Finding> findings, Map<String, Entry> listed) {
    /** Whether every file matches and the signature is valid (for the key given, if one was). */
    public boolean ok() {
      return signed && findings.stream().allMatch(Finding::ok);
    }

    /** The first finding that is not ok, or {@code null}. */
    public Finding firstProblem() {
      return findings.stream().filter(f -> !f.ok()).findFirst().orElse(null);
    }
  }

  /**
   * The signed manifest of {@code files} (name to entry, the manifest's own two files excluded) and
   * the model's {@code provenance}, signed by {@code key}.
   */
  public static Signed sign(Map<String, Entry> files, JsonNode provenance, PrivateKey key) {
    PublicKey signer = Keys.publicOf(key);
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.put("format", FORMAT);
    root.put("format_version", FORMAT_VERSION);
    ObjectNode entries = root.putObject("files");
    new TreeMap<>(files)
        .forEach(
            (name, e) -> {
              if (name.equals(FILE) || name.equals(SIGNATURE)) {
                throw new IllegalArgumentException(name + " cannot be listed in the manifest");
              }
              entries.putObject(name).put("size", e.size()).put("sha256", e.sha256());
            });
    root.set("provenance", provenance == null ? JsonNodeFactory.instance.objectNode() : provenance);
    root.putObject("signer")
        .put("algorithm", Keys.ALGORITHM)
        .put("key_id", Keys.keyId(signer))
        .put("public_key", Base64.getEncoder().encodeToString(signer.getEncoded()));
    root.put("signed_at", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    byte[] manifest = CanonicalJson.bytes(root);
    return new Signed(manifest, signatureFile(Keys.sign(key, manifest)));
  }

  /** {@code manifest.sig}: the signature in base64 and a newline. */
  private static byte[] signatureFile(byte[] signature) {
    return (Base64.getEncoder().encodeToString(signature) + "\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Signs the model in {@code dir} as it is: every file of the directory (the committed set's
   * files, each checked against the set's record first, and any other file beside them) is
   * committed again as one new set with a manifest and its signature; an earlier manifest is
   * replaced, a {@code manifest.json} or {@code manifest.sig} of another kind only when {@code
   * overwrite}. Returns the signer's key id.
   *
   * @throws IOException if a file differs from the set's record, or is in a subdirectory (which a
   *     set cannot hold)
   */
  public static String signDirectory(String dir, Configuration conf, PrivateKey key)
      throws IOException {
    return signDirectory(dir, conf, key, false);
  }

  /** {@link #signDirectory(String, Configuration, PrivateKey)}, with {@code --overwrite}. */
  public static String signDirectory(
      String dir, Configuration conf, PrivateKey key, boolean overwrite) throws IOException {
    if (!HadoopFiles.exists(dir + "/" + ModelFile.MODEL_JSON, conf)
        && OutputSet.committed(dir, conf) == null) {
      throw new FileNotFoundException(dir + ": no model here (no " + ModelFile.MODEL_JSON + ")");
    }
    OutputFile.MANIFEST.checkReplaceable(dir + "/" + FILE, dir + "/" + FILE, overwrite, conf);
    OutputFile.MANIFEST_SIGNATURE.checkReplaceable(
        dir + "/" + SIGNATURE, dir + "/" + SIGNATURE, overwrite, conf);
    try (OutputSet set = OutputSet.begin(dir, conf)) {
      // begin() completed any interrupted commit: the set's files are in place now.
      OutputSet.Committed committed = OutputSet.committed(dir, conf);
      Map<String, Entry> entries = new LinkedHashMap<>();
      JsonNode provenance = null;
      for (String name : modelFiles(dir, conf, true)) {
        if (name.equals(FILE) || name.equals(SIGNATURE)) {
          continue;
        }
        String path = dir + "/" + name;
        OutputSet.File recorded = committed == null ? null : committed.file(name);
        MessageDigest digest = sha256();
        long[] size = {0};
        set.add(
            name,
            out -> {
              try (InputStream in = HadoopFiles.open(path, conf, MAX_FILE_BYTES)) {
                size[0] = new DigestInputStream(in, digest).transferTo(out);
              }
            });
        String sha = HexFormat.of().formatHex(digest.digest());
        if (recorded != null && !recorded.sha256().equals(sha)) {
          throw new IOException(
              path
                  + ": its SHA-256 differs from the one committed in "
                  + OutputSet.META
                  + "/"
                  + OutputSet.RECORD
                  + " (altered after the run); sign signs a model as it was written, not an"
                  + " altered one");
        }
        entries.put(name, new Entry(size[0], sha));
        if (name.equals(ModelFile.MODEL_JSON)) {
          provenance = provenanceOf(HadoopFiles.read(path, conf, 64L << 20), path);
        }
      }
      Signed signed = sign(entries, provenance, key);
      set.add(FILE, signed.manifest());
      set.add(SIGNATURE, signed.signature());
      set.commit();
      return Keys.keyId(Keys.publicOf(key));
    }
  }

  /**
   * Checks the model in {@code dir} against its manifest: every file's size and SHA-256, no file
   * added or removed, the output set's record in agreement, and the signature, for {@code given}
   * when not {@code null}, else for the public key the manifest names (which shows that the files
   * are as their signer left them, not who the signer is).
   */
  public static Report verify(String dir, Configuration conf, PublicKey given) throws IOException {
    if (!HadoopFiles.exists(dir, conf)) {
      throw new FileNotFoundException(dir + ": no such directory");
    }
    List<Finding> findings = new ArrayList<>();
    OutputSet.Committed committed = null;
    try {
      committed = OutputSet.committed(dir, conf);
    } catch (IOException e) {
      findings.add(new Finding(false, OutputSet.META + "/" + OutputSet.RECORD, e.getMessage()));
    }
    String manifestPath = where(dir, FILE, committed, conf);
    if (manifestPath == null) {
      findings.add(
          new Finding(
              false,
              FILE,
              "MISSING: the model is not signed (bin/sparkdp sign --model DIR --key KEY)"));
      return new Report(false, null, findings, Map.of());
    }
    byte[] manifestBytes = HadoopFiles.read(manifestPath, conf, MAX_MANIFEST_BYTES);
    JsonNode manifest;
    try {
      manifest = JSON.readTree(manifestBytes);
    } catch (JsonProcessingException e) {
      manifest = null;
    }
    if (manifest == null
        || !manifest.isObject()
        || !FORMAT.equals(manifest.path("format").asText())
        || !manifest.path("files").isObject()) {
      findings.add(new Finding(false, FILE, "DAMAGED: not a sparkdp manifest"));
      findings.add(signatureFinding(dir, committed, conf, manifestBytes, null, given));
      return new Report(true, null, findings, Map.of());
    }
    if (manifest.path("format_version").asInt() > FORMAT_VERSION) {
      findings.add(
          new Finding(
              false,
              FILE,
              "format_version "
                  + manifest.path("format_version")
                  + " is newer than this sparkdp reads ("
                  + FORMAT_VERSION
                  + ")"));
    }
    String signer = manifest.path("signer").path("key_id").asText(null);
    findings.add(signatureFinding(dir, committed, conf, manifestBytes, manifest, given));

    Map<String, JsonNode> listed = new TreeMap<>();
    manifest.path("files").fields().forEachRemaining(e -> listed.put(e.getKey(), e.getValue()));
    Set<String> present = new TreeSet<>(modelFiles(dir, conf, false));
    if (committed != null) {
      present.addAll(committed.files().keySet());
    }
    for (Map.Entry<String, JsonNode> e : listed.entrySet()) {
      String name = e.getKey();
      if (!OutputSet.isFileName(name)) {
        // Not resolved at all: "../x", "/dev/zero" or "a/b" would name a file outside the set.
        findings.add(
            new Finding(
                false,
                quoted(name),
                "REFUSED: not the name of a file of a model directory (a plain name of letters,"
                    + " digits, '.', '_' and '-', not starting with '.'); not read"));
        continue;
      }
      String path = where(dir, name, committed, conf);
      if (path == null) {
        findings.add(new Finding(false, name, "MISSING (the manifest lists it)"));
        continue;
      }
      String expected = e.getValue().path("sha256").asText("");
      long expectedSize = e.getValue().path("size").asLong(-1);
      Entry actual;
      try {
        actual = hash(path, conf, expectedSize < 0 ? MAX_FILE_BYTES : expectedSize);
      } catch (IOException unreadable) {
        findings.add(new Finding(false, name, "UNREADABLE (" + unreadable.getMessage() + ")"));
        continue;
      }
      if (actual.sha256().equals(expected) && actual.size() == expectedSize) {
        findings.add(new Finding(true, name, "ok"));
      } else if (expectedSize >= 0 && actual.size() > expectedSize) {
        findings.add(
            new Finding(
                false,
                name,
                "ALTERED (more than the "
                    + expectedSize
                    + " bytes the manifest says; read no further)"));
      } else {
        findings.add(
            new Finding(
                false,
                name,
                "ALTERED (SHA-256 "
                    + actual.sha256()
                    + ", "
                    + actual.size()
                    + " bytes; the manifest says "
                    + expected
                    + ", "
                    + expectedSize
                    + " bytes)"));
      }
      OutputSet.File recorded = committed == null ? null : committed.file(name);
      if (recorded != null && !recorded.sha256().equals(expected)) {
        findings.add(
            new Finding(
                false,
                OutputSet.META + "/" + OutputSet.RECORD,
                "records another SHA-256 for " + name + " than the manifest"));
      }
    }
    for (String name : present) {
      if (!listed.containsKey(name) && !name.equals(FILE) && !name.equals(SIGNATURE)) {
        findings.add(new Finding(false, name, "ADDED (not in the manifest)"));
      }
    }
    if (listed.containsKey(ModelFile.MODEL_JSON)
        && where(dir, ModelFile.MODEL_JSON, committed, conf) != null) {
      String path = where(dir, ModelFile.MODEL_JSON, committed, conf);
      JsonNode recorded;
      try {
        recorded = provenanceOf(HadoopFiles.read(path, conf, 64L << 20), path);
      } catch (IOException e) {
        recorded = null;
      }
      if (recorded == null || !sameJson(recorded, manifest.path("provenance"))) {
        findings.add(
            new Finding(false, FILE, "its provenance is not the one in " + ModelFile.MODEL_JSON));
      }
    }
    Map<String, Entry> entries = new TreeMap<>();
    listed.forEach(
        (name, e) ->
            entries.put(name, new Entry(e.path("size").asLong(-1), e.path("sha256").asText(""))));
    return new Report(true, signer, findings, java.util.Collections.unmodifiableMap(entries));
  }

  /** The signature's finding: valid or not, for which key. */
  private static Finding signatureFinding(
      String dir,
      OutputSet.Committed committed,
      Configuration conf,
      byte[] manifestBytes,
      JsonNode manifest,
      PublicKey given)
      throws IOException {
    String sigPath = where(dir, SIGNATURE, committed, conf);
    if (sigPath == null) {
      return new Finding(false, SIGNATURE, "MISSING: the manifest is not signed");
    }
    byte[] signature;
    byte[] file = HadoopFiles.read(sigPath, conf, 4096);
    try {
      signature = Base64.getDecoder().decode(new String(file, StandardCharsets.US_ASCII).trim());
    } catch (IllegalArgumentException e) {
      signature = null;
    }
    // Exactly as written, byte for byte: base64 has spare bits and padding that decoders pass over.
    if (signature == null || !java.util.Arrays.equals(file, signatureFile(signature))) {
      return new Finding(false, SIGNATURE, "DAMAGED: not one base64 signature and a newline");
    }
    PublicKey named = null;
    if (manifest != null) {
      try {
        named =
            Keys.decodePublic(
                Base64.getDecoder().decode(manifest.path("signer").path("public_key").asText("")),
                "the manifest's signer");
      } catch (IllegalArgumentException e) { // a ConfigException too: not a key
        named = null;
      }
    }
    PublicKey key = given != null ? given : named;
    if (key == null) {
      return new Finding(
          false, SIGNATURE, "NOT CHECKED: " + FILE + " names no valid signer (give --public-key)");
    }
    boolean valid = signature.length == 64 && Keys.verify(key, manifestBytes, signature);
    String keyText =
        given != null ? "the key given (" + Keys.keyId(given) + ")" : "the key the manifest names";
    if (!valid) {
      String also =
          given != null && named != null && !named.equals(given)
              ? "; the manifest names another signer, " + Keys.keyId(named)
              : "";
      return new Finding(
          false,
          SIGNATURE,
          "INVALID signature of "
              + FILE
              + " for "
              + keyText
              + ": "
              + FILE
              + " or "
              + SIGNATURE
              + " was altered, or another key signed them"
              + also);
    }
    return new Finding(
        true,
        SIGNATURE,
        "valid Ed25519 signature of "
            + FILE
            + " by "
            + (given != null
                ? keyText
                : Keys.keyId(key)
                    + ", the key "
                    + FILE
                    + " names (give --public-key to check whose it is)"));
  }

  /** Where the file {@code name} of the model is now, or {@code null} if it is not there. */
  private static String where(
      String dir, String name, OutputSet.Committed committed, Configuration conf)
      throws IOException {
    OutputSet.File f = committed == null ? null : committed.file(name);
    String path = f != null ? f.path() : dir + "/" + name;
    return HadoopFiles.exists(path, conf) ? path : null;
  }

  /**
   * The model's files under {@code dir}, relative to it, sorted: everything but the output set's
   * record and the checkpoints. With {@code topOnly}, a file in a subdirectory is an error.
   */
  static List<String> modelFiles(String dir, Configuration conf, boolean topOnly)
      throws IOException {
    List<String> names = new ArrayList<>();
    for (String relative : allFiles(dir, conf)) {
      String top = relative.contains("/") ? relative.substring(0, relative.indexOf('/')) : "";
      if (top.equals(OutputSet.META) || top.equals(CHECKPOINTS)) {
        continue;
      }
      if (topOnly && !top.isEmpty()) {
        throw new IOException(
            dir
                + "/"
                + relative
                + ": a file in a subdirectory; a model's files sit in its directory (move it out)");
      }
      names.add(relative);
    }
    names.sort(null);
    return names;
  }

  /**
   * Every file under {@code dir}, relative to it. Local directories are walked without following
   * links, so a link to {@code /} or to its own directory is one name, not a walk of the disk.
   */
  private static List<String> allFiles(String dir, Configuration conf) throws IOException {
    Path root = new Path(dir);
    FileSystem fs = root.getFileSystem(HadoopFiles.withRawLocal(conf));
    List<String> names = new ArrayList<>();
    if ("file".equals(fs.getUri().getScheme())) {
      java.nio.file.Path base = java.nio.file.Path.of(fs.makeQualified(root).toUri()).toRealPath();
      try (java.util.stream.Stream<java.nio.file.Path> walk = java.nio.file.Files.walk(base)) {
        walk.filter(p -> !java.nio.file.Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
            .forEach(p -> names.add(base.relativize(p).toString()));
      } catch (java.io.UncheckedIOException e) {
        throw e.getCause();
      }
      return names;
    }
    String base = fs.makeQualified(root).toUri().getPath();
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
    while (it.hasNext()) {
      String path = fs.makeQualified(it.next().getPath()).toUri().getPath();
      names.add(path.substring(base.length() + (base.endsWith("/") ? 0 : 1)));
    }
    return names;
  }

  /** Whether two trees are the same JSON value (numbers by value: {@code 1.0} is {@code 1}). */
  private static boolean sameJson(JsonNode a, JsonNode b) {
    try {
      return java.util.Arrays.equals(CanonicalJson.bytes(a), CanonicalJson.bytes(b));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static JsonNode provenanceOf(byte[] modelJson, String path) throws IOException {
    try {
      JsonNode root = JSON.readTree(modelJson);
      return root == null ? null : root.path("provenance");
    } catch (JsonProcessingException e) {
      throw new IOException(path + ": not valid JSON", e);
    }
  }

  /**
   * The size and SHA-256 of {@code path}, reading at most {@code limit + 1} bytes: a larger file's
   * entry says {@code limit + 1} bytes, which is enough to tell that it is not the one listed.
   */
  private static Entry hash(String path, Configuration conf, long limit) throws IOException {
    MessageDigest digest = sha256();
    long size = 0;
    try (InputStream in = HadoopFiles.open(path, conf, MAX_FILE_BYTES)) {
      byte[] buffer = new byte[64 << 10];
      int n;
      while (size <= limit
          && (n = in.read(buffer, 0, (int) Math.min(buffer.length, limit + 1 - size))) > 0) {
        digest.update(buffer, 0, n);
        size += n;
      }
    }
    return new Entry(size, HexFormat.of().formatHex(digest.digest()));
  }

  /** A name from the manifest as a message shows it: quoted, control characters escaped. */
  private static String quoted(String name) {
    StringBuilder s = new StringBuilder("'");
    name.codePoints()
        .limit(100)
        .forEach(
            c -> {
              if (Character.isISOControl(c) || c == '\'' || c == '\\') {
                s.append(String.format("\\u%04x", c));
              } else {
                s.appendCodePoint(c);
              }
            });
    return s.append(name.codePointCount(0, name.length()) > 100 ? "...'" : "'").toString();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
