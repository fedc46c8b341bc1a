package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkdp.testkit.Weights.relativeDifference;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sparkdp.FitOptions;
import org.sparkdp.FitOptions.SyncPath;
import org.sparkdp.History;
import org.sparkdp.Sequential;
import org.sparkdp.ops.BatchNormalization;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Sgd;
import org.sparkdp.ops.privacy.DifferentialPrivacy;
import org.sparkdp.ops.privacy.DifferentialPrivacy.Sampling;
import org.sparkdp.ops.privacy.PrivacyAccount;
import org.sparkdp.ops.privacy.Rdp;
import org.sparkdp.testkit.Blobs;
import org.sparkdp.testkit.TestSpark;

/**
 * DP-SGD through the whole fit on {@code local[2]}: with no noise and a clip norm no example
 * reaches it is plain training; with noise, the noise drawn from the seed and the steps' examples
 * drawn by their global ids keep the weights independent of the partitioning on every path; a
 * resumed run continues the account and the weights bit for bit; epsilon is reported per epoch and
 * recorded in the provenance.
 */
class DifferentialPrivacyTrainingTest {
  private static final Blobs DATA = Blobs.of(600, 10, 3, 21);

  private static Sequential model() {
    Sequential model = new Sequential(Dense.of(8, "tanh").withInputDim(10), Dense.of(3, "softmax"));
    model.compile(new Sgd(0.1, 0, false), "sparse_categorical_crossentropy", "accuracy");
    return model;
  }

  private static FitOptions options() {
    return new FitOptions().epochs(2).batchSize(50).seed(5).verbose(0);
  }

  private static DifferentialPrivacy dp(double clip, double sigma, Sampling sampling) {
    return DifferentialPrivacy.of(clip, sigma).withSampling(sampling);
  }

  @ParameterizedTest
  @EnumSource(
      value = SyncPath.class,
      names = {"CHANNEL", "JOBS"})
  void withoutNoiseAndWithAClipNoExampleReachesItIsPlainTraining(SyncPath path) {
    Sequential plain = model();
    plain.fit(TestSpark.frame(DATA), options().syncPath(path).partitions(3));
    Sequential dp = model();
    History history =
        dp.fit(
            TestSpark.frame(DATA),
            options()
                .syncPath(path)
                .partitions(3)
                .differentialPrivacy(dp(1e6, 0, Sampling.SHUFFLE)));
    double difference = relativeDifference(plain.weights(), dp.weights());
    System.out.printf("DP without noise against plain, %s: %.3g%n", path, difference);
    assertTrue(difference < 1e-6, path + ": max|w - w_dp| / max|w| = " + difference);
    assertTrue(relativeDifference(model().weights(), dp.weights()) > 1e-2, "it trained");
    // No noise spends everything: epsilon is infinite from the first step.
    assertEquals(Double.POSITIVE_INFINITY, history.history().get("epsilon").get(0));
  }

  @Test
  void aClipNormBelowTheGradientsChangesTheWeights() {
    Sequential plain = model();
    plain.fit(TestSpark.frame(DATA), options().syncPath(SyncPath.CHANNEL));
    Sequential clipped = model();
    clipped.fit(
        TestSpark.frame(DATA),
        options().syncPath(SyncPath.CHANNEL).differentialPrivacy(dp(0.01, 0, Sampling.SHUFFLE)));
    assertTrue(
        relativeDifference(plain.weights(), clipped.weights()) > 1e-2,
        "clipping to 0.01 trained as without clipping");
  }

  @ParameterizedTest
  @EnumSource(
      value = SyncPath.class,
      names = {"CHANNEL", "ALLREDUCE", "JOBS"})
  void withNoiseAndPoissonSamplingOnePartitionAndThreeAgree(SyncPath path) {
    DifferentialPrivacy settings = dp(1.0, 1.1, Sampling.POISSON);
    Sequential one = model();
    History h1 =
        one.fit(
            TestSpark.frame(DATA),
            options().syncPath(path).partitions(1).differentialPrivacy(settings));
    Sequential three = model();
    History h3 =
        three.fit(
            TestSpark.frame(DATA),
            options().syncPath(path).partitions(3).differentialPrivacy(settings));
    double difference = relativeDifference(one.weights(), three.weights());
    System.out.printf("DP-SGD with noise, %s: max|w1 - w3| / max|w1| = %.3g%n", path, difference);
    assertTrue(difference < 1e-6, path + ": max|w1 - w3| / max|w1| = " + difference);
    assertEquals(h1.history().get("epsilon"), h3.history().get("epsilon"));
    // The noise is there: another seed's noise moves the weights.
    Sequential other = model();
    other.fit(
        TestSpark.frame(DATA),
        options().syncPath(path).partitions(3).seed(6).differentialPrivacy(settings));
    assertTrue(relativeDifference(three.weights(), other.weights()) > 1e-3);
  }

