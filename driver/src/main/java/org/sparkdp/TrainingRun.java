package org.sparkdp;

import java.io.IOException;
import java.util.Set;
import org.sparkdp.ops.ModelSpec;

/**
 * The run a {@link Callback} belongs to, as Keras' callbacks see {@code self.model}: they can stop
 * training after the current epoch, read and set the weights, scale the learning rate and save the
 * model as it is. Valid from {@link Callback#setRun} to {@link Callback#onTrainEnd}.
 */
public interface TrainingRun {

  /**
   * Shows {@code line} to the person watching the run, where the progress lines go (standard
   * output, or a notebook's {@code ProgressLines}): what a callback did, as Keras' {@code verbose}.
   */
  void say(String line);

  /** Ends training after the current epoch (Keras' {@code model.stop_training = True}). */
  void stopTraining();

  /** Whether a callback asked to stop. */
  boolean stopTrainingRequested();

  /** A copy of the weights, laid out as {@link ModelSpec#layout()} (Keras' {@code get_weights}). */
  float[] getWeights();

  /** Replaces the weights (Keras' {@code set_weights}); the optimizer's state stays. */
  void setWeights(float[] weights);

  /**
   * The learning rate of the next step: the optimizer's (or its schedule's value now) times the
   * factor set by {@link #setLearningRate}.
   */
  double learningRate();

  /**
   * Sets the learning rate of the next steps, as Keras' {@code optimizer.learning_rate = lr}: a
   * factor on the optimizer's own rate (a schedule goes on, scaled), which checkpoints keep.
   */
  void setLearningRate(double learningRate);

  /** The model trained. */
  ModelSpec spec();

  /**
   * The epoch in progress, or the next one between epochs (counted from 0, or from {@code
   * initial_epoch}).
   */
  int epoch();

  /** The epochs of the whole run ({@code fit}'s {@code epochs}). */
  int epochs();

  /** The history so far. */
  History history();

  /** The keys each epoch's logs have: {@code loss}, the metrics, and their {@code val_} forms. */
  Set<String> logKeys();

  /**
   * Whether higher is better for a key of the logs (a metric such as {@code val_auc}), {@code
   * false} for lower (a loss, an error), {@code null} if the key is not one of the logs.
   */
  Boolean higherIsBetter(String key);

  /**
   * Writes the model as it is now (model.json, weights.npz) to {@code dir} on any Hadoop file
   * system, committed as one set as {@link Sequential#save} does; returns the weights' SHA-256.
   */
  String saveModel(String dir) throws IOException;
}
