package org.sparkdp.ops;

import java.util.ArrayList;
import java.util.List;

/**
 * How a training pass gets the statistics of the whole batch for the layers that need them ({@link
 * BatchNormalization}): at each such layer, in the forward pass and again in the backward pass, the
 * pass stops at a <em>phase</em>, hands over the sums of its own rows ({@code partial}, a few
 * doubles per channel) and goes on with the sums of every row of the batch ({@code total}). In one
 * process the batch is the pass's rows ({@link #local}); in a task of a synchronous step the path
 * adds every task's partial in partition order and sends the total back, so that the statistics are
 * the global batch's, as one machine computes them. A model without such layers has no phase.
 *
 * <p>Phases come in the order {@link Network#phaseWidths()} lists them: the layers' forward phases
 * first to last, then their backward phases last to first; a task with no rows in a step still
 * takes part in every one ({@link Network#skipPhases}).
 */
@FunctionalInterface
public interface Phases {

  /**
   * The total over the whole batch of phase {@code phase}, whose sums over this pass's rows are
   * {@code partial}; may block until every task has given its own. The caller must not change the
   * returned array.
   */
  double[] exchange(int phase, double[] partial);

  /** Phases whose totals are the pass's own rows, remembered for {@link Network#update}. */
  static Local local() {
    return new Local();
  }

  /**
   * The phases of one pass over a batch held in one process: each total is the partial itself, and
   * the totals are kept, in order, for the update of the moving statistics.
   */
  final class Local implements Phases {
    private final List<double[]> totals = new ArrayList<>();

    private Local() {}

    @Override
    public double[] exchange(int phase, double[] partial) {
      if (phase != totals.size()) {
        throw new IllegalStateException("phase " + phase + " after " + totals.size() + " phases");
      }
      double[] total = partial.clone();
      totals.add(total);
      return total;
    }

    /** The totals of the phases so far, in order. */
    public double[][] totals() {
      return totals.toArray(new double[0][]);
    }

    /** Forgets the totals, for the next batch. */
    public void clear() {
      totals.clear();
    }
  }
}
