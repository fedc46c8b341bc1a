package org.sparkdp.driver.channel;

import java.io.IOException;

/**
 * A frame or handshake that failed the channel's checks: a wrong proof of the secret, or a sealed
 * frame that was forged, altered, replayed or reordered. The connection it came on is not used
 * again.
 */
public final class FrameRejectedException extends IOException {
  private static final long serialVersionUID = 1L;

  FrameRejectedException(String message) {
    super(message);
  }

  FrameRejectedException(String message, Throwable cause) {
    super(message, cause);
  }
}
