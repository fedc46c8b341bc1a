package org.sparkdp.driver;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkdp.io.HadoopFiles;
import org.sparkdp.io.Provenance;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.Npz;

/**
 * Checkpoints of a {@link TrainingState} under one directory, on any Hadoop file system. Each
 * checkpoint is a directory {@code ckpt-EEEEE-SSSSSSSS} (epoch and step, both counted from 0)
 * holding {@code checkpoint.json} (position, sums of the epoch so far, history, the run's
 * identity), {@code state.npz} (parameters and optimizer slots) and {@code SHA256SUMS}, the SHA-256
 * of both in {@code sha256sum}'s format. It is written under a hidden temporary name and renamed
 * into place, so a checkpoint directory is complete or absent; the oldest beyond {@code keep} are
 * deleted.
 *
 * <p>A checkpoint is trusted only if both files match their hashes, and is read as untrusted data
 * all the same (every size checked before it is allocated). A damaged one is reported by name and
 * passed over for the newest intact one. The identity (model, compile settings, batch size, seed,
 * strategy, data fingerprint, ...) is compared on resume: a checkpoint resumes only the run that
 * made it.
 */
final class Checkpoints {
  private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
  private static final String PREFIX = "ckpt-";
  private static final String FORMAT = "sparkdp.checkpoint";
  private static final int FORMAT_VERSION = 3;
  private static final String JSON_FILE = "checkpoint.json";
  private static final String STATE_FILE = "state.npz";
  private static final String SUMS_FILE = "SHA256SUMS";

  /** What {@code checkpoint.json} holds. */
  record Record(String format, int formatVersion, StateCodec.Meta state, JsonNode identity) {}

  private static final long MAX_JSON_BYTES = 256L << 20;
  private static final java.util.regex.Pattern SUM_LINE =
      java.util.regex.Pattern.compile("([0-9a-f]{64})  ([A-Za-z0-9._-]+)");

  private final String dir;
  private final Configuration conf;
  private final int keep;
  private final ObjectNode identity;
  private Provenance.Predecessor lastRead;

  Checkpoints(String dir, Configuration conf, int keep, ObjectNode identity) {
    if (keep < 1) {
      throw new IllegalArgumentException("keep_checkpoints must be at least 1, got " + keep);
    }
    this.dir = dir;
    this.conf = conf;
    this.keep = keep;
    this.identity = identity;
  }

  String dir() {
    return dir;
  }

  /** The checkpoint {@link #latest} last returned, as a model's provenance records it. */
  Provenance.Predecessor lastRead() {
    return lastRead;
  }

  /** Where the checkpoint of {@code state}'s position is (or would be) written. */
  String pathOf(TrainingState state) {
    return dir + String.format(Locale.ROOT, "/%s%05d-%08d", PREFIX, state.epoch(), state.step());
  }

  /**
   * Writes a checkpoint of {@code state} and deletes the oldest beyond {@code keep}; returns its
   * path.
   */
  String save(TrainingState state) throws IOException {
    StateCodec.Encoded encoded = StateCodec.encode(state);
    String temp = dir + "/.tmp-" + UUID.randomUUID();
    // Streamed, hashing as it goes: with every partition's optimizer state, a checkpoint can pass 2
    // GB.
    MessageDigest digest = sha256();
    HadoopFiles.writeAtomically(
        temp,
        STATE_FILE,
        out -> Npz.write(encoded.arrays(), new DigestOutputStream(out, digest)),
        conf);
    byte[] json =
        JSON.writeValueAsBytes(new Record(FORMAT, FORMAT_VERSION, encoded.meta(), identity));
    HadoopFiles.writeAtomically(temp, JSON_FILE, json, conf);
    String sums =
        ModelFile.sha256(json)
            + "  "
            + JSON_FILE
            + "\n"
            + HexFormat.of().formatHex(digest.digest())
            + "  "
            + STATE_FILE
            + "\n";
    HadoopFiles.writeAtomically(temp, SUMS_FILE, sums.getBytes(StandardCharsets.US_ASCII), conf);
    String target = pathOf(state);
    if (HadoopFiles.exists(target, conf)) {
      HadoopFiles.deleteRecursively(target, conf);
    }
    HadoopFiles.rename(temp, target, conf);
    prune();
    return target;
  }

  private void prune() throws IOException {
    List<String> names = completed();
    for (int i = 0; i + keep < names.size(); i++) {
      HadoopFiles.deleteRecursively(dir + "/" + names.get(i), conf);
    }
    for (String name : HadoopFiles.list(dir, conf)) {
      if (name.startsWith(".tmp-")) {
        HadoopFiles.deleteRecursively(
            dir + "/" + name, conf); // left by a run that died while writing
      }
    }
  }

  /**
   * Deletes every checkpoint in the directory (those of an earlier run, when a new one starts);
   * returns how many.
   */
  int clear() throws IOException {
    List<String> names = completed();
    for (String name : names) {
      HadoopFiles.deleteRecursively(dir + "/" + name, conf);
    }
    return names.size();
  }

  /** The complete checkpoints, oldest first. */
  List<String> completed() throws IOException {
    List<String> names = new ArrayList<>();
    for (String name : HadoopFiles.list(dir, conf)) {
      if (name.startsWith(PREFIX)) {
        names.add(name);
      }
    }
    return names;
  }

