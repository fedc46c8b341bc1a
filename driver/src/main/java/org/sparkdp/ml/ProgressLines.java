package org.sparkdp.ml;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.sparkdp.Callback;
import org.sparkdp.History;
import org.sparkdp.ProgressLogger;
import org.sparkdp.Sequential;
import org.sparkdp.TrainingPlan;

/**
 * The progress lines of a {@code fit} ({@link ProgressLogger}'s) and its callbacks' messages, kept
 * for another thread to take: a notebook's Python process polls them while {@code fit} runs in the
 * JVM, whose standard output the notebook cell does not show.
 */
public final class ProgressLines implements Callback {
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
  private final ProgressLogger logger =
      new ProgressLogger(new PrintStream(buffer, true, StandardCharsets.UTF_8));

  @Override
  public synchronized void onTrainBegin(TrainingPlan plan) {
    logger.onTrainBegin(plan);
  }

  @Override
  public synchronized void onEpochBegin(int epoch) {
    logger.onEpochBegin(epoch);
  }

  @Override
  public synchronized void onEpochEnd(int epoch, Map<String, Double> logs) {
    logger.onEpochEnd(epoch, logs);
  }

  @Override
  public synchronized void onTrainEnd(History history) {
    logger.onTrainEnd(history);
  }

  @Override
  public synchronized boolean onMessage(String line) {
    return logger.onMessage(line);
  }

  /**
   * Stops the fit in flight (Ctrl-C in the notebook): {@link Sequential#interruptTraining}, which
   * names the last checkpoint to resume from.
   */
  public void interrupt() {
    Sequential.interruptTraining("interrupted from Python");
  }

  /** The text written since the last call (whole lines), or an empty string. */
  public synchronized String poll() {
    String text = buffer.toString(StandardCharsets.UTF_8);
    buffer.reset();
    return text;
  }
}