  @Test
  void epsilonIsReportedEachEpochAndRecordedInTheProvenance() {
    Sequential model = model();
    History history =
        model.fit(
            TestSpark.frame(DATA),
            options()
                .epochs(3)
                .syncPath(SyncPath.CHANNEL)
                .differentialPrivacy(dp(1.0, 1.1, Sampling.POISSON)));
    List<Double> epsilon = history.history().get("epsilon");
    assertEquals(3, epsilon.size());
    // 12 steps per epoch at q = 50 / 600, accounted as the accountant's tests check it.
    double q = 50.0 / 600;
    for (int e = 0; e < 3; e++) {
      double expected =
          Rdp.epsilon(
                  Rdp.defaultOrders(),
                  Rdp.sampledGaussian(q, 1.1, 12L * (e + 1), Rdp.defaultOrders()),
                  1e-5)
              .epsilon();
      assertEquals(expected, epsilon.get(e), 1e-12 * expected, "epoch " + (e + 1));
    }
    assertTrue(epsilon.get(0) < epsilon.get(1) && epsilon.get(1) < epsilon.get(2));
    JsonNode privacy = model.provenance().privacy();
    assertEquals(epsilon.get(2), privacy.get("epsilon").asDouble(), 0);
    assertEquals(36, privacy.get("steps").asLong());
    assertEquals(1.1, privacy.get("noise_multiplier").asDouble(), 0);
    assertEquals(1.0, privacy.get("l2_norm_clip").asDouble(), 0);
    assertEquals(q, privacy.get("sample_rate").asDouble(), 0);
    assertEquals(1e-5, privacy.get("delta").asDouble(), 0);
    assertEquals("rdp", privacy.get("accountant").asText());
    assertEquals("poisson", privacy.get("sampling").asText());
    assertEquals(
        36, PrivacyAccount.fromJson(privacy.get("account"), "provenance").steps(), "the account");
  }

  @Test
  void aCallbackSeesEpsilonInEachEpochsLogsAndCanStopOnABudget() {
    // 12 steps per epoch spend 2.60, 3.18, 3.65, 4.06, 4.43, ...: the budget is met in epoch 4.
    double budget = 4.0;
    org.sparkdp.Callback stopAtBudget =
        new org.sparkdp.Callback() {
          private org.sparkdp.TrainingRun run;

          @Override
          public void setRun(org.sparkdp.TrainingRun run) {
            this.run = run;
          }

          @Override
          public void onEpochEnd(int epoch, java.util.Map<String, Double> logs) {
            if (logs.get("epsilon") >= budget) {
              run.stopTraining();
            }
          }
        };
    Sequential model = model();
    History history =
        model.fit(
            TestSpark.frame(DATA),
            options()
                .epochs(50)
                .syncPath(SyncPath.CHANNEL)
                .differentialPrivacy(dp(1.0, 1.1, Sampling.POISSON))
                .callbacks(stopAtBudget));
    List<Double> epsilon = history.history().get("epsilon");
    int epochs = epsilon.size();
    assertEquals(4, epochs, "stopped at the budget: " + epsilon);
    assertTrue(epsilon.get(epochs - 1) >= budget && epsilon.get(epochs - 2) < budget);
    assertEquals(12L * epochs, model.provenance().privacy().get("steps").asLong());
  }

  @Test
  void aTargetEpsilonSolvesForTheNoiseAndSpendsAtMostIt() {
    Sequential model = model();
    DifferentialPrivacy settings =
        new DifferentialPrivacy(1.0, null, 2.0, 1e-5, Sampling.POISSON, false);
    History history =
        model.fit(
            TestSpark.frame(DATA),
            options().syncPath(SyncPath.CHANNEL).differentialPrivacy(settings));
    double spent = history.history().get("epsilon").get(1);
    assertTrue(spent <= 2.0 && spent > 1.99 - 0.01, "spent " + spent + " of target 2");
    double sigma = model.provenance().privacy().get("noise_multiplier").asDouble();
    assertEquals(Rdp.noiseMultiplier(2.0, 1e-5, 50.0 / 600, 24), sigma, 0);
  }

