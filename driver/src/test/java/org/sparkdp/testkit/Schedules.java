package org.sparkdp.testkit;

import java.util.ArrayList;
import java.util.List;
import org.sparkdp.Callback;
import org.sparkdp.TrainingPlan;

/**
 * A callback that keeps the schedule of every fit it is given to: the headline's steps, strategy
 * and path ({@code "16 steps of batch 32 per epoch (sync, driver channel: 2 tasks for 7 partitions,
 * 2 task slots)"}), in the order of the fits.
 */
public final class Schedules implements Callback {
  private final List<String> seen = new ArrayList<>();

  @Override
  public void onTrainBegin(TrainingPlan plan) {
    seen.add(plan.schedule());
  }

  /** The schedule of the {@code i}-th fit (from 0). */
  public String get(int i) {
    return seen.get(i);
  }
}
