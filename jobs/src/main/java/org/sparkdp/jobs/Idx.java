package org.sparkdp.jobs;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.zip.GZIPInputStream;

/**
 * The IDX files of MNIST and Fashion-MNIST (plain or gzip-compressed): images {@code [count, rows,
 * cols]} of unsigned bytes (magic {@code 0x00000803}) and labels {@code [count]} (magic {@code
 * 0x00000801}). Headers and lengths are checked; errors name the file.
 */
public final class Idx {
  private Idx() {}

  /** Images: {@code count} images of {@code rows * cols} unsigned bytes each, concatenated. */
  public record Images(int count, int rows, int cols, byte[] pixels) {
    public int dim() {
      return rows * cols;
    }
  }

  public static Images images(byte[] file, String path) throws IOException {
    ByteBuffer b = body(file, path, 3);
    int count = b.getInt();
    int rows = b.getInt();
    int cols = b.getInt();
    long expected = (long) count * rows * cols;
    checkLength(b, expected, path, count + " images of " + rows + "x" + cols);
    byte[] pixels = new byte[(int) expected];
    b.get(pixels);
    return new Images(count, rows, cols, pixels);
  }

  public static byte[] labels(byte[] file, String path) throws IOException {
    ByteBuffer b = body(file, path, 1);
    int count = b.getInt();
    checkLength(b, count, path, count + " labels");
    byte[] labels = new byte[count];
    b.get(labels);
    return labels;
  }

  /** The data after the magic number, which must say unsigned bytes in {@code dims} dimensions. */
  private static ByteBuffer body(byte[] raw, String path, int dims) throws IOException {
    byte[] file = gunzip(raw, path);
    ByteBuffer b = ByteBuffer.wrap(file);
    int expected = 0x0800 | dims;
    int magic = file.length >= 4 ? b.getInt() : -1;
    if (magic != expected) {
      throw new IOException(
          String.format(
              "%s: not an IDX %s file (magic number 0x%08x, expected 0x%08x)",
              path, dims == 1 ? "label" : "image", magic, expected));
    }
    if (file.length < 4 + 4 * dims) {
      throw new IOException(path + ": too short for an IDX header (" + file.length + " bytes)");
    }
    return b;
  }

  private static void checkLength(ByteBuffer b, long expected, String path, String what)
      throws IOException {
    if (expected < 0 || b.remaining() != expected) {
      throw new IOException(
          path
              + ": the header announces "
              + what
              + " ("
              + expected
              + " bytes) but "
              + b.remaining()
              + " bytes follow"
              + (b.remaining() < expected ? " (truncated file?)" : ""));
    }
  }

  /**
   * {@code raw} uncompressed if it is gzip data (by its magic bytes, whatever the file is called).
   */
  static byte[] gunzip(byte[] raw, String path) throws IOException {
    if (raw.length < 2 || (raw[0] & 0xff) != 0x1f || (raw[1] & 0xff) != 0x8b) {
      return raw;
    }
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IOException(path + ": corrupt gzip data (" + e.getMessage() + ")", e);
    }
  }
}
