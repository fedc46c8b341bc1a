package org.sparkdp.ops;

import java.io.Serializable;

/**
 * What an {@link Optimizer} carries between steps: the number of updates applied and its slot
 * arrays (e.g. Adam's first and second moments), each as long as the parameter vector. Part of
 * every checkpoint.
 */
public final class OptimizerState implements Serializable {
  private long iterations;
  private final float[][] slots;

  public OptimizerState(long iterations, float[][] slots) {
    this.iterations = iterations;
    this.slots = slots;
  }

  /** Number of updates applied so far (Keras' {@code optimizer.iterations}). */
  public long iterations() {
    return iterations;
  }

  /** The slot arrays, in the optimizer's order. */
  public float[][] slots() {
    return slots;
  }

  /** A deep copy. */
  public OptimizerState copy() {
    float[][] copied = new float[slots.length][];
    for (int i = 0; i < slots.length; i++) {
      copied[i] = slots[i].clone();
    }
    return new OptimizerState(iterations, copied);
  }

  void advance() {
    iterations++;
  }
}