  /**
   * The newest intact checkpoint, or {@code null} if there is none at all. A damaged newer one is
   * named in a warning and passed over.
   *
   * @throws IOException when every checkpoint is damaged, naming each and what is wrong
   * @throws ConfigException when the newest intact one is of another run
   */
  TrainingState latest(int parameters) throws IOException {
    List<String> names = completed();
    List<String> damaged = new ArrayList<>();
    for (int i = names.size() - 1; i >= 0; i--) {
      String name = names.get(i);
      try {
        TrainingState state = load(dir + "/" + name, parameters);
        lastRead =
            new Provenance.Predecessor(
                "checkpoint",
                dir + "/" + name,
                new java.util.TreeMap<>(sums(dir + "/" + name + "/" + SUMS_FILE)),
                state.epoch(),
                state.step(),
                null);
        if (!damaged.isEmpty()) {
          LOG.warn("resuming from {}, the newest intact checkpoint in {}", name, dir);
        }
        return state;
      } catch (IOException e) {
        LOG.warn("checkpoint {} is damaged and passed over: {}", name, e.getMessage());
        damaged.add(name + " (" + e.getMessage() + ")");
      }
    }
    if (!damaged.isEmpty()) {
      throw new IOException("no intact checkpoint in " + dir + ": " + String.join("; ", damaged));
    }
    return null;
  }

  /**
   * Reads one checkpoint, checking its files against {@code SHA256SUMS}, its record, and that it
   * belongs to this run.
   *
   * @throws IOException naming the file when the checkpoint is damaged
   * @throws ConfigException when it is of another run
   */
  TrainingState load(String path, int parameters) throws IOException {
    Map<String, String> sums = sums(path + "/" + SUMS_FILE);
    String jsonPath = path + "/" + JSON_FILE;
    byte[] bytes = HadoopFiles.read(jsonPath, conf, MAX_JSON_BYTES);
    if (!ModelFile.sha256(bytes).equals(sums.get(JSON_FILE))) {
      throw new IOException(
          jsonPath
              + ": its SHA-256 differs from the one in "
              + SUMS_FILE
              + " (altered or truncated)");
    }
    JsonNode json;
    Record record;
    try {
      json = JSON.readTree(bytes);
      if (!json.isObject() || !FORMAT.equals(json.path("format").asText())) {
        throw new IOException(jsonPath + ": not a sparkdp checkpoint");
      }
      if (json.path("format_version").asInt() != FORMAT_VERSION) {
        throw new IOException(
            jsonPath
                + ": checkpoint format "
                + json.path("format_version").asInt()
                + ", this sparkdp reads "
                + FORMAT_VERSION
                + " (start the run again without resuming)");
      }
      record = JSON.treeToValue(json, Record.class);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new IOException(jsonPath + ": not a valid checkpoint record (" + oneLine(e) + ")", e);
    }
    // This run's keys only: a setting recorded only when set leaves older checkpoints resumable.
    JsonNode recorded = json.path("identity");
    ObjectNode saved = JSON.createObjectNode();
    identity
        .fieldNames()
        .forEachRemaining(
            key -> {
              if (recorded.has(key)) {
                saved.set(key, recorded.get(key));
              }
            });
    List<String> differences = JsonDiff.describe("", saved, identity, "checkpoint", 3);
    if (!differences.isEmpty()) {
      throw new ConfigException(
          "cannot resume from "
              + path
              + ": it was made by a different run: "
              + String.join("; ", differences));
    }
    StateCodec.Meta meta = record.state();
    String problem = StateCodec.check(meta, parameters);
    if (problem != null) {
      throw new IOException(jsonPath + ": " + problem);
    }
    Map<String, int[]> expected = StateCodec.shapes(meta);
    String statePath = path + "/" + STATE_FILE;
    MessageDigest digest = sha256();
    Map<String, float[]> arrays;
    try (InputStream in =
        new DigestInputStream(
            HadoopFiles.open(
                statePath, conf, 4L * parameters * expected.size() + (64L << 10) * expected.size()),
            digest)) {
      arrays = Npz.readStreaming(in, expected, statePath);
      in.transferTo(
          OutputStream.nullOutputStream()); // the rest of the archive counts for the hash too
    }
    if (!HexFormat.of().formatHex(digest.digest()).equals(sums.get(STATE_FILE))) {
      throw new IOException(
          statePath
              + ": its SHA-256 differs from the one in "
              + SUMS_FILE
              + " (altered or truncated)");
    }
    TrainingState state = StateCodec.decode(meta, arrays);
    LOG.info("resuming from {} (epoch {}, step {})", path, state.epoch() + 1, state.step() + 1);
    return state;
  }

  /** The hashes {@code SHA256SUMS} records, by file name. */
  private Map<String, String> sums(String path) throws IOException {
    byte[] bytes;
    try {
      bytes = HadoopFiles.read(path, conf, 4096);
    } catch (java.io.FileNotFoundException e) {
      throw new IOException(
          path + ": missing (an incomplete checkpoint, or one of an older sparkdp)", e);
    }
    Map<String, String> sums = new java.util.HashMap<>();
    for (String line : new String(bytes, StandardCharsets.US_ASCII).split("\n")) {
      java.util.regex.Matcher m = SUM_LINE.matcher(line);
      if (!m.matches()) {
        throw new IOException(path + ": not a list of SHA-256 sums ('" + shorten(line) + "')");
      }
      sums.put(m.group(2), m.group(1));
    }
    for (String file : List.of(JSON_FILE, STATE_FILE)) {
      if (!sums.containsKey(file)) {
        throw new IOException(path + ": no SHA-256 of " + file);
      }
    }
    return sums;
  }

  private static String oneLine(Exception e) {
    String text = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
    return text == null ? e.getClass().getSimpleName() : text.lines().findFirst().orElse("");
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  private static String shorten(String text) {
    return text.length() > 60 ? text.substring(0, 57) + "..." : text;
  }
}
