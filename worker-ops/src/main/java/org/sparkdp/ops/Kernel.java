package org.sparkdp.ops;

import java.io.Serializable;

/**
 * A layer spec bound to its weights' offsets in the flat parameter array: what computes, inside
 * {@link Network}. It holds no buffers; each pass gets its layer's output buffer and scratch from
 * the {@link Workspace}. Inputs and outputs are row-major {@code [rows, width]}.
 */
interface Kernel extends Serializable {

  /** Floats of scratch one pass of {@code rows} examples needs (0 for none). */
  int scratch(int rows);

  /** {@code out = layer(in)} for {@code rows} examples; may keep what backward needs in scratch. */
  void forward(
      float[] params, float[] in, int inOff, int rows, float[] out, float[] scratch, Workspace ws);

  /**
   * Given {@code dOut = dL/d(out)} (which it may overwrite), adds the gradients of this layer's
   * weights into {@code grad} and, unless {@code dIn} is {@code null} (the first layer), writes
   * {@code dL/d(in)} to {@code dIn}. {@code in}, {@code out} and {@code scratch} are as the forward
   * pass left them. A kernel without weights leaves them so, since per-example clipping runs a
   * second backward pass on the same forward pass ({@link Network#accumulateClipped}).
   */
  void backward(
      float[] params,
      float[] in,
      int inOff,
      int rows,
      float[] out,
      float[] scratch,
      float[] dOut,
      float[] dIn,
      float[] grad,
      Workspace ws);

  /**
   * Per-example clipping's first backward pass: as {@link #backward}, but instead of adding the
   * gradient of this layer's weights it adds each example's squared L2 norm of it to {@code
   * norms[r]}, without materialising per-example gradients; {@code false} (having done nothing) if
   * this kind cannot, and then {@link Network} materialises each example's gradient of this layer
   * through {@link #backward} on one row. Only called on kernels with weights; it leaves {@code
   * in}, {@code out} and {@code scratch} as the forward pass left them, for the second backward
   * pass. It may use {@code rowScratch} ({@code scratch(1)} floats) and its own weights' range of
   * {@code rowGrad} (as long as the parameters) for one example at a time.
   */
  default boolean backwardNorms(
      float[] params,
      float[] in,
      int inOff,
      int rows,
      float[] out,
      float[] scratch,
      float[] dOut,
      float[] dIn,
      double[] norms,
      float[] rowScratch,
      float[] rowGrad,
      Workspace ws) {
    return false;
  }
}
