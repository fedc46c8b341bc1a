package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.ops.Comparisons;
import org.sparkdp.testkit.Blobs;

/**
 * The driver channel where it used to give way to a Spark job per step: more partitions than task
 * slots, dynamic allocation, and an authenticated and encrypted Spark network (and one only
 * authenticated, where the channel stays plain and says so), each on separate executor JVMs ({@code
 * local-cluster}), and the executor allreduce on that encrypted network. Each run's headline names
 * the path it took, and its weights match those of 2 partitions on {@code local[2]} to float
 * summation order; with one slot there is one task, which trains to the end.
 */
// Not isolated: with the default connect timeout (300 s) the tasks have 30 s to start, and the
// fewer-slots case gives them 12 s, time enough on a machine that runs another test class.
class ChannelIT {
  private static final String CLUSTER = "local-cluster[2,1,1024]";

  @TempDir static Path dir;
  private static float[] reference;

  @BeforeAll
  static void twoPartitionsOnLocalMode() throws Exception {
    Blobs.of(2000, 8, 3, 31).writeCsv(dir.resolve("data.csv"));
    // Keras' Adam (learning rate 0.001): the float summation order of different partitionings
    // shows as differences of about 1e-7; at 0.01 the same 80 steps grow them to 3e-6.
    Files.writeString(
        dir.resolve("job.yaml"),
        String.join(
            "\n",
            "model:",
            "  layers:",
            "    - {type: dense, units: 16, activation: relu, input_dim: 8}",
            "    - {type: dense, units: 16, activation: tanh}",
            "    - {type: dense, units: 3, activation: softmax}",
            "compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}",
            ""));
    reference = train("reference", "2", "local[2]", "driver channel: 2 tasks for 2 partitions");
  }

  /** Trains 2 epochs at batch 50; checks the headline's path; returns the weights. */
  private static float[] train(
      String output, String partitions, String master, String path, String... conf)
      throws Exception {
    Launcher.Result r =
        Launcher.run(
            dir,
            Launcher.concat(
                Launcher.train(
                    "data.csv",
                    output,
                    "--epochs",
                    "2",
                    "--batch-size",
                    "50",
                    "--seed",
                    "5",
                    "--partitions",
                    partitions,
                    "--master",
                    master),
                conf));
    assertEquals(0, r.exitCode(), output + ": " + r.stderr());
    String headline =
        r.stdout().lines().filter(l -> l.startsWith("Training on")).findFirst().orElse("");
    System.out.println(output + ": " + headline);
    assertTrue(headline.contains(path), output + " took another path: " + headline);
    assertFalse(
        r.stderr().contains("restarting the training tasks"),
        output + ": no task was lost: " + r.stderr());
    return Weights.of(dir.resolve(output));
  }

  private static void assertMatchesReference(float[] weights, String what) {
    double d = Comparisons.maxRelativeDifference(weights, reference);
    System.out.printf("%s vs 2 partitions on local[2]: max |diff| / max |w| = %.3g%n", what, d);
    assertTrue(d <= 1e-6, what + ": " + d);
  }

  @Test
  void eightPartitionsOnTwoSlotsTakeTheChannelWithATaskPerSlot() throws Exception {
    assertMatchesReference(
        train("eight", "8", CLUSTER, "driver channel: 2 tasks for 8 partitions, 2 task slots"),
        "8 partitions on 2 slots");
  }

  @Test
  void dynamicAllocationTakesTheChannelAndKeepsItsExecutors() throws Exception {
    // Executors idle for a second are released, unless they run a task or cache blocks: the
    // channel's tasks run for the whole fit, and the packed blocks stay cached.
    assertMatchesReference(
        train(
            "dynamic",
            "8",
            CLUSTER,
            "driver channel: 2 tasks for 8 partitions, dynamic allocation",
            "--conf",
            "spark.dynamicAllocation.enabled=true",
            "--conf",
            "spark.dynamicAllocation.maxExecutors=2",
            "--conf",
            "spark.dynamicAllocation.executorIdleTimeout=1s",
            "--conf",
            "spark.executor.cores=1"),
        "dynamic allocation");
  }

