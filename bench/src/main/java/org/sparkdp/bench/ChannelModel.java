package org.sparkdp.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;

/**
 * The constants of the cost model in docs/cost-model.md, measured here: the round trip of a small
 * message and of a parameter vector over a loopback socket, and the driver's time to add one vector
 * into a sum. From them the model predicts the driver channel's fixed cost per step for {@code P}
 * tasks: {@code alpha + 2 P t_msg + P t_add + t_opt}.
 */
final class ChannelModel {
  private ChannelModel() {}

  /** Measured constants, in seconds. */
  record Constants(double latency, double message, double add) {
    /**
     * Predicted fixed cost per step for {@code tasks} tasks, with {@code optimizer} seconds of
     * update.
     */
    double predict(int tasks, double optimizer) {
      return latency + 2 * tasks * message + tasks * add + optimizer;
    }
  }

  /**
   * The executor allreduce's fixed cost per step for {@code tasks} tasks: {@code alpha + 2 t_msg +
   * 2 (P - 1) t_piece + t_opt}, the driver's parameters out and sum in, each stream's pipeline
   * filling through {@code P - 1} hops of one piece ({@code t_piece}: one piece of {@code
   * Ring.PIECE_FLOATS} floats one way, latency included), and the command and totals through the
   * channel.
   */
  static double predictRing(Constants model, double piece, int tasks, double optimizer) {
    return model.latency() + 2 * model.message() + 2 * (tasks - 1) * piece + optimizer;
  }

  /** Seconds for one piece of {@code floats} floats to go one way, latency included. */
  static double pieceSeconds(int floats) throws IOException, InterruptedException {
    return roundTrip(floats) / 2;
  }

  static Constants measure(int floats) throws IOException, InterruptedException {
    double small = roundTrip(1);
    double large = roundTrip(floats);
    float[] sum = new float[floats];
    float[] part = new float[floats];
    Arrays.fill(part, 1f);
    double[] adds = new double[2000];
    for (int i = 0; i < adds.length; i++) {
      long t = System.nanoTime();
      for (int j = 0; j < floats; j++) {
        sum[j] += part[j];
      }
      adds[i] = (System.nanoTime() - t) / 1e9;
    }
    // The second half only: by then the JIT has compiled the loop.
    return new Constants(
        small,
        (large - small) / 2,
        Bench.median(Arrays.copyOfRange(adds, adds.length / 2, adds.length)) + sum[0] * 0);
  }

  /**
   * Median seconds for {@code floats} floats to go to an echo peer and back, as the channel sends
   * them.
   */
  private static double roundTrip(int floats) throws IOException, InterruptedException {
    byte[] payload = new byte[4 * floats];
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread echo =
          new Thread(
              () -> {
                try (Socket s = server.accept()) {
                  configure(s);
                  DataInputStream in =
                      new DataInputStream(new BufferedInputStream(s.getInputStream(), 1 << 16));
                  DataOutputStream out =
                      new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 1 << 16));
                  byte[] buffer = new byte[payload.length];
                  while (true) {
                    int n = in.readInt();
                    if (n < 0) {
                      return;
                    }
                    in.readFully(buffer, 0, n);
                    out.writeInt(n);
                    out.write(buffer, 0, n);
                    out.flush();
                  }
                } catch (IOException e) {
                  // the measurement ended
                }
              });
      echo.start();
      // Fewer rounds for a large model's vector (tens of MB): still a hundred and more.
      double[] times = new double[floats > 1 << 20 ? 120 : 400];
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
        configure(s);
        DataInputStream in =
            new DataInputStream(new BufferedInputStream(s.getInputStream(), 1 << 16));
        DataOutputStream out =
            new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 1 << 16));
        for (int i = 0; i < times.length; i++) {
          long t = System.nanoTime();
          out.writeInt(payload.length);
          out.write(payload);
          out.flush();
          in.readFully(payload, 0, in.readInt());
          times[i] = (System.nanoTime() - t) / 1e9;
        }
        out.writeInt(-1);
        out.flush();
      }
      echo.join(10_000);
      return Bench.median(Arrays.copyOfRange(times, times.length / 4, times.length));
    }
  }

  private static void configure(Socket s) throws IOException {
    s.setTcpNoDelay(true);
    s.setReceiveBufferSize(1 << 20);
    s.setSendBufferSize(1 << 20);
  }
}
