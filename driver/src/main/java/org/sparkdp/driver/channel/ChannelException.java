package org.sparkdp.driver.channel;

/** The channel failed: a task went away, a wait timed out, or the training job failed. */
public final class ChannelException extends Exception {
  public ChannelException(String message, Throwable cause) {
    super(message, cause);
  }
}
