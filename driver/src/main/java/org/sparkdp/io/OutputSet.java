package org.sparkdp.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files of one run in an output directory, committed together or not at all, so that the
 * directory always tells one story: a model with the history, curves and metrics of the run that
 * made it.
 *
 * <pre>
 * DIR/model.json, weights.npz, history.json, ...  the committed set, where people and NumPy look
 * DIR/.sparkdp/committed.json                     its record: each file's name, size and SHA-256
 * DIR/.sparkdp/staging-ID/                        a set being written, or being moved into place
 * DIR/.sparkdp/lock.json                          the run that writes DIR now ({@link OutputLock})
 * </pre>
 *
 * A new set is written in full to its staging directory, each file synced. Writing its record (to a
 * temporary name, then one atomic rename) commits it; its files are then renamed into place, the
 * files of the previous set that the new one does not have are deleted, and the staging directory
 * is removed. A failure before the record (an error, a full disk, a crash) leaves the previous set
 * as it was; the staging directory is removed then, or after a crash by the next commit. A crash
 * after the record leaves the new set committed: readers ({@link #committed}) find each file in the
 * staging directory while it is still there, and the next {@link #begin} completes the move. What a
 * set holds is what its writer {@link #add}s, so more kinds of output join a set without changing
 * this protocol. A directory without a record is a plain one (written by hand or by an older
 * sparkdp); a commit over it replaces the files of a run it knows by name.
 *
 * <p>A set is written under the directory's {@link OutputLock}: the one this JVM holds already (a
 * training run takes it before it writes anything), or one taken for the set alone. A set's ID
 * starts with the ID of the run that holds the lock; the staging directories that {@link #begin}
 * removes are of runs that no longer hold it (as it holds the lock, no other run does).
 */
public final class OutputSet implements Closeable {
  static final String META = ".sparkdp";
  static final String RECORD = "committed.json";
  static final String FORMAT = "sparkdp.output";
  static final int FORMAT_VERSION = 1;

  /**
   * In a directory without a record, the files a run writes, which a commit replaces or removes.
   */
  private static final List<String> PLAIN_RUN_FILES =
      List.of(
          "model.json",
          "weights.npz",
          "history.json",
          "learning-curves.png",
          "test-metrics.json",
          "test-per-class.json",
          "MODEL_CARD.md",
          "manifest.json",
          "manifest.sig");

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final long MAX_RECORD_BYTES = 1L << 20;
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Logger LOG = LoggerFactory.getLogger(OutputSet.class);

  /**
   * Whether {@code name} can be a file of a set: a plain name in the directory (no {@code /}, not
   * {@code ..}, not hidden), which a record or a manifest from elsewhere must hold to be resolved.
   */
  static boolean isFileName(String name) {
    return NAME.matcher(name).matches() && !name.equals(META);
  }

  /** One committed file: where it is now, and what it must be. */
  public record File(String path, long size, String sha256) {}

  /**
   * A committed set, as its record describes it.
   *
   * @param files the set's files by name, in the order they were added
   */
  public record Committed(String id, Map<String, File> files) {
    /** The file {@code name} of the set, or {@code null} if the set has none. */
    public File file(String name) {
      return files.get(name);
    }
  }

  private final String dir;
  private final Configuration conf;
  private final String id;
  private final String staging;
  private final OutputLock lock;
  private final OutputLock own;
  private final Map<String, File> added = new LinkedHashMap<>();
  private boolean committed;

  private OutputSet(
      String dir, Configuration conf, String id, String staging, OutputLock lock, OutputLock own) {
    this.dir = dir;
    this.conf = conf;
    this.id = id;
    this.staging = staging;
    this.lock = lock;
    this.own = own;
  }

  /**
   * Starts a new set in {@code dir} under its lock (see the class comment): first completes a
   * commit that a crash interrupted and removes what failed runs left in the staging area.
   *
   * @throws OutputLock.BusyException when another run writes {@code dir}
   */
  public static OutputSet begin(String dir, Configuration conf) throws IOException {
    String meta = dir + "/" + META;
    OutputLock held = OutputLock.heldHere(dir, conf);
    OutputLock own = held == null ? OutputLock.acquire(dir, conf, "save") : null;
    OutputLock lock = held != null ? held : own;
    try {
      Committed previous = previous(dir, conf);
      if (previous != null) {
        finish(dir, conf, read(dir, conf));
      }
      for (String name : HadoopFiles.list(meta, conf)) {
        if (name.startsWith("staging-")) {
          HadoopFiles.deleteRecursively(meta + "/" + name, conf); // left by a run that failed
        }
      }
      String id = lock.runId() + "-" + UUID.randomUUID().toString().substring(0, 8);
      return new OutputSet(dir, conf, id, meta + "/staging-" + id, lock, own);
    } catch (IOException | RuntimeException e) {
      if (own != null) {
        own.close();
      }
      throw e;
    }
  }

  /** Writes {@code name} of the set (synced, not yet visible). */
  public void add(String name, byte[] bytes) throws IOException {
    add(name, out -> out.write(bytes));
  }

  /** Writes {@code name} of the set with what {@code writer} writes (synced, not yet visible). */
  public void add(String name, HadoopFiles.Writer writer) throws IOException {
    if (!NAME.matcher(name).matches() || name.equals(META)) {
      throw new IllegalArgumentException("not a file name for an output set: '" + name + "'");
    }
    if (committed || added.containsKey(name)) {
      throw new IllegalStateException(name + " is already in the set, or the set is committed");
    }
    MessageDigest digest = sha256();
    long[] size = {0};
    write(
        staging,
        name,
        out -> {
          OutputStream counting =
              new DigestOutputStream(out, digest) {
                @Override
                public void write(int b) throws IOException {
                  super.write(b);
                  size[0]++;
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                  super.write(b, off, len);
                  size[0] += len;
                }
              };
          writer.write(counting);
          counting.flush();
        });
    added.put(name, new File(dir + "/" + name, size[0], HexFormat.of().formatHex(digest.digest())));
  }

  /**
   * Commits the set: writes its record (the commit), moves its files into place and removes the
   * previous set's other files.
   */
  public Committed commit() throws IOException {
    if (committed) {
      throw new IllegalStateException("the set is committed already");
    }
    Committed previous = previous(dir, conf);
    List<String> removes = new ArrayList<>();
    for (String name : previous != null ? previous.files().keySet() : PLAIN_RUN_FILES) {
      if (!added.containsKey(name)) {
        removes.add(name);
      }
    }
    ObjectNode record = JSON.createObjectNode();
    record.put("format", FORMAT);
    record.put("format_version", FORMAT_VERSION);
    record.put("set", id);
    record.put("committed_at", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    ObjectNode files = record.putObject("files");
    added.forEach(
        (name, f) -> files.putObject(name).put("size", f.size()).put("sha256", f.sha256()));
    ArrayNode removed = record.putArray("removes");
    removes.forEach(removed::add);
    byte[] bytes = JSON.writeValueAsBytes(record);
    lock.check();
    write(dir + "/" + META, RECORD, out -> out.write(bytes));
    committed = true;
    try {
      finish(dir, conf, record);
    } finally {
      if (own != null) {
        own.close();
      }
    }
    return new Committed(id, java.util.Collections.unmodifiableMap(new LinkedHashMap<>(added)));
  }

  /** Writes {@code where/name}; a failure names the file and says that nothing changed. */
  private void write(String where, String name, HadoopFiles.Writer writer) throws IOException {
    try {
      HadoopFiles.writeAtomically(where, name, writer, conf);
    } catch (IOException | FSError e) {
      // The local file system reports a full disk as an FSError.
      Throwable cause = e instanceof FSError && e.getCause() != null ? e.getCause() : e;
      throw new IOException(
          "could not write "
              + (where.equals(staging) ? dir + "/" + name : where + "/" + name)
              + " ("
              + cause.getMessage()
              + "); "
              + dir
              + " keeps its previous outputs",
          e);
    }
  }

  /**
   * Removes the staging directory of a set that was not committed, and releases the lock taken for
   * the set (which removes the metadata directory, if taking it made that).
   */
  @Override
  public void close() {
    if (committed) {
      return;
    }
    try {
      HadoopFiles.deleteRecursively(staging, conf);
    } catch (IOException e) {
      LOG.warn("could not remove {} ({}); the next run into {} will", staging, e, dir);
    } finally {
      if (own != null) {
        own.close();
      }
    }
  }

  /**
   * The set committed in {@code dir}, with each file where it is now, or {@code null} for a
   * directory without a record.
   *
   * @throws IOException if the record cannot be read or is not one
   */
  public static Committed committed(String dir, Configuration conf) throws IOException {
    JsonNode record = read(dir, conf);
    if (record == null) {
      return null;
    }
    String where = dir + "/" + META + "/" + RECORD;
    String id = record.path("set").asText("");
    JsonNode files = record.path("files");
    if (!NAME.matcher(id).matches() || !files.isObject()) {
      throw new IOException(where + ": not a record of an output set");
    }
    Map<String, File> resolved = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = e.getKey();
      String sha = e.getValue().path("sha256").asText("");
      if (!NAME.matcher(name).matches() || sha.length() != 64) {
        throw new IOException(where + ": not a record of an output set (file '" + name + "')");
      }
      String staged = dir + "/" + META + "/staging-" + id + "/" + name;
      resolved.put(
          name,
          new File(
              HadoopFiles.exists(staged, conf) ? staged : dir + "/" + name,
              e.getValue().path("size").asLong(-1),
              sha));
    }
    return new Committed(id, resolved);
  }

  /**
   * The set committed in {@code dir}, for a new one to replace; a damaged record is named in a
   * warning and the directory treated as a plain one, so that it does not stop a run from saving.
   */
  private static Committed previous(String dir, Configuration conf) {
    try {
      return committed(dir, conf);
    } catch (IOException e) {
      LOG.warn("{}; a new set replaces it as in a plain directory", e.getMessage());
      return null;
    }
  }

  /** The record in {@code dir}, or {@code null}. */
  private static JsonNode read(String dir, Configuration conf) throws IOException {
    String path = dir + "/" + META + "/" + RECORD;
    if (!HadoopFiles.exists(path, conf)) {
      return null;
    }
    JsonNode record;
    try {
      record = JSON.readTree(HadoopFiles.read(path, conf, MAX_RECORD_BYTES));
    } catch (JsonProcessingException e) {
      throw new IOException(path + ": not valid JSON (" + e.getOriginalMessage() + ")", e);
    }
    if (record == null || !FORMAT.equals(record.path("format").asText())) {
      throw new IOException(path + ": not a record of an output set");
    }
    if (record.path("format_version").asInt() > FORMAT_VERSION) {
      throw new IOException(
          path
              + ": format_version "
              + record.path("format_version")
              + " is newer than this"
              + " sparkdp reads ("
              + FORMAT_VERSION
              + ")");
    }
    return record;
  }

  /** Moves the staged files of the set a record commits into place and removes what it replaces. */
  private static void finish(String dir, Configuration conf, JsonNode record) throws IOException {
    String id = record.path("set").asText("");
    String staging = dir + "/" + META + "/staging-" + id;
    if (!NAME.matcher(id).matches()) {
      throw new IOException(dir + "/" + META + "/" + RECORD + ": not a record of an output set");
    }
    if (!HadoopFiles.exists(staging, conf)) {
      return;
    }
    for (Iterator<String> it = record.path("files").fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (NAME.matcher(name).matches() && HadoopFiles.exists(staging + "/" + name, conf)) {
        HadoopFiles.renameOver(staging + "/" + name, dir + "/" + name, conf);
      }
    }
    Set<String> kept = new java.util.HashSet<>();
    record.path("files").fieldNames().forEachRemaining(kept::add);
    for (JsonNode name : record.path("removes")) {
      if (NAME.matcher(name.asText()).matches() && !kept.contains(name.asText())) {
        HadoopFiles.delete(dir + "/" + name.asText(), conf);
      }
    }
    HadoopFiles.deleteRecursively(staging, conf);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
