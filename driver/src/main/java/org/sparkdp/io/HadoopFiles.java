package org.sparkdp.io;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
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

  /** All bytes of {@code path}, refusing files larger than {@code maxBytes}. */
  public static byte[] read(String path, Configuration hadoopConf, long maxBytes)
      throws IOException {
    try (InputStream in = open(path, hadoopConf, maxBytes)) {
      return in.readAllBytes();
    }
  }

  public static boolean exists(String path, Configuration conf) throws IOException {
    Path p = new Path(path);
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
    String host = new Path(path).toUri().getAuthority();
    return new IOException(
        what
            + ": the file system at "
            + (host == null ? new Path(path).toUri().getScheme() + ":" : host)
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
    Path p = new Path(path);
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

  /** Opens {@code path} for reading, refusing files larger than {@code maxBytes}. */
  public static InputStream open(String path, Configuration hadoopConf, long maxBytes)
      throws IOException {
    Configuration conf = withRawLocal(hadoopConf);
    Path p = new Path(path);
    FileSystem fs = p.getFileSystem(conf);
    long length;
    try {
      length = fs.getFileStatus(p).getLen();
    } catch (FileNotFoundException e) {
      throw new FileNotFoundException(path + ": no such file");
    } catch (IOException e) {
      throw unreachable(path, path, e);
    }
    if (length > maxBytes) {
      throw new IOException(
          path + ": " + length + " bytes, more than the " + maxBytes + " expected");
    }
    return fs.open(p);
  }

  /**
   * Writes what {@code writer} writes, synced, to a hidden temporary file beside {@code dir/name}.
   */
  static String writeTemporary(String dir, String name, Writer writer, Configuration hadoopConf)
      throws IOException {
    Configuration conf = withRawLocal(hadoopConf);
    Path temp = new Path(dir, "." + name + "." + UUID.randomUUID() + ".tmp");
    FileContext fc = FileContext.getFileContext(temp.toUri(), conf);
    FSDataOutputStream stream;
    try {
      fc.mkdir(new Path(dir), null, true);
      stream =
          fc.create(
              temp,
              java.util.EnumSet.of(CreateFlag.CREATE, CreateFlag.OVERWRITE),
              Options.CreateOpts.createParent());
    } catch (IOException e) {
      throw cannotCreate(new Path(dir, name).toString(), temp, e);
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
    Path target = new Path(to);
    FileContext fc = FileContext.getFileContext(target.toUri(), withRawLocal(hadoopConf));
    fc.rename(new Path(from), target, Options.Rename.OVERWRITE);
  }

  /** Deletes the file {@code path}, if it exists. */
  static void delete(String path, Configuration hadoopConf) throws IOException {
    Path p = new Path(path);
    p.getFileSystem(withRawLocal(hadoopConf)).delete(p, false);
  }

  /** The names of the entries of {@code dir} (empty if it does not exist). */
  public static java.util.List<String> list(String dir, Configuration conf) throws IOException {
    Path p = new Path(dir);
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
    Path p = new Path(path);
    p.getFileSystem(withRawLocal(conf)).delete(p, true);
  }

  /** Renames {@code from} to {@code to} (a directory rename is atomic on HDFS and local disks). */
  public static void rename(String from, String to, Configuration conf) throws IOException {
    Path src = new Path(from);
    Path dst = new Path(to);
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
    Path p = new Path(dir);
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
