package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.testkit.Blobs;

/**
 * Sync training through the launcher gives the same weights for 1 and 3 partitions, with dropout
 * too.
 */
class PartitioningIT {

  @Test
  void syncTrainingGivesTheSameWeightsForOneAndThreePartitions(@TempDir Path dir) throws Exception {
    Data.config(dir.resolve("job.yaml"), 10, 4);
    double relative = oneVersusThree(dir, "");
    assertTrue(relative <= 1e-4, "max |diff| / max |w| = " + relative);
  }

  @Test
  void syncTrainingWithDropoutGivesTheSameWeightsForOneAndThreePartitions(@TempDir Path dir)
      throws Exception {
    Data.config(dir.resolve("job.yaml"), 10, 16, 4, 0.2);
    double relative = oneVersusThree(dir, "with dropout 0.2 ");
    assertTrue(relative <= 1e-5, "max |diff| / max |w| = " + relative);
  }

  /** Trains {@code job.yaml} on 1 and on 3 partitions; returns max |diff| / max |w|. */
  private static double oneVersusThree(Path dir, String what) throws Exception {
    Blobs.of(1200, 10, 4, 7).writeCsv(dir.resolve("data.csv"));
    float[][] weights = new float[2][];
    int[] partitions = {1, 3};
    for (int i = 0; i < 2; i++) {
      String out = "out" + partitions[i];
      Launcher.Result r =
          Launcher.run(
              dir,
              Launcher.train(
                  "data.csv",
                  out,
                  "--epochs",
                  "2",
                  "--batch-size",
                  "100",
                  "--strategy",
                  "sync",
                  "--partitions",
                  String.valueOf(partitions[i]),
                  "--seed",
                  "11"));
      assertEquals(0, r.exitCode(), r.stderr());
      assertTrue(
          r.stdout()
              .matches(
                  "(?s).*Training on 1200 rows \\([0-9.]+ MB packed\\) in "
                      + partitions[i]
                      + " partitions.*"),
          r.stdout());
      weights[i] = Weights.of(dir.resolve(out));
    }
    double maxRelative = 0;
    double scale = 0;
    double maxAbs = 0;
    for (int j = 0; j < weights[0].length; j++) {
      double a = weights[0][j];
      double b = weights[1][j];
      scale = Math.max(scale, Math.abs(a));
      maxAbs = Math.max(maxAbs, Math.abs(a - b));
      maxRelative = Math.max(maxRelative, Math.abs(a - b) / Math.max(Math.abs(a), 1e-3));
    }
    System.out.printf(
        "1 vs 3 partitions %s: max |diff| %.3g, max |diff| / max |w| %.3g, max elementwise relative %.3g%n",
        what, maxAbs, maxAbs / scale, maxRelative);
    assertTrue(maxRelative <= 1e-4, "max elementwise relative difference = " + maxRelative);
    return maxAbs / scale;
  }
}
