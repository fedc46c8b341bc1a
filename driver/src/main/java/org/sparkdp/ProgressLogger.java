package org.sparkdp;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/**
 * The progress lines in Keras' shape, one per epoch: {@code Epoch 3/10 - 2.1s - loss: 0.4123 -
 * accuracy: 0.8500 - val_loss: ...}, after a headline saying what is trained and how. {@code fit}
 * adds one (printing to standard output) unless {@code verbose} is 0.
 */
public final class ProgressLogger implements Callback {
  private final PrintStream out;
  private int epochs;
  private long epochStarted;

  public ProgressLogger(PrintStream out) {
    this.out = out;
  }

  @Override
  public void onTrainBegin(TrainingPlan plan) {
    epochs = plan.epochs();
    if (plan.resumedAt() != null) {
      out.printf(Locale.ROOT, "Resuming at %s from %s%n", plan.resumedAt(), plan.checkpointDir());
    }
    out.println(plan.describe());
  }

  @Override
  public void onEpochBegin(int epoch) {
    epochStarted = System.nanoTime();
  }

  @Override
  public void onEpochEnd(int epoch, Map<String, Double> logs) {
    out.println(line(epoch, epochs, (System.nanoTime() - epochStarted) / 1e9, logs));
    out.flush();
  }

  @Override
  public boolean onMessage(String line) {
    out.println(line);
    out.flush();
    return true;
  }

  /** {@code Epoch 3/10 - 2.1s - loss: 0.4123 - ...}, epochs counted from 0. */
  public static String line(int epoch, int epochs, double seconds, Map<String, Double> logs) {
    StringBuilder line =
        new StringBuilder(
            String.format(Locale.ROOT, "Epoch %d/%d - %.1fs", epoch + 1, epochs, seconds));
    logs.forEach(
        (metric, value) -> line.append(String.format(Locale.ROOT, " - %s: %.4f", metric, value)));
    return line.toString();
  }
}
