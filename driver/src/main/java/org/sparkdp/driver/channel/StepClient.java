package org.sparkdp.driver.channel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.sparkdp.ops.Totals;

/**
 * A training task's end of the step channel: connects to the driver's {@link StepServer}, proves it
 * holds the fit's key ({@link Handshake}), then reads commands and writes replies until {@code
 * END}. A task that hears nothing for the idle timeout gives up, so a lost driver never leaves
 * tasks behind.
 */
public final class StepClient implements AutoCloseable {
  private final Link link;
  private float[] params = new float[0];

  /** What the driver asks for. */
  public enum Kind {
    STEP,
    EVAL,
    END,
    /** Report this task's ring address ({@link #replyAddress}). */
    ADDRESS,
    /**
     * Join the ring of {@link Command#ring} and say whether it could ({@link RingNode#answerRing}).
     */
    RING,
    /** {@code STEP} with the parameters and sums along the ring. */
    RING_STEP,
    /** {@code EVAL} with the parameters along the ring. */
    RING_EVAL
  }

  /**
   * One command: train step {@code step} of {@code epoch} (or validate, for {@code EVAL}) at {@code
   * params}, a buffer that the next command overwrites; for {@code RING}, every task's ring address
   * ({@code host:port}) in group order.
   */
  public record Command(Kind kind, int epoch, int step, float[] params, List<String> ring) {}

  private StepClient(Link link) {
    this.link = link;
  }

  /**
   * Connects to the driver at {@code host:port} within {@code connectTimeoutMillis} as the task of
   * {@code group} in launch {@code launch}.
   *
   * @param parameters the model's parameter count (bounds every message)
   * @param idleTimeoutMillis how long to wait for a command before giving up on the driver
   */
  public static StepClient connect(
      String host,
      int port,
      ChannelKey key,
      int group,
      int launch,
      int parameters,
      long connectTimeoutMillis,
      long idleTimeoutMillis)
      throws IOException {
    if (key.sealed()) {
      CipherWarmUp.once();
    }
    Socket socket = Ring.socket(new InetSocketAddress(host, port), connectTimeoutMillis);
    try {
      Link link =
          Handshake.connect(
              socket,
              key,
              new Handshake.Hello(Handshake.ROLE_TASK, group, launch),
              true,
              Wire.maxMessage(parameters),
              "the driver at " + host + ":" + port);
      link.timeout(idleTimeoutMillis);
      return new StepClient(link);
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  /**
   * Closes the connection as soon as {@code cancelled} says so (checked four times a second by a
   * daemon thread): a blocking socket read does not notice that Spark cancelled the task, a closed
   * socket ends it at once.
   */
  public void closeWhen(BooleanSupplier cancelled) {
    Thread watchdog =
        new Thread(
            () -> {
              while (!link.isClosed()) {
                if (cancelled.getAsBoolean()) {
                  close();
                  return;
                }
                try {
                  Thread.sleep(250);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "sparkdp-step-task-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }

  /** Waits for the driver's next command. */
  public Command next() throws IOException {
    ByteBuffer m = link.receive();
    int code = m.getInt();
    switch (code) {
      case Wire.END:
        return new Command(Kind.END, -1, -1, params, List.of());
      case Wire.ADDRESS:
        return new Command(Kind.ADDRESS, -1, -1, params, List.of());
      case Wire.RING_EVAL:
        return new Command(Kind.RING_EVAL, -1, -1, params, List.of());
      case Wire.RING_STEP:
        return new Command(Kind.RING_STEP, m.getInt(), m.getInt(), params, List.of());
      case Wire.RING:
        return new Command(Kind.RING, -1, -1, params, ring(m));
      default:
        break;
    }
    if (code != Wire.STEP && code != Wire.EVAL) {
      throw new IOException("unknown command " + code + " from the driver");
    }
    int epoch = code == Wire.STEP ? m.getInt() : -1;
    int step = code == Wire.STEP ? m.getInt() : -1;
    int n = m.getInt();
    if (n < 0 || 4L * n > m.remaining()) {
      throw new IOException(
          "a command announces " + n + " parameters but holds " + m.remaining() / 4);
    }
    if (params.length != n) {
      params = new float[n];
    }
    Wire.getFloats(m, n, params);
    return new Command(code == Wire.STEP ? Kind.STEP : Kind.EVAL, epoch, step, params, List.of());
  }

  private static List<String> ring(ByteBuffer m) throws IOException {
    int tasks = m.getInt();
    if (tasks < 1 || tasks > m.remaining() / 4) {
      throw new IOException("a ring table announces " + tasks + " tasks");
    }
    List<String> addresses = new ArrayList<>();
    for (int t = 0; t < tasks; t++) {
      addresses.add(Wire.getText(m));
    }
    return addresses;
  }

  /**
   * Phase {@code phase} of the step in flight ({@link org.sparkdp.ops.Phases}): sends this task's
   * partial sums and waits for the driver's total over every task.
   */
  public double[] exchange(int phase, double[] partial) throws IOException {
    Wire.putDoubles(link.message(Wire.OVERHEAD + 8 * partial.length), partial);
    link.send();
    ByteBuffer m = link.receive();
    int code = m.getInt();
    int at = code == Wire.PHASE ? m.getInt() : -1;
    if (code != Wire.PHASE || at != phase) {
      throw new IOException(
          "expected the total of phase " + phase + " from the driver, got command " + code);
    }
    double[] total = new double[partial.length];
    Wire.getDoubles(m, m.getInt(), total);
    return total;
  }

  /** Answers {@code ADDRESS}: where this task's ring listens, {@code host:port}. */
  public void replyAddress(String address) throws IOException {
    Wire.putText(link.message(Wire.OVERHEAD + 4 * address.length()), address);
    link.send();
  }

  /**
   * Answers {@code RING}: this task has joined the ring ({@code failure} null), or why it could
   * not.
   */
  public void replyJoined(String failure) throws IOException {
    if (failure == null) {
      link.message(0);
    } else {
      // A text of at most 1 KB, even in four-byte characters.
      String text = failure.length() > 256 ? failure.substring(0, 256) : failure;
      Wire.putText(link.message(Wire.OVERHEAD + 4 * text.length()), text);
    }
    link.send();
  }

  /**
   * Answers a {@code STEP}: the sums of this task's examples in it ({@code gradient} null when it
   * had none).
   */
  public void replyStep(long computeNanos, Totals totals, float[] gradient) throws IOException {
    ByteBuffer m =
        link.message(
            Wire.OVERHEAD + totals.encodedBytes() + (gradient == null ? 0 : 4 * gradient.length));
    m.putLong(computeNanos);
    Wire.putTotals(m, totals);
    if (gradient == null) {
      m.putInt(-1);
    } else {
      Wire.putFloats(m, gradient);
    }
    link.send();
  }

  /** Answers an {@code EVAL}: the sums (loss, correct count, metrics) of this task's rows. */
  public void replyEval(Totals totals) throws IOException {
    Wire.putTotals(link.message(Wire.OVERHEAD + totals.encodedBytes()), totals);
    link.send();
  }

  @Override
  public void close() {
    link.close();
  }
}
