package org.sparkdp.ops;

/**
 * Scratch buffers for one thread running a {@link Network} on up to {@code maxRows} examples at a
 * time: each layer's outputs and scratch, two gradient buffers, and what the current pass is (the
 * examples' ids and the epoch, in training). Made once per task (or thread) and reused for every
 * batch.
 */
public final class Workspace {
  final int maxRows;
  final float[][] outputs;
  final float[][] scratch;
  float[] delta;
  float[] deltaBefore;
  private boolean training;
  private long[] ids;
  private int idsOff;
  private int epoch;
  private Phases phases;
  private int phase;

  /** Per-example clipping's buffers, made at its first use ({@link Network#accumulateClipped}). */
  Clipping clipping;

  Workspace(ParameterLayout layout, Kernel[] kernels, int maxRows) {
    if (maxRows <= 0) {
      throw new IllegalArgumentException("maxRows must be positive, got " + maxRows);
    }
    this.maxRows = maxRows;
    outputs = new float[layout.layers()][];
    scratch = new float[layout.layers()][];
    int widest = 0;
    for (int l = 0; l < layout.layers(); l++) {
      outputs[l] = new float[maxRows * layout.outputs()[l]];
      scratch[l] = new float[kernels[l].scratch(maxRows)];
      widest = Math.max(widest, layout.outputs()[l]);
    }
    delta = new float[maxRows * widest];
    deltaBefore = new float[maxRows * widest];
  }

  /**
   * The largest number of rows one pass handles; more rows are processed in chunks of this size.
   */
  public int maxRows() {
    return maxRows;
  }

  /**
   * The last layer's outputs of the most recent forward pass, {@code [rows, units]} row-major from
   * 0.
   */
  public float[] lastOutputs() {
    return outputs[outputs.length - 1];
  }

  /** Sets the pass: training on the examples {@code ids[idsOff ..]} in {@code epoch}, or not. */
  void pass(boolean training, long[] ids, int idsOff, int epoch) {
    pass(training, ids, idsOff, epoch, null);
  }

  /**
   * {@link #pass(boolean, long[], int, int)} whose whole-batch statistics come from {@code phases}.
   */
  void pass(boolean training, long[] ids, int idsOff, int epoch, Phases phases) {
    this.phases = phases;
    this.phase = 0;
    this.training = training;
    this.ids = ids;
    this.idsOff = idsOff;
    this.epoch = epoch;
  }

  /** Whether this pass trains (noise layers are active). */
  boolean training() {
    return training;
  }

  /** The global id of row {@code r} of this pass. */
  long id(int r) {
    return ids[idsOff + r];
  }

  /**
   * The total over the whole batch of the next phase of this pass, whose sums over its rows are
   * {@code partial} ({@link Phases}).
   */
  double[] exchange(double[] partial) {
    if (phases == null) {
      throw new IllegalStateException("a pass without phases reached a batch statistic");
    }
    return phases.exchange(phase++, partial);
  }

  /** The epoch of this pass. */
  int epoch() {
    return epoch;
  }

  /**
   * The buffers of per-example clipping for up to {@code maxRows} examples: each example's squared
   * gradient norm, the loss's gradient kept for the second backward pass, and for each layer whose
   * per-example gradient is materialised one row's output, scratch, output gradient and input
   * gradient, and a gradient of the model's size.
   */
  static final class Clipping {
    final double[] norms;
    final float[] lossDelta;
    final float[] grad;
    final float[][] out;
    final float[][] scratch;
    final float[][] dOut;
    final float[][] dIn;

    Clipping(ParameterLayout layout, Kernel[] kernels, int maxRows) {
      int layers = layout.layers();
      norms = new double[maxRows];
      lossDelta = new float[maxRows * layout.outputs()[layers - 1]];
      grad = new float[layout.size()];
      out = new float[layers][];
      scratch = new float[layers][];
      dOut = new float[layers][];
      dIn = new float[layers][];
      for (int l = 0; l < layers; l++) {
        out[l] = new float[layout.outputs()[l]];
        scratch[l] = new float[kernels[l].scratch(1)];
        dOut[l] = new float[layout.outputs()[l]];
        dIn[l] = new float[layout.inputs()[l]];
      }
    }
  }
}
