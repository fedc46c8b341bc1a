package org.sparkdp.driver;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The driver channel's messages. Every connection starts with the task's hello; then the driver
 * sends commands and the task answers each {@code STEP} and {@code EVAL} with its sums:
 *
 * <pre>
 *   hello:  int MAGIC, byte[16] secret, int partition, int launch (the driver's count of task launches)
 *   STEP:   int STEP, int epoch, int step, int n, float[n] parameters
 *   EVAL:   int EVAL, int n, float[n] parameters
 *   END:    int END
 *   STEP reply:  long computeNanos, long count, double loss, double correct, int n (-1: no examples), float[n] gradient
 *   EVAL reply:  long count, double loss, double correct
 * </pre>
 *
 * Floats travel as little-endian bytes in bulk; each side reuses its buffers.
 */
final class Wire {
  static final int MAGIC = 0x53504450; // "SPDP"
  static final int STEP = 1;
  static final int END = 2;
  static final int EVAL = 3;

  private Wire() {}

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
