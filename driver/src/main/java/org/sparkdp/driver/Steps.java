package org.sparkdp.driver;

import org.sparkdp.ops.Totals;

/**
 * A strategy's steps, for {@link EpochLoop}, which does everything else (epochs, checkpoints,
 * history, callbacks). An attempt is {@link #begin}, any number of {@link #take} and {@link
 * #validate}, then {@link #close}; after a failure the next attempt begins again from a checkpoint.
 */
interface Steps {

  /**
   * The headline's account of the steps, e.g. {@code "313 steps of batch 32 per epoch (sync, driver
   * channel)"}.
   */
  String schedule();

  /** How steps reach the executors, e.g. {@code "driver channel"}. */
  String path();

  /** Steps (or rounds) per epoch. */
  int perEpoch();

  /** Sets up an attempt that starts at {@code state} (e.g. starts the channel's tasks). */
  void begin(TrainingState state);

  /**
   * Takes the step {@code state} is at: updates the parameters and optimizer state, and advances
   * it.
   */
  void take(TrainingState state);

  /** Loss and correct count of the validation data at {@code params}. */
  Totals validate(float[] params);

  /** Ends the attempt and releases what it held. */
  void close();
}
