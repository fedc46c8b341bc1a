package org.sparkdp.io;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.DelegateToFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.Syncable;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * The local file system under the scheme {@code capped:}, with room for {@link #room} more bytes: a
 * write past it fails as a full disk does ({@code No space left on device}), after writing what
 * fitted. Renames and deletes need no room.
 */
public class CappedFileSystem extends RawLocalFileSystem {
  /** Bytes that may still be written; negative: no limit. */
  static final AtomicLong room = new AtomicLong(-1);

  /** {@code conf} with {@code capped:} paths served by this file system. */
  static Configuration configure(Configuration conf) {
    Configuration c = new Configuration(conf);
    c.set("fs.capped.impl", CappedFileSystem.class.getName());
    c.setBoolean("fs.capped.impl.disable.cache", true);
    c.set("fs.AbstractFileSystem.capped.impl", Fs.class.getName());
    return c;
  }

  @Override
  public URI getUri() {
    return URI.create("capped:///");
  }

  @Override
  public String getScheme() {
    return "capped";
  }

  @Override
  protected OutputStream createOutputStreamWithMode(Path f, boolean append, FsPermission permission)
      throws IOException {
    OutputStream out = super.createOutputStreamWithMode(f, append, permission);
    return new Capped(out);
  }

  /** Counts what is written against the room left. */
  private static final class Capped extends OutputStream implements Syncable {
    private final OutputStream out;

    Capped(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      long before = room.get();
      if (before >= 0) {
        int fits = (int) Math.min(len, before);
        room.addAndGet(-fits);
        out.write(b, off, fits);
        if (fits < len) {
          throw new IOException("No space left on device");
        }
      } else {
        out.write(b, off, len);
      }
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() throws IOException {
      out.close();
    }

    @Override
    public void hflush() throws IOException {
      out.flush();
    }

    @Override
    public void hsync() throws IOException {
      if (out instanceof Syncable s) {
        s.hsync();
      } else {
        out.flush();
      }
    }
  }

  /** The same for {@code FileContext}. */
  public static class Fs extends DelegateToFileSystem {
    public Fs(URI uri, Configuration conf) throws IOException, URISyntaxException {
      super(uri, new CappedFileSystem(), conf, "capped", false);
    }

    @Override
    public int getUriDefaultPort() {
      return -1;
    }
  }
}
