package org.sparkdp;

import java.util.Locale;

/**
 * What a {@code fit} is about to do, as {@link Callback#onTrainBegin} receives it.
 *
 * @param trainRows the rows trained on per epoch
 * @param packedBytes their size as float32 blocks
 * @param partitions the training data's partitions
 * @param validationRows the rows validated on after each epoch (0: none)
 * @param epochs the epochs of the whole run
 * @param schedule the strategy's steps per epoch and how they run, e.g. {@code "313 steps of batch
 *     32 per epoch (sync, driver channel)"}
 * @param resumedAt where a resumed run continues ({@code "epoch 3, step 1"}), or {@code null}
 * @param checkpointDir where it resumed from, or {@code null}
 */
public record TrainingPlan(
    long trainRows,
    long packedBytes,
    int partitions,
    long validationRows,
    int epochs,
    String schedule,
    String resumedAt,
    String checkpointDir) {

  /**
   * The headline of a run, e.g. {@code Training on 54000 rows (170 MB packed) in 2 partitions;
   * ...}.
   */
  public String describe() {
    double mb = packedBytes / 1e6;
    String size =
        String.format(Locale.ROOT, mb < 1 ? "%.2f" : mb < 10 ? "%.1f" : "%.0f", mb) + " MB packed";
    return String.format(
        Locale.ROOT,
        "Training on %d rows (%s) in %d partitions%s; %s",
        trainRows,
        size,
        partitions,
        validationRows > 0 ? ", validating on " + validationRows + " rows" : "",
        schedule);
  }
}
