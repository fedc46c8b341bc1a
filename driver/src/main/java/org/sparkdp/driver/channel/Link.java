package org.sparkdp.driver.channel;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One connection of the channel, made by a {@link Handshake}, carrying whole messages as frames.
 * Plain, a frame is {@code int length} then the message; sealed, it is {@link FrameCipher}'s frame.
 * A message is built in the buffer {@link #message} returns and goes out in one write; {@link
 * #receive} returns the next one. Buffers grow to the largest message and are reused, so a steady
 * exchange allocates nothing. Messages are little-endian; frame headers are big-endian.
 */
public final class Link implements AutoCloseable {
  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final FrameCipher sender;
  private final FrameCipher receiver;
  private final int maxMessage;
  private final String peer;
  private byte[] outFrame = new byte[0];
  private byte[] outPlain = new byte[0];
  private byte[] inFrame = new byte[0];
  private byte[] inPlain = new byte[0];
  private ByteBuffer message;

  /**
   * @param sender seals what this end sends, or {@code null} for plain frames (then {@code
   *     receiver} is {@code null} too)
   * @param maxMessage the largest message either end may send: a longer length field is refused
   *     before anything is allocated
   * @param peer names the other end in messages
   */
  Link(
      Socket socket,
      DataInputStream in,
      FrameCipher sender,
      FrameCipher receiver,
      int maxMessage,
      String peer)
      throws IOException {
    this.socket = socket;
    this.in = in;
    this.out = socket.getOutputStream();
    this.sender = sender;
    this.receiver = receiver;
    this.maxMessage = maxMessage;
    this.peer = peer;
  }

  static DataInputStream input(Socket socket) throws IOException {
    return new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
  }

  /** Whether frames are encrypted and authenticated. */
  public boolean sealed() {
    return sender != null;
  }

  /** What the other end is, as messages name it. */
  public String peer() {
    return peer;
  }

  /**
   * A buffer for the next message, of at least {@code bytes} bytes, positioned at 0; fill it, then
   * {@link #send}.
   */
  public ByteBuffer message(int bytes) {
    if (bytes > maxMessage) {
      throw new IllegalArgumentException(
          "a message of " + bytes + " bytes exceeds the channel's limit of " + maxMessage);
    }
    if (sealed()) {
      if (outPlain.length < bytes) {
        outPlain = new byte[bytes];
        outFrame = new byte[FrameCipher.HEADER + bytes + FrameCipher.TAG];
      }
      message = ByteBuffer.wrap(outPlain);
    } else {
      if (outFrame.length < 4 + bytes) {
        outFrame = new byte[4 + bytes];
      }
      message = ByteBuffer.wrap(outFrame, 4, outFrame.length - 4).slice();
    }
    return message.order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Sends the message built since {@link #message}, in one frame. */
  public void send() throws IOException {
    int length = message.position();
    int size;
    if (sealed()) {
      size = sender.seal(outPlain, length, outFrame);
    } else {
      ByteBuffer.wrap(outFrame, 0, 4).putInt(length);
      size = 4 + length;
    }
    out.write(outFrame, 0, size);
    out.flush();
  }

  /**
   * The next message, in a buffer that the next call reuses.
   *
   * @throws FrameRejectedException if a sealed frame fails its checks, or a length is out of range
   */
  public ByteBuffer receive() throws IOException {
    int length;
    if (sealed()) {
      ensureIn(FrameCipher.HEADER);
      in.readFully(inFrame, 0, FrameCipher.HEADER);
      int payload = ByteBuffer.wrap(inFrame, 0, 4).getInt();
      checkLength(payload - 8 - FrameCipher.TAG);
      ensureIn(4 + payload);
      in.readFully(inFrame, FrameCipher.HEADER, payload - 8);
      if (inPlain.length < payload) {
        inPlain = new byte[payload];
      }
      length = receiver.open(inFrame, 4 + payload, inPlain);
      return ByteBuffer.wrap(inPlain, 0, length).order(ByteOrder.LITTLE_ENDIAN);
    }
    length = in.readInt();
    checkLength(length);
    ensureIn(length);
    in.readFully(inFrame, 0, length);
    return ByteBuffer.wrap(inFrame, 0, length).order(ByteOrder.LITTLE_ENDIAN);
  }

  private void checkLength(int length) throws FrameRejectedException {
    if (length < 0 || length > maxMessage) {
      throw new FrameRejectedException(
          "rejected a frame from "
              + peer
              + ": it announces "
              + length
              + " bytes, outside [0, "
              + maxMessage
              + "]");
    }
  }

  /** Grows the receive buffer, keeping what it holds (a sealed frame's header). */
  private void ensureIn(int bytes) {
    if (inFrame.length < bytes) {
      inFrame = java.util.Arrays.copyOf(inFrame, Math.max(bytes, 64));
    }
  }

  /** How long a {@link #receive} waits before it fails with a timeout. */
  public void timeout(long millis) throws IOException {
    socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, millis));
  }

  public boolean isClosed() {
    return socket.isClosed();
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing is all we wanted
    }
  }
}
