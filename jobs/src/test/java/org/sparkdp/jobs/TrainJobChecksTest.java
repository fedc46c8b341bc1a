package org.sparkdp.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code train} checks before it writes anything (and before Spark starts): where its
 * callbacks write, and whether the output directory holds checkpoints of an earlier run.
 */
class TrainJobChecksTest {
  private static final String JOB =
      String.join(
          "\n",
          "model:",
          "  layers:",
          "    - {type: dense, units: 4, activation: relu, input_dim: 2}",
          "    - {type: dense, units: 2, activation: softmax}",
          "compile: {optimizer: adam, loss: sparse_categorical_crossentropy}",
          "fit:",
          "  callbacks:",
          "    - CALLBACK",
          "");

  private static Throwable train(Path dir, String callback) throws Exception {
    Files.writeString(dir.resolve("data.csv"), "a,b,label\n1,2,0\n");
    Files.writeString(dir.resolve("job.yaml"), JOB.replace("CALLBACK", callback));
    Path out = dir.resolve("out");
    Throwable t =
        assertThrows(
            Exception.class,
            () ->
                TrainJob.run(
                    new String[] {
                      "--config",
                      dir.resolve("job.yaml").toString(),
                      "--train",
                      dir.resolve("data.csv").toString(),
                      "--output",
                      out.toString()
                    }));
    assertFalse(Files.exists(out), "nothing written");
    return t;
  }

  @Test
  void aModelCheckpointIntoAnExistingFileIsRefusedNamingTheSetting(@TempDir Path dir)
      throws Exception {
    Path notes = Files.writeString(dir.resolve("notes.csv"), "keep me\n");
    Throwable t = train(dir, "{type: model_checkpoint, filepath: " + notes + "}");
    assertEquals(1, JobRunner.exitCode(t));
    assertEquals(
        "model_checkpoint.filepath: " + notes + " is a file, not a model directory",
        JobRunner.message(t));
    assertEquals("keep me\n", Files.readString(notes));
  }

  @Test
  void aTemplatedModelCheckpointUnderAFileIsRefused(@TempDir Path dir) throws Exception {
    Path notes = Files.writeString(dir.resolve("notes.csv"), "keep me\n");
    Throwable t = train(dir, "{type: model_checkpoint, filepath: \"" + notes + "/m-{epoch:02d}\"}");
    assertEquals(
        "model_checkpoint.filepath: "
            + notes
            + "/m-{epoch:02d}: "
            + notes
            + " is a file, not a directory",
        JobRunner.message(t));
  }

  @Test
  void aCsvLogThatIsADirectoryIsRefused(@TempDir Path dir) throws Exception {
    Path logs = Files.createDirectories(dir.resolve("logs"));
    Throwable t = train(dir, "{type: csv_logger, filename: " + logs + "}");
    assertEquals(
        "csv_logger.filename: " + logs + " is a directory, not a file", JobRunner.message(t));
  }

  @Test
  void aFreshRunIntoCheckpointsOfAnEarlierRunIsRefusedAndResumeNeedsOne(@TempDir Path dir)
      throws Exception {
    Configuration conf = new Configuration();
    String out = dir.resolve("out").toString();
    Throwable none =
        assertThrows(Exception.class, () -> TrainJob.checkCheckpoints(out, true, conf));
    assertEquals(1, JobRunner.exitCode(none));
    assertEquals(
        "--resume: no checkpoint in " + out + "/checkpoints to resume from",
        JobRunner.message(none));
    TrainJob.checkCheckpoints(out, false, conf);

    Files.createDirectories(dir.resolve("out/checkpoints/ckpt-00001-00000000"));
    Files.createDirectories(dir.resolve("out/checkpoints/ckpt-00002-00000000"));
    Throwable earlier =
        assertThrows(Exception.class, () -> TrainJob.checkCheckpoints(out, false, conf));
    assertEquals(2, JobRunner.exitCode(earlier));
    assertEquals(
        out
            + "/checkpoints holds the checkpoints of an earlier run that did not finish (the newest"
            + " is"
            + " ckpt-00002-00000000); continue that run with --resume, train into another"
            + " --output, or remove "
            + out
            + "/checkpoints to start afresh",
        JobRunner.message(earlier));
    TrainJob.checkCheckpoints(out, true, conf);
  }

  @Test
  void aFinishedRunsCheckpointsAreReplacedByAFreshRunButNotOnceALaterCheckpointIsWritten(
      @TempDir Path dir) throws Exception {
    Configuration conf = new Configuration();
    String out = dir.resolve("out").toString();
    String checkpoints = out + "/checkpoints";
    for (String name : List.of("ckpt-00001-00000000", "ckpt-00002-00000000")) {
      Files.createDirectories(dir.resolve("out/checkpoints").resolve(name));
      Files.writeString(dir.resolve("out/checkpoints").resolve(name).resolve("SHA256SUMS"), name);
    }
    TrainJob.markFinished(checkpoints, conf);
    assertTrue(
        TrainJob.finishedAt(checkpoints, conf).matches("ckpt-00002-00000000 [0-9a-f]{64}"),
        TrainJob.finishedAt(checkpoints, conf));
    TrainJob.checkCheckpoints(out, false, conf); // a rerun of a finished run goes ahead

    // A rerun stopped after writing a checkpoint of the same name with other contents: unfinished.
    Files.writeString(
        dir.resolve("out/checkpoints/ckpt-00002-00000000/SHA256SUMS"), "another state");
    Throwable rewritten =
        assertThrows(Exception.class, () -> TrainJob.checkCheckpoints(out, false, conf));
    assertEquals(2, JobRunner.exitCode(rewritten));

    // A run resumed from the finished one, stopped after a third checkpoint: unfinished.
    Files.writeString(
        dir.resolve("out/checkpoints/ckpt-00002-00000000/SHA256SUMS"), "ckpt-00002-00000000");
    TrainJob.checkCheckpoints(out, false, conf);
    Files.createDirectories(dir.resolve("out/checkpoints/ckpt-00003-00000000"));
    Throwable unfinished =
        assertThrows(Exception.class, () -> TrainJob.checkCheckpoints(out, false, conf));
    assertEquals(2, JobRunner.exitCode(unfinished));
    assertTrue(JobRunner.message(unfinished).contains("(the newest is ckpt-00003-00000000)"));
  }
}
