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
 * accepting end checks it, and who it says it is (its role, group and launch), and answers with its
 * own nonce and an HMAC that covers the hello, so each end knows the other holds the secret and the
 * secret itself never travels. The connecting end's first frame ({@code READY}) carries an HMAC of
 * the whole handshake (both nonces, and the hello's role, group and launch): a recorded hello
 * replayed into a new connection cannot produce it, as the accepting end's nonce is new, so the
 * replay is refused, plain or sealed, before the connection counts. Sealed, each direction's AES
 * key is an HMAC of both nonces, so every connection has keys of its own and a recorded
 * conversation cannot be replayed into a new one. One stream may instead go to many: the driver's
 * commands are the same for every task of a launch, so it seals them once, with a key of that
 * launch ({@link #commandKey}), and each task receives them with it.
 *
 * <p>No Diffie-Hellman exchange: the driver's commands are sealed once per launch under a key of
 * the secret (one seal for every task, which keeps a step's cost), so forward secrecy would cover
 * only the replies and the ring; the secret is kept from the network by Spark's encrypted RPC
 * instead (the channel seals only then).
 *
 * <pre>
 *   hello:  int MAGIC, int VERSION, int sealed, int role, int group, int launch, byte[16] nonce, byte[32] hmac
 *   answer: byte[16] nonce, byte[32] hmac(hello, answer nonce)
 *   READY (a frame): int group, int launch, byte[32] hmac(hello, answer nonce)
 * </pre>
 */
final class Handshake {
  static final int MAGIC = 0x53504450; // "SPDP"
  static final int VERSION = 3;

  /** The role of a training task connecting to the driver. */
  static final int ROLE_TASK = 1;

  /**
   * The role of a ring link's sending end (the task before, or the driver before the first task,
   * with group -1), connecting to the task after it.
   */
  static final int ROLE_RING = 2;

  /** The role of the driver connecting to the last task of the ring, to receive the sums. */
  static final int ROLE_RING_TAIL = 3;

  private static final int NONCE = 16;
  private static final int MAC = 32;
  private static final int HELLO = 24 + NONCE;
  private static final SecureRandom RANDOM = new SecureRandom();

  private Handshake() {}

  /** Who a connecting end says it is: its role, its group of partitions and its launch. */
  record Hello(int role, int group, int launch) {}

  /** A connection the accepting end has checked, and who is on the other end. */
  record Accepted(Hello hello, Link link) {}

  /** The accepting end's check of who a hello says it is, before it answers. */
  interface Admission {
    /**
     * Returns if {@code hello} may connect here.
     *
     * @throws IOException naming why not
     */
    void check(Hello hello) throws IOException;
  }

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
    link.message(8 + MAC)
        .putInt(hello.group())
        .putInt(hello.launch())
        .put(hmac(key, "ready", helloBytes, theirs));
    link.send();
    return link;
  }

  /**
   * The accepting end: checks the hello on {@code socket} and {@code admit}'s verdict on it,
   * answers, and checks {@code READY}.
   *
   * @param peer names the connecting end in messages, from its hello
   * @throws FrameRejectedException naming why the connection is refused (a replayed hello among
   *     them)
   */
  static Accepted accept(
      Socket socket, ChannelKey key, int maxMessage, Admission admit, Function<Hello, String> peer)
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
    admit.check(hello);
    byte[] nonce = nonce();
    ByteBuffer answer = ByteBuffer.allocate(NONCE + MAC);
    answer.put(nonce).put(hmac(key, "answer", helloBytes, nonce));
    socket.getOutputStream().write(answer.array());
    socket.getOutputStream().flush();
    Link link = link(socket, in, key, nonce, theirs, false, null, maxMessage, peer.apply(hello));
    ByteBuffer ready;
    try {
      ready = link.receive();
    } catch (FrameRejectedException e) {
      throw replayed(hello, e.getMessage());
    }
    byte[] readyProof = new byte[MAC];
    if (ready.remaining() != 8 + MAC
        || ready.getInt() != hello.group()
        || ready.getInt() != hello.launch()) {
      throw replayed(hello, "its first frame is not the READY its hello announced");
    }
    ready.get(readyProof);
    if (!MessageDigest.isEqual(readyProof, hmac(key, "ready", helloBytes, nonce))) {
      throw replayed(hello, "its READY does not prove this handshake");
    }
    return new Accepted(hello, link);
  }

  /**
   * A hello with a valid HMAC whose sender then cannot prove the handshake: a hello recorded from
   * another connection and replayed (one that holds the secret proves it).
   */
  private static FrameRejectedException replayed(Hello hello, String why) {
    return new FrameRejectedException(
        "a replayed hello (role "
            + hello.role()
            + ", group "
            + hello.group()
            + ", launch "
            + hello.launch()
            + "): "
            + why);
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
