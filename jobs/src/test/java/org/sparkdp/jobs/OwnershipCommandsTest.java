package org.sparkdp.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ownership commands' usage errors, named before anything starts (exit code 2), and the
 * per-class report against a confusion matrix worked by hand.
 */
class OwnershipCommandsTest {
  private static final String JOB =
      String.join(
          "\n",
          "model:",
          "  layers:",
          "    - {type: dense, units: 4, activation: relu, input_dim: 2}",
          "    - {type: dense, units: 2, activation: softmax}",
          "compile: {optimizer: adam, loss: sparse_categorical_crossentropy}",
          "data: {train: data.csv}",
          "");

  private static String error(JobRunner.Job job, String... args) {
    Throwable t = assertThrows(Exception.class, () -> job.run(args));
    assertEquals(2, JobRunner.exitCode(t), JobRunner.message(t));
    return JobRunner.message(t);
  }

  @Test
  void keygenWritesTheTwoFilesOnceAndNeverReplacesThem(@TempDir Path dir) throws Exception {
    String stem = dir.resolve("owner").toString();
    assertEquals(0, KeygenJob.run(new String[] {"--out", stem}));
    assertTrue(Files.readString(dir.resolve("owner.key")).startsWith("-----BEGIN PRIVATE KEY"));
    assertTrue(Files.readString(dir.resolve("owner.pub")).startsWith("-----BEGIN PUBLIC KEY"));
    assertEquals(
        stem
            + ".key: exists; a private key is never replaced unless --overwrite is given (keep"
            + " the old one elsewhere first)",
        error(KeygenJob::run, "--out", stem));
  }

  @Test
  void trainRefusesABadKeyBeforeSparkStarts(@TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("job.yaml"), JOB.replace("data.csv", dir.resolve("data.csv").toString()));
    Files.writeString(dir.resolve("data.csv"), "a,b,label\n1,2,0\n");
    KeygenJob.run(new String[] {"--out", dir.resolve("owner").toString()});
    String job = dir.resolve("job.yaml").toString();
    String missing = dir.resolve("missing.key").toString();
    assertEquals(
        "--sign-with " + missing + ": no such file",
        error(TrainJob::run, "--config", job, "--sign-with", missing));
    String pub = dir.resolve("owner.pub").toString();
    assertTrue(
        error(TrainJob::run, "--config", job, "--watermark", pub)
            .endsWith("(it holds a public key; give the private one)"));
    assertEquals(
        "--watermark: watermark.bits: must be an integer from 1 to 1024, got '0'",
        error(TrainJob::run, "--config", job, "--watermark", "key=" + pub + ",bits=0"));
  }

  @Test
  void theCheckingCommandsNameWhatIsMissing(@TempDir Path dir) throws Exception {
    assertEquals(
        "give one of --model DIR and --weights FILE.npz; see sparkdp watermark-check --help",
        error(WatermarkCheckJob::run, "--model", "m", "--weights", "w.npz", "--key", "k"));
    assertEquals(
        "--input-dim: needed for csv data (the number of features), or give the job file with"
            + " --config",
        error(FingerprintJob::run, "--data", "train.csv"));
    assertEquals("option --model is required; see sparkdp verify --help", error(VerifyJob::run));
    Throwable t =
        assertThrows(
            Exception.class,
            () -> VerifyJob.run(new String[] {"--model", dir.resolve("none").toString()}));
    assertEquals(1, JobRunner.exitCode(t));
    assertTrue(JobRunner.message(t).endsWith("none: no such directory"), JobRunner.message(t));
  }

  @Test
  void thePerClassReportIsTheConfusionMatrixsPrecisionAndRecall() {
    // Rows: the true class. Class 0: 4 examples, 3 right, predicted 5 times; class 2: 2 examples,
    // 1 right, predicted once.
    long[][] matrix = {{3, 1, 0}, {1, 4, 0}, {1, 0, 1}};
    JsonNode report = ClassReport.json(matrix);
    JsonNode c0 = report.path("classes").path(0);
    assertEquals(4, c0.path("support").asLong());
    assertEquals(5, c0.path("predicted").asLong());
    assertEquals(3.0 / 5, c0.path("precision").asDouble(), 1e-12);
    assertEquals(3.0 / 4, c0.path("recall").asDouble(), 1e-12);
    assertEquals(2 * 0.6 * 0.75 / 1.35, c0.path("f1").asDouble(), 1e-12);
    JsonNode c2 = report.path("classes").path(2);
    assertEquals(2, c2.path("support").asLong());
    assertEquals(1.0, c2.path("precision").asDouble(), 1e-12);
    assertEquals(0.5, c2.path("recall").asDouble(), 1e-12);
    assertEquals(4, report.path("confusion_matrix").path(1).path(1).asLong());
  }
}
