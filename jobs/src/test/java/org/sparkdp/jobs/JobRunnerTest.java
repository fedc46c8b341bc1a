package org.sparkdp.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import org.apache.spark.SparkException;
import org.junit.jupiter.api.Test;
import org.sparkdp.DataException;
import org.sparkdp.ops.ConfigException;

class JobRunnerTest {
  @Test
  void aBadModelFileIsAFileErrorNamingTheFileThoughAKeyCausedIt() {
    Throwable t =
        new IOException(
            "m/model.json: config.layers[0].units: must be a positive integer, got 0",
            new ConfigException("config.layers[0].units: must be a positive integer, got 0"));
    assertEquals(1, JobRunner.exitCode(t));
    assertEquals(
        "m/model.json: config.layers[0].units: must be a positive integer, got 0",
        JobRunner.message(t));
  }

  @Test
  void configurationErrorsExitWith2AndDataErrorsWith1() {
    assertEquals(2, JobRunner.exitCode(new ConfigException("fit.epochs: must be ...")));
    assertEquals(
        1,
        JobRunner.exitCode(
            new SparkException("Job aborted", new DataException("train data (x.csv) row 3: ..."))));
    assertEquals(
        "train data (x.csv) row 3: ...",
        JobRunner.message(
            new SparkException(
                "Job aborted\nmore lines", new DataException("train data (x.csv) row 3: ..."))));
  }

  @Test
  void anythingElseIsNamedByItsType() {
    assertEquals(1, JobRunner.exitCode(new OutOfMemoryError("Java heap space")));
    assertEquals(
        "OutOfMemoryError: Java heap space",
        JobRunner.message(new OutOfMemoryError("Java heap space")));
  }
}
