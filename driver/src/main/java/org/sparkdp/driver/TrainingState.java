package org.sparkdp.driver;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkdp.CallbackState;
import org.sparkdp.History;
import org.sparkdp.ops.Metrics;
import org.sparkdp.ops.Optimizer;
import org.sparkdp.ops.OptimizerState;
import org.sparkdp.ops.Totals;
import org.sparkdp.ops.privacy.PrivacyAccount;

/**
 * Everything a training run moves forward, and so everything a checkpoint holds ({@link
 * StateCodec}): where the run is (the epoch in progress and the next step, or round for {@code
 * local}, within it), the parameters, the optimizer's state, the sums of the epoch so far, the
 * history, for {@code local} each partition's optimizer state and the outer momentum, the
 * callbacks' states, whether a callback stopped the run, and with differential privacy the privacy
 * spent so far. The data order needs nothing more: it follows from the seed and the epoch.
 *
 * <p>Only its own methods change it: a step advances it, an epoch's end records the epoch, a
 * failure restores it.
 */
public final class TrainingState {
  private int epoch;
  private int step;
  private final float[] params;
  private OptimizerState optimizer;
  private Totals epochTotals = new Totals();
  private double epochSeconds;
  private History history = History.empty();
  private List<OptimizerState> innerStates;
  private float[] outerMomentum;
  private Map<String, CallbackState> callbackStates = Map.of();
  private boolean stopped;
  private PrivacyAccount privacy;
  private double privacyDelta;

  TrainingState(float[] params, OptimizerState optimizer) {
    this.params = params;
    this.optimizer = optimizer;
  }

  /**
   * The state before the first step: these parameters; the optimizer's state is made by the first
   * fit.
   */
  public static TrainingState start(float[] params) {
    return new TrainingState(params, null);
  }

  /**
   * The state a further {@code fit} starts from, as in Keras: the same weights and optimizer state
   * (and, for {@code local}, the partitions' optimizer states), epochs counted from 0 again, a new
   * history, no callbacks' states. A copy: a fit that fails leaves this state as it was.
   */
  public TrainingState next() {
    TrainingState n =
        new TrainingState(params.clone(), optimizer == null ? null : optimizer.copy());
    if (innerStates != null) {
      n.innerStates = new ArrayList<>(innerStates.stream().map(OptimizerState::copy).toList());
    }
    n.outerMomentum = outerMomentum == null ? null : outerMomentum.clone();
    // Privacy composes: a further fit of the same weights spends on top of what they spent.
    n.privacy = privacy;
    return n;
  }

  /**
   * The parameters, laid out as the model's {@link org.sparkdp.ops.ParameterLayout}; updated in
   * place.
   */
  public float[] params() {
    return params;
  }

  /** The epoch in progress, counted from 0. */
  int epoch() {
    return epoch;
  }

  /** The next step (or round) within the epoch. */
  int step() {
    return step;
  }

  History history() {
    return history;
  }

  OptimizerState optimizer() {
    return optimizer;
  }

  Totals epochTotals() {
    return epochTotals;
  }

  /** Seconds the epoch in progress has taken so far (before a checkpoint it was resumed from). */
  double epochSeconds() {
    return epochSeconds;
  }

  List<OptimizerState> innerStates() {
    return innerStates;
  }

  float[] outerMomentum() {
    return outerMomentum;
  }

  /** The callbacks' states, by callback, as the last epoch's end left them. */
  Map<String, CallbackState> callbackStates() {
    return callbackStates;
  }

  void setCallbackStates(Map<String, CallbackState> states) {
    callbackStates = Map.copyOf(states);
  }

  /**
   * The privacy spent by the steps that made these weights (differential privacy), or {@code null}
   * when no step of theirs was private.
   */
  public PrivacyAccount privacy() {
    return privacy;
  }

  /**
   * Accounts this run's privacy, reported at {@code delta} in each epoch's logs ({@code epsilon}):
   * from the account these weights already have, or from none spent.
   */
  void accountPrivacy(double delta) {
    privacyDelta = delta;
    if (privacy == null) {
      privacy = PrivacyAccount.empty();
    }
  }

  /** Forgets the account: a run without differential privacy voids what the weights had. */
  void clearPrivacy() {
    privacy = null;
    privacyDelta = 0;
  }

  /** The account after a private step ({@link PrivateSgd#spend}). */
  void spend(PrivacyAccount after) {
    privacy = after;
  }

