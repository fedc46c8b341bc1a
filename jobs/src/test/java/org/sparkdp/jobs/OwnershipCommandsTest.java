package org.sparkdp.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ownership commands' usage errors, named before anything starts (exit code 2), untrusted input
 * refused (exit code 1), and the per-class report against a confusion matrix worked by hand.
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
  void watermarkCheckRefusesAHeaderClaimingMoreThanItsEntryHolds(@TempDir Path dir)
      throws Exception {
    KeygenJob.run(new String[] {"--out", dir.resolve("owner").toString()});
    // An npz of one entry whose header claims 2^40 floats over 16 bytes of data.
    String header =
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 1048576), }        \n";
    ByteArrayOutputStream npy = new ByteArrayOutputStream();
    npy.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    npy.write(new byte[] {(byte) header.length(), (byte) (header.length() >> 8)});
    npy.write(header.getBytes(StandardCharsets.US_ASCII));
    npy.write(new byte[16]);
    Path weights = dir.resolve("suspect.npz");
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(weights))) {
      zip.putNextEntry(new ZipEntry("dense/kernel.npy"));
      zip.write(npy.toByteArray());
      zip.closeEntry();
    }
    String[] args = {"--weights", weights.toString(), "--key", dir.resolve("owner.key").toString()};
    Throwable t = assertThrows(Exception.class, () -> WatermarkCheckJob.run(args));
    assertEquals(1, JobRunner.exitCode(t), "a bad input file, as any other");
    assertEquals(
        weights
            + " array 'dense/kernel.npy' has shape [1048576, 1048576], 4398046511104 bytes of"
            + " data, but the entry holds 16",
        JobRunner.message(t));
  }

  @Test
  void requireSignerRefusesAnUnsignedModelBeforeSparkStartsAndABadKeyAsAUsageError(
      @TempDir Path dir) throws Exception {
    KeygenJob.run(new String[] {"--out", dir.resolve("owner").toString()});
    String pub = dir.resolve("owner.pub").toString();
    Path model = Files.createDirectories(dir.resolve("model"));
    Files.writeString(model.resolve("model.json"), "{}");
    String data = dir.resolve("data.csv").toString();
    for (JobRunner.Job job : new JobRunner.Job[] {EvaluateJob::run, PredictJob::run}) {
      String[] args = {
        "--model",
        model.toString(),
        "--data",
        data,
        "--output",
        dir.resolve("out").toString(),
        "--require-signer",
        pub
      };
      Throwable t = assertThrows(Exception.class, () -> job.run(args));
      assertEquals(1, JobRunner.exitCode(t), JobRunner.message(t));
      assertTrue(
          JobRunner.message(t)
              .matches(
                  java.util.regex.Pattern.quote(model.toString())
                      + ": refused: not a model signed by the required signer SHA256:[0-9a-f]{64}:"
                      + " the model is not signed \\(no manifest.json\\)"),
          JobRunner.message(t));
      String missing = dir.resolve("missing.pub").toString();
      args[args.length - 1] = missing;
      assertEquals("--require-signer " + missing + ": no such file", error(job, args));
      args[args.length - 1] = pub;
      String[] both = java.util.Arrays.copyOf(args, args.length + 1);
      both[args.length] = "--no-manifest-check";
      assertTrue(
          error(job, both).startsWith("--require-signer and --no-manifest-check contradict"));
    }
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
