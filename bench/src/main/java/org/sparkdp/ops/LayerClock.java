package org.sparkdp.ops;

import java.util.ArrayList;
import java.util.List;

/**
 * Bench only: a training pass of a {@link Network}'s layers, one at a time, with a stopwatch on
 * each layer's forward and backward, and, inside each {@code conv2d}, on its {@code im2col}, its
 * {@code sgemm} calls and its {@code col2im} replayed alone on the same buffers. It sits in this
 * package because the kernels are package-private; production code keeps no clocks.
 */
public final class LayerClock {
  private final ModelSpec spec;
  private final Loss loss;
  private final Kernel[] kernels;
  private final Workspace ws;
  private final long[] forwardNanos;
  private final long[] backwardNanos;
  private final float[][][] spare;
  private long im2colNanos;
  private long gemmNanos;
  private long col2imNanos;
  private int batches;

  /** A clock for {@code spec} with a fused softmax and sparse categorical cross-entropy. */
  public LayerClock(ModelSpec spec, int maxRows) {
    this.spec = spec;
    this.loss = Loss.SPARSE_CATEGORICAL_CROSSENTROPY;
    ParameterLayout layout = spec.layout();
    int layers = spec.layers().size();
    kernels = new Kernel[layers];
    for (int l = 0; l < layers; l++) {
      Activation own = l == layers - 1 ? Activation.LINEAR : spec.layers().get(l).activation();
      kernels[l] = spec.layers().get(l).kernel(new Binding(layout, l, own, 42));
    }
    ws = new Workspace(layout, kernels, maxRows);
    forwardNanos = new long[layers];
    backwardNanos = new long[layers];
    spare = new float[layers][][];
  }

  /** One timed forward and backward pass over {@code rows} examples; adds into {@code grad}. */
  public void pass(
      float[] params, float[] x, float[] y, long[] ids, int epoch, int rows, float[] grad) {
    ws.pass(true, ids, 0, epoch);
    int last = kernels.length - 1;
    for (int l = 0; l <= last; l++) {
      float[] input = l == 0 ? x : ws.outputs[l - 1];
      long t = System.nanoTime();
      kernels[l].forward(params, input, 0, rows, ws.outputs[l], ws.scratch[l], ws);
      forwardNanos[l] += System.nanoTime() - t;
    }
    int units = spec.layout().outputs()[last];
    loss.fusedLossAndGradient(ws.outputs[last], ws.delta, 0, y, 0, 1, rows, units);
    for (int l = last; l >= 0; l--) {
      float[] input = l == 0 ? x : ws.outputs[l - 1];
      long t = System.nanoTime();
      kernels[l].backward(
          params,
          input,
          0,
          rows,
          ws.outputs[l],
          ws.scratch[l],
          ws.delta,
          l > 0 ? ws.deltaBefore : null,
          grad,
          ws);
      backwardNanos[l] += System.nanoTime() - t;
      if (kernels[l] instanceof Conv2D.Conv2DKernel conv) {
        replay(l, conv, params, input, rows, ws.delta, l > 0);
      }
      float[] swap = ws.delta;
      ws.delta = ws.deltaBefore;
      ws.deltaBefore = swap;
    }
    batches++;
  }

  /**
   * Times a convolution's parts alone on its buffers: im2col of its input, the forward {@code
   * sgemm}, the two backward ones and col2im (into a spare buffer, so the pass's results stand).
   */
  private void replay(
      int l,
      Conv2D.Conv2DKernel conv,
      float[] params,
      float[] input,
      int rows,
      float[] dz,
      boolean withInputGradient) {
    Conv2D.Window win = conv.win();
    int m = rows * win.positions();
    int patch = win.patch();
    int filters = conv.filters();
    if (spare[l] == null) {
      spare[l] =
          new float[][] {
            new float[ws.maxRows * win.positions() * patch],
            new float[ws.maxRows * win.positions() * filters],
            new float[patch * filters],
            new float[ws.maxRows * win.h() * win.w() * win.c()]
          };
    }
    float[] cols = spare[l][0];
    float[] z = spare[l][1];
    float[] dK = spare[l][2];
    float[] dx = spare[l][3];
    long t = System.nanoTime();
    win.im2col(input, 0, rows, cols);
    im2colNanos += System.nanoTime() - t;
    t = System.nanoTime();
    Blas.gemm(false, false, m, filters, patch, 1f, cols, 0, params, conv.kernel(), 1f, z, 0);
    Blas.gemm(true, false, patch, filters, m, 1f, cols, 0, dz, 0, 1f, dK, 0);
    if (withInputGradient) {
      Blas.gemm(false, true, m, patch, filters, 1f, dz, 0, params, conv.kernel(), 0f, cols, 0);
    }
    gemmNanos += System.nanoTime() - t;
    if (withInputGradient) {
      t = System.nanoTime();
      win.col2im(cols, rows, dx);
      col2imNanos += System.nanoTime() - t;
    }
  }

  /** A timed part: its name and milliseconds per batch. */
  public record Part(String name, double msPerBatch) {}

  /**
   * Per batch: each layer's forward and backward, then the convolutions' im2col, sgemm calls and
   * col2im as replayed alone.
   */
  public List<Part> parts() {
    List<Part> parts = new ArrayList<>();
    List<String> names = spec.names();
    for (int l = 0; l < kernels.length; l++) {
      parts.add(new Part(names.get(l) + " forward", forwardNanos[l] / 1e6 / batches));
      parts.add(new Part(names.get(l) + " backward", backwardNanos[l] / 1e6 / batches));
    }
    parts.add(new Part("conv2d im2col (alone)", im2colNanos / 1e6 / batches));
    parts.add(new Part("conv2d sgemm calls (alone)", gemmNanos / 1e6 / batches));
    parts.add(new Part("conv2d col2im (alone)", col2imNanos / 1e6 / batches));
    return parts;
  }

  /** Milliseconds per batch of the layers of {@code type}, forward and backward. */
  public double msPerBatch(String type) {
    long nanos = 0;
    for (int l = 0; l < kernels.length; l++) {
      if (spec.layers().get(l).type().equals(type)) {
        nanos += forwardNanos[l] + backwardNanos[l];
      }
    }
    return nanos / 1e6 / batches;
  }
}
