package org.sparkdp.driver.channel;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.function.BooleanSupplier;
import org.sparkdp.ops.Totals;

/**
 * A training task's end of the step channel: connects to the driver's {@link StepServer}, says
 * hello, then reads commands and writes replies until {@code END}. A task that hears nothing for
 * the idle timeout gives up, so a lost driver never leaves tasks behind.
 */
public final class StepClient implements AutoCloseable {
  private final Socket socket;
  private final DataInputStream in;
  private final DataOutputStream out;
  private float[] params;
  private byte[] scratch;

  /** What the driver asks for. */
  public enum Kind {
    STEP,
    EVAL,
    END
  }

  /**
   * One command: train step {@code step} of {@code epoch} (or validate, for {@code EVAL}) at {@code
   * params}, a buffer that the next command overwrites.
   */
  public record Command(Kind kind, int epoch, int step, float[] params) {}

  private StepClient(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
    this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
  }

  /**
   * Connects to the driver at {@code host:port} within {@code connectTimeoutMillis} and says hello.
   *
   * @param idleTimeoutMillis how long to wait for a command before giving up on the driver
   */
  public static StepClient connect(
      String host,
      int port,
      byte[] secret,
      int partition,
      int launch,
      long connectTimeoutMillis,
      long idleTimeoutMillis)
      throws IOException {
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.setReceiveBufferSize(1 << 20);
      socket.setSendBufferSize(1 << 20);
      socket.connect(
          new InetSocketAddress(host, port),
          (int) Math.min(Integer.MAX_VALUE, connectTimeoutMillis));
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, idleTimeoutMillis));
      StepClient client = new StepClient(socket);
      Wire.writeHello(client.out, secret, partition, launch);
      return client;
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
              while (!socket.isClosed()) {
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
    int code = in.readInt();
    if (code == Wire.END) {
      return new Command(Kind.END, -1, -1, params);
    }
    if (code != Wire.STEP && code != Wire.EVAL) {
      throw new IOException("unknown command " + code + " from the driver");
    }
    int epoch = code == Wire.STEP ? in.readInt() : -1;
    int step = code == Wire.STEP ? in.readInt() : -1;
    int n = in.readInt();
    if (params == null || params.length != n) {
      params = new float[n];
      scratch = new byte[4 * n];
    }
    Wire.readFloats(in, n, params, scratch);
    return new Command(code == Wire.STEP ? Kind.STEP : Kind.EVAL, epoch, step, params);
  }

  /**
   * Answers a {@code STEP}: the sums of this task's examples in it ({@code gradient} null when it
   * had none).
   */
  public void replyStep(long computeNanos, Totals totals, float[] gradient) throws IOException {
    out.writeLong(computeNanos);
    Wire.writeTotals(out, totals);
    if (gradient == null) {
      out.writeInt(-1);
    } else {
      Wire.writeFloats(out, gradient, scratch);
    }
    out.flush();
  }

  /** Answers an {@code EVAL}: the loss and correct count of this task's validation rows. */
  public void replyEval(Totals totals) throws IOException {
    Wire.writeTotals(out, totals);
    out.flush();
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
