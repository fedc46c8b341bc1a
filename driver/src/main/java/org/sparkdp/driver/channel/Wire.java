package org.sparkdp.driver.channel;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.sparkdp.ops.Totals;

/**
 * The channel's messages, written and read here only. Every connection starts with the task's
 * hello; then the driver sends commands and the task answers each {@code STEP} and {@code EVAL}
 * with its sums:
 *
 * <pre>
 *   hello:  int MAGIC, byte[16] secret, int partition, int launch (the driver's count of task launches)
 *   STEP:   int STEP, int epoch, int step, int n, float[n] parameters
 *   EVAL:   int EVAL, int n, float[n] parameters
 *   END:    int END
 *   STEP reply:  long computeNanos, totals, int n (-1: no examples), float[n] gradient
 *   EVAL reply:  totals
 *   totals:      int b, byte[b] the totals as {@link Totals#put} encodes them
 * </pre>
 *
 * Floats travel as little-endian bytes in bulk through a scratch buffer that each side reuses.
 */
final class Wire {
  static final int MAGIC = 0x53504450; // "SPDP"
  static final int SECRET_BYTES = 16;
  static final int STEP = 1;
  static final int END = 2;
  static final int EVAL = 3;

  /**
   * The largest totals a peer may send: every metric's sums of a confusion matrix and then some.
   */
  static final int MAX_TOTALS_BYTES = 64 << 20;

  private Wire() {}

  /** A task's hello, as the driver reads it. */
  record Hello(int magic, byte[] secret, int partition, int launch) {}

  static void writeHello(DataOutputStream out, byte[] secret, int partition, int launch)
      throws IOException {
    out.writeInt(MAGIC);
    out.write(secret);
    out.writeInt(partition);
    out.writeInt(launch);
    out.flush();
  }

  static Hello readHello(DataInputStream in) throws IOException {
    int magic = in.readInt();
    byte[] secret = new byte[SECRET_BYTES];
    in.readFully(secret);
    return new Hello(magic, secret, in.readInt(), in.readInt());
  }

  static void writeTotals(DataOutputStream out, Totals totals) throws IOException {
    byte[] bytes = totals.toBytes();
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  /** Adds the totals that follow into {@code into}. */
  static void addTotals(DataInputStream in, Totals into) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > MAX_TOTALS_BYTES) {
      throw new IOException("the peer announced sums of " + n + " bytes");
    }
    byte[] bytes = new byte[n];
    in.readFully(bytes);
    into.addFrom(ByteBuffer.wrap(bytes));
  }

  /**
   * Writes {@code n} then {@code values} through {@code scratch} (at least {@code 4 *
   * values.length} bytes).
   */
  static void writeFloats(DataOutputStream out, float[] values, byte[] scratch) throws IOException {
    out.writeInt(values.length);
    ByteBuffer.wrap(scratch).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values);
    out.write(scratch, 0, 4 * values.length);
  }

  /** Reads {@code n} floats (which must be {@code into.length}) into {@code into}. */
  static void readFloats(DataInputStream in, int n, float[] into, byte[] scratch)
      throws IOException {
    if (n != into.length) {
      throw new IOException("expected " + into.length + " floats, the peer sent " + n);
    }
    in.readFully(scratch, 0, 4 * n);
    ByteBuffer.wrap(scratch, 0, 4 * n).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(into);
  }
}
