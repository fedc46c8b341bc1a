package org.sparkdp.driver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkdp.io.HadoopFiles;
import org.sparkdp.ops.Npz;

/**
 * Checkpoints of a {@link TrainingState} under one directory, on any Hadoop file system. Each
 * checkpoint is a directory {@code ckpt-EEEEE-SSSSSSSS} (epoch and step, both counted from 0)
 * holding {@code checkpoint.json} (position, sums of the epoch so far, history, the run's identity,
 * and the SHA-256 of the arrays) and {@code state.npz} (parameters and optimizer slots). It is
 * written under a hidden temporary name and renamed into place, so a checkpoint directory is
 * complete or absent; the oldest beyond {@code keep} are deleted.
 *
 * <p>The identity (model, compile settings, batch size, seed, strategy, data fingerprint, ...) is
 * compared on resume: a checkpoint resumes only the run that made it.
 */
final class Checkpoints {
  private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
  private static final String PREFIX = "ckpt-";
  private static final String FORMAT = "sparkdp.checkpoint";
  private static final int FORMAT_VERSION = 2;

  /** What {@code checkpoint.json} holds. */
  record Record(
      String format,
      int formatVersion,
      StateCodec.Meta state,
      JsonNode identity,
      String stateSha256) {}

  private final String dir;
  private final Configuration conf;
  private final int keep;
  private final ObjectNode identity;

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
        "state.npz",
        out -> Npz.write(encoded.arrays(), new DigestOutputStream(out, digest)),
        conf);
    Record record =
        new Record(
            FORMAT,
            FORMAT_VERSION,
            encoded.meta(),
            identity,
            HexFormat.of().formatHex(digest.digest()));
    HadoopFiles.writeAtomically(temp, "checkpoint.json", JSON.writeValueAsBytes(record), conf);
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

  /** The newest checkpoint, or {@code null} if there is none. */
  TrainingState latest(int parameters) throws IOException {
    List<String> names = completed();
    return names.isEmpty() ? null : load(dir + "/" + names.get(names.size() - 1), parameters);
  }

  /** Reads one checkpoint, checking it belongs to this run and that its arrays are whole. */
  TrainingState load(String path, int parameters) throws IOException {
    String jsonPath = path + "/checkpoint.json";
    JsonNode json = JSON.readTree(HadoopFiles.read(jsonPath, conf, 256L << 20));
    if (!FORMAT.equals(json.path("format").asText())) {
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
    List<String> differences = new ArrayList<>();
    for (Iterator<String> it = identity.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      // By text: a long written as 9 reads back as an int.
      if (!identity.get(key).toString().equals(json.path("identity").path(key).toString())) {
        differences.add(
            key
                + " (checkpoint: "
                + shorten(json.path("identity").path(key))
                + ", this run: "
                + shorten(identity.get(key))
                + ")");
      }
    }
    if (!differences.isEmpty()) {
      throw new IllegalArgumentException(
          "cannot resume from "
              + path
              + ": it was made by a different run: "
              + String.join("; ", differences));
    }
    Record record = JSON.treeToValue(json, Record.class);
    StateCodec.Meta meta = record.state();
    if (meta.parameters() != parameters) {
      throw new IOException(
          jsonPath + ": " + meta.parameters() + " parameters, the model has " + parameters);
    }
    Map<String, int[]> expected = StateCodec.shapes(meta);
    String statePath = path + "/state.npz";
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
    if (!HexFormat.of().formatHex(digest.digest()).equals(record.stateSha256())) {
      throw new IOException(
          statePath
              + ": its SHA-256 differs from the one in checkpoint.json (altered or truncated)");
    }
    TrainingState state = StateCodec.decode(meta, arrays);
    LOG.info("resuming from {} (epoch {}, step {})", path, state.epoch() + 1, state.step() + 1);
    return state;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  private static String shorten(JsonNode node) {
    String text = node.isMissingNode() ? "none" : node.toString();
    return text.length() > 60 ? text.substring(0, 57) + "..." : text;
  }
}
