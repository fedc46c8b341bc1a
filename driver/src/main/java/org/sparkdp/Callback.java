package org.sparkdp;

import java.util.Map;

/**
 * Hooks into training, as Keras' callbacks: the engine calls them at the start of training, at the
 * start and end of each epoch (with the epoch's logs: {@code loss}, {@code accuracy}, {@code
 * val_loss}, ...) and at the end. Epochs are counted from 0. Every method does nothing by default;
 * the progress lines are themselves a callback ({@link ProgressLogger}).
 */
public interface Callback {

  /** Before the first epoch (of this run, or of what is left of a resumed one). */
  default void onTrainBegin(TrainingPlan plan) {}

  default void onEpochBegin(int epoch) {}

  /** After epoch {@code epoch} was trained, validated and checkpointed. */
  default void onEpochEnd(int epoch, Map<String, Double> logs) {}

  /** After the last epoch. */
  default void onTrainEnd(History history) {}
}
