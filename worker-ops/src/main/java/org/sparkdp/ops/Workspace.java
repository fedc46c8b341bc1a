package org.sparkdp.ops;

/**
 * Scratch buffers for one thread running a {@link Network} on up to {@code maxRows} examples at a
 * time: each layer's outputs and two gradient buffers. Made once per task (or thread) and reused
 * for every batch.
 */
public final class Workspace {
  final int maxRows;
  final float[][] outputs;
  float[] delta;
  float[] deltaBefore;

  Workspace(ParameterLayout layout, int maxRows) {
    if (maxRows <= 0) {
      throw new IllegalArgumentException("maxRows must be positive, got " + maxRows);
    }
    this.maxRows = maxRows;
    outputs = new float[layout.layers()][];
    int widest = 0;
    for (int l = 0; l < layout.layers(); l++) {
      outputs[l] = new float[maxRows * layout.units()[l]];
      widest = Math.max(widest, layout.units()[l]);
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
}