  @Test
  void dynamicAllocationThatGrantsFewerSlotsThanTasksTrainsOnTheSlotsThereAre() throws Exception {
    // Without maxExecutors the channel asks for a task per partition; the cluster has 2 slots.
    // After a tenth of the connect timeout (12 s, in which both executors start even on a loaded
    // machine) without a new task, it trains on 2 tasks: the grouping of the static run, so the
    // same weights.
    Launcher.Result r =
        Launcher.run(
            dir,
            Launcher.train(
                "data.csv",
                "fewer",
                "--epochs",
                "2",
                "--batch-size",
                "50",
                "--seed",
                "5",
                "--partitions",
                "8",
                "--connect-timeout",
                "120",
                "--master",
                CLUSTER,
                "--conf",
                "spark.dynamicAllocation.enabled=true",
                "--conf",
                "spark.executor.cores=1"));
    assertEquals(0, r.exitCode(), r.stderr());
    assertTrue(
        r.stdout().contains("driver channel: 8 tasks for 8 partitions, dynamic allocation"),
        r.stdout());
    assertTrue(
        r.stderr()
            .contains(
                "of 8 training tasks started within 12 s, and the cluster has 2 task slots: "
                    + "training on 2 tasks"),
        r.stderr());
    assertMatchesReference(Weights.of(dir.resolve("fewer")), "dynamic allocation, 2 of 8 slots");
  }

  @Test
  void anAuthenticatedEncryptedNetworkTakesTheSealedChannel() throws Exception {
    assertMatchesReference(
        train(
            "secured",
            "8",
            CLUSTER,
            "driver channel, encrypted: 2 tasks for 8 partitions",
            "--conf",
            "spark.authenticate=true",
            "--conf",
            "spark.authenticate.secret=a-secret-of-this-test",
            "--conf",
            "spark.network.crypto.enabled=true"),
        "spark.authenticate + network crypto");
  }

  @Test
  void authenticationWithoutEncryptionKeepsTheChannelPlainAndSaysWhatToSet() throws Exception {
    // spark.authenticate alone does not encrypt Spark's RPC, which carries the channel's secret:
    // sealing with a secret anyone on the network can read would only pretend.
    assertMatchesReference(
        train(
            "authenticated",
            "8",
            CLUSTER,
            "driver channel, authenticated, not encrypted: 2 tasks for 8 partitions, 2 task slots;"
                + " the channel's secret travels to the tasks in Spark's RPC, which is not encrypted"
                + " (spark.authenticate authenticates Spark's RPC but does not encrypt it): set"
                + " spark.authenticate=true and spark.network.crypto.enabled=true",
            "--conf",
            "spark.authenticate=true",
            "--conf",
            "spark.authenticate.secret=a-secret-of-this-test"),
        "spark.authenticate alone");
  }

  @Test
  void theExecutorAllreduceOnAnEncryptedNetworkSealsTheRingAndKeepsTheWeights() throws Exception {
    // The parameters and sums go from executor to executor (two JVMs), each link sealed.
    assertMatchesReference(
        train(
            "secured-ring",
            "8",
            CLUSTER,
            "executor allreduce, encrypted: 2 tasks for 8 partitions, 2 task slots",
            "--sync-path",
            "allreduce",
            "--conf",
            "spark.authenticate=true",
            "--conf",
            "spark.authenticate.secret=a-secret-of-this-test",
            "--conf",
            "spark.network.crypto.enabled=true"),
        "the executor allreduce, spark.authenticate + network crypto");
  }

  @Test
  void oneSlotTrainsThreePartitionsInOneTask() throws Exception {
    assertMatchesReference(
        train(
            "one-slot",
            "3",
            "local-cluster[1,1,1024]",
            "driver channel: 1 task for 3 partitions, 1 task slot"),
        "3 partitions on 1 slot");
  }
}
