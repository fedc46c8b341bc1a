package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.io.Keys;
import org.sparkdp.testkit.Blobs;

/**
 * Differentially private training through {@code bin/sparkdp} (one run of 3 epochs on 400 rows):
 * the headline's plan, epsilon in each epoch's progress line and in {@code history.json} (one value
 * per epoch, growing), the privacy recorded under {@code provenance.privacy} in {@code model.json}
 * (the last epoch's epsilon) and in the model card, all of it covered by the signed manifest
 * ({@code verify} passes, and fails once the recorded epsilon is changed), and {@code bin/sparkdp
 * privacy} printing the same epsilon for the same plan.
 */
class DifferentialPrivacyIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern EPOCH = Pattern.compile("Epoch (\\d+)/3 - .* - epsilon: ([0-9.]+)");
  private static final Pattern PLANNED =
      Pattern.compile(
          "differential privacy: clip 1, noise multiplier 1\\.1000, poisson sampling at rate"
              + " 0\\.0800000; 39 steps in all spend epsilon ([0-9.]+) at delta 1e-5 \\(seeded noise\\)");
  private static final Pattern PRINTED =
      Pattern.compile(
          "3 epochs of 13 steps \\(batch 32 of 400 rows, sample rate 0\\.0800000\\), noise"
              + " multiplier 1\\.1000: epsilon ([0-9.]+) at delta 1e-5 \\(RDP, order [0-9.]+\\)");

  private static String fourDecimals(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }

  /** JSON values compared as values: the manifest writes 1.0 as 1. */
  private static int sameValue(JsonNode a, JsonNode b) {
    if (a.isNumber() && b.isNumber()) {
      return Double.compare(a.asDouble(), b.asDouble());
    }
    return a.equals(b) ? 0 : 1;
  }

  @Test
  void aPrivateRunReportsEpsilonEachEpochAndRecordsItSignedAsThePrivacyCommandPlansIt(
      @TempDir Path dir) throws Exception {
    Blobs.of(400, 6, 3, 41).writeCsv(dir.resolve("train.csv"));
    Data.config(dir.resolve("job.yaml"), 6, 3);
    Keys.write(Keys.generate(), dir.resolve("owner.key"), dir.resolve("owner.pub"));

    // 400 rows in batches of 32: 13 steps per epoch, each row in a step with probability 0.08.
    Launcher.Result trained =
        Launcher.run(
            dir,
            Launcher.train(
                "train.csv",
                "model",
                "--epochs",
                "3",
                "--differential-privacy",
                "l2_norm_clip=1.0,noise_multiplier=1.1",
                "--sign-with",
                "owner.key"));
    assertEquals(0, trained.exitCode(), trained.stdout() + trained.stderr());
    Matcher planned = PLANNED.matcher(trained.stdout());
    assertTrue(planned.find(), trained.stdout());
    List<String> progress = new ArrayList<>();
    Matcher epoch = EPOCH.matcher(trained.stdout());
    while (epoch.find()) {
      assertEquals(progress.size() + 1, Integer.parseInt(epoch.group(1)), trained.stdout());
      progress.add(epoch.group(2));
    }
    assertEquals(3, progress.size(), trained.stdout());

    Path model = dir.resolve("model");
    JsonNode history = JSON.readTree(model.resolve("history.json").toFile()).path("epsilon");
    assertEquals(3, history.size(), history.toString());
    for (int i = 0; i < 3; i++) {
      assertEquals(fourDecimals(history.get(i).asDouble()), progress.get(i), "epoch " + (i + 1));
      assertTrue(i == 0 || history.get(i).asDouble() > history.get(i - 1).asDouble(), "grows");
    }
    double last = history.get(2).asDouble();
    assertTrue(last > 0 && Double.isFinite(last), String.valueOf(last));
    assertEquals(planned.group(1), fourDecimals(last), "the headline's plan is what was spent");

    JsonNode modelJson = JSON.readTree(model.resolve("model.json").toFile());
    JsonNode privacy = modelJson.path("provenance").path("privacy");
    assertEquals(last, privacy.path("epsilon").asDouble(), "the last epoch's epsilon");
    assertEquals(1e-5, privacy.path("delta").asDouble());
    assertEquals(1.1, privacy.path("noise_multiplier").asDouble());
    assertEquals(1.0, privacy.path("l2_norm_clip").asDouble());
    assertEquals(0.08, privacy.path("sample_rate").asDouble());
    assertEquals(39, privacy.path("steps").asLong());
    assertEquals("rdp", privacy.path("accountant").asText());
    assertEquals("poisson", privacy.path("sampling").asText());
    assertEquals(false, privacy.path("secure_noise").asBoolean(true));
    JsonNode segments = privacy.path("account").path("segments");
    assertEquals(1, segments.size(), privacy.toString());
    assertEquals(39, segments.get(0).path("steps").asLong());
    assertFalse(privacy.has("target_epsilon"), "none was given");

    String card = Files.readString(model.resolve("MODEL_CARD.md"));
    String line =
        card.lines()
            .filter(l -> l.startsWith("- Differential privacy: trained with DP-SGD, ("))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no differential privacy line in:\n" + card));
    for (String part :
        List.of(
            "("
                + new java.math.BigDecimal(last)
                    .round(new java.math.MathContext(4))
                    .stripTrailingZeros()
                    .toPlainString()
                + ", 1e-5)-differentially private with respect to any one row (39 steps",
            "clipped to 1,",
            "noise multiplier 1.1,",
            "poisson sampling at rate 0.08,",
            "RDP accountant")) {
      assertTrue(line.contains(part), part + " in: " + line);
    }

    // The privacy command, for the same plan, prints what training spent.
    Launcher.Result planOnly =
        Launcher.run(
            dir,
            "privacy",
            "--epochs",
            "3",
            "--batch-size",
            "32",
            "--rows",
            "400",
            "--noise-multiplier",
            "1.1");
    assertEquals(0, planOnly.exitCode(), planOnly.stderr());
    Matcher printed = PRINTED.matcher(planOnly.stdout());
    assertTrue(printed.find(), planOnly.stdout());
    assertEquals(fourDecimals(last), printed.group(1));

    // Signed: the manifest carries the provenance, privacy included; verify passes ...
    JsonNode manifest = JSON.readTree(model.resolve("manifest.json").toFile());
    JsonNode signed = manifest.path("provenance").path("privacy");
    assertTrue(
        privacy.equals(DifferentialPrivacyIT::sameValue, signed), privacy + " signed as " + signed);
    Launcher.Result verified =
        Launcher.run(dir, "verify", "--model", "model", "--public-key", "owner.pub");
    assertEquals(0, verified.exitCode(), verified.stdout() + verified.stderr());
    assertTrue(verified.stdout().contains("model.json: ok"), verified.stdout());

    // ... and fails once the recorded epsilon is made smaller.
    ((ObjectNode) privacy).put("epsilon", last / 10);
    JSON.writerWithDefaultPrettyPrinter()
        .writeValue(model.resolve("model.json").toFile(), modelJson);
    Launcher.Result altered =
        Launcher.run(dir, "verify", "--model", "model", "--public-key", "owner.pub");
    assertEquals(1, altered.exitCode(), altered.stdout() + altered.stderr());
    assertTrue(
        altered.stdout().contains("manifest.json: its provenance is not the one in model.json"),
        altered.stdout());
    assertTrue(altered.stdout().contains("model.json: ALTERED"), altered.stdout());
  }
}
