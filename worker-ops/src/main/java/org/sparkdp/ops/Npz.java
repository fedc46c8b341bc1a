package org.sparkdp.ops;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * NumPy's {@code .npz} archives of little-endian float32 arrays, as {@code numpy.savez} writes
 * them: a zip of uncompressed {@code NAME.npy} entries (format 1.0). {@code
 * numpy.load(path)["dense/kernel"]} reads what {@link #write} wrote.
 *
 * <p>Reading treats the file as untrusted: every array's name, dtype and shape are checked against
 * what the caller expects before anything is allocated, and a truncated or altered file fails with
 * a message.
 */
public final class Npz {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
  private static final int MAX_HEADER = 4096;
  private static final Pattern ITEM_SIZE = Pattern.compile("[<>|=]?[A-Za-z](\\d{1,9})");

  private Npz() {}

  /** An array with its shape; {@code values.length} is the product of the shape. */
  public record Array(int[] shape, float[] values) {}

  /** Writes the arrays, in iteration order, to {@code out} (which is not closed). */
  public static void write(Map<String, Array> arrays, OutputStream out) throws IOException {
    ZipOutputStream zip = new ZipOutputStream(out);
    zip.setMethod(ZipOutputStream.STORED);
    for (Map.Entry<String, Array> e : arrays.entrySet()) {
      byte[] npy = npy(e.getValue());
      ZipEntry entry = new ZipEntry(e.getKey() + ".npy");
      CRC32 crc = new CRC32();
      crc.update(npy);
      entry.setSize(npy.length);
      entry.setCompressedSize(npy.length);
      entry.setCrc(crc.getValue());
      entry.setTime(0); // the same weights give the same bytes
      zip.putNextEntry(entry);
      zip.write(npy);
      zip.closeEntry();
    }
    zip.finish();
  }

  static byte[] npy(Array array) {
    StringBuilder shape = new StringBuilder();
    for (int d : array.shape()) {
      shape.append(d).append(", ");
    }
    if (array.shape().length > 1) {
      shape.setLength(shape.length() - 2);
    } else if (array.shape().length == 1) {
      shape.setLength(shape.length() - 1);
    }
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape + "), }";
    // magic(6) + version(2) + length(2) + header, padded with spaces and ending in '\n', to a
    // multiple of 64.
    int unpadded = 10 + dict.length() + 1;
    int padding = (64 - unpadded % 64) % 64;
    String header = dict + " ".repeat(padding) + "\n";
    ByteBuffer buffer =
        ByteBuffer.allocate(10 + header.length() + 4 * array.values().length)
            .order(ByteOrder.LITTLE_ENDIAN);
    buffer.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
    buffer.put(header.getBytes(StandardCharsets.US_ASCII));
    buffer.asFloatBuffer().put(array.values());
    return buffer.array();
  }

  /**
   * Reads the arrays named in {@code expected}, each of which must have exactly the expected shape;
   * other arrays in the archive are an error too. {@code source} names the file in messages.
   *
   * @throws IOException naming the file and the problem (missing or extra array, wrong dtype or
   *     shape, truncated data, corrupt archive)
   */
  public static Map<String, float[]> read(
      InputStream in, Map<String, int[]> expected, String source) throws IOException {
    long limit = 0;
    for (int[] shape : expected.values()) {
      long count = 1;
      for (int d : shape) {
        count *= d;
      }
      // Room for float64, so that NumPy's default dtype is refused by name rather than by size.
      limit += 8 * count + MAX_HEADER + 1024;
    }
    byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
    if (bytes.length > limit) {
      throw new IOException(
          source + ": larger than the arrays it should hold (" + limit + " bytes at most)");
    }
    if (!hasEndOfCentralDirectory(bytes)) {
      throw new IOException(source + ": truncated or not an npz archive (no zip end record)");
    }
    return readStreaming(new java.io.ByteArrayInputStream(bytes), expected, source);
  }

  /**
   * Reads the arrays named in {@code expected} from a stream, without first checking that the
   * archive is complete: for callers that check the whole file against a hash they trust
   * (checkpoints, whose size may pass 2 GB). Names, dtypes and shapes are still checked before
   * anything is allocated. {@code in} is not closed.
   */
  public static Map<String, float[]> readStreaming(
      InputStream in, Map<String, int[]> expected, String source) throws IOException {
    Map<String, float[]> arrays = new LinkedHashMap<>();
    // The caller's stream stays open: it may still want the bytes after the last entry.
    java.io.FilterInputStream unclosed =
        new java.io.FilterInputStream(in) {
          @Override
          public void close() {}
        };
    try (ZipInputStream zip = new ZipInputStream(unclosed)) {
      ZipEntry entry;
      while ((entry = zip.getNextEntry()) != null) {
        String name =
            entry.getName().endsWith(".npy")
                ? entry.getName().substring(0, entry.getName().length() - 4)
                : entry.getName();
        int[] shape = expected.get(name);
        if (shape == null) {
          throw new IOException(
              source + ": unexpected array '" + name + "' (expected " + expected.keySet() + ")");
        }
        if (arrays.containsKey(name)) {
          throw new IOException(source + ": array '" + name + "' appears twice");
        }
        arrays.put(
            name, readNpy(new DataInputStream(zip), shape, source + ": array '" + name + "'"));
        if (zip.read() != -1) {
          throw new IOException(
              source + ": array '" + name + "' has more data than its shape holds");
        }
      }
    } catch (EOFException e) {
      throw new IOException(source + ": truncated (the archive ends early)", e);
    } catch (ZipException | IllegalArgumentException e) {
      // ZipInputStream refuses an entry name that is not UTF-8 with IllegalArgumentException.
      throw new IOException(source + ": not a valid npz archive (" + e.getMessage() + ")", e);
    }
    for (String name : expected.keySet()) {
      if (!arrays.containsKey(name)) {
        throw new IOException(
            source
                + ": array '"
                + name
                + "' is missing"
                + (arrays.isEmpty()
                    ? " (the file holds no arrays: empty, truncated or not an npz archive)"
                    : ""));
      }
    }
    return arrays;
  }

  // A zip ends with a 22-byte record (signature PK 5 6) followed by a comment of its stated length.
  private static boolean hasEndOfCentralDirectory(byte[] b) {
    for (int i = b.length - 22; i >= Math.max(0, b.length - 22 - 65535); i--) {
      if (b[i] == 'P' && b[i + 1] == 'K' && b[i + 2] == 5 && b[i + 3] == 6) {
        int commentLength = (b[i + 20] & 0xff) | (b[i + 21] & 0xff) << 8;
        return i + 22 + commentLength == b.length;
      }
    }
    return false;
  }

  private static float[] readNpy(DataInputStream in, int[] expectedShape, String what)
      throws IOException {
    byte[] magic = new byte[6];
    in.readFully(magic);
    if (!java.util.Arrays.equals(magic, MAGIC)) {
      throw new IOException(what + " is not in NumPy's .npy format");
    }
    int major = in.readUnsignedByte();
    in.readUnsignedByte();
    int headerLength;
    if (major == 1) {
      headerLength = Short.toUnsignedInt(Short.reverseBytes(in.readShort()));
    } else if (major == 2 || major == 3) {
      headerLength = Integer.reverseBytes(in.readInt());
    } else {
      throw new IOException(what + " has unsupported .npy version " + major);
    }
    if (headerLength < 0 || headerLength > MAX_HEADER) {
      throw new IOException(what + " has an implausible header length " + headerLength);
    }
    byte[] headerBytes = new byte[headerLength];
    in.readFully(headerBytes);
    String header = new String(headerBytes, StandardCharsets.ISO_8859_1);
    String descr = group(DESCR, header, what, "dtype");
    if (!descr.equals("<f4")) {
      throw new IOException(
          what
              + " has dtype "
              + descr
              + ", expected float32 ('<f4')"
              + (descr.equals("<f8")
                  ? " (NumPy's default float64: save x.astype('float32'))"
                  : ""));
    }
    if (group(FORTRAN, header, what, "fortran_order").equals("True")) {
      throw new IOException(what + " is stored in Fortran order; save it C-contiguous");
    }
    int[] shape = parseShape(group(SHAPE, header, what, "shape"), what);
    if (!java.util.Arrays.equals(shape, expectedShape)) {
      throw new IOException(
          what
              + " has shape "
              + java.util.Arrays.toString(shape)
              + ", expected "
              + java.util.Arrays.toString(expectedShape));
    }
    long elements = elements(shape, what);
    if (elements > (Integer.MAX_VALUE - 8) / 4) {
      throw new IOException(
          what + " has shape " + java.util.Arrays.toString(shape) + ", too many floats to read");
    }
    int count = (int) elements;
    // Read before anything of the shape's size is allocated: readNBytes grows with what is there.
    byte[] data = in.readNBytes(4 * count);
    if (data.length < 4 * count) {
      throw new IOException(what + " is truncated: its data ends before " + count + " floats");
    }
    float[] values = new float[count];
    ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    return values;
  }

  private static String group(Pattern pattern, String header, String what, String field)
      throws IOException {
    Matcher m = pattern.matcher(header);
    if (!m.find()) {
      throw new IOException(what + " has no " + field + " in its .npy header");
    }
    return m.group(1);
  }

  private static int[] parseShape(String text, String what) throws IOException {
    String[] parts = text.split(",");
    int n = 0;
    int[] dims = new int[parts.length];
    for (String p : parts) {
      if (!p.isBlank()) {
        try {
          dims[n] = Integer.parseInt(p.trim());
        } catch (NumberFormatException e) {
          throw new IOException(what + " has a malformed shape (" + text + ")", e);
        }
        if (dims[n] < 0) {
          throw new IOException(what + " has a negative dimension (" + text + ")");
        }
        n++;
      }
    }
    return java.util.Arrays.copyOf(dims, n);
  }

  /** The number of elements of {@code shape}, refusing a product that does not fit a long. */
  private static long elements(int[] shape, String what) throws IOException {
    long count = 1;
    try {
      for (int d : shape) {
        count = Math.multiplyExact(count, (long) d);
      }
    } catch (ArithmeticException e) {
      throw new IOException(
          what + " has shape " + java.util.Arrays.toString(shape) + ", whose size overflows", e);
    }
    return count;
  }

  /** The bytes of one element of the dtype {@code descr} ({@code <f4}: 4), or 1 if it has none. */
  private static long itemSize(String descr) {
    Matcher m = ITEM_SIZE.matcher(descr);
    return m.matches() ? Math.max(1, Long.parseLong(m.group(1))) : 1;
  }

  /**
   * The name and shape of every array of an archive, from their {@code .npy} headers, in archive
   * order: for a reader that knows which array it wants but not the others' shapes. {@code in} is
   * read to its end, not closed. The headers are untrusted: each shape must fit the data its entry
   * holds (its element count times the dtype's size, at most), or the archive is refused naming the
   * entry, so a caller can allocate what a shape says.
   */
  public static Map<String, int[]> shapes(InputStream in, String source) throws IOException {
    try {
      return readShapes(new ZipInputStream(in), source);
    } catch (EOFException e) {
      throw new IOException(source + ": truncated (the archive ends early)", e);
    } catch (ZipException | IllegalArgumentException e) {
      throw new IOException(source + ": not a valid npz archive (" + e.getMessage() + ")", e);
    }
  }

  private static Map<String, int[]> readShapes(ZipInputStream zip, String source)
      throws IOException {
    Map<String, int[]> shapes = new LinkedHashMap<>();
    ZipEntry entry;
    while ((entry = zip.getNextEntry()) != null) {
      String name = entry.getName();
      String what = source + " array '" + name + "'";
      DataInputStream data = new DataInputStream(zip);
      byte[] magic = new byte[6];
      data.readFully(magic);
      if (!java.util.Arrays.equals(magic, MAGIC)) {
        throw new IOException(what + " is not in NumPy's .npy format");
      }
      int major = data.readUnsignedByte();
      data.readUnsignedByte();
      int headerLength =
          major == 1
              ? Short.toUnsignedInt(Short.reverseBytes(data.readShort()))
              : Integer.reverseBytes(data.readInt());
      if (headerLength < 0 || headerLength > MAX_HEADER) {
        throw new IOException(what + " has an implausible header length " + headerLength);
      }
      byte[] header = new byte[headerLength];
      data.readFully(header);
      String text = new String(header, StandardCharsets.ISO_8859_1);
      int[] shape = parseShape(group(SHAPE, text, what, "shape"), what);
      long needed;
      try {
        needed =
            Math.multiplyExact(elements(shape, what), itemSize(group(DESCR, text, what, "dtype")));
      } catch (ArithmeticException e) {
        throw new IOException(
            what + " has shape " + java.util.Arrays.toString(shape) + ", whose size overflows", e);
      }
      long held = 0;
      byte[] buffer = new byte[64 << 10];
      int n;
      while (held < needed
          && (n = zip.read(buffer, 0, (int) Math.min(buffer.length, needed - held))) > 0) {
        held += n;
      }
      if (held < needed) {
        throw new IOException(
            what
                + " has shape "
                + java.util.Arrays.toString(shape)
                + ", "
                + needed
                + " bytes of data, but the entry holds "
                + held);
      }
      shapes.put(name.endsWith(".npy") ? name.substring(0, name.length() - 4) : name, shape);
    }
    return shapes;
  }

  /** Bytes of {@code arrays} as an npz archive. */
  public static byte[] toBytes(Map<String, Array> arrays) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      write(arrays, out);
    } catch (IOException e) {
      throw new IllegalStateException(e); // cannot happen in memory
    }
    return out.toByteArray();
  }
}
