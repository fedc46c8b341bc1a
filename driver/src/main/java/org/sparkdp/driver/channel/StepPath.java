package org.sparkdp.driver.channel;

import org.sparkdp.ops.Totals;

/**
 * The way a synchronous step reaches the executors and its sums come back, added in partition
 * order: the driver channel ({@link StepServer}: the parameters to every task, every task's sum
 * back), the executor allreduce ({@link Ring}: parameters and sums along a ring of the same tasks)
 * and a Spark job per step (the driver's {@code JobSession}). The channel's tasks, which stay up
 * for the whole fit, are run by the driver's {@code ChannelSession}, itself a path that restarts
 * lost tasks around the server or the ring. Every path gives the same sums for the same
 * partitioning (the same additions in partition order), so the weights do not depend on the path.
 *
 * <p>An attempt is {@link #link} after each launch of the channel's tasks, any number of {@link
 * #step} and {@link #evaluate}, and {@link #close}; {@link #unlink} cuts short an exchange in
 * flight.
 *
 * <p><b>Steps in phases</b> (exact {@code batch_normalization}). A layer whose training pass needs
 * statistics of the whole global batch stops the pass at a phase ({@link org.sparkdp.ops.Phases}),
 * in this order per step: for each such layer, first to last, its forward phase (per channel the
 * count and the sums of {@code x - K} and {@code (x - K)^2}, with {@code K} the moving mean that
 * every task has, so that the variance does not cancel away once the moving mean tracks the batch,
 * in one exchange instead of a second one for the sums of {@code (x - mean)^2}); then, last to
 * first, its backward phase (the sums of {@code dy} and {@code dy * x_hat}). At each phase every
 * task hands over its partial, the path adds the partials in partition order and every task goes on
 * with the total; the totals come back in {@link Sums#phases()}, from which the driver updates the
 * moving statistics. The phases' widths are the model's ({@link
 * org.sparkdp.ops.Network#phaseWidths()}), known to each path from its start; a model without them
 * steps in one exchange, on the same wire as before. The channel carries a phase as one message
 * from each task and one command to all ({@link Wire}); the ring over the same channel links (a few
 * doubles do not need the ring's pipeline), between the parameters along the ring and the sums
 * along it; a job per step as one Spark job per phase, each task recomputing its pass from the
 * parameters and the earlier totals up to the phase, then the step's job with every total.
 */
public interface StepPath extends AutoCloseable {

  /**
   * What the headline and the log call this path: {@code "driver channel"}, {@code "executor
   * allreduce"} or {@code "a Spark job per step"}.
   */
  String name();

  /**
   * Readies the path for the channel's tasks of launch {@code launch}, which have all connected:
   * the ring forms itself; a path with no links of its own has nothing to do.
   *
   * @throws ChannelException if it cannot, naming why
   */
  default void link(int launch) throws ChannelException {}

  /**
   * The summed gradient, loss, counts and metrics of step {@code step} of {@code epoch} at {@code
   * params}, added in partition order.
   *
   * @throws ChannelException if a task was lost: the tasks restart and the step is repeated
   */
  Sums step(int epoch, int step, float[] params) throws ChannelException;

  /**
   * The loss, counts and metrics of the validation rows at {@code params}.
   *
   * @throws ChannelException if a task was lost: the tasks restart and the validation is repeated
   */
  Totals evaluate(float[] params) throws ChannelException;

  /**
   * Closes the path's own links, so that an exchange in flight fails at once; {@link #link} makes
   * new ones. A path with no links of its own (the channel's connections to its tasks are the
   * tasks', which the session closes as it ends them) has nothing to do.
   */
  default void unlink() {}

  /** Ends the path and releases what it held. */
  @Override
  void close();
}
