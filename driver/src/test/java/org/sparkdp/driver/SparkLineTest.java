package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SparkLineTest {
  @Test
  void aReleaseBelongsToTheLineOfItsMajorAndMinorVersion() {
    assertEquals("3.5", SparkLine.line("3.5.1"));
    assertEquals("4.0", SparkLine.line("4.0.0-preview2"));
    assertEquals("2.13", SparkLine.line("2.13.18"));
  }

  @Test
  void theBuildIsForTheSparkItIsTestedOn() {
    assertEquals(
        org.apache.spark.package$.MODULE$.SPARK_VERSION().replaceAll("^(\\d+\\.\\d+).*", "$1")
            + "_"
            + scala.util.Properties.versionNumberString().replaceAll("^(\\d+\\.\\d+).*", "$1"),
        SparkLine.built());
    assertEquals(SparkLine.built(), SparkLine.running());
    SparkLine.check();
  }
}
