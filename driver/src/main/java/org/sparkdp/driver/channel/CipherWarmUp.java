package org.sparkdp.driver.channel;

import java.security.SecureRandom;

/**
 * Has the JIT compile AES-GCM before a sealed channel's first step: seals and opens {@link #FRAMES}
 * frames of junk with a throwaway key, once per JVM. The JVM compiles the cipher's inner methods
 * (and only then uses its AES and GHASH instructions) by how often they are called; without this, a
 * fresh executor seals and opens its first few hundred messages up to 20 times slower, and reaches
 * full speed only after some thousand. About 0.2 s, part of the start of the tasks.
 */
final class CipherWarmUp {
  private static final int FRAMES = 20_000;
  private static final int BYTES = 1 << 10;
  private static boolean done;

  private CipherWarmUp() {}

  /** Warms AES-GCM up unless this JVM did already. */
  static synchronized void once() {
    if (done) {
      return;
    }
    byte[] key = new byte[ChannelKey.BYTES];
    new SecureRandom().nextBytes(key);
    FrameCipher sender = new FrameCipher(key, "the warm-up");
    FrameCipher receiver = new FrameCipher(key, "the warm-up");
    byte[] plain = new byte[BYTES];
    byte[] frame = new byte[FrameCipher.HEADER + BYTES + FrameCipher.TAG];
    try {
      for (int i = 0; i < FRAMES; i++) {
        receiver.open(frame, sender.seal(plain, 0, BYTES, true, frame, 0), plain, 0);
      }
    } catch (FrameRejectedException e) {
      throw new IllegalStateException("AES-GCM does not open what it sealed: " + e, e);
    }
    done = true;
  }
}
