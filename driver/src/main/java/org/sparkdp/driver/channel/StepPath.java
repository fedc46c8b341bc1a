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
 * <p><b>Steps in phases</b> (issue 17, exact {@code batch_normalization}). Today a step is one
 * exchange: the parameters out, the sums back. A layer whose forward pass needs statistics of the
 * whole global batch adds exchanges inside the step, in this order per step: the parameters go out;
 * then, for each phase (per such layer: the sums of {@code x} and {@code x^2} over each task's rows
 * in the forward pass, then the sums of {@code dy} and {@code dy * x_hat} in the backward pass),
 * every task sends its partial of a few floats, the path adds the partials in partition order, and
 * every task receives the total before it goes on; last, the sums come back. The phases slot in as
 * one more argument, {@code step(epoch, step, params, phases)}, with {@code phases} the floats of
 * each exchange and a hook that sees each total on the driver (for the moving statistics); a step
 * without phases stays one exchange, on the same wire. Each path carries a phase its own way: the
 * channel as one round trip per task over the links it has; the ring over the same channel links (a
 * few floats do not need the ring's pipeline); a job per step as one Spark job per phase, each task
 * recomputing the forward pass up to the phase from the parameters and the earlier totals.
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
