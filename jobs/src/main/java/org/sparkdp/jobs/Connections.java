package org.sparkdp.jobs;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;

/**
 * How long a job waits for what it connects to, so that an unreachable master or file system ends
 * the run within a minute with one line naming the host, instead of minutes of retries and stack
 * traces. Spark's standalone client retries its registration for a minute with constants that no
 * setting changes, so a {@code spark://} master is first tried with a plain TCP connect; Hadoop's
 * clients get bounded defaults, which a user's own setting ({@code --conf spark.hadoop.KEY=VALUE}
 * or a {@code *-site.xml}) overrides.
 */
final class Connections {
  /** How long the TCP connect to each {@code spark://} master may take. */
  static final int MASTER_CONNECT_SECONDS = 10;

  /**
   * Hadoop's defaults would wait up to 45 tries of 20 s for a connect that times out, and 120 s for
   * an answer: a connect fails after 3 tries (10 s each when it times out, 1 s apart when it is
   * refused), a call after 20 s without an answer, an HA client after 3 failovers.
   */
  static final Map<String, String> HADOOP_DEFAULTS = hadoopDefaults();

  private Connections() {}

  private static Map<String, String> hadoopDefaults() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("ipc.client.connect.timeout", "10000");
    m.put("ipc.client.connect.max.retries", "2");
    m.put("ipc.client.connect.max.retries.on.timeouts", "2");
    m.put("ipc.client.connect.retry.interval", "1000");
    m.put("ipc.client.rpc-timeout.ms", "20000");
    m.put("dfs.client.failover.max.attempts", "3");
    m.put("dfs.client.failover.sleep.max.millis", "2000");
    return m;
  }

  /**
   * Adds the bounded Hadoop settings to {@code conf} as {@code spark.hadoop.*}, except those the
   * user set.
   */
  static void bound(SparkConf conf) {
    Configuration site = new Configuration();
    HADOOP_DEFAULTS.forEach(
        (key, value) -> {
          if (!conf.contains("spark.hadoop." + key) && !setBySite(site, key)) {
            conf.set("spark.hadoop." + key, value);
          }
        });
  }

  /** A Hadoop configuration for the driver's own file access, bounded as {@link #bound}. */
  static Configuration hadoopConf() {
    Configuration c = new Configuration();
    SparkConf spark = new SparkConf();
    HADOOP_DEFAULTS.forEach(
        (key, value) -> {
          if (spark.contains("spark.hadoop." + key)) {
            c.set(key, spark.get("spark.hadoop." + key));
          } else if (!setBySite(c, key)) {
            c.set(key, value);
          }
        });
    return c;
  }

  /** Whether a {@code *-site.xml} (not Hadoop's own {@code *-default.xml}) sets {@code key}. */
  private static boolean setBySite(Configuration conf, String key) {
    String[] sources = conf.getPropertySources(key);
    if (sources == null) {
      return false;
    }
    for (String s : sources) {
      if (!s.endsWith("-default.xml")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Fails, naming the master and its host, when no master of a {@code spark://} URL accepts a TCP
   * connection within {@link #MASTER_CONNECT_SECONDS}.
   */
  static void checkMaster(String master) throws IOException {
    if (master == null || !master.startsWith("spark://")) {
      return;
    }
    List<String> failures = new ArrayList<>();
    for (String hostPort : master.substring("spark://".length()).split(",")) {
      int colon = hostPort.lastIndexOf(':');
      String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
      int port;
      try {
        port = colon < 0 ? 7077 : Integer.parseInt(hostPort.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new org.sparkdp.ops.ConfigException(
            "--master " + master + ": '" + hostPort + "' is not HOST:PORT");
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(host, port), MASTER_CONNECT_SECONDS * 1000);
        return;
      } catch (UnknownHostException e) {
        failures.add(host + ": unknown host");
      } catch (java.net.SocketTimeoutException e) {
        failures.add(host + ":" + port + ": no answer within " + MASTER_CONNECT_SECONDS + " s");
      } catch (IOException e) {
        failures.add(host + ":" + port + ": " + e.getMessage());
      }
    }
    throw new IOException(
        "--master " + master + ": no Spark master reachable (" + String.join("; ", failures) + ")");
  }
}
