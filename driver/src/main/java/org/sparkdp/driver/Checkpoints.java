package org.sparkdp.driver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkdp.ops.Npz;
import org.sparkdp.ops.OptimizerState;
import org.sparkdp.ops.Totals;

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
public final class Checkpoints {
  private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final String PREFIX = "ckpt-";

  private final String dir;
  private final Configuration conf;
  private final int keep;
  private final ObjectNode identity;

  public Checkpoints(String dir, Configuration conf, int keep, ObjectNode identity) {
    if (keep < 1) {
      throw new IllegalArgumentException("keep_checkpoints must be at least 1, got " + keep);
    }
    this.dir = dir;
    this.conf = conf;
    this.keep = keep;
    this.identity = identity;
  }

  public String dir() {
    return dir;
  }

  /**
   * Writes a checkpoint of {@code state} and deletes the oldest beyond {@code keep}; returns its
   * path.
   */
  public String save(TrainingState state) throws IOException {
    Map<String, Npz.Array> arrays = new LinkedHashMap<>();
    int n = state.params.length;
    arrays.put("params", new Npz.Array(new int[] {n}, state.params));
    if (state.optimizer != null) {
      for (int i = 0; i < state.optimizer.slots().length; i++) {
        arrays.put("optimizer/" + i, new Npz.Array(new int[] {n}, state.optimizer.slots()[i]));
      }
    }
    if (state.innerStates != null) {
      for (int p = 0; p < state.innerStates.size(); p++) {
        float[][] slots = state.innerStates.get(p).slots();
        for (int i = 0; i < slots.length; i++) {
          arrays.put("local/" + p + "/" + i, new Npz.Array(new int[] {n}, slots[i]));
        }
      }
    }
    if (state.outerMomentum != null) {
      arrays.put("local/outer_momentum", new Npz.Array(new int[] {n}, state.outerMomentum));
    }

    ObjectNode json = JSON.createObjectNode();
    json.put("format", "sparkdp.checkpoint");
    json.put("format_version", 1);
    json.put("epoch", state.epoch);
    json.put("step", state.step);
    json.put("parameters", n);
    json.put("optimizer_iterations", state.optimizer == null ? 0 : state.optimizer.iterations());
    json.put("optimizer_slots", state.optimizer == null ? -1 : state.optimizer.slots().length);
    if (state.innerStates != null) {
      ObjectNode local = json.putObject("local");
      local.put("partitions", state.innerStates.size());
      local.put("slots", state.innerStates.isEmpty() ? 0 : state.innerStates.get(0).slots().length);
      var iterations = local.putArray("iterations");
      state.innerStates.forEach(s -> iterations.add(s.iterations()));
      local.put("outer_momentum", state.outerMomentum != null);
    }
    ObjectNode totals = json.putObject("epoch_totals");
    totals.put("loss", state.epochTotals.loss);
    totals.put("correct", state.epochTotals.correct);
    totals.put("count", state.epochTotals.count);
    json.put("epoch_seconds_so_far", state.epochSeconds);
    json.set("history", JSON.valueToTree(state.history.toMap()));
    json.set("identity", identity);
    String name = String.format(Locale.ROOT, "%s%05d-%08d", PREFIX, state.epoch, state.step);
    String temp = dir + "/.tmp-" + UUID.randomUUID();
    // Streamed, hashing as it goes: with every partition's optimizer state, a checkpoint can pass 2
    // GB.
    MessageDigest digest = sha256();
    HadoopFiles.writeAtomically(
        temp, "state.npz", out -> Npz.write(arrays, new DigestOutputStream(out, digest)), conf);
    json.put("state_sha256", HexFormat.of().formatHex(digest.digest()));
    HadoopFiles.writeAtomically(temp, "checkpoint.json", JSON.writeValueAsBytes(json), conf);
    String target = dir + "/" + name;
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
  public int clear() throws IOException {
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
  public TrainingState latest(int parameters) throws IOException {
    List<String> names = completed();
    return names.isEmpty() ? null : load(dir + "/" + names.get(names.size() - 1), parameters);
  }

  /** Reads one checkpoint, checking it belongs to this run and that its arrays are whole. */
  TrainingState load(String path, int parameters) throws IOException {
    String jsonPath = path + "/checkpoint.json";
    JsonNode json = JSON.readTree(HadoopFiles.read(jsonPath, conf, 256L << 20));
    if (!"sparkdp.checkpoint".equals(json.path("format").asText())) {
      throw new IOException(jsonPath + ": not a sparkdp checkpoint");
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
    if (json.path("parameters").asInt() != parameters) {
      throw new IOException(
          jsonPath
              + ": "
              + json.path("parameters").asInt()
              + " parameters, the model has "
              + parameters);
    }
    int slots = json.path("optimizer_slots").asInt();
    Map<String, int[]> expected = new LinkedHashMap<>();
    expected.put("params", new int[] {parameters});
    for (int i = 0; i < slots; i++) {
      expected.put("optimizer/" + i, new int[] {parameters});
    }
    JsonNode local = json.path("local");
    int localPartitions = local.path("partitions").asInt(0);
    int localSlots = local.path("slots").asInt(0);
    for (int p = 0; p < localPartitions; p++) {
      for (int i = 0; i < localSlots; i++) {
        expected.put("local/" + p + "/" + i, new int[] {parameters});
      }
    }
    if (local.path("outer_momentum").asBoolean(false)) {
      expected.put("local/outer_momentum", new int[] {parameters});
    }
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
    if (!HexFormat.of().formatHex(digest.digest()).equals(json.path("state_sha256").asText())) {
      throw new IOException(
          statePath
              + ": its SHA-256 differs from the one in checkpoint.json (altered or truncated)");
    }
    float[][] optimizerSlots = new float[Math.max(slots, 0)][];
    for (int i = 0; i < optimizerSlots.length; i++) {
      optimizerSlots[i] = arrays.get("optimizer/" + i);
    }
    TrainingState state =
        new TrainingState(
            arrays.get("params"),
            slots < 0
                ? null
                : new OptimizerState(json.path("optimizer_iterations").asLong(), optimizerSlots));
    state.epoch = json.path("epoch").asInt();
    state.step = json.path("step").asInt();
    state.epochTotals = new Totals();
    state.epochTotals.loss = json.path("epoch_totals").path("loss").asDouble();
    state.epochTotals.correct = json.path("epoch_totals").path("correct").asDouble();
    state.epochTotals.count = json.path("epoch_totals").path("count").asLong();
    state.epochSeconds = json.path("epoch_seconds_so_far").asDouble();
    Map<String, List<Double>> history = new LinkedHashMap<>();
    json.path("history")
        .fields()
        .forEachRemaining(
            e -> {
              List<Double> values = new ArrayList<>();
              e.getValue().forEach(v -> values.add(v.asDouble()));
              history.put(e.getKey(), values);
            });
    state.history = History.fromMap(history);
    if (localPartitions > 0) {
      state.innerStates = new ArrayList<>();
      for (int p = 0; p < localPartitions; p++) {
        float[][] s = new float[localSlots][];
        for (int i = 0; i < localSlots; i++) {
          s[i] = arrays.get("local/" + p + "/" + i);
        }
        state.innerStates.add(new OptimizerState(local.path("iterations").path(p).asLong(), s));
      }
      state.outerMomentum = arrays.get("local/outer_momentum");
    }
    LOG.info("resuming from {} (epoch {}, step {})", path, state.epoch + 1, state.step + 1);
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
