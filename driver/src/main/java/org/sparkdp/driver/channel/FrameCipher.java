package org.sparkdp.driver.channel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM for one stream of frames. Each sealed frame is {@code int length, long seq, byte
 * last, ciphertext and 16-byte tag}: {@code seq} counts the stream's frames from 0, the nonce is
 * {@code seq}, and the 13 header bytes are the associated data, so the tag covers the length, the
 * position and whether the frame ends its message. A key seals one stream only (a connection's
 * direction, or the commands of one launch, which go to every task as the same frames), so no nonce
 * is used twice with one key. The receiver expects the next {@code seq} exactly: a frame seen
 * before is rejected as replayed, one from further on as reordered (or one in between lost), and a
 * tag that does not match as forged or altered. Not thread-safe: one sender or one receiver per
 * instance.
 */
final class FrameCipher {
  /** Bytes before the ciphertext: the length, the sequence number and the last-frame flag. */
  static final int HEADER = 13;

  static final int TAG = 16;
  private static final int TAG_BITS = 8 * TAG;

  private final SecretKeySpec key;
  private final Cipher cipher;
  private final String peer;
  private final byte[] nonce = new byte[12];
  private long next;

  /**
   * @param key 32 bytes, used for this direction of this connection only
   * @param peer names the other end in messages, e.g. {@code "the task of group 3"}
   */
  FrameCipher(byte[] key, String peer) {
    this.key = new SecretKeySpec(key, "AES");
    this.peer = peer;
    try {
      this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM has no AES-GCM: " + e, e);
    }
  }

  /**
   * Seals {@code plain[offset, offset + length)} into {@code frame} at {@code at} (header, then
   * ciphertext and tag) and returns the frame's size; {@code frame} must hold {@code HEADER +
   * length + TAG} bytes from {@code at}.
   *
   * @param last whether this frame ends its message
   */
  int seal(byte[] plain, int offset, int length, boolean last, byte[] frame, int at) {
    ByteBuffer header = ByteBuffer.wrap(frame, at, HEADER).order(ByteOrder.BIG_ENDIAN);
    header.putInt(HEADER - 4 + length + TAG).putLong(next).put((byte) (last ? 1 : 0));
    try {
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce(next)));
      cipher.updateAAD(frame, at, HEADER);
      int written = cipher.doFinal(plain, offset, length, frame, at + HEADER);
      next++;
      return HEADER + written;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("sealing a frame failed: " + e, e);
    }
  }

  /** Whether a frame that {@link #open} accepted ends its message. */
  static boolean last(byte[] frame) {
    return frame[HEADER - 1] == 1;
  }

  /**
   * Checks and decrypts a whole frame ({@code frame[0, size)}, header included) into {@code plain}
   * at {@code offset}; returns the plaintext's length.
   *
   * @throws FrameRejectedException naming what is wrong with the frame
   */
  int open(byte[] frame, int size, byte[] plain, int offset) throws FrameRejectedException {
    ByteBuffer header = ByteBuffer.wrap(frame, 0, HEADER).order(ByteOrder.BIG_ENDIAN);
    int length = header.getInt();
    long seq = header.getLong();
    if (length != size - 4
        || size < HEADER + TAG
        || frame[HEADER - 1] > 1
        || frame[HEADER - 1] < 0) {
      throw new FrameRejectedException(
          "rejected a frame from " + peer + ": its length field does not match its size");
    }
    if (seq < next) {
      throw new FrameRejectedException(
          "rejected a frame from "
              + peer
              + ": it carries sequence number "
              + seq
              + ", already received (replayed)");
    }
    if (seq > next) {
      throw new FrameRejectedException(
          "rejected a frame from "
              + peer
              + ": it carries sequence number "
              + seq
              + " where "
              + next
              + " was due (reordered, or frames in between were dropped)");
    }
    try {
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce(seq)));
      cipher.updateAAD(frame, 0, HEADER);
      int n = cipher.doFinal(frame, HEADER, size - HEADER, plain, offset);
      next++;
      return n;
    } catch (AEADBadTagException e) {
      throw new FrameRejectedException(
          "rejected frame "
              + seq
              + " from "
              + peer
              + ": its authentication tag does not match (forged or altered)",
          e);
    } catch (GeneralSecurityException e) {
      throw new FrameRejectedException(
          "rejected frame " + seq + " from " + peer + ": cannot decrypt it (" + e + ")", e);
    }
  }

  private byte[] nonce(long seq) {
    ByteBuffer.wrap(nonce).putInt(0).putLong(seq);
    return nonce;
  }
}
