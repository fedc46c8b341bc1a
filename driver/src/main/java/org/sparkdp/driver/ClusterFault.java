package org.sparkdp.driver;

/**
 * A failure of the cluster rather than of the data, the configuration or the code: a wait on Spark
 * or on the driver channel timed out, or the channel's tasks were lost past their restarts. {@link
 * Recovery} retries these from the last checkpoint.
 */
final class ClusterFault extends IllegalStateException {
  ClusterFault(String message, Throwable cause) {
    super(message, cause);
  }
}
