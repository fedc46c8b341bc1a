package org.sparkdp.driver;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;

/**
 * Whether the channel seals its frames, and what the headline says of it. The channel's per-fit
 * secret reaches the tasks inside their task binary, which Spark's RPC carries: it is kept from a
 * sniffer only when that RPC is encrypted, so the channel seals exactly then, and otherwise says
 * what it is (authenticated against a secret the network can read) and what to set.
 *
 * <p>Spark's rules (3.5 to 4.2): {@code spark.network.crypto.enabled} (AES-based) and {@code
 * spark.authenticate.enableSaslEncryption} (SASL) encrypt only with {@code spark.authenticate},
 * which alone only authenticates; {@code spark.ssl.rpc.enabled} (TLS, from Spark 4.0) does not
 * inherit {@code spark.ssl.enabled}, which covers the UI and other services but not the RPC.
 *
 * @param sealed encrypt and authenticate every frame
 * @param label what the headline says after the path ({@code "encrypted"}, {@code "authenticated,
 *     not encrypted"}), or {@code null} on a cluster without any of Spark's security settings
 * @param advice why the secret is not protected and what to set, or {@code null}
 */
record ChannelSecurity(boolean sealed, String label, String advice) {
  static final String AUTHENTICATE = "spark.authenticate";
  static final String CRYPTO = "spark.network.crypto.enabled";
  static final String SASL_ENCRYPTION = "spark.authenticate.enableSaslEncryption";
  static final String SSL = "spark.ssl.enabled";
  static final String SSL_RPC = "spark.ssl.rpc.enabled";

  /** The channel's security on the running Spark with {@code conf}. */
  static ChannelSecurity of(SparkConf conf) {
    return of(conf, org.apache.spark.package$.MODULE$.SPARK_VERSION());
  }

  /**
   * The channel's security on Spark {@code sparkVersion} (e.g. {@code 3.5.6}) with {@code conf}.
   */
  static ChannelSecurity of(SparkConf conf, String sparkVersion) {
    boolean authenticate = conf.getBoolean(AUTHENTICATE, false);
    boolean crypto = conf.getBoolean(CRYPTO, false);
    boolean sasl = conf.getBoolean(SASL_ENCRYPTION, false);
    boolean ssl = conf.getBoolean(SSL, false);
    boolean sslRpcSet = conf.getBoolean(SSL_RPC, false);
    boolean rpcTls = sslRpcSet && major(sparkVersion) >= 4;
    if ((authenticate && (crypto || sasl)) || rpcTls) {
      return new ChannelSecurity(true, "encrypted", null);
    }
    if (!(authenticate || crypto || sasl || ssl || sslRpcSet)) {
      return new ChannelSecurity(false, null, null);
    }
    List<String> why = new ArrayList<>();
    if (authenticate) {
      why.add(AUTHENTICATE + " authenticates Spark's RPC but does not encrypt it");
    }
    if (crypto || sasl) {
      why.add((crypto ? CRYPTO : SASL_ENCRYPTION) + " encrypts only with " + AUTHENTICATE);
    }
    if (sslRpcSet) {
      why.add(SSL_RPC + " needs Spark 4.0 or later (this is Spark " + sparkVersion + ")");
    } else if (ssl) {
      why.add(SSL + " does not cover Spark's RPC (" + SSL_RPC + " does, from Spark 4.0)");
    }
    return new ChannelSecurity(
        false,
        "authenticated, not encrypted",
        "the channel's secret travels to the tasks in Spark's RPC, which is not encrypted ("
            + String.join("; ", why)
            + "): set "
            + AUTHENTICATE
            + "=true and "
            + CRYPTO
            + "=true to encrypt it and the channel's frames");
  }

  /** The major version of {@code 4.2.0}: 4 ({@code 0} if it does not parse). */
  private static int major(String version) {
    try {
      return Integer.parseInt(version.split("[.-]")[0]);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
