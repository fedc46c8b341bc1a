package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
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
import org.sparkdp.testkit.Blobs;

/**
 * The ownership watermark through {@code bin/sparkdp}: embedded by training (no bit error), at no
 * cost in test accuracy against the unmarked model of the same seed (at most 0.5 points), kept
 * through 5 epochs of fine-tuning the weights on half the data without it (at most 5% bit errors),
 * and absent from unmarked models of other seeds (about half the bits wrong, a chance that never
 * reaches the threshold). By default on learnable blobs with 3 unmarked models; with {@code
 * -Dsparkdp.soak=true}, on the seed model ({@code conf/fashion-mnist.yaml}, default strength) with
 * 20 unmarked models. The figures go to {@code target/watermark-figures.json}.
 */
class WatermarkIT {
  private static final Pattern ERRORS = Pattern.compile("bit errors: (\\d+) of (\\d+)");
  private static final Pattern CHANCE = Pattern.compile("chance: ([0-9.eE+-]+),");
  private static final double THRESHOLD = 1e-6;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One run of {@code watermark-check}: its exit code, bit errors and chance. */
  record Check(int exit, int errors, int bits, double chance) {
    double bitErrorRate() {
      return errors / (double) bits;
    }
  }

  private static Check check(Path dir, String... target) throws Exception {
    Launcher.Result r =
        Launcher.run(
            dir,
            Launcher.concat(
                Launcher.concat(new String[] {"watermark-check"}, target), "--key", "owner.key"));
    Matcher e = ERRORS.matcher(r.stdout());
    Matcher c = CHANCE.matcher(r.stdout());
    assertTrue(e.find() && c.find(), r.stdout() + r.stderr());
    return new Check(
        r.exitCode(),
        Integer.parseInt(e.group(1)),
        Integer.parseInt(e.group(2)),
        Double.parseDouble(c.group(1)));
  }

  private static void train(Path dir, String[] base, String output, String... options)
      throws Exception {
    Launcher.Result r =
        Launcher.run(
            dir,
            Launcher.concat(
                Launcher.concat(base, "--output", output, "--conf", "spark.ui.enabled=false"),
                options));
    assertEquals(0, r.exitCode(), output + ": " + r.stderr());
  }

  private static double testAccuracy(Path model) throws Exception {
    return JSON.readTree(model.resolve("test-metrics.json").toFile()).path("accuracy").asDouble();
  }

  @Test
  void theWatermarkIsEmbeddedKeptThroughFineTuningAndAbsentFromUnmarkedModels(@TempDir Path dir)
      throws Exception {
    boolean soak = Boolean.getBoolean("sparkdp.soak");
    assertEquals(0, Launcher.run(dir, "keygen", "--out", "owner").exitCode());
    String[] base;
    String watermark;
    List<Long> otherSeeds = new ArrayList<>();
    if (soak) {
      base =
          new String[] {
            "train", "--config", Launcher.HOME.resolve("conf/fashion-mnist.yaml").toString()
          };
      watermark = "owner.key";
      for (long s = 1; s <= 20; s++) {
        otherSeeds.add(s);
      }
    } else {
      // Every feature of this data is informative, so the data's gradient pulls on every weight
      // of the kernel; images have pixels that never vary, and take the default strength.
      Blobs.of(1200, 80, 4, 51).writeCsv(dir.resolve("train.csv"));
      Blobs.of(400, 80, 4, 51, 52).writeCsv(dir.resolve("test.csv"));
      Data.config(dir.resolve("job.yaml"), 80, 16, 4);
      base =
          new String[] {
            "train",
            "--config",
            "job.yaml",
            "--train",
            "train.csv",
            "--test",
            "test.csv",
            "--epochs",
            "6",
            "--batch-size",
            "40",
            "--seed",
            "42"
          };
      watermark = "key=owner.key,bits=64,layer=0,strength=0.1";
      otherSeeds.addAll(List.of(1L, 2L));
    }
    long started = System.nanoTime();
    train(dir, base, "marked", "--watermark", watermark);
    train(dir, base, "plain");
    Check marked = check(dir, "--model", "marked");
    Check plainCheck = check(dir, "--model", "plain");
    double markedAccuracy = testAccuracy(dir.resolve("marked"));
    double plainAccuracy = testAccuracy(dir.resolve("plain"));

    // The stolen weights, fine-tuned on the first half of the data without the watermark.
    train(
        dir,
        base,
        "stolen",
        "--init-weights",
        "marked/weights.npz",
        "--validation-split",
        "0.5",
        "--epochs",
        "5",
        "--seed",
        "7");
    Check stolen = check(dir, "--weights", "stolen/weights.npz");

    List<Check> unmarked = new ArrayList<>(List.of(plainCheck));
    for (long seed : otherSeeds) {
      train(dir, base, "unmarked-" + seed, "--seed", String.valueOf(seed));
      unmarked.add(check(dir, "--model", "unmarked-" + seed));
    }
    double meanRate = unmarked.stream().mapToDouble(Check::bitErrorRate).average().orElseThrow();
    double minChance = unmarked.stream().mapToDouble(Check::chance).min().orElseThrow();

    ObjectNode figures = JSON.createObjectNode();
    figures.put("setup", soak ? "conf/fashion-mnist.yaml, 64 bits, default strength" : "blobs");
    figures.put("marked_bit_errors", marked.errors());
    figures.put("marked_chance", marked.chance());
    figures.put("marked_test_accuracy", markedAccuracy);
    figures.put("unmarked_same_seed_test_accuracy", plainAccuracy);
    figures.put("fine_tuned_bit_errors", stolen.errors());
    figures.put("fine_tuned_chance", stolen.chance());
    ArrayNode rates = figures.putArray("unmarked_bit_error_rates");
    ArrayNode chances = figures.putArray("unmarked_chances");
    unmarked.forEach(u -> rates.add(u.bitErrorRate()));
    unmarked.forEach(u -> chances.add(u.chance()));
    figures.put("unmarked_mean_bit_error_rate", meanRate);
    figures.put("unmarked_smallest_chance", minChance);
    figures.put("threshold", THRESHOLD);
    figures.put("minutes", (System.nanoTime() - started) / 60e9);
    Path out = Path.of("target", soak ? "watermark-figures-soak.json" : "watermark-figures.json");
    Files.createDirectories(out.getParent());
    JSON.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), figures);
    System.out.println("watermark figures: " + figures);

    assertEquals(0, marked.errors(), "every bit embedded");
    assertEquals(0, marked.exit(), "claimed");
    assertTrue(
        Math.abs(markedAccuracy - plainAccuracy) <= 0.005,
        String.format(
            Locale.ROOT,
            "test accuracy %.4f marked, %.4f unmarked",
            markedAccuracy,
            plainAccuracy));
    assertTrue(stolen.bitErrorRate() <= 0.05, stolen.errors() + " bit errors after fine-tuning");
    assertEquals(0, stolen.exit(), "still claimed after fine-tuning");
    for (Check u : unmarked) {
      assertEquals(1, u.exit(), "an unmarked model is never claimed: " + u);
      assertTrue(u.chance() > THRESHOLD, u.toString());
    }
    assertTrue(
        meanRate > 0.35 && meanRate < 0.65, "unmarked models' mean bit error rate " + meanRate);
  }
}
