package org.sparkdp.driver.channel;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/** One direction of a link passed on frame by frame, for the tests' tampering proxies. */
final class FrameRelay {
  /** The connecting side's handshake bytes: its hello and their MAC. */
  static final int CONNECTOR_HANDSHAKE = 72;

  /** The accepting side's handshake bytes: its nonce and the MAC of both hellos. */
  static final int ACCEPTOR_HANDSHAKE = 48;

  private FrameRelay() {}

  /**
   * Passes {@code handshake} bytes from {@code from} to {@code to} as they are, then every frame,
   * each handed to {@code tamper} (unless null) with the frames seen so far, the newest last, which
   * returns what to forward instead. Closes {@code to} when {@code from} ends.
   */
  static Void pump(
      Socket from, Socket to, int handshake, BiFunction<List<byte[]>, byte[], byte[]> tamper)
      throws IOException {
    DataInputStream in = new DataInputStream(from.getInputStream());
    DataOutputStream out = new DataOutputStream(to.getOutputStream());
    byte[] hello = new byte[handshake];
    in.readFully(hello);
    out.write(hello);
    List<byte[]> seen = new ArrayList<>();
    try {
      while (true) {
        int length = in.readInt();
        byte[] frame = new byte[4 + length];
        ByteBuffer.wrap(frame).putInt(length);
        in.readFully(frame, 4, length);
        byte[] forward = tamper == null ? frame : tamper.apply(seen, frame);
        seen.add(frame);
        out.write(forward);
        out.flush();
      }
    } catch (IOException closed) {
      to.close();
      return null;
    }
  }
}
