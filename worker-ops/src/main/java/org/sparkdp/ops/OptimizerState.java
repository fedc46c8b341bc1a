package org.sparkdp.ops;

import java.io.Serializable;

/**
 * What an {@link Optimizer} carries between steps: the number of updates applied, its slot arrays
 * (e.g. Adam's first and second moments), each as long as the parameter vector, and a factor on the
 * learning rate that a run can change while it trains (1 unless changed, e.g. by a plateau
 * callback). Part of every checkpoint.
 */
public final class OptimizerState implements Serializable {
  private long iterations;
  private final float[][] slots;
  private double learningRateFactor = 1;

  /**
   * Nadam's product of its momentum schedule up to {@code momentumProductAt}: derived from the
   * iteration count alone, so it is recomputed rather than stored (see {@link Nadam}).
   */
  private transient double momentumProduct;

  private transient long momentumProductAt;

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

  /** What the learning rate (or the schedule's value) is multiplied by; 1 unless set. */
  public double learningRateFactor() {
    return learningRateFactor;
  }

  /** Sets the factor on the learning rate from the next step on; positive and finite. */
  public void setLearningRateFactor(double factor) {
    if (!(factor > 0) || Double.isInfinite(factor)) {
      throw new IllegalArgumentException(
          "a learning rate factor must be a positive number, got " + factor);
    }
    learningRateFactor = factor;
  }

  /** A deep copy. */
  public OptimizerState copy() {
    float[][] copied = new float[slots.length][];
    for (int i = 0; i < slots.length; i++) {
      copied[i] = slots[i].clone();
    }
    OptimizerState c = new OptimizerState(iterations, copied);
    c.learningRateFactor = learningRateFactor;
    return c;
  }

  void advance() {
    iterations++;
  }

  /**
   * {@code prod_{i=1..t} factor(i)} for {@code t = iterations + 1}, kept from the previous step (or
   * recomputed after a restore): the same products, in the same order, as one uninterrupted run.
   */
  double product(java.util.function.LongToDoubleFunction factor) {
    long t = iterations + 1;
    if (momentumProductAt == 0 || momentumProductAt > t) {
      momentumProduct = 1;
      momentumProductAt = 0;
    }
    while (momentumProductAt < t) {
      momentumProductAt++;
      momentumProduct *= factor.applyAsDouble(momentumProductAt);
    }
    return momentumProduct;
  }
}
