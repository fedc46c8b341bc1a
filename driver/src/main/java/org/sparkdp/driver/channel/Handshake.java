package org.sparkdp.driver.channel;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * How a connection of the channel starts, for any two ends that share a {@link ChannelKey} (the
 * driver and a training task, or two links of the executor allreduce's ring). The connecting end
 * sends a hello (who it is, a fresh nonce) with an HMAC-SHA256 of it under the secret; the
 * accepting end checks it and answers with its own nonce and an HMAC that covers the hello, so each
 * end knows the other holds the secret and the secret itself never travels. Sealed, each
 * direction's AES key is an HMAC of both nonces, so every connection has keys of its own and a
 * recorded conversation cannot be replayed into a new one. One stream may instead go to many: the
 * driver's commands are the same for every task of a launch, so it seals them once, with a key of
 * that launch ({@link #commandKey}), and each task receives them with it. The connecting end's
 * first frame ({@code READY}) proves it derived the keys; only then does the accepting end count
 * the connection.
 *
 * <pre>
 *   hello:  int MAGIC, int VERSION, int sealed, int role, int group, int launch, byte[16] nonce, byte[32] hmac
 *   answer: byte[16] nonce, byte[32] hmac
 *   READY (a frame): int group, int launch
 * </pre>
 */
final class Handshake {
  static final int MAGIC = 0x53504450; // "SPDP"
  static final int VERSION = 2;

  /** The role of a training task connecting to the driver. */
  static final int ROLE_TASK = 1;

  /**
   * The role of a ring link's sending end (the task before, or the driver before the first task,
   * with group -1), connecting to the task after it.
   */
  static final int ROLE_RING = 2;

  /** The role of the driver connecting to the last task of the ring, to receive the sums. */
  static final int ROLE_RING_TAIL = 3;

  /**
   * How long the accepting end waits for a connection's handshake: a silent connection is let go
   * after this rather than holding up the ones expected.
   */
  static final int ACCEPT_TIMEOUT_MILLIS = 10_000;

  private static final int NONCE = 16;
  private static final int MAC = 32;
  private static final int HELLO = 24 + NONCE;
  private static final SecureRandom RANDOM = new SecureRandom();

  private Handshake() {}

  /** Who a connecting end says it is: its role, its group of partitions and its launch. */
  record Hello(int role, int group, int launch) {}

  /** A connection the accepting end has checked, and who is on the other end. */
  record Accepted(Hello hello, Link link) {}

  /**
   * The connecting end: says hello on {@code socket}, checks the answer, and sends {@code READY}.
   *
   * @param commands whether the accepting end sends the launch's commands, sealed once for all
   *     ({@link #commandKey}), rather than a stream of this connection's own
   * @param peer names the accepting end in messages
   */
  static Link connect(
      Socket socket, ChannelKey key, Hello hello, boolean commands, int maxMessage, String peer)
      throws IOException {
    byte[] nonce = nonce();
    ByteBuffer h = ByteBuffer.allocate(HELLO + MAC);
    h.putInt(MAGIC).putInt(VERSION).putInt(key.sealed() ? 1 : 0);
    h.putInt(hello.role()).putInt(hello.group()).putInt(hello.launch()).put(nonce);
    byte[] helloBytes = Arrays.copyOf(h.array(), HELLO);
    h.put(hmac(key, "hello", helloBytes));
    socket.getOutputStream().write(h.array());
    socket.getOutputStream().flush();
    DataInputStream in = Link.input(socket);
    byte[] theirs = new byte[NONCE];
    byte[] proof = new byte[MAC];
    in.readFully(theirs);
    in.readFully(proof);
    if (!MessageDigest.isEqual(proof, hmac(key, "answer", helloBytes, theirs))) {
      throw new FrameRejectedException(
          "the answer of " + peer + " does not prove it holds this fit's channel secret");
    }
    Link link =
        link(
            socket,
            in,
            key,
            nonce,
            theirs,
            true,
            commands ? commandKey(key, hello.launch()) : null,
            maxMessage,
            peer);
    link.message(8).putInt(hello.group()).putInt(hello.launch());
    link.send();
    return link;
  }

  /**
   * The accepting end: checks the hello on {@code socket} and {@code admit}'s verdict on it ({@code
   * null} to admit, else why not), answers, and waits for {@code READY}.
   *
   * @param peer names the connecting end in messages, from its hello
   * @throws FrameRejectedException naming why the connection is refused
   */
  static Accepted accept(
      Socket socket,
      ChannelKey key,
      int maxMessage,
      Function<Hello, String> admit,
      Function<Hello, String> peer)
      throws IOException {
    DataInputStream in = Link.input(socket);
    byte[] helloBytes = new byte[HELLO];
    byte[] proof = new byte[MAC];
    in.readFully(helloBytes);
    ByteBuffer h = ByteBuffer.wrap(helloBytes);
    if (h.getInt() != MAGIC) {
      throw new FrameRejectedException("not a sparkdp channel connection");
    }
    int version = h.getInt();
    if (version != VERSION) {
      throw new FrameRejectedException(
          "a channel hello of version " + version + ", this driver speaks " + VERSION);
    }
    boolean sealed = h.getInt() == 1;
    Hello hello = new Hello(h.getInt(), h.getInt(), h.getInt());
    byte[] theirs = new byte[NONCE];
    h.get(theirs);
    in.readFully(proof);
    if (!MessageDigest.isEqual(proof, hmac(key, "hello", helloBytes))) {
      throw new FrameRejectedException(
          "a hello that does not prove this fit's channel secret (role "
              + hello.role()
              + ", group "
              + hello.group()
              + ")");
    }
    if (sealed != key.sealed()) {
      throw new FrameRejectedException(
          "a hello for " + (sealed ? "sealed" : "plain") + " frames on a channel that is not");
    }
    String refusal = admit.apply(hello);
    if (refusal != null) {
      throw new FrameRejectedException(refusal);
    }
    byte[] nonce = nonce();
    ByteBuffer answer = ByteBuffer.allocate(NONCE + MAC);
    answer.put(nonce).put(hmac(key, "answer", helloBytes, nonce));
    socket.getOutputStream().write(answer.array());
    socket.getOutputStream().flush();
    Link link = link(socket, in, key, nonce, theirs, false, null, maxMessage, peer.apply(hello));
    ByteBuffer ready = link.receive();
    if (ready.remaining() != 8
        || ready.getInt() != hello.group()
        || ready.getInt() != hello.launch()) {
      throw new FrameRejectedException(
          "the first frame of " + link.peer() + " is not the READY its hello announced");
    }
    return new Accepted(hello, link);
  }

  private static Link link(
      Socket socket,
      DataInputStream in,
      ChannelKey key,
      byte[] mine,
      byte[] theirs,
      boolean connecting,
      byte[] commands,
      int maxMessage,
      String peer)
      throws IOException {
    if (!key.sealed()) {
      return new Link(socket, in, null, null, maxMessage, peer);
    }
    byte[] connectorNonce = connecting ? mine : theirs;
    byte[] acceptorNonce = connecting ? theirs : mine;
    byte[] up = hmac(key, "connector to acceptor", connectorNonce, acceptorNonce);
    byte[] down =
        commands != null
            ? commands
            : hmac(key, "acceptor to connector", connectorNonce, acceptorNonce);
    return new Link(
        socket,
        in,
        new FrameCipher(connecting ? up : down, peer),
        new FrameCipher(connecting ? down : up, peer),
        maxMessage,
        peer);
  }

  /**
   * The key of launch {@code launch}'s commands, which the driver seals once and sends to every
   * task of the launch: one stream per key, as launches are counted within a fit and every fit has
   * a secret of its own.
   */
  static byte[] commandKey(ChannelKey key, int launch) {
    return hmac(key, "commands of launch", ByteBuffer.allocate(4).putInt(launch).array());
  }

  private static byte[] nonce() {
    byte[] nonce = new byte[NONCE];
    RANDOM.nextBytes(nonce);
    return nonce;
  }

  private static byte[] hmac(ChannelKey key, String label, byte[]... parts) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.secret(), "HmacSHA256"));
      mac.update(label.getBytes(StandardCharsets.US_ASCII));
      for (byte[] p : parts) {
        mac.update(p);
      }
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM has no HmacSHA256: " + e, e);
    }
  }
}