  @Test
  void aResumedRunContinuesTheWeightsAndTheAccountBitForBit(@TempDir Path dir) throws IOException {
    DifferentialPrivacy settings = dp(1.0, 1.1, Sampling.POISSON);
    FitOptions base = options().syncPath(SyncPath.CHANNEL).differentialPrivacy(settings);
    Sequential whole = model();
    History full =
        whole.fit(TestSpark.frame(DATA), copy(base).checkpointDir(dir.resolve("a").toString()));

    Path b = dir.resolve("b");
    model()
        .fit(
            TestSpark.frame(DATA),
            copy(base).checkpointDir(b.toString()).checkpointEverySteps(5).keepCheckpoints(20));
    // As if the driver had died after step 5 of the second epoch.
    try (var listing = Files.list(b)) {
      for (Path p : listing.toList()) {
        String name = p.getFileName().toString();
        if (name.startsWith("ckpt-") && name.compareTo("ckpt-00001-00000005") > 0) {
          try (var walk = Files.walk(p)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
          }
        }
      }
    }
    Sequential resumed = model();
    History rest =
        resumed.fit(TestSpark.frame(DATA), copy(base).checkpointDir(b.toString()).resume(true));
    assertArrayEquals(whole.weights(), resumed.weights(), "the same weights, bit for bit");
    assertEquals(full.history().get("epsilon"), rest.history().get("epsilon"));
    assertEquals(full.history().get("loss"), rest.history().get("loss"));
    assertEquals(
        whole.provenance().privacy().get("epsilon"), resumed.provenance().privacy().get("epsilon"));

    // Other privacy settings do not resume that run.
    ConfigException refused =
        assertThrows(
            ConfigException.class,
            () ->
                model()
                    .fit(
                        TestSpark.frame(DATA),
                        copy(base)
                            .differentialPrivacy(dp(1.0, 0.9, Sampling.POISSON))
                            .checkpointDir(b.toString())
                            .resume(true)));
    assertTrue(
        refused.getMessage().contains("differential_privacy.noise_multiplier"),
        refused.getMessage());
  }

  private static FitOptions copy(FitOptions o) {
    return new FitOptions()
        .epochs(o.epochs())
        .batchSize(o.batchSize())
        .seed(o.seed())
        .verbose(0)
        .syncPath(o.syncPath())
        .differentialPrivacy(o.differentialPrivacy());
  }

  @Test
  void aFurtherFitAddsToTheAccountAndAFitWithoutPrivacyEndsIt() {
    DifferentialPrivacy settings = dp(1.0, 1.1, Sampling.POISSON);
    Sequential model = model();
    History first =
        model.fit(
            TestSpark.frame(DATA),
            options().epochs(1).syncPath(SyncPath.CHANNEL).differentialPrivacy(settings));
    History second =
        model.fit(
            TestSpark.frame(DATA),
            options().epochs(1).syncPath(SyncPath.CHANNEL).differentialPrivacy(settings));
    // The same weights trained twice as long: the account of 24 steps, not 12.
    double two = new PrivacyAccount(List.of()).after(50.0 / 600, 1.1, 24).spent(1e-5).epsilon();
    assertTrue(second.history().get("epsilon").get(0) > first.history().get("epsilon").get(0));
    assertEquals(two, second.history().get("epsilon").get(0), 1e-12 * two);
    assertEquals(24, model.provenance().privacy().get("steps").asLong());
    model.fit(TestSpark.frame(DATA), options().epochs(1).syncPath(SyncPath.CHANNEL));
    assertEquals(null, model.provenance().privacy(), "a plain fit's weights are not private");
  }

  @Test
  void layersThatMixTheBatchAndLocalSgdAreRefusedByName() {
    Sequential bn =
        new Sequential(
            Dense.of(8, "tanh").withInputDim(10),
            BatchNormalization.defaults(),
            Dense.of(3, "softmax"));
    bn.compile(new Sgd(0.1, 0, false), "sparse_categorical_crossentropy");
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                bn.fit(
                    TestSpark.frame(DATA),
                    options().differentialPrivacy(dp(1.0, 1.0, Sampling.POISSON))));
    assertTrue(e.getMessage().contains("layer 1 (batch_normalization)"), e.getMessage());
    ConfigException local =
        assertThrows(
            ConfigException.class,
            () ->
                model()
                    .fit(
                        TestSpark.frame(DATA),
                        options()
                            .strategy(FitOptions.Strategy.LOCAL)
                            .differentialPrivacy(dp(1.0, 1.0, Sampling.POISSON))));
    assertTrue(local.getMessage().contains("needs strategy sync"), local.getMessage());
  }
}
