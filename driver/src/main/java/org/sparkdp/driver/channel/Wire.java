package org.sparkdp.driver.channel;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.sparkdp.ops.Totals;

/**
 * The step channel's messages, written and read here only, each one frame of a {@link Link} (after
 * the {@link Handshake}). The driver sends commands; a task answers each {@code STEP} and {@code
 * EVAL} with its sums:
 *
 * <pre>
 *   STEP:   int STEP, int epoch, int step, int n, float[n] parameters
 *   EVAL:   int EVAL, int n, float[n] parameters
 *   END:    int END
 *   STEP reply:  long computeNanos, totals, int n (-1: no examples), float[n] gradient
 *   EVAL reply:  totals
 *   totals:      long count, double loss, double correct, int m, double[m] metric sums
 *                (as {@link Totals#put} encodes them)
 * </pre>
 *
 * Floats travel as little-endian bytes, copied in bulk.
 */
final class Wire {
  static final int STEP = 1;
  static final int END = 2;
  static final int EVAL = 3;

  /** Bytes of a message besides its floats and totals, with room to spare. */
  static final int OVERHEAD = 64;

  /**
   * The largest totals a peer may send: every metric's sums of a confusion matrix and then some.
   */
  static final int MAX_TOTALS_BYTES = 64 << 20;

  private Wire() {}

  /** The largest message of a model with {@code parameters} parameters. */
  static int maxMessage(int parameters) {
    return OVERHEAD + MAX_TOTALS_BYTES + 4 * parameters;
  }

  /** Writes the totals as {@link Totals#put} encodes them. */
  static void putTotals(ByteBuffer out, Totals totals) {
    totals.put(out);
  }

  /** Adds the totals that follow into {@code into}. */
  static void addTotals(ByteBuffer in, Totals into) throws IOException {
    into.addFrom(in);
  }

  /** Writes {@code n} then the floats. */
  static void putFloats(ByteBuffer out, float[] values) {
    out.putInt(values.length);
    out.asFloatBuffer().put(values);
    out.position(out.position() + 4 * values.length);
  }

  /** Reads {@code n} floats (which must be {@code into.length}) into {@code into}. */
  static void getFloats(ByteBuffer in, int n, float[] into) throws IOException {
    if (n != into.length) {
      throw new IOException("expected " + into.length + " floats, the peer sent " + n);
    }
    if (in.remaining() < 4 * n) {
      throw new IOException("a message announces " + n + " floats but holds fewer");
    }
    in.asFloatBuffer().get(into);
    in.position(in.position() + 4 * n);
  }
}
