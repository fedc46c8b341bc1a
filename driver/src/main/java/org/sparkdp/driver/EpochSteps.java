package org.sparkdp.driver;

/**
 * How one epoch's synchronous steps reach the executors: {@link JobSteps} runs a Spark job per step,
 * {@link ChannelSteps} keeps one task per partition running for the whole epoch and exchanges parameters and
 * gradients with the driver over a socket. Both give the same sums.
 */
interface EpochSteps extends AutoCloseable {

  /**
   * The summed gradient, loss, correct count and count of step {@code step}'s examples at {@code params}. The
   * returned gradient may be a buffer reused by the next call.
   */
  GradientSum step(int step, float[] params);

  /** Ends the epoch and releases what it held. */
  @Override
  void close();
}
