package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.sparkdp.driver.channel.StepClient;
import org.sparkdp.driver.channel.StepServer;
import org.sparkdp.driver.channel.Sums;
import org.sparkdp.ops.Totals;

/**
 * The channel seals exactly when Spark's RPC, which carries the channel's secret to the tasks, is
 * encrypted: {@code spark.authenticate} with network crypto or SASL encryption, or RPC TLS from
 * Spark 4.0; every other setting is labelled as what it is, with what to set. Checked over every
 * combination of the five settings against the rule written out independently, then for the named
 * settings through a sniffer between a real {@link StepServer} and {@link StepClient}: sealed
 * frames show nothing of the parameters, plain ones show them.
 */
class ChannelSecurityTest {
  private static final String[] KEYS = {
    ChannelSecurity.AUTHENTICATE,
    ChannelSecurity.CRYPTO,
    ChannelSecurity.SASL_ENCRYPTION,
    ChannelSecurity.SSL,
    ChannelSecurity.SSL_RPC
  };

  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stopThreads() {
    threads.shutdownNow();
  }

  private static SparkConf conf(String... on) {
    SparkConf conf = new SparkConf(false);
    for (String key : on) {
      conf.set(key, "true");
    }
    return conf;
  }

  @Test
  void everyCombinationSealsExactlyWhenSparkEncryptsItsRpc() {
    for (String version : new String[] {"3.5.6", "4.0.1", "4.2.0"}) {
      for (int bits = 0; bits < 1 << KEYS.length; bits++) {
        SparkConf conf = new SparkConf(false);
        for (int k = 0; k < KEYS.length; k++) {
          conf.set(KEYS[k], String.valueOf((bits >> k & 1) == 1));
        }
        boolean auth = (bits & 1) != 0;
        boolean crypto = (bits & 2) != 0;
        boolean sasl = (bits & 4) != 0;
        boolean sslRpc = (bits & 16) != 0;
        boolean expected = auth && (crypto || sasl) || sslRpc && !version.startsWith("3.");
        ChannelSecurity security = ChannelSecurity.of(conf, version);
        String what = "Spark " + version + ", " + conf.toDebugString().replace('\n', ' ');
        assertEquals(expected, security.sealed(), what);
        if (expected) {
          assertEquals("encrypted", security.label(), what);
          assertNull(security.advice(), what);
        } else if (bits == 0) {
          assertNull(security.label(), what + ": a cluster without security settings");
          assertNull(security.advice(), what);
        } else {
          assertEquals("authenticated, not encrypted", security.label(), what);
          assertTrue(
              security.advice().contains("set spark.authenticate=true and "), security.advice());
        }
      }
    }
  }

  /** The named settings of the matrix, with what each must give on Spark 4.2. */
  private static Map<String, ChannelSecurity> matrix() {
    Map<String, ChannelSecurity> m = new LinkedHashMap<>();
    m.put("none", ChannelSecurity.of(conf(), "4.2.0"));
    m.put("authenticate alone", ChannelSecurity.of(conf(ChannelSecurity.AUTHENTICATE), "4.2.0"));
    m.put("crypto alone", ChannelSecurity.of(conf(ChannelSecurity.CRYPTO), "4.2.0"));
    m.put(
        "authenticate + crypto",
        ChannelSecurity.of(conf(ChannelSecurity.AUTHENTICATE, ChannelSecurity.CRYPTO), "4.2.0"));
    m.put(
        "authenticate + SASL encryption",
        ChannelSecurity.of(
            conf(ChannelSecurity.AUTHENTICATE, ChannelSecurity.SASL_ENCRYPTION), "4.2.0"));
    m.put("ssl.enabled alone", ChannelSecurity.of(conf(ChannelSecurity.SSL), "4.2.0"));
    m.put("ssl.rpc.enabled", ChannelSecurity.of(conf(ChannelSecurity.SSL_RPC), "4.2.0"));
    m.put("ssl.rpc.enabled on 3.5", ChannelSecurity.of(conf(ChannelSecurity.SSL_RPC), "3.5.6"));
    return m;
  }

