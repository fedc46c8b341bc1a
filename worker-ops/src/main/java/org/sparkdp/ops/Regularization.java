package org.sparkdp.ops;

import java.util.List;

/**
 * The {@link Penalty} of a model's regularizers: the sum of each regularized weight's penalty (see
 * {@link Regularizer}), computed in double.
 */
final class Regularization implements Penalty {
  /** A regularized weight: {@code params[offset .. offset + size)}. */
  record Term(int offset, int size, Regularizer regularizer) implements java.io.Serializable {}

  private final List<Term> terms;

  Regularization(List<Term> terms) {
    this.terms = List.copyOf(terms);
  }

  @Override
  public double apply(float[] params, float[] grad) {
    double total = 0;
    for (Term t : terms) {
      total += t.regularizer().apply(params, t.offset(), t.size(), grad, t.offset());
    }
    return total;
  }
}
