package org.sparkdp.driver;

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
 * Reads and writes whole files on any Hadoop file system ({@code file:}, {@code hdfs:}, {@code s3a:}, ...).
 * A write goes to a hidden temporary file beside the target and is renamed over it, so a reader sees the old
 * file or the new one, never half of one. Local files are written without Hadoop's {@code .crc} side files, so a
 * model directory holds what NumPy and Keras users expect and nothing else.
 */
public final class HadoopFiles {
  private HadoopFiles() {
  }

  /** {@code conf} with the raw local file system for {@code file:} paths (no checksum files). */
  static Configuration withRawLocal(Configuration conf) {
    Configuration c = new Configuration(conf);
    c.set("fs.file.impl", "org.apache.hadoop.fs.RawLocalFileSystem");
    c.setBoolean("fs.file.impl.disable.cache", true);
    c.set("fs.AbstractFileSystem.file.impl", "org.apache.hadoop.fs.local.RawLocalFs");
    return c;
  }

  /** All bytes of {@code path}, refusing files larger than {@code maxBytes}. */
  public static byte[] read(String path, Configuration hadoopConf, long maxBytes) throws IOException {
    Configuration conf = withRawLocal(hadoopConf);
    Path p = new Path(path);
    FileSystem fs = p.getFileSystem(conf);
    long length;
    try {
      length = fs.getFileStatus(p).getLen();
    } catch (FileNotFoundException e) {
      throw new FileNotFoundException(path + ": no such file");
    }
    if (length > maxBytes) {
      throw new IOException(path + ": " + length + " bytes, more than the " + maxBytes + " expected");
    }
    try (InputStream in = fs.open(p)) {
      return in.readAllBytes();
    }
  }

  public static boolean exists(String path, Configuration conf) throws IOException {
    Path p = new Path(path);
    return p.getFileSystem(withRawLocal(conf)).exists(p);
  }

  /** Writes {@code bytes} to the file {@code path} through a temporary file and an atomic rename. */
  public static void writeAtomically(String path, byte[] bytes, Configuration conf) throws IOException {
    Path p = new Path(path);
    Path parent = p.getParent();
    writeAtomically(parent == null || parent.toString().isEmpty() ? "." : parent.toString(), p.getName(), bytes,
        conf);
  }

  /** Writes {@code bytes} to {@code dir/name} through a temporary file and an atomic rename. */
  public static void writeAtomically(String dir, String name, byte[] bytes, Configuration hadoopConf)
      throws IOException {
    Configuration conf = withRawLocal(hadoopConf);
    Path target = new Path(dir, name);
    Path temp = new Path(dir, "." + name + "." + UUID.randomUUID() + ".tmp");
    FileContext fc = FileContext.getFileContext(target.toUri(), conf);
    fc.mkdir(new Path(dir), null, true);
    boolean renamed = false;
    try {
      try (FSDataOutputStream out = fc.create(temp, java.util.EnumSet.of(CreateFlag.CREATE, CreateFlag.OVERWRITE),
          Options.CreateOpts.createParent())) {
        out.write(bytes);
        out.hsync();
      }
      fc.rename(temp, target, Options.Rename.OVERWRITE);
      renamed = true;
    } finally {
      if (!renamed) {
        fc.delete(temp, false);
      }
    }
  }

  /** Fails early if {@code dir} cannot be created or written, without changing anything already in it. */
  public static void checkWritable(String dir, Configuration conf) throws IOException {
    Path p = new Path(dir);
    FileSystem fs = p.getFileSystem(withRawLocal(conf));
    if (fs.exists(p) && !fs.getFileStatus(p).isDirectory()) {
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