  @Test
  void theHeadlineSaysWhatTheChannelIsAndWhatToSet() {
    Map<String, String> headlines = new LinkedHashMap<>();
    matrix()
        .forEach(
            (name, security) ->
                headlines.put(
                    name, new ChannelPlan(2, 8, 2, false, security, false, false).describe()));
    headlines.forEach((name, h) -> System.out.println(name + ": " + h));
    assertEquals("driver channel: 2 tasks for 8 partitions, 2 task slots", headlines.get("none"));
    assertEquals(
        "driver channel, encrypted: 2 tasks for 8 partitions, 2 task slots",
        headlines.get("authenticate + crypto"));
    assertEquals(
        "driver channel, encrypted: 2 tasks for 8 partitions, 2 task slots",
        headlines.get("authenticate + SASL encryption"));
    assertEquals(
        "driver channel, encrypted: 2 tasks for 8 partitions, 2 task slots",
        headlines.get("ssl.rpc.enabled"));
    String alone = headlines.get("authenticate alone");
    assertTrue(
        alone.startsWith(
            "driver channel, authenticated, not encrypted: 2 tasks for 8 partitions, 2 task slots;"
                + " the channel's secret travels to the tasks in Spark's RPC, which is not"
                + " encrypted (spark.authenticate authenticates Spark's RPC but does not encrypt"
                + " it): set spark.authenticate=true and spark.network.crypto.enabled=true"),
        alone);
    assertTrue(
        headlines.get("crypto alone").contains("spark.network.crypto.enabled encrypts only with"),
        headlines.get("crypto alone"));
    assertTrue(
        headlines.get("ssl.enabled alone").contains("spark.ssl.enabled does not cover Spark's RPC"),
        headlines.get("ssl.enabled alone"));
    assertTrue(
        headlines.get("ssl.rpc.enabled on 3.5").contains("needs Spark 4.0 or later"),
        headlines.get("ssl.rpc.enabled on 3.5"));
  }

  @Test
  void theFramesOnTheWireAreSealedExactlyWhenTheLabelSaysEncrypted() throws Exception {
    float[] params = new float[64];
    Arrays.fill(params, 1234.5678f);
    byte[] pattern = new byte[4 * 8];
    ByteBuffer.wrap(pattern).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(params, 0, 8);
    for (Map.Entry<String, ChannelSecurity> e : matrix().entrySet()) {
      ChannelSecurity security = e.getValue();
      byte[] wire = sniffOneStep(security.sealed(), params);
      boolean readable = indexOf(wire, pattern) >= 0;
      assertEquals(!security.sealed(), readable, e.getKey() + ": parameters readable on the wire");
      assertEquals(
          security.sealed(), "encrypted".equals(security.label()), e.getKey() + ": the label");
    }
  }

  /** One step through a relay that records what the driver sends; returns those bytes. */
  private byte[] sniffOneStep(boolean sealed, float[] params) throws Exception {
    try (StepServer server =
            new StepServer("127.0.0.1", "127.0.0.1", 10_000, params.length, sealed);
        ServerSocket relay = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      ByteArrayOutputStream seen = new ByteArrayOutputStream();
      threads.submit(
          () -> {
            try (Socket task = relay.accept();
                Socket driver = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
              threads.submit(() -> copy(task.getInputStream(), driver.getOutputStream(), null));
              copy(driver.getInputStream(), task.getOutputStream(), seen);
            }
            return null;
          });
      Future<?> task =
          threads.submit(
              () -> {
                try (StepClient client =
                    StepClient.connect(
                        "127.0.0.1",
                        relay.getLocalPort(),
                        server.key(),
                        0,
                        1,
                        params.length,
                        10_000,
                        10_000)) {
                  StepClient.Command c = client.next();
                  Totals totals = new Totals();
                  totals.count = 1;
                  client.replyStep(0, totals, c.params().clone());
                  client.next(); // until the driver closes
                }
                return null;
              });
      assertEquals(1, server.awaitTasks(1, 1, 10_000, () -> null, connected -> false));
      Sums sums = server.step(0, 0, params);
      assertArrayEquals(params, sums.gradient(), "the step went through");
      server.closeConnections();
      try {
        task.get(10, TimeUnit.SECONDS);
      } catch (Exception ended) {
        // the task's connection closed under it: expected
      }
      synchronized (seen) {
        return seen.toByteArray();
      }
    }
  }

  private static Void copy(InputStream in, OutputStream out, ByteArrayOutputStream record)
      throws IOException {
    byte[] buffer = new byte[1 << 14];
    try {
      for (int n; (n = in.read(buffer)) > 0; ) {
        if (record != null) {
          synchronized (record) {
            record.write(buffer, 0, n);
          }
        }
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException closed) {
      // one end went away
    }
    out.close();
    return null;
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
