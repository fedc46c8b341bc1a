package org.sparkdp.driver;

import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparkdp.driver.channel.Ring;
import org.sparkdp.driver.channel.StepPath;

/**
 * How many tasks the channel ({@link ChannelSession}) starts, and why: one per task slot of the
 * live cluster, at most one per partition; the headline says what it chose.
 *
 * @param tasks the tasks (groups of partitions) to start
 * @param partitions the training data's partitions
 * @param slots the live cluster's task slots when the fit began
 * @param dynamic whether dynamic allocation is on (then {@code tasks} may exceed {@code slots}: the
 *     pending tasks ask for the executors)
 * @param security whether every frame is sealed, and what the headline says of it
 * @param ring whether the parameters and sums go along a ring of the tasks ({@link Ring})
 * @param fallback whether a ring that cannot form at the first launch gives way to the plain
 *     channel ({@code sync_path: auto} chose it), rather than failing the fit
 */
record ChannelPlan(
    int tasks,
    int partitions,
    int slots,
    boolean dynamic,
    ChannelSecurity security,
    boolean ring,
    boolean fallback)
    implements StepPlan {
  @Override
  public String name() {
    return ring ? "executor allreduce" : "driver channel";
  }

  /**
   * E.g. {@code "driver channel: 2 tasks for 8 partitions, 2 task slots"}, {@code "executor
   * allreduce, encrypted: ..."}, or, where the channel's secret is not protected, {@code "driver
   * channel, authenticated, not encrypted: ...; <why, and what to set>"}.
   */
  @Override
  public String describe() {
    return String.format(
        Locale.ROOT,
        "%s%s: %d task%s for %d partition%s, %s%s",
        name(),
        security.label() == null ? "" : ", " + security.label(),
        tasks,
        tasks == 1 ? "" : "s",
        partitions,
        partitions == 1 ? "" : "s",
        (dynamic ? "dynamic allocation, " : "")
            + slots
            + " task slot"
            + (slots == 1 ? "" : "s")
            + (dynamic ? " at the start" : ""),
        security.advice() == null ? "" : "; " + security.advice());
  }

  /**
   * This plan with the parameters and sums along a ring of its tasks.
   *
   * @param fallback whether the plain channel may take over if the ring cannot form
   */
  ChannelPlan withRing(boolean fallback) {
    return new ChannelPlan(tasks, partitions, slots, dynamic, security, true, fallback);
  }

  @Override
  public StepPath open(FitContext fit, PackedData data, Validation validation, Batches batches) {
    return new ChannelSession(
        fit.jsc(),
        data,
        validation,
        batches,
        fit.network(),
        fit.options().threads(),
        this,
        new ChannelSession.Options(
            fit.options().connectTimeout() * 1000L,
            fit.options().stepTimeout() * 1000L,
            fit.options().maxRestarts()),
        fit.stats(),
        fit.stop());
  }

  /**
   * The tasks for {@code partitions} partitions on the live cluster: one per slot (a slot being
   * {@code threads} cores when each task computes with {@code threads} threads), at most one per
   * partition. Under dynamic allocation, as many as allocation may grant ({@code maxExecutors}):
   * the stage's pending tasks are what makes Spark ask for executors.
   */
  static ChannelPlan of(JavaSparkContext jsc, int partitions, int threads) {
    int slots = Slots.count(jsc);
    int usable = Math.max(1, slots / threads);
    boolean dynamic = Slots.dynamic(jsc.getConf());
    int tasks =
        dynamic
            ? Math.min(partitions, Math.max(usable, Slots.dynamicLimit(jsc.getConf()) / threads))
            : Math.min(partitions, usable);
    return new ChannelPlan(
        tasks, partitions, slots, dynamic, ChannelSecurity.of(jsc.getConf()), false, false);
  }
}
