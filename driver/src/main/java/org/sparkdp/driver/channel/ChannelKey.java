package org.sparkdp.driver.channel;

import java.io.Serializable;
import java.security.SecureRandom;

/**
 * A fit's channel secret, made on the driver and shipped to the tasks inside their closure, which
 * Spark's own RPC carries: readable on the network unless that RPC is encrypted, which is why the
 * driver seals only then. Every connection proves it holds the secret in its handshake; when {@code
 * sealed}, every frame is also encrypted and authenticated with keys derived from it ({@link
 * FrameCipher}).
 */
public final class ChannelKey implements Serializable {
  private static final long serialVersionUID = 1L;
  static final int BYTES = 32;

  private final byte[] secret;
  private final boolean sealed;

  private ChannelKey(byte[] secret, boolean sealed) {
    this.secret = secret;
    this.sealed = sealed;
  }

  /** A fresh random secret; {@code sealed}: encrypt and authenticate every frame with it. */
  public static ChannelKey random(boolean sealed) {
    byte[] secret = new byte[BYTES];
    new SecureRandom().nextBytes(secret);
    return new ChannelKey(secret, sealed);
  }

  /** Whether frames are encrypted and authenticated (else only the handshake is). */
  public boolean sealed() {
    return sealed;
  }

  byte[] secret() {
    return secret;
  }

  @Override
  public String toString() {
    return "ChannelKey(" + (sealed ? "sealed" : "plain") + ")"; // never the secret itself
  }
}
