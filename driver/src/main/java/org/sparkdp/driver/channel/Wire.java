package org.sparkdp.driver.channel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
 *
 *   A model whose layers need the whole batch's statistics (batch_normalization) has phases in
 *   each STEP and RING_STEP: for each phase, in order, before the reply, every task sends
 *   PARTIAL:      int n, double[n] its sums over its rows (n as the model's phase widths say)
 *   and the driver, once it has added every task's partial in group order, sends every task
 *   PHASE:        int PHASE, int phase, int n, double[n] the total
 *   EVAL reply:  totals
 *
 *   With the executor allreduce ({@link Ring}), the parameters and sums go along the ring instead:
 *   ADDRESS:      int ADDRESS                       reply: int length, byte[length] "host:port" (UTF-8)
 *   RING:         int RING, int P, P x (int length, byte[length] "host:port")
 *                reply: empty (joined), or int length, byte[length] why it could not join
 *   RING_STEP:    int RING_STEP, int epoch, int step   reply: as STEP's, with n = -1
 *   RING_EVAL:    int RING_EVAL                        reply: as EVAL's
 *   along the ring: the parameters, then (RING_STEP) the running sums, each as messages of
 *                   float[min(Ring.PIECE_FLOATS, n - offset)], offset by offset
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
  static final int ADDRESS = 4;
  static final int RING = 5;
  static final int RING_STEP = 6;
  static final int RING_EVAL = 7;
  static final int PHASE = 8;

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

  /** Writes a short text: its UTF-8 length, then its bytes. */
  static void putText(ByteBuffer out, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    out.putInt(bytes.length).put(bytes);
  }

  /** Reads a text that {@link #putText} wrote (at most 1 KB). */
  static String getText(ByteBuffer in) throws IOException {
    int length = in.getInt();
    if (length < 0 || length > Math.min(1024, in.remaining())) {
      throw new IOException("a text of " + length + " bytes where at most 1024 fit");
    }
    byte[] bytes = new byte[length];
    in.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** Writes {@code n} then the floats. */
  static void putFloats(ByteBuffer out, float[] values) {
    out.putInt(values.length);
    out.asFloatBuffer().put(values);
    out.position(out.position() + 4 * values.length);
  }

  /** Writes {@code n} then the doubles. */
  static void putDoubles(ByteBuffer out, double[] values) {
    out.putInt(values.length);
    out.asDoubleBuffer().put(values);
    out.position(out.position() + 8 * values.length);
  }

  /** Reads {@code n} doubles (which must be {@code into.length}) into {@code into}. */
  static void getDoubles(ByteBuffer in, int n, double[] into) throws IOException {
    if (n != into.length) {
      throw new IOException("expected " + into.length + " sums, the peer sent " + n);
    }
    if (in.remaining() < 8 * n) {
      throw new IOException("a message announces " + n + " sums but holds fewer");
    }
    in.asDoubleBuffer().get(into);
    in.position(in.position() + 8 * n);
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
