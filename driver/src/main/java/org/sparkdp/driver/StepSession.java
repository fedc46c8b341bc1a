package org.sparkdp.driver;

import org.sparkdp.ops.Totals;

/**
 * How synchronous steps reach the executors for one {@code fit}: {@link JobSession} runs a Spark
 * job per step, {@link ChannelSession} keeps one task per partition running and exchanges
 * parameters and sums with the driver over sockets. Both give the same sums.
 */
interface StepSession extends AutoCloseable {

  /**
   * The summed gradient, loss, correct count and count of step {@code step} of {@code epoch} at
   * {@code params}. The returned gradient may be a buffer that the next call reuses.
   */
  GradientSum step(int epoch, int step, float[] params);

  /** Loss and correct count of the validation rows at {@code params}. */
  Totals validate(float[] params);

  /** Ends the session and releases what it held. */
  @Override
  void close();
}
