package org.sparkdp.io;

import java.io.FileNotFoundException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.CreateFlag;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * Reads and writes whole files on any Hadoop file system ({@code file:}, {@code hdfs:}, {@code
 * s3a:}, ...). A write goes to a hidden temporary file beside the target and is renamed over it, so
 * a reader sees the old file or the new one, never half of one. Local files are written without
 * Hadoop's {@code .crc} side files, so a model directory holds what NumPy and Keras users expect
 * and nothing else.
 */
public final class HadoopFiles {
  private HadoopFiles() {}

  /** {@code conf} with the raw local file system for {@code file:} paths (no checksum files). */
  static Configuration withRawLocal(Configuration conf) {
    Configuration c = new Configuration(conf);
    c.set("fs.file.impl", "org.apache.hadoop.fs.RawLocalFileSystem");
    c.setBoolean("fs.file.impl.disable.cache", true);
    c.set("fs.AbstractFileSystem.file.impl", "org.apache.hadoop.fs.local.RawLocalFs");
    return c;
  }

  /** A URI scheme and its colon, followed by a slash: {@code hdfs://}, {@code file:/}. */
  private static final java.util.regex.Pattern SCHEME =
      java.util.regex.Pattern.compile(
          "[A-Za-z][A-Za-z0-9+.-]*:/.*", java.util.regex.Pattern.DOTALL);

  /**
   * The Hadoop path of {@code path} as a user writes it. Hadoop's {@code new Path("a:b")} takes
   * {@code a} for a scheme (and fails on {@code model-{epoch:02d}}); here a scheme counts only
   * before {@code :/} ({@code hdfs://nn/x}, {@code file:/x}), so any other name with a colon is a
   * relative path, taken literally.
   */
  public static Path path(String path) {
    if (path.startsWith("/") || SCHEME.matcher(path).matches() || path.indexOf(':') < 0) {
      return new Path(path);
    }
    return new Path("./" + path);
  }

  /** The entry {@code name} of {@code dir}, taken literally even with a colon ({@code a:b}). */
  public static Path child(Path dir, String name) {
    return new Path(dir, new Path("./" + name));
  }

  /**
   * All bytes of {@code path}, refusing files larger than {@code maxBytes}: by their stated length
   * first, then by what is read, at most {@code maxBytes + 1} bytes (a file that says it is empty,
   * as {@code /proc} files do, can hold more).
   */
  public static byte[] read(String path, Configuration hadoopConf, long maxBytes)
      throws IOException {
    long limit = Math.min(maxBytes, MAX_ARRAY_BYTES);
    try (InputStream in = open(path, hadoopConf, limit)) {
      return in.readNBytes((int) limit + 1);
    }
  }

  public static boolean exists(String path, Configuration conf) throws IOException {
    Path p = path(path);
    try {
      return p.getFileSystem(withRawLocal(conf)).exists(p);
    } catch (IOException e) {
      throw unreachable(path, path, e);
    }
  }

