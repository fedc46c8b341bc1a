package org.sparkdp.driver;

import org.sparkdp.FitOptions;
import org.sparkdp.driver.channel.StepPath;

/**
 * A fit's choice of {@link StepPath}, made once at its start from {@code sync_path} and, for {@code
 * auto}, the {@link CostModel}: what the headline says of it, and how each attempt opens it (after
 * a failure, the next attempt opens it anew).
 */
interface StepPlan {

  /**
   * The fit's plan for {@code partitions} partitions of training data: a job per step ({@link
   * JobSession.Plan}), or the channel's tasks, with or without the ring ({@link ChannelPlan}).
   */
  static StepPlan of(FitContext fit, int partitions) {
    FitOptions.SyncPath path = fit.options().syncPath();
    if (path == FitOptions.SyncPath.JOBS) {
      return new JobSession.Plan(); // without counting the cluster's slots, which it does not need
    }
    ChannelPlan channel = ChannelPlan.of(fit.jsc(), partitions, fit.options().threads());
    boolean auto = path == FitOptions.SyncPath.AUTO;
    if (auto) {
      path =
          CostModel.auto(
              channel.tasks(), fit.network().layout().size(), fit.network().phaseWidths().length);
    }
    return switch (path) {
      case CHANNEL -> channel;
      case ALLREDUCE -> channel.withRing(auto); // auto may fall back to the channel, forced may not
      default -> new JobSession.Plan();
    };
  }

  /** How steps reach the executors, e.g. {@code "driver channel"}. */
  String name();

  /**
   * The headline's account of the path, e.g. {@code "driver channel: 2 tasks for 8 partitions, 2
   * task slots"}.
   */
  String describe();

  /**
   * Opens the path for an attempt (e.g. starts the channel's server; its tasks start with the first
   * step).
   *
   * @param data every partition's training blocks, and its validation blocks (flagged) when
   *     validation is a split of the same data
   * @param validation what to validate on, or {@code null}
   */
  StepPath open(FitContext fit, PackedData data, Validation validation, Batches batches);
}