  /** Whether a callback stopped the run (it ends after the epoch it stopped at). */
  boolean stopped() {
    return stopped;
  }

  void stop() {
    stopped = true;
  }

  /**
   * Starts the run at {@code epoch} instead of 0 (Keras' {@code initial_epoch}): its epochs are
   * counted, and its data shuffled, from there.
   *
   * @throws IllegalStateException if this state has trained already
   */
  void startAt(int epoch) {
    if (this.epoch != 0 || step != 0 || history.epochs() > 0) {
      throw new IllegalStateException("a run can only start at an epoch before it trains");
    }
    this.epoch = epoch;
  }

  /** Makes the optimizer's state if this run has none yet. */
  void ensureOptimizer(Optimizer optimizer) {
    if (this.optimizer == null) {
      this.optimizer = optimizer.newState(params.length);
    }
  }

  /**
   * Makes fresh per-partition optimizer states ({@code local}) unless there are already as many.
   */
  void ensureInnerStates(int partitions, Optimizer optimizer) {
    if (innerStates == null || innerStates.size() != partitions) {
      innerStates = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        innerStates.add(optimizer.newState(params.length));
      }
    }
  }

  void setInnerState(int partition, OptimizerState state) {
    innerStates.set(partition, state);
  }

  /** The outer momentum of {@code local} with {@code nesterov}, made at its first use. */
  float[] outerMomentumForUpdate() {
    if (outerMomentum == null) {
      outerMomentum = new float[params.length];
    }
    return outerMomentum;
  }

  /** One step (or round) done: its sums join the epoch's. */
  void advance(Totals stepTotals) {
    epochTotals.add(stepTotals);
    step++;
  }

  /** Notes the time the epoch has taken so far, for a checkpoint within it. */
  void noteEpochSeconds(double seconds) {
    epochSeconds = seconds;
  }

  /**
   * Records the epoch just trained in the history (its loss and metrics as trained, and the
   * validation's with the {@code val_} prefix when {@code validation} is not {@code null}), moves
   * to the start of the next epoch, and returns the epoch's logs.
   */
  Map<String, Double> finishEpoch(Totals validation, Metrics metrics, double seconds) {
    Map<String, Double> logs = new LinkedHashMap<>(metrics.results(epochTotals, ""));
    if (validation != null) {
      logs.putAll(metrics.results(validation, "val_"));
    }
    if (privacy != null && privacyDelta > 0) {
      logs.put("epsilon", privacy.spent(privacyDelta).epsilon());
    }
    history = history.plus(logs, seconds);
    epoch++;
    step = 0;
    epochTotals = new Totals();
    epochSeconds = 0;
    return logs;
  }

  /** A deep copy, for a snapshot to return to. */
  TrainingState copy() {
    return StateCodec.decode(StateCodec.encode(this));
  }

  /**
   * Replaces this state's contents by {@code other}'s (the parameter array is written in place).
   */
  void restore(TrainingState other) {
    if (other.params.length != params.length) {
      throw new IllegalArgumentException(
          "a state of "
              + other.params.length
              + " parameters cannot replace one of "
              + params.length);
    }
    System.arraycopy(other.params, 0, params, 0, params.length);
    optimizer = other.optimizer;
    epoch = other.epoch;
    step = other.step;
    epochTotals = other.epochTotals;
    epochSeconds = other.epochSeconds;
    history = other.history;
    innerStates = other.innerStates;
    outerMomentum = other.outerMomentum;
    callbackStates = other.callbackStates;
    stopped = other.stopped;
    privacy = other.privacy;
  }

  /** A state at a given position, for {@link StateCodec}. */
  static TrainingState at(
      int epoch,
      int step,
      float[] params,
      OptimizerState optimizer,
      Totals epochTotals,
      double epochSeconds,
      History history,
      List<OptimizerState> innerStates,
      float[] outerMomentum,
      Map<String, CallbackState> callbackStates,
      boolean stopped,
      PrivacyAccount privacy) {
    TrainingState s = new TrainingState(params, optimizer);
    s.privacy = privacy;
    s.callbackStates = Map.copyOf(callbackStates);
    s.stopped = stopped;
    s.epoch = epoch;
    s.step = step;
    s.epochTotals = epochTotals;
    s.epochSeconds = epochSeconds;
    s.history = history;
    s.innerStates = innerStates;
    s.outerMomentum = outerMomentum;
    return s;
  }
}
