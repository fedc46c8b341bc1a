package org.sparkdp.driver.channel;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One connection of the channel, made by a {@link Handshake}, carrying whole messages as frames.
 * Plain, a message is one frame, {@code int length} then the message; sealed, it is a run of {@link
 * FrameCipher} frames of at most {@link #CHUNK} bytes each, the last one flagged, written with one
 * call. A message is built in the buffer {@link #message} returns and goes out with {@link #send};
 * {@link #receive} returns the next one. Buffers grow to the largest message and are reused, so a
 * steady exchange allocates nothing. Messages are little-endian; frame headers are big-endian.
 */
public final class Link implements AutoCloseable {
  /**
   * The most plaintext one sealed frame carries. Small frames make the JVM compile AES-GCM after
   * fewer messages: it compiles the cipher's inner methods by how often they are called, so with a
   * frame per message, an executor that handles one message per step ran them interpreted, about 50
   * times slower, for its first few hundred steps.
   */
  static final int CHUNK = 1 << 14;

  /** The size of the sealed frames that carry a message of {@code bytes} bytes. */
  static int sealedSize(int bytes) {
    int frames = Math.max(1, (bytes + CHUNK - 1) / CHUNK);
    return bytes + frames * (FrameCipher.HEADER + FrameCipher.TAG);
  }

  /**
   * Where a message of {@code length} bytes is cut in two, at a frame's end: it goes out in two
   * writes, so that the receiver opens the first half while the sender seals the second (a write
   * per frame would wake the receiver once per frame, which costs more than the overlap saves).
   */
  static int half(int length) {
    int frames = Math.max(1, (length + CHUNK - 1) / CHUNK);
    return Math.min(length, (frames + 1) / 2 * CHUNK);
  }

  /**
   * Seals {@code plain[from, to)} of a message of {@code length} bytes (from a frame's start) into
   * consecutive frames of {@code frames} from {@code at}; returns where they end.
   */
  static int sealRange(
      FrameCipher cipher, byte[] plain, int from, int to, int length, byte[] frames, int at) {
    int offset = from;
    int size = at;
    do {
      int n = Math.min(CHUNK, to - offset);
      size += cipher.seal(plain, offset, n, offset + n == length, frames, size);
      offset += n;
    } while (offset < to);
    return size;
  }

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
        outFrame = new byte[sealedSize(bytes)];
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

  /** Sends the message built since {@link #message}. */
  public void send() throws IOException {
    int length = message.position();
    if (sealed()) {
      int half = half(length);
      int first = sealRange(sender, outPlain, 0, half, length, outFrame, 0);
      write(outFrame, 0, first);
      if (half < length) {
        write(outFrame, first, sealRange(sender, outPlain, half, length, length, outFrame, first));
      }
    } else {
      ByteBuffer.wrap(outFrame, 0, 4).putInt(length);
      write(outFrame, 4 + length);
    }
  }

  /** Writes frames made elsewhere (a command sealed once for every task). */
  void write(byte[] frame, int size) throws IOException {
    write(frame, 0, size);
  }

  /** Writes {@code frames[from, to)}: frames made elsewhere. */
  void write(byte[] frames, int from, int to) throws IOException {
    out.write(frames, from, to - from);
    out.flush();
  }

  /**
   * The next message, in a buffer that the next call reuses.
   *
   * @throws FrameRejectedException if a sealed frame fails its checks, or a length is out of range
   */
  public ByteBuffer receive() throws IOException {
    if (!sealed()) {
      int length = in.readInt();
      checkLength(length);
      ensureIn(length);
      in.readFully(inFrame, 0, length);
      return ByteBuffer.wrap(inFrame, 0, length).order(ByteOrder.LITTLE_ENDIAN);
    }
    int total = 0;
    while (true) {
      ensureIn(FrameCipher.HEADER);
      in.readFully(inFrame, 0, FrameCipher.HEADER);
      int payload = ByteBuffer.wrap(inFrame, 0, 4).getInt();
      int plain = payload - (FrameCipher.HEADER - 4) - FrameCipher.TAG;
      if (plain < 0 || plain > CHUNK) {
        throw new FrameRejectedException(
            "rejected a frame from " + peer + ": it announces " + payload + " bytes");
      }
      checkLength(total + plain);
      ensureIn(4 + payload);
      in.readFully(inFrame, FrameCipher.HEADER, payload - (FrameCipher.HEADER - 4));
      if (inPlain.length < total + plain) {
        inPlain = Arrays.copyOf(inPlain, Math.max(total + plain, 2 * inPlain.length));
      }
      total += receiver.open(inFrame, 4 + payload, inPlain, total);
      if (FrameCipher.last(inFrame)) {
        return ByteBuffer.wrap(inPlain, 0, total).order(ByteOrder.LITTLE_ENDIAN);
      }
    }
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
      inFrame = Arrays.copyOf(inFrame, Math.max(bytes, 64));
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
