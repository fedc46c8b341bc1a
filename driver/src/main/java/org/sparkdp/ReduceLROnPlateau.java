package org.sparkdp;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.sparkdp.ops.RecordSettings;
import org.sparkdp.ops.Setting;

/**
 * Lowers the learning rate when a monitored quantity has stopped improving, as Keras 3's {@code
 * ReduceLROnPlateau}: after {@code patience} epochs without an improvement of more than {@code
 * min_delta} (and outside a {@code cooldown} after the last reduction), the learning rate becomes
 * {@code max(lr * factor, min_lr)}, if it is above {@code min_lr}. In {@code auto} mode a monitor
 * whose name holds {@code acc} should rise, any other fall (Keras' rule for this callback).
 *
 * <p>The rate is set through the optimizer state's factor on its learning rate (for a schedule, the
 * schedule's value is scaled from then on), which checkpoints keep; the best value, the wait and
 * the cooldown count are part of every checkpoint too.
 */
public final class ReduceLROnPlateau implements Callbacks.Configured {

  /**
   * Keras' arguments, in Keras' order.
   *
   * @param monitor the key of the logs to watch, default {@code val_loss}
   * @param factor the learning rate is multiplied by it, in (0, 1); default 0.1
   * @param patience epochs without improvement before a reduction, default 10
   * @param verbose 1: say when the rate is reduced
   * @param mode {@code auto}, {@code min} or {@code max}
   * @param minDelta the least change that counts as an improvement, default 1e-4
   * @param cooldown epochs after a reduction before the wait counts again, default 0
   * @param minLr the learning rate's lower bound, default 0
   */
  public record Config(
      String monitor,
      double factor,
      int patience,
      int verbose,
      Callbacks.Mode mode,
      double minDelta,
      int cooldown,
      double minLr) {
    public static final Setting<Double> FACTOR =
        Setting.number(
            "factor",
            0.1,
            "a number in (0, 1)",
            v -> v > 0 && v < 1,
            "the learning rate is multiplied by it at each reduction");
    public static final Setting<Integer> PATIENCE =
        Setting.integer("patience", 10, 0, "epochs without improvement before a reduction");
    public static final Setting<Double> MIN_DELTA =
        Setting.number(
            "min_delta",
            1e-4,
            "0 or a positive number",
            v -> v >= 0,
            "the least change that counts as an improvement");
    public static final Setting<Integer> COOLDOWN =
        Setting.integer(
            "cooldown", 0, 0, "epochs after a reduction before the wait for the next one starts");
    public static final Setting<Double> MIN_LR =
        Setting.number(
            "min_lr",
            0.0,
            "0 or a positive number",
            v -> v >= 0,
            "the learning rate's lower bound");
    public static final RecordSettings<Config> SETTINGS =
        RecordSettings.of(
            Config.class,
            Callbacks.MONITOR,
            FACTOR,
            PATIENCE,
            Callbacks.VERBOSE,
            Callbacks.MODE,
            MIN_DELTA,
            COOLDOWN,
            MIN_LR);

    public Config {
      Callbacks.MONITOR.check(monitor);
      FACTOR.check(factor);
      PATIENCE.check(patience);
      Callbacks.VERBOSE.check(verbose);
      Callbacks.MODE.check(mode);
      MIN_DELTA.check(minDelta);
      COOLDOWN.check(cooldown);
      MIN_LR.check(minLr);
    }

    /** Keras' defaults. */
    public static Config defaults() {
      return SETTINGS.defaults();
    }
  }

  private final Config config;
  private TrainingRun run;
  private boolean higher;
  private double best;
  private int wait;
  private int cooldownCounter;

  public ReduceLROnPlateau(Config config) {
    this.config = config;
  }

  /** A plateau callback from settings by their keys, the others at Keras' defaults. */
  public static ReduceLROnPlateau of(Map<String, ?> settings) {
    return new ReduceLROnPlateau(Callbacks.read(Config.SETTINGS, settings, "reduce_lr_on_plateau"));
  }

  @Override
  public String type() {
    return "reduce_lr_on_plateau";
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
    higher =
        config.mode() == Callbacks.Mode.MAX
            || config.mode() == Callbacks.Mode.AUTO && config.monitor().contains("acc");
    best = higher ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    wait = 0;
    cooldownCounter = 0;
  }

  @Override
  public void onEpochEnd(int epoch, Map<String, Double> logs) {
    Double current = logs.get(config.monitor());
    if (current == null) {
      return;
    }
    if (cooldownCounter > 0) {
      cooldownCounter--;
      wait = 0;
    }
    boolean better =
        higher ? current > best + config.minDelta() : current < best - config.minDelta();
    if (better) {
      best = current;
      wait = 0;
    } else if (cooldownCounter == 0) {
      wait++;
      if (wait >= config.patience()) {
        double old = run.learningRate();
        // As Keras, which compares the float32 rate with the float32 bound.
        if ((float) old > (float) config.minLr()) {
          double lr = Math.max(old * config.factor(), config.minLr());
          run.setLearningRate(lr);
          if (config.verbose() > 0) {
            run.say(
                String.format(
                    Locale.ROOT,
                    "Epoch %d: ReduceLROnPlateau reducing learning rate to %s.",
                    epoch + 1,
                    lr));
          }
          cooldownCounter = config.cooldown();
          wait = 0;
        }
      }
    }
  }

  @Override
  public CallbackState saveState() {
    Map<String, Double> values = new LinkedHashMap<>();
    if (Double.isFinite(best)) {
      values.put("best", best);
    }
    values.put("wait", (double) wait);
    values.put("cooldown_counter", (double) cooldownCounter);
    return new CallbackState(values, Map.of());
  }

  @Override
  public void restoreState(CallbackState state) {
    Double saved = state.value("best");
    best = saved != null ? saved : higher ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    wait = state.values().getOrDefault("wait", 0.0).intValue();
    cooldownCounter = state.values().getOrDefault("cooldown_counter", 0.0).intValue();
  }
}
