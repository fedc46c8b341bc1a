package org.sparkdp.driver;

import org.sparkdp.ops.Network;
import org.sparkdp.ops.Phases;
import org.sparkdp.ops.Workspace;

/**
 * A task thread's scratch space: the kernel's {@link Workspace} and room to gather one chunk of
 * rows, labels, global example ids and weights. Kept per executor thread (Spark reuses its task
 * threads) and remade only when the model or the chunk size changes, so steps allocate no buffers.
 */
final class TaskBuffers {
  private static final ThreadLocal<TaskBuffers> CURRENT = new ThreadLocal<>();

  /** The buffers for a whole batch's share at once, of a model with phases ({@link #whole}). */
  private static final ThreadLocal<TaskBuffers> WHOLE = new ThreadLocal<>();

  final Network network;
  final Workspace workspace;
  final float[] features;
  final float[] labels;
  final long[] ids;
  final float[] weights;

  private TaskBuffers(Network network, int rows) {
    this.network = network;
    this.workspace = network.newWorkspace(rows);
    this.features = new float[rows * network.spec().inputDim()];
    this.labels = new float[rows * network.labelWidth()];
    this.ids = new long[rows];
    this.weights = new float[rows];
  }

  static TaskBuffers get(Network network, int rows) {
    TaskBuffers b = CURRENT.get();
    if (b == null
        || b.workspace.maxRows() != rows
        || b.network.labelWidth() != network.labelWidth()
        || !b.network.spec().equals(network.spec())) {
      b = new TaskBuffers(network, rows);
      CURRENT.set(b);
    }
    return b;
  }

  /**
   * Buffers for at least {@code rows} rows in one pass, for a model whose layers need the whole
   * batch's statistics ({@link org.sparkdp.ops.Phases}): a task's share of a step is one pass, so
   * the sums do not depend on the buffers' size, which grows to the largest share seen.
   */
  static TaskBuffers whole(Network network, int rows) {
    TaskBuffers b = WHOLE.get();
    if (b == null
        || b.workspace.maxRows() < rows
        || b.network.labelWidth() != network.labelWidth()
        || !b.network.spec().equals(network.spec())) {
      b = new TaskBuffers(network, Math.max(rows, b == null ? 0 : b.workspace.maxRows()));
      WHOLE.set(b);
    }
    return b;
  }

  /**
   * Copies local row {@code row} of {@code block} into slot {@code slot} of the gather buffers (its
   * weight 1 when the block has none).
   */
  void gather(Block block, int row, int slot) {
    int in = block.inputDim;
    int width = block.labelWidth;
    System.arraycopy(block.features, row * in, features, slot * in, in);
    System.arraycopy(block.labels, row * width, labels, slot * width, width);
    ids[slot] = block.ids[row];
    weights[slot] = block.weights == null ? 1f : block.weights[row];
  }

  /** The gathered weights, or {@code null} when the blocks have none (every weight is 1). */
  float[] weightsOf(Block block) {
    return block.weights == null ? null : weights;
  }

  /**
   * Adds the gradient, loss and counts of the first {@code rows} gathered rows (of blocks like
   * {@code first}) into {@code sum}: each example's gradient clipped to {@code l2NormClip} when it
   * is positive (differential privacy), else through {@code phases} for a model that has them.
   */
  void accumulate(
      float[] params,
      Block first,
      int epoch,
      int rows,
      double l2NormClip,
      GradientSum sum,
      Phases phases) {
    if (l2NormClip > 0) {
      network.accumulateClipped(
          params,
          features,
          0,
          labels,
          0,
          ids,
          0,
          weightsOf(first),
          0,
          epoch,
          rows,
          l2NormClip,
          sum.gradient,
          sum.totals,
          workspace);
    } else if (phases != null) {
      network.accumulate(
          params,
          features,
          0,
          labels,
          0,
          ids,
          0,
          weightsOf(first),
          0,
          epoch,
          rows,
          sum.gradient,
          sum.totals,
          workspace,
          phases);
    } else {
      network.accumulate(
          params,
          features,
          0,
          labels,
          0,
          ids,
          0,
          weightsOf(first),
          0,
          epoch,
          rows,
          sum.gradient,
          sum.totals,
          workspace);
    }
  }
}
