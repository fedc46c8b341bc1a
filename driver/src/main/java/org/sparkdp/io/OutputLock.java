package org.sparkdp.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The owner of an output directory while a run writes it, so that two runs into one directory never
 * mix their files: {@code DIR/.sparkdp/lock.json} names the run (its id, host, process id and start
 * time), on any Hadoop file system.
 *
 * <p><b>Taking it</b> is one exclusive create, which exactly one of any number of contenders wins:
 * on the local disk a hard link of a complete temporary file to the lock's name ({@code link(2)}
 * fails when the name exists; Hadoop's local {@code create(path, false)} checks and then creates,
 * which two processes can both pass), elsewhere {@code FileSystem.create(path, false)}, which
 * HDFS's NameNode decides atomically (object stores without conditional writes do not). A contender
 * that loses reads the holder and is refused at once, naming it.
 *
 * <p><b>Staleness</b>: while held, a daemon thread sets the file's modification time every {@link
 * #HEARTBEAT} (and checks that the file is still this run's). A lock is stale when its heartbeat is
 * older than {@link #STALE}, or at once when it is of this host and its process is gone (or the pid
 * now belongs to a process that started later). Clocks of different hosts are compared, so they
 * must agree to well within {@link #STALE} (NTP does).
 *
 * <p><b>Taking over</b> a stale lock must not let two contenders both win, nor remove a lock that
 * became live. A contender first creates, exclusively, a claim file named after the stale lock's
 * incarnation (a hash of its bytes and heartbeat): of all who judged that same incarnation stale,
 * one holds the claim. It reads the lock again and goes on only if it is still that incarnation,
 * deletes it and takes the lock by the same exclusive create as always (a newcomer may win that
 * race; then the claimant is refused, and still only one run holds the lock). A claim left by a
 * contender that died while taking over goes stale as a lock does, and the next claim has the next
 * number. A run that was judged stale but lives on (a long pause) finds at its next heartbeat that
 * the lock is no longer its own, and {@link #check} then fails, so it commits nothing.
 *
 * <p>{@link #close} releases the lock (only if it is still this run's); a shutdown hook releases
 * the locks a JVM still holds when it exits (SIGTERM, {@code System.exit}); after SIGKILL or a
 * crash the lock goes stale.
 */
public final class OutputLock implements Closeable {
  static final String FILE = "lock.json";
  static final String CLAIM = "lock.takeover-";
  static final String FORMAT = "sparkdp.lock";

  /** How often a held lock's heartbeat is renewed. */
  public static final Duration HEARTBEAT = Duration.ofSeconds(10);

  /** How old a heartbeat may grow before the lock is stale: six missed heartbeats. */
  public static final Duration STALE = Duration.ofSeconds(60);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Logger LOG = LoggerFactory.getLogger(OutputLock.class);
  private static final int ATTEMPTS = 6;
  private static final Map<String, OutputLock> HELD = new ConcurrentHashMap<>();
  private static final ScheduledExecutorService BEATS =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "sparkdp-output-lock");
            t.setDaemon(true);
            return t;
          });

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> HELD.values().forEach(OutputLock::close), "sparkdp-output-unlock"));
  }

  /**
   * Who holds a lock, as its file says.
   *
   * @param processStartedAt when the process started, to tell a reused pid from the holder
   * @param heartbeat the file's modification time
   */
  public record Holder(
      String run,
      String command,
      String host,
      long pid,
      Instant startedAt,
      Instant processStartedAt,
      Instant heartbeat) {
    /** {@code run ID (train, pid P on host H, since T, heartbeat N s ago)}. */
    String describe() {
      long ago = Math.max(0, Duration.between(heartbeat, Instant.now()).toSeconds());
      return "run "
          + run
          + " ("
          + command
          + ", pid "
          + pid
          + " on host "
          + host
          + ", since "
          + startedAt
          + ", heartbeat "
          + ago
          + " s ago)";
    }
  }

  /** A directory held by another live run. */
  public static final class BusyException extends IOException {
    private final transient Holder holder;

    BusyException(String dir, Holder holder) {
      super(
          dir
              + " is being written by another "
              + holder.describe()
              + "; wait for it to end, or write to another directory");
      this.holder = holder;
    }

    public Holder holder() {
      return holder;
    }
  }

  private final String dir;
  private final String key;
  private final FileSystem fs;
  private final Path meta;
  private final Path file;
  private final Holder self;
  private final boolean createdMeta;
  private volatile boolean lost;
  private volatile Runnable onLost = () -> {};
  private volatile boolean released;
  private java.util.concurrent.ScheduledFuture<?> beat;

  private OutputLock(
      String dir,
      String key,
      FileSystem fs,
      Path meta,
      Path file,
      Holder self,
      boolean createdMeta) {
    this.dir = dir;
    this.key = key;
    this.fs = fs;
    this.meta = meta;
    this.file = file;
    this.self = self;
    this.createdMeta = createdMeta;
  }

  /**
   * Takes the lock of {@code dir} for a run of {@code command}, taking over a stale one (with a
   * warning that names it).
   *
   * @throws BusyException when another live run holds it
   */
  public static OutputLock acquire(String dir, Configuration conf, String command)
      throws IOException {
    Path root = new Path(dir);
    FileSystem fs = root.getFileSystem(HadoopFiles.withRawLocal(conf));
    Path meta = new Path(root, OutputSet.META);
    boolean createdMeta = !fs.exists(meta);
    Path file = new Path(meta, FILE);
    Holder self =
        new Holder(
            UUID.randomUUID().toString(),
            command,
            host(),
            ProcessHandle.current().pid(),
            Instant.now().truncatedTo(ChronoUnit.SECONDS),
            ProcessHandle.current().info().startInstant().orElse(null),
            Instant.now());
    byte[] bytes = bytes(self);
    Holder last = null;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (createExclusive(fs, file, bytes)) {
        OutputLock lock = new OutputLock(dir, key(fs, root), fs, meta, file, self, createdMeta);
        lock.start();
        return lock;
      }
      Observed seen = observe(fs, file);
      if (seen == null) {
        continue; // released in the meantime
      }
      last = seen.holder();
      String stale = staleness(seen.holder());
      if (stale == null) {
        throw new BusyException(dir, seen.holder());
      }
      Holder claimant = takeOver(fs, meta, file, seen, bytes, dir, stale);
      if (claimant != null) {
        throw new BusyException(dir, claimant);
      }
    }
    if (last != null) {
      throw new BusyException(dir, last);
    }
    throw new IOException("could not take the lock " + file + " in " + ATTEMPTS + " attempts");
  }

  /** The lock of {@code dir} that this JVM holds, or {@code null}. */
  public static OutputLock heldHere(String dir, Configuration conf) throws IOException {
    Path root = new Path(dir);
    return HELD.get(key(root.getFileSystem(HadoopFiles.withRawLocal(conf)), root));
  }

  /** Who holds the lock of {@code dir} now, or {@code null} when nobody does. */
  public static Holder holder(String dir, Configuration conf) throws IOException {
    Path root = new Path(dir);
    FileSystem fs = root.getFileSystem(HadoopFiles.withRawLocal(conf));
    Observed seen = observe(fs, new Path(new Path(root, OutputSet.META), FILE));
    return seen == null ? null : seen.holder();
  }

  /** This run's id, which names its staging directories. */
  public String runId() {
    return self.run();
  }

  /**
   * Fails if the lock is no longer this run's (it was judged stale and taken over), so that the run
   * writes nothing more into a directory that another run owns.
   */
  public void check() throws IOException {
    Observed now = observe(fs, file);
    if (now == null || !self.run().equals(now.holder().run())) {
      throw new IOException(
          dir
              + ": this run's lock "
              + (now == null ? "was removed" : "was taken over by " + now.holder().describe())
              + "; this run writes nothing more there");
    }
  }

  /**
   * Runs {@code action} (once, on the heartbeat's thread) when a heartbeat finds that the lock is
   * no longer this run's: a training run stops then, rather than write more checkpoints into a
   * directory that another run owns.
   */
  public void onLost(Runnable action) {
    onLost = action;
  }

  /** Releases the lock, if it is still this run's, and removes what taking it created. */
  @Override
  public synchronized void close() {
    if (released) {
      return;
    }
    released = true;
    HELD.remove(key, this);
    if (beat != null) {
      beat.cancel(false);
    }
    try {
      Observed now = observe(fs, file);
      if (now != null && self.run().equals(now.holder().run())) {
        fs.delete(file, false);
      } else {
        LOG.warn("{}: the lock was no longer this run's when it ended; left as it is", dir);
      }
      if (createdMeta && fs.exists(meta) && fs.listStatus(meta).length == 0) {
        fs.delete(meta, false);
      }
    } catch (IOException e) {
      LOG.warn("could not release the lock {} ({}); it goes stale by itself", file, e.toString());
    }
  }

  private void start() {
    HELD.put(key, this);
    beat =
        BEATS.scheduleWithFixedDelay(
            this::heartbeat, HEARTBEAT.toMillis(), HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Renews the heartbeat, or notes that the lock is no longer this run's. */
  void heartbeat() {
    if (released || lost) {
      return;
    }
    try {
      Observed now = observe(fs, file);
      if (now == null || !self.run().equals(now.holder().run())) {
        lost = true;
        LOG.warn(
            "{}: this run's lock {}; it commits nothing more there",
            dir,
            now == null ? "was removed" : "was taken over by " + now.holder().describe());
        onLost.run();
        return;
      }
      fs.setTimes(file, System.currentTimeMillis(), -1);
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not renew the lock {} ({})", file, e.toString());
    }
  }

  /**
   * Why {@code holder}'s lock is stale, or {@code null} when its run may still be alive.
   * Package-private for tests.
   */
  static String staleness(Holder holder) {
    long age = Duration.between(holder.heartbeat(), Instant.now()).toSeconds();
    if (age > STALE.toSeconds()) {
      return "its last heartbeat was " + age + " s ago (stale after " + STALE.toSeconds() + " s)";
    }
    if (holder.host().equals(host()) && holder.pid() > 0) {
      java.util.Optional<ProcessHandle> process = ProcessHandle.of(holder.pid());
      if (process.isEmpty() || !process.get().isAlive()) {
        return "process " + holder.pid() + " is no longer running on " + holder.host();
      }
      Instant started = process.get().info().startInstant().orElse(null);
      if (started != null
          && holder.processStartedAt() != null
          && Duration.between(holder.processStartedAt(), started).abs().toMillis() > 1000) {
        return "process " + holder.pid() + " on " + holder.host() + " is another process now";
      }
    }
    return null;
  }

  /**
   * Deletes the stale lock {@code seen}, guarded by an exclusive claim on that incarnation, so that
   * the caller's exclusive create can take its place; returns the contender that is taking it over
   * instead, or {@code null} (then the caller tries again: it may still lose to a newcomer).
   */
  private static Holder takeOver(
      FileSystem fs, Path meta, Path file, Observed seen, byte[] bytes, String dir, String stale)
      throws IOException {
    String incarnation =
        org.sparkdp.ops.ModelFile.sha256(
                (new String(seen.bytes(), StandardCharsets.UTF_8) + "@" + seen.mtime())
                    .getBytes(StandardCharsets.UTF_8))
            .substring(0, 16);
    for (int n = 0; n < ATTEMPTS; n++) {
      Path claim = new Path(meta, CLAIM + incarnation + "-" + n);
      if (!createExclusive(fs, claim, bytes)) {
        Observed other = observe(fs, claim);
        if (other != null && staleness(other.holder()) == null) {
          return other.holder(); // another contender is taking it over now
        }
        continue; // a claimant that died, or just finished: the next number
      }
      try {
        Observed again = observe(fs, file);
        if (again == null
            || !java.util.Arrays.equals(again.bytes(), seen.bytes())
            || again.mtime() != seen.mtime()) {
          return null; // it changed: judge it afresh
        }
        LOG.warn(
            "{}: taking over the lock of {}, which is stale: {}",
            dir,
            seen.holder().describe(),
            stale);
        fs.delete(file, false);
        return null;
      } finally {
        fs.delete(claim, false);
      }
    }
    return null;
  }

  /** What a lock (or claim) file holds, and its heartbeat. */
  private record Observed(Holder holder, byte[] bytes, long mtime) {}

  /** The lock at {@code file}, or {@code null} when there is none. */
  private static Observed observe(FileSystem fs, Path file) throws IOException {
    FileStatus status;
    byte[] bytes;
    try {
      status = fs.getFileStatus(file);
      try (var in = fs.open(file)) {
        bytes = in.readNBytes(64 << 10);
      }
    } catch (FileNotFoundException e) {
      return null;
    }
    Instant beat = Instant.ofEpochMilli(status.getModificationTime());
    Holder holder;
    try {
      JsonNode json = JSON.readTree(bytes);
      holder =
          new Holder(
              json.path("run").asText("?"),
              json.path("command").asText("?"),
              json.path("host").asText("?"),
              json.path("pid").asLong(-1),
              Instant.parse(json.path("started_at").asText()),
              json.hasNonNull("process_started_at")
                  ? Instant.parse(json.path("process_started_at").asText())
                  : null,
              beat);
    } catch (IOException | RuntimeException e) {
      // Being written (HDFS shows a file before its bytes) or damaged: judged by its age alone.
      holder = new Holder("(unreadable lock file)", "?", "?", -1, beat, null, beat);
    }
    return new Observed(holder, bytes, status.getModificationTime());
  }

  private static byte[] bytes(Holder h) throws IOException {
    ObjectNode json = JSON.createObjectNode();
    json.put("format", FORMAT);
    json.put("run", h.run());
    json.put("command", h.command());
    json.put("host", h.host());
    json.put("pid", h.pid());
    json.put("started_at", h.startedAt().toString());
    if (h.processStartedAt() != null) {
      json.put("process_started_at", h.processStartedAt().toString());
    }
    json.put("heartbeat_seconds", HEARTBEAT.toSeconds());
    json.put("stale_after_seconds", STALE.toSeconds());
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json);
  }

  /**
   * Creates {@code file} with {@code bytes} unless it exists, atomically: returns whether this call
   * created it.
   */
  private static boolean createExclusive(FileSystem fs, Path file, byte[] bytes)
      throws IOException {
    if (fs instanceof RawLocalFileSystem local) {
      java.nio.file.Path target = local.pathToFile(file).toPath();
      Files.createDirectories(target.getParent());
      java.nio.file.Path temp =
          target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
      try {
        try (OutputStream out = Files.newOutputStream(temp, StandardOpenOption.CREATE_NEW)) {
          out.write(bytes);
        }
        try {
          Files.createLink(target, temp);
        } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
          if (e instanceof FileAlreadyExistsException) {
            throw e;
          }
          // No hard links here: O_EXCL, with the bytes written just after.
          try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW)) {
            out.write(bytes);
          }
        }
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      } finally {
        Files.deleteIfExists(temp);
      }
    }
    fs.mkdirs(file.getParent());
    OutputStream out;
    try {
      out = fs.create(file, false);
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      // HDFS reports a file being created by another client as AlreadyBeingCreatedException.
      if (fs.exists(file)) {
        return false;
      }
      throw e;
    }
    try (out) {
      out.write(bytes);
    } catch (IOException e) {
      fs.delete(file, false); // ours, and incomplete
      throw e;
    }
    // The heartbeat by this host's clock, as every later one (HDFS stamps a new file by its own).
    fs.setTimes(file, System.currentTimeMillis(), -1);
    return true;
  }

  private static String key(FileSystem fs, Path root) {
    return fs.makeQualified(root).toString();
  }

  private static String host() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }
}
