package org.sparkdp;

import java.util.Map;

/**
 * Hooks into training, as Keras' callbacks: the engine hands each callback the run it belongs to
 * ({@link #setRun}, Keras' {@code set_model}), then calls it at the start of training, at the start
 * and end of each epoch (with the epoch's logs: {@code loss}, the metrics, {@code val_loss}, ...)
 * and at the end. Epochs are counted from 0 (or from {@code initial_epoch}). Through the {@link
 * TrainingRun} a callback can stop training, read and set the weights and scale the learning rate,
 * as Keras' callbacks do through {@code self.model}. Every method does nothing by default; the
 * progress lines are themselves a callback ({@link ProgressLogger}).
 *
 * <p>A callback whose decisions depend on earlier epochs (a best value, a count of epochs without
 * improvement) keeps them across a resumed run by returning them from {@link #saveState}: every
 * checkpoint stores them, and a run resumed from it hands them back to {@link #restoreState} after
 * {@link #onTrainBegin}.
 */
public interface Callback {

  /** Before training: the run this callback acts on. */
  default void setRun(TrainingRun run) {}

  /** Before the first epoch (of this run, or of what is left of a resumed one). */
  default void onTrainBegin(TrainingPlan plan) {}

  default void onEpochBegin(int epoch) {}

  /**
   * After epoch {@code epoch} was trained and validated; the checkpoint of its end follows the
   * callbacks, so that it holds what they did (their states, weights they set, a stop).
   */
  default void onEpochEnd(int epoch, Map<String, Double> logs) {}

  /** After the last epoch. */
  default void onTrainEnd(History history) {}

  /**
   * A line another callback says through {@link TrainingRun#say} (EarlyStopping's {@code Epoch 5:
   * early stopping}); a callback that shows progress shows it and returns {@code true}.
   */
  default boolean onMessage(String line) {
    return false;
  }

  /** What this callback must carry across a resumed run, or {@code null} for nothing. */
  default CallbackState saveState() {
    return null;
  }

  /** Continues from a state {@link #saveState} returned, when a run resumes from a checkpoint. */
  default void restoreState(CallbackState state) {}
}
