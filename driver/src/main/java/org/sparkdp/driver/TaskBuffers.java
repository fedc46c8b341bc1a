package org.sparkdp.driver;

import org.sparkdp.ops.Network;
import org.sparkdp.ops.Workspace;

/**
 * A task thread's scratch space: the kernel's {@link Workspace} and room to gather one chunk of
 * rows, labels and global example ids. Kept per executor thread (Spark reuses its task threads) and
 * remade only when the model or the chunk size changes, so steps allocate no buffers.
 */
final class TaskBuffers {
  private static final ThreadLocal<TaskBuffers> CURRENT = new ThreadLocal<>();

  final Network network;
  final Workspace workspace;
  final float[] features;
  final float[] labels;
  final long[] ids;

  private TaskBuffers(Network network, int rows) {
    this.network = network;
    this.workspace = network.newWorkspace(rows);
    this.features = new float[rows * network.spec().inputDim()];
    this.labels = new float[rows * network.labelWidth()];
    this.ids = new long[rows];
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

  /** Copies local row {@code row} of {@code block} into slot {@code slot} of the gather buffers. */
  void gather(Block block, int row, int slot) {
    int in = block.inputDim;
    int width = block.labelWidth;
    System.arraycopy(block.features, row * in, features, slot * in, in);
    System.arraycopy(block.labels, row * width, labels, slot * width, width);
    ids[slot] = block.ids[row];
  }
}
