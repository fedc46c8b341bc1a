package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.ops.Comparisons;
import org.sparkdp.testkit.Blobs;

/**
 * Sync training on separate executor JVMs, through {@code local-cluster} and through a real
 * standalone cluster (Master and two Workers on loopback), gives the weights of {@code local[2]}.
 */
class ClusterIT {

  private static float[] train(Path dir, String master, String output) throws Exception {
    Launcher.Result r =
        Launcher.run(
            dir,
            Launcher.train(
                "data.csv",
                output,
                "--epochs",
                "2",
                "--batch-size",
                "50",
                "--seed",
                "5",
                "--master",
                master));
    assertEquals(0, r.exitCode(), master + ": " + r.stderr());
    assertTrue(r.stdout().contains("on " + master), r.stdout());
    return Weights.of(dir.resolve(output));
  }

  @Test
  void localClusterAndAStandaloneClusterTrainTheWeightsOfLocalMode(@TempDir Path dir)
      throws Exception {
    Blobs.of(1000, 8, 3, 31).writeCsv(dir.resolve("data.csv"));
    Data.config(dir.resolve("job.yaml"), 8, 3);
    float[] local = train(dir, "local[2]", "local");
    float[] localCluster = train(dir, "local-cluster[2,1,1024]", "local-cluster");
    double d1 = Comparisons.maxRelativeDifference(localCluster, local);
    System.out.printf("local-cluster[2,1,1024] vs local[2]: max |diff| / max |w| = %.3g%n", d1);
    assertTrue(d1 <= 1e-5, "local-cluster vs local: " + d1);
    try (StandaloneCluster cluster = new StandaloneCluster(dir, 2)) {
      float[] standalone = train(dir, cluster.masterUrl, "standalone");
      double d2 = Comparisons.maxRelativeDifference(standalone, local);
      System.out.printf(
          "standalone (Master + 2 Workers) vs local[2]: max |diff| / max |w| = %.3g%n", d2);
      assertTrue(d2 <= 1e-5, "standalone vs local: " + d2);
    }
  }
}
