package org.sparkdp.driver;

import java.util.ArrayList;
import java.util.List;
import org.sparkdp.ops.OptimizerState;
import org.sparkdp.ops.Totals;

/**
 * Everything a training run moves forward, and so everything a checkpoint holds: where the run is
 * (the epoch in progress and the next step, or round for {@code local}, within it), the parameters,
 * the optimizer's state, the sums of the epoch so far, the history, and for {@code local} each
 * partition's optimizer state and the outer momentum. The data order needs nothing more: it follows
 * from the seed and the epoch.
 */
public final class TrainingState {
  int epoch;
  int step;
  final float[] params;
  OptimizerState optimizer;
  Totals epochTotals = new Totals();
  double epochSeconds;
  History history = new History();
  List<OptimizerState> innerStates;
  float[] outerMomentum;

  TrainingState(float[] params, OptimizerState optimizer) {
    this.params = params;
    this.optimizer = optimizer;
  }

  /**
   * The state before the first step: these parameters, a fresh optimizer state (made by the
   * trainer).
   */
  public static TrainingState start(float[] params) {
    return new TrainingState(params, null);
  }

  /**
   * The state a further {@code fit} starts from, as in Keras: the same weights and optimizer state
   * (and, for {@code local}, the partitions' optimizer states), epochs counted from 0 again, a new
   * history.
   */
  public TrainingState next() {
    TrainingState n = new TrainingState(params, optimizer);
    n.innerStates = innerStates;
    n.outerMomentum = outerMomentum;
    return n;
  }

  /**
   * The parameters, laid out as the model's {@link org.sparkdp.ops.ParameterLayout}; updated in
   * place.
   */
  public float[] params() {
    return params;
  }

  /** The epoch in progress (from 0) and the next step within it. */
  public int epoch() {
    return epoch;
  }

  public int step() {
    return step;
  }

  public History history() {
    return history;
  }

  /**
   * Records the epoch just trained in the history (its loss and accuracy as trained, and the
   * validation's when {@code validation} is not {@code null}) and moves to the start of the next
   * epoch.
   */
  void finishEpoch(Totals validation, boolean accuracy, double seconds) {
    history.add("loss", epochTotals.meanLoss());
    if (accuracy) {
      history.add("accuracy", epochTotals.accuracy());
    }
    if (validation != null) {
      history.add("val_loss", validation.meanLoss());
      if (accuracy) {
        history.add("val_accuracy", validation.accuracy());
      }
    }
    history.addEpochSeconds(seconds);
    epoch++;
    step = 0;
    epochTotals = new Totals();
    epochSeconds = 0;
  }

  /** A deep copy, for a snapshot to return to. */
  TrainingState copy() {
    TrainingState c = new TrainingState(params.clone(), optimizer == null ? null : copy(optimizer));
    c.epoch = epoch;
    c.step = step;
    c.epochTotals = new Totals().add(epochTotals);
    c.epochSeconds = epochSeconds;
    c.history = history.copy();
    if (innerStates != null) {
      c.innerStates = new ArrayList<>();
      innerStates.forEach(s -> c.innerStates.add(copy(s)));
    }
    c.outerMomentum = outerMomentum == null ? null : outerMomentum.clone();
    return c;
  }

  /**
   * Replaces this state's contents by {@code other}'s (the parameter array is written in place).
   */
  void restore(TrainingState other) {
    System.arraycopy(other.params, 0, params, 0, params.length);
    optimizer = other.optimizer;
    epoch = other.epoch;
    step = other.step;
    epochTotals = other.epochTotals;
    epochSeconds = other.epochSeconds;
    history = other.history;
    innerStates = other.innerStates;
    outerMomentum = other.outerMomentum;
  }

  static OptimizerState copy(OptimizerState state) {
    float[][] slots = new float[state.slots().length][];
    for (int i = 0; i < slots.length; i++) {
      slots[i] = state.slots()[i].clone();
    }
    return new OptimizerState(state.iterations(), slots);
  }
}
