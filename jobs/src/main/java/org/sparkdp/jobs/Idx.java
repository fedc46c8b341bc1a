package org.sparkdp.jobs;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * The IDX files of MNIST and Fashion-MNIST (plain or gzip-compressed): images {@code [count, rows,
 * cols]} of unsigned bytes (magic {@code 0x00000803}) and labels {@code [count]} (magic {@code
 * 0x00000801}). A file is read as a stream: the header is checked first, and the size it announces
 * must be at most the caller's limit before anything is allocated; gzip data is decompressed as it
 * is read, so a small file that claims (or inflates to) a huge one is refused by what it holds, not
 * by its size on disk. Errors name the file.
 */
public final class Idx {
  private Idx() {}

  /** Images: {@code count} images of {@code rows * cols} unsigned bytes each, concatenated. */
  public record Images(int count, int rows, int cols, byte[] pixels) {
    public int dim() {
      return rows * cols;
    }
  }

  /** The images of a whole file held in memory (tests). */
  public static Images images(byte[] file, String path) throws IOException {
    return images(new ByteArrayInputStream(file), path, Integer.MAX_VALUE - 8);
  }

  /** The labels of a whole file held in memory (tests). */
  public static byte[] labels(byte[] file, String path) throws IOException {
    return labels(new ByteArrayInputStream(file), path, Integer.MAX_VALUE - 8);
  }

  /**
   * Reads an image file from {@code in} (not closed), whose pixels may take at most {@code
   * maxBytes}.
   */
  public static Images images(InputStream in, String path, long maxBytes) throws IOException {
    InputStream data = decompressed(in);
    try {
      ByteBuffer header = header(data, path, 3);
      int count = header.getInt();
      int rows = header.getInt();
      int cols = header.getInt();
      String what = count + " images of " + rows + "x" + cols;
      if (count < 0 || rows < 1 || cols < 1) {
        throw new IOException(path + ": the header announces " + what + ", not a valid size");
      }
      long expected = size(count, (long) rows * cols, maxBytes, path, what);
      return new Images(count, rows, cols, body(data, expected, maxBytes, path, what));
    } catch (ZipException | EOFException e) {
      throw new IOException(path + ": corrupt gzip data (" + e.getMessage() + ")", e);
    }
  }

  /** Reads a label file from {@code in} (not closed), of at most {@code maxBytes} labels. */
  public static byte[] labels(InputStream in, String path, long maxBytes) throws IOException {
    InputStream data = decompressed(in);
    try {
      int count = header(data, path, 1).getInt();
      String what = count + " labels";
      if (count < 0) {
        throw new IOException(path + ": the header announces " + what + ", not a valid size");
      }
      return body(data, size(count, 1, maxBytes, path, what), maxBytes, path, what);
    } catch (ZipException | EOFException e) {
      throw new IOException(path + ": corrupt gzip data (" + e.getMessage() + ")", e);
    }
  }

  /**
   * The magic number and {@code dims} sizes; the magic must say unsigned bytes in {@code dims}
   * dimensions.
   */
  private static ByteBuffer header(InputStream in, String path, int dims) throws IOException {
    byte[] bytes = in.readNBytes(4 + 4 * dims);
    ByteBuffer b = ByteBuffer.wrap(bytes);
    int expected = 0x0800 | dims;
    int magic = bytes.length >= 4 ? b.getInt() : -1;
    if (magic != expected) {
      throw new IOException(
          String.format(
              "%s: not an IDX %s file (magic number 0x%08x, expected 0x%08x)",
              path, dims == 1 ? "label" : "image", magic, expected));
    }
    if (bytes.length < 4 + 4 * dims) {
      throw new IOException(path + ": too short for an IDX header (" + bytes.length + " bytes)");
    }
    return b;
  }

  /** {@code count * each} bytes, if that is at most {@code maxBytes} (and fits one array). */
  private static long size(long count, long each, long maxBytes, String path, String what)
      throws IOException {
    if (count > Math.min(maxBytes, Integer.MAX_VALUE - 8) / each) {
      throw new IOException(
          path
              + ": the header announces "
              + what
              + " ("
              + count * each
              + " bytes), more than the "
              + maxBytes
              + " bytes sparkdp reads from one IDX file");
    }
    return count * each;
  }

  /** Exactly {@code expected} bytes, and then the end of the data. */
  private static byte[] body(InputStream in, long expected, long maxBytes, String path, String what)
      throws IOException {
    // readNBytes grows its buffer with the data read, so a false header costs nothing.
    byte[] body = in.readNBytes((int) expected);
    long following = body.length;
    // Count (without keeping) what follows, up to the limit.
    byte[] buffer = new byte[8192];
    for (int n = 0; n >= 0 && following <= maxBytes; n = in.read(buffer)) {
      following += n;
    }
    if (following != expected) {
      throw new IOException(
          path
              + ": the header announces "
              + what
              + " ("
              + expected
              + " bytes) but "
              + (following > maxBytes ? "more than " + maxBytes : String.valueOf(following))
              + " bytes follow"
              + (following < expected ? " (truncated file?)" : ""));
    }
    return body;
  }

  /**
   * {@code in} decompressed if it is gzip data (by its magic bytes, whatever the file is called).
   */
  private static InputStream decompressed(InputStream in) throws IOException {
    BufferedInputStream buffered = new BufferedInputStream(in);
    buffered.mark(2);
    int first = buffered.read();
    int second = buffered.read();
    buffered.reset();
    if (first == 0x1f && second == 0x8b) {
      try {
        return new GZIPInputStream(buffered, 1 << 16);
      } catch (EOFException e) {
        throw new ZipException("the gzip header ends early");
      }
    }
    return buffered;
  }
}
