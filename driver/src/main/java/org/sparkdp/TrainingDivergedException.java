package org.sparkdp;

/** The loss became NaN or infinite; the message names the epoch and step. */
public class TrainingDivergedException extends RuntimeException {
  public TrainingDivergedException(String message) {
    super(message);
  }
}