  /**
   * {@code e}, or when it is a file system that does not answer (refused, timed out, unknown host),
   * one line naming {@code what} and the file system's host in its place: Hadoop's own message
   * names neither the file nor the setting.
   */
  public static IOException unreachable(String what, String path, IOException e) {
    String reason = null;
    for (Throwable c = e;
        c != null && reason == null;
        c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof java.net.ConnectException) {
        reason = "connection refused";
      } else if (c instanceof java.net.SocketTimeoutException) {
        reason = "timed out";
      } else if (c instanceof java.net.UnknownHostException) {
        reason = "unknown host";
      } else if (c instanceof java.net.NoRouteToHostException) {
        reason = "no route to host";
      }
    }
    if (reason == null) {
      return e;
    }
    String host = path(path).toUri().getAuthority();
    return new IOException(
        what
            + ": the file system at "
            + (host == null ? path(path).toUri().getScheme() + ":" : host)
            + " does not answer ("
            + reason
            + "; the wait is bounded by Hadoop's ipc.client.connect.* and"
            + " ipc.client.rpc-timeout.ms)",
        e);
  }

  /**
   * Writes {@code bytes} to the file {@code path} through a temporary file and an atomic rename.
   */
  public static void writeAtomically(String path, byte[] bytes, Configuration conf)
      throws IOException {
    Path p = path(path);
    Path parent = p.getParent();
    writeAtomically(
        parent == null || parent.toString().isEmpty() ? "." : parent.toString(),
        p.getName(),
        bytes,
        conf);
  }

  /** Writes {@code bytes} to {@code dir/name} through a temporary file and an atomic rename. */
  public static void writeAtomically(
      String dir, String name, byte[] bytes, Configuration hadoopConf) throws IOException {
    writeAtomically(dir, name, out -> out.write(bytes), hadoopConf);
  }

  /** Writes content to a stream (which it must not close). */
  public interface Writer {
    void write(java.io.OutputStream out) throws IOException;
  }

  /**
   * Writes what {@code writer} writes, synced, to {@code dir/name} through a temporary file and a
   * rename.
   */
  public static void writeAtomically(
      String dir, String name, Writer writer, Configuration hadoopConf) throws IOException {
    String temp = writeTemporary(dir, name, writer, hadoopConf);
    boolean renamed = false;
    try {
      renameOver(temp, dir + "/" + name, hadoopConf);
      renamed = true;
    } finally {
      if (!renamed) {
        delete(temp, hadoopConf);
      }
    }
  }

  /**
   * Opens {@code path} for reading, refusing files larger than {@code maxBytes}: by their stated
   * length before opening, and by what is read (the stream fails once it passes {@code maxBytes}).
   * A local path that is not a regular file (a link to {@code /dev/zero}, a FIFO, a socket) is
   * refused before it is opened, since opening a FIFO waits for a writer and a device never ends.
   */
  public static InputStream open(String path, Configuration hadoopConf, long maxBytes)
      throws IOException {
    Configuration conf = withRawLocal(hadoopConf);
    Path p = path(path);
    FileSystem fs = p.getFileSystem(conf);
    org.apache.hadoop.fs.FileStatus status;
    try {
      status = fs.getFileStatus(p);
    } catch (FileNotFoundException e) {
      throw new FileNotFoundException(path + ": no such file");
    } catch (IOException e) {
      throw unreachable(path, path, e);
    }
    if (status.isDirectory()) {
      throw new IOException(path + ": a directory, not a file");
    }
    if ("file".equals(fs.getUri().getScheme())
        && !Files.isRegularFile(java.nio.file.Path.of(fs.makeQualified(p).toUri()))) {
      throw new IOException(
          path + ": not a regular file (a device, FIFO or socket, or a link to one); refused");
    }
    long length = status.getLen();
    if (length > maxBytes) {
      throw new IOException(
          path + ": " + length + " bytes, more than the " + maxBytes + " expected");
    }
    return new Bounded(fs.open(p), path, maxBytes);
  }

  /** The most bytes {@link #read} returns: the JDK's largest array. */
  private static final long MAX_ARRAY_BYTES = Integer.MAX_VALUE - 8;

  /** A stream that fails, naming its file and the limit, once more than the limit is read. */
  private static final class Bounded extends FilterInputStream {
    private final String path;
    private final long limit;
    private long count;

    Bounded(InputStream in, String path, long limit) {
      super(in);
      this.path = path;
      this.limit = limit;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        counted(1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      // Reads no further than one byte past the limit, which is what shows it is passed.
      int n = super.read(b, off, (int) Math.min(len, Math.max(1, limit - count + 1)));
      if (n > 0) {
        counted(n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = super.skip(Math.min(n, Math.max(0, limit - count + 1)));
      counted(skipped);
      return skipped;
    }

    private void counted(long n) throws IOException {
      count += n;
      if (count > limit) {
        throw new IOException(
            path + ": more than the " + limit + " bytes expected (it grew, or never ends)");
      }
    }
  }

  /**
   * Writes what {@code writer} writes, synced, to a hidden temporary file beside {@code dir/name}.
   */
  static String writeTemporary(String dir, String name, Writer writer, Configuration hadoopConf)
      throws IOException {
    Configuration conf = withRawLocal(hadoopConf);
    Path temp = child(path(dir), "." + name + "." + UUID.randomUUID() + ".tmp");
    FileContext fc = FileContext.getFileContext(temp.toUri(), conf);
    FSDataOutputStream stream;
    try {
      fc.mkdir(path(dir), null, true);
      stream =
          fc.create(
              temp,
              java.util.EnumSet.of(CreateFlag.CREATE, CreateFlag.OVERWRITE),
              Options.CreateOpts.createParent());
    } catch (IOException e) {
      throw cannotCreate(child(path(dir), name).toString(), temp, e);
    }
    boolean written = false;
    try {
      try (FSDataOutputStream out = stream) {
        writer.write(out);
        out.hsync();
      }
      written = true;
    } finally {
      if (!written) {
        fc.delete(temp, false);
      }
    }
    return temp.toString();
  }

  /**
   * Names {@code target} rather than the temporary file a write failed to create: {@code ro/m.json:
   * cannot be written (Read-only file system)}.
   */
  private static IOException cannotCreate(String target, Path temp, IOException e) {
    IOException unreachable = unreachable(target, target, e);
    if (unreachable != e) {
      return unreachable;
    }
    String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    java.util.regex.Matcher local =
        java.util.regex.Pattern.compile(".* \\((.*)\\)$").matcher(reason);
    if (local.matches()) {
      reason = local.group(1); // the local file system's "PATH (REASON)"
    }
    reason = reason.replace(Path.getPathWithoutSchemeAndAuthority(temp).toString(), "").strip();
    return new IOException(
        Path.getPathWithoutSchemeAndAuthority(new Path(target))
            + ": cannot be written ("
            + reason.lines().findFirst().orElse(reason)
            + ")",
        e);
  }

  /** Renames {@code from} to {@code to} in one atomic step, replacing {@code to} if it exists. */
  static void renameOver(String from, String to, Configuration hadoopConf) throws IOException {
    Path target = path(to);
    FileContext fc = FileContext.getFileContext(target.toUri(), withRawLocal(hadoopConf));
    fc.rename(path(from), target, Options.Rename.OVERWRITE);
  }

  /** Deletes the file {@code path}, if it exists. */
  static void delete(String path, Configuration hadoopConf) throws IOException {
    Path p = path(path);
    p.getFileSystem(withRawLocal(hadoopConf)).delete(p, false);
  }

  /** The names of the entries of {@code dir} (empty if it does not exist). */
  public static java.util.List<String> list(String dir, Configuration conf) throws IOException {
    Path p = path(dir);
    FileSystem fs = p.getFileSystem(withRawLocal(conf));
    if (!exists(dir, conf)) {
      return java.util.List.of();
    }
    java.util.List<String> names = new java.util.ArrayList<>();
    for (org.apache.hadoop.fs.FileStatus s : fs.listStatus(p)) {
      names.add(s.getPath().getName());
    }
    java.util.Collections.sort(names);
    return names;
  }

  /** Deletes {@code path} and everything under it. */
  public static void deleteRecursively(String path, Configuration conf) throws IOException {
    Path p = path(path);
    p.getFileSystem(withRawLocal(conf)).delete(p, true);
  }

  /** Renames {@code from} to {@code to} (a directory rename is atomic on HDFS and local disks). */
  public static void rename(String from, String to, Configuration conf) throws IOException {
    Path src = path(from);
    Path dst = path(to);
    FileSystem fs = src.getFileSystem(withRawLocal(conf));
    if (!fs.rename(src, dst)) {
      throw new IOException("could not rename " + from + " to " + to);
    }
  }

  /**
   * Fails early, changing nothing, if {@code path} (which does not exist yet) could not be created:
   * its nearest existing ancestor must be a directory this process can write in (a probe file is
   * made there and removed).
   */
  public static void checkCreatable(String path, Configuration conf) throws IOException {
    Path p = new Path(path);
    FileSystem fs = p.getFileSystem(withRawLocal(conf));
    Path ancestor = fs.makeQualified(p).getParent();
    while (ancestor != null && !exists(ancestor.toString(), conf)) {
      ancestor = ancestor.getParent();
    }
    if (ancestor == null) {
      return;
    }
    if (!fs.getFileStatus(ancestor).isDirectory()) {
      throw new IOException(
          path
              + ": cannot be created: "
              + Path.getPathWithoutSchemeAndAuthority(ancestor)
              + " is not a directory");
    }
    Path probe = new Path(ancestor, ".sparkdp-write-check-" + UUID.randomUUID());
    try {
      fs.create(probe, false).close();
    } catch (IOException e) {
      String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      throw new IOException(
          path
              + ": cannot be created: the directory "
              + Path.getPathWithoutSchemeAndAuthority(ancestor)
              + " is not writable ("
              + reason.lines().findFirst().orElse(reason)
              + ")",
          e);
    } finally {
      try {
        fs.delete(probe, false);
      } catch (IOException ignored) {
        // The check failed above; nothing was left behind.
      }
    }
  }

  /**
   * Fails early if {@code dir} cannot be created or written, without changing anything already in
   * it.
   */
  public static void checkWritable(String dir, Configuration conf) throws IOException {
    Path p = path(dir);
    FileSystem fs = p.getFileSystem(withRawLocal(conf));
    if (exists(dir, conf) && !fs.getFileStatus(p).isDirectory()) {
      throw new IOException(dir + " exists and is not a directory");
    }
    Path probe = new Path(p, ".sparkdp-write-check-" + UUID.randomUUID());
    try {
      fs.mkdirs(p);
      fs.create(probe, false).close();
    } catch (IOException e) {
      throw new IOException(dir + " is not writable (" + e.getMessage() + ")", e);
    } finally {
      try {
        fs.delete(probe, false);
      } catch (IOException ignored) {
        // The check itself failed above; nothing was left behind.
      }
    }
  }
}
