package org.sparkdp.driver;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The Spark line (major.minor and Scala's binary version) this build is for, and the check that the
 * running Spark is of it: a jar of another line fails later with a {@code NoSuchMethodError} deep
 * in Spark; this fails first, naming both lines and the jar to use.
 */
public final class SparkLine {
  private static final Properties BUILD = build();

  private SparkLine() {}

  private static Properties build() {
    Properties p = new Properties();
    try (InputStream in = SparkLine.class.getResourceAsStream("/org/sparkdp/version.properties")) {
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }

  /** The line built for, e.g. {@code 4.2_2.13}. */
  public static String built() {
    return BUILD.getProperty("spark.line") + "_" + BUILD.getProperty("scala.binary.version");
  }

  /** The running Spark's line, e.g. {@code 3.5_2.12}. */
  public static String running() {
    return line(org.apache.spark.package$.MODULE$.SPARK_VERSION())
        + "_"
        + line(scala.util.Properties.versionNumberString());
  }

  /** {@code 3.5.1} is line {@code 3.5}. */
  static String line(String version) {
    String[] parts = version.split("[.-]");
    return parts.length < 2 ? version : parts[0] + "." + parts[1];
  }

  /** Fails, naming both lines and the app jar to use, when the running Spark is of another line. */
  public static void check() {
    String built = built();
    String running = running();
    if (!built.equals(running)) {
      throw new IllegalStateException(
          "this sparkdp is built for Spark "
              + describe(built)
              + " but runs on Spark "
              + org.apache.spark.package$.MODULE$.SPARK_VERSION()
              + " (Scala "
              + scala.util.Properties.versionNumberString()
              + "): use sparkdp-jobs-"
              + BUILD.getProperty("version")
              + "-spark"
              + running
              + "-app.jar (mvn -P spark-"
              + running.replace('_', '-')
              + " package)");
    }
  }

  private static String describe(String line) {
    int cut = line.indexOf('_');
    return line.substring(0, cut) + " (Scala " + line.substring(cut + 1) + ")";
  }
}
