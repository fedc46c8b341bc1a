package org.sparkdp;

import java.util.LinkedHashMap;
import java.util.Map;
import org.sparkdp.ops.RecordSettings;
import org.sparkdp.ops.Setting;

/**
 * Stops training when a monitored quantity has stopped improving, as Keras 3's {@code
 * EarlyStopping}: from epoch {@code start_from_epoch} on, each epoch counts one more epoch of
 * waiting unless its value improves on the best so far by more than {@code min_delta} (which also
 * resets the count, if the value beats {@code baseline} too); training stops after an epoch (not
 * the first) at which {@code patience} epochs have passed without improvement. With {@code
 * restore_best_weights}, the weights of the best epoch are put back when training ends (also when
 * it ran to its last epoch).
 *
 * <p>Its best value, best epoch, count of epochs waited and the best weights are part of every
 * checkpoint, so a resumed run stops where one that never stopped would.
 */
public final class EarlyStopping implements Callbacks.Configured {

  /**
   * Keras' arguments, in Keras' order.
   *
   * @param monitor the key of the logs to watch, default {@code val_loss}
   * @param minDelta the least change that counts as an improvement (its absolute value), default 0
   * @param patience epochs without improvement after which training stops, default 0
   * @param verbose 1: say when training stops and which weights are restored
   * @param mode {@code auto}, {@code min} or {@code max}
   * @param baseline a value to beat, or {@code null}
   * @param restoreBestWeights put the best epoch's weights back at the end
   * @param startFromEpoch epochs before monitoring starts
   */
  public record Config(
      String monitor,
      double minDelta,
      int patience,
      int verbose,
      Callbacks.Mode mode,
      Double baseline,
      boolean restoreBestWeights,
      int startFromEpoch) {
    public static final Setting<Double> MIN_DELTA =
        Setting.number(
            "min_delta",
            0.0,
            "a number",
            v -> true,
            "the least change that counts as an improvement (its absolute value)");
    public static final Setting<Integer> PATIENCE =
        Setting.integer("patience", 0, 0, "epochs without improvement after which training stops");
    public static final Setting<Double> BASELINE =
        Setting.number(
                "baseline",
                null,
                "a number",
                v -> true,
                "a value to beat: the wait is reset only by values better than it too")
            .optional();
    public static final Setting<Boolean> RESTORE_BEST_WEIGHTS =
        Setting.bool(
            "restore_best_weights", false, "put the best epoch's weights back when training ends");
    public static final Setting<Integer> START_FROM_EPOCH =
        Setting.integer("start_from_epoch", 0, 0, "epochs to train before monitoring starts");
    public static final RecordSettings<Config> SETTINGS =
        RecordSettings.of(
            Config.class,
            Callbacks.MONITOR,
            MIN_DELTA,
            PATIENCE,
            Callbacks.VERBOSE,
            Callbacks.MODE,
            BASELINE,
            RESTORE_BEST_WEIGHTS,
            START_FROM_EPOCH);

    public Config {
      Callbacks.MONITOR.check(monitor);
      MIN_DELTA.check(minDelta);
      PATIENCE.check(patience);
      Callbacks.VERBOSE.check(verbose);
      Callbacks.MODE.check(mode);
      BASELINE.check(baseline);
      START_FROM_EPOCH.check(startFromEpoch);
    }

    /** Keras' defaults. */
    public static Config defaults() {
      return SETTINGS.defaults();
    }
  }

  private final Config config;
  private TrainingRun run;
  private boolean higher;
  private Double best;
  private int wait;
  private int stoppedEpoch;
  private int bestEpoch;
  private float[] bestWeights;

  public EarlyStopping(Config config) {
    this.config = config;
  }

  /**
   * An early stopping callback from settings by their keys, the others at Keras' defaults: {@code
   * EarlyStopping.of(Map.of("patience", 3, "restore_best_weights", true))}.
   */
  public static EarlyStopping of(Map<String, ?> settings) {
    return new EarlyStopping(Callbacks.read(Config.SETTINGS, settings, "early_stopping"));
  }

  @Override
  public String type() {
    return "early_stopping";
  }

  @Override
  public Config config() {
    return config;
  }

  @Override
  public String monitor() {
    return config.monitor();
  }

  @Override
  public void setRun(TrainingRun run) {
    this.run = run;
  }

  @Override
  public void onTrainBegin(TrainingPlan plan) {
    higher = Callbacks.higherIsBetter(config.mode(), config.monitor(), run);
    best = null;
    wait = 0;
    stoppedEpoch = 0;
    bestEpoch = 0;
    bestWeights = null;
  }

  @Override
  public void onEpochEnd(int epoch, Map<String, Double> logs) {
    Double current = logs.get(config.monitor());
    if (current == null || epoch < config.startFromEpoch()) {
      return;
    }
    if (config.restoreBestWeights() && bestWeights == null) {
      bestWeights = run.getWeights();
      bestEpoch = epoch;
    }
    wait++;
    if (Callbacks.improves(current, best, config.minDelta(), higher)) {
      best = current;
      bestEpoch = epoch;
      if (config.restoreBestWeights()) {
        bestWeights = run.getWeights();
      }
      if (config.baseline() == null
          || Callbacks.improves(current, config.baseline(), config.minDelta(), higher)) {
        wait = 0;
      }
      return;
    }
    if (wait >= config.patience() && epoch > 0) {
      stoppedEpoch = epoch;
      run.stopTraining();
    }
  }

  @Override
  public void onTrainEnd(History history) {
    if (stoppedEpoch > 0 && config.verbose() > 0) {
      run.say("Epoch " + (stoppedEpoch + 1) + ": early stopping");
    }
    if (config.restoreBestWeights() && bestWeights != null) {
      if (config.verbose() > 0) {
        run.say("Restoring model weights from the end of the best epoch: " + (bestEpoch + 1) + ".");
      }
      run.setWeights(bestWeights);
    }
  }

  /** The epoch training stopped at (counted from 0), or 0 if it did not stop early. */
  public int stoppedEpoch() {
    return stoppedEpoch;
  }

  /** The best epoch so far (counted from 0). */
  public int bestEpoch() {
    return bestEpoch;
  }

  /** The best value so far, or {@code null} before the first monitored epoch. */
  public Double best() {
    return best;
  }

  @Override
  public CallbackState saveState() {
    Map<String, Double> values = new LinkedHashMap<>();
    if (best != null) {
      values.put("best", best);
    }
    values.put("wait", (double) wait);
    values.put("stopped_epoch", (double) stoppedEpoch);
    values.put("best_epoch", (double) bestEpoch);
    return new CallbackState(
        values, bestWeights == null ? Map.of() : Map.of("best_weights", bestWeights.clone()));
  }

  @Override
  public void restoreState(CallbackState state) {
    best = state.value("best");
    wait = state.values().getOrDefault("wait", 0.0).intValue();
    stoppedEpoch = state.values().getOrDefault("stopped_epoch", 0.0).intValue();
    bestEpoch = state.values().getOrDefault("best_epoch", 0.0).intValue();
    float[] weights = state.arrays().get("best_weights");
    bestWeights = weights == null ? null : weights.clone();
  }
}
