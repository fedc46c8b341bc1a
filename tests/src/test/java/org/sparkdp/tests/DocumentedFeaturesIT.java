package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.testkit.Blobs;

/**
 * Features that the README documents, through the launcher as a user runs them: the {@code
 * model_checkpoint} template with Python's format specs, names with a colon, and a sample weight
 * column in CSV data.
 */
class DocumentedFeaturesIT {
  @TempDir Path dir;

  @Test
  void theReadmesCheckpointTemplateAndNamesWithAColonWriteTheirFiles() throws Exception {
    Blobs.of(200, 4, 2, 7).writeCsv(dir.resolve("train.csv"));
    Data.config(dir.resolve("job.yaml"), 4, 2);
    Launcher.Result r =
        Launcher.run(
            dir,
            Launcher.train(
                "train.csv",
                "model",
                "--validation-split",
                "0.25",
                "--callbacks",
                "[{\"type\": \"model_checkpoint\", \"filepath\": \"model-{epoch:02d}-{val_loss:.4f}\"},"
                    + " {\"type\": \"model_checkpoint\", \"filepath\": \"epoch:{epoch}\"},"
                    + " {\"type\": \"csv_logger\", \"filename\": \"log:all.csv\"}]"));
    assertEquals(0, r.exitCode(), r.stderr());
    List<String> names;
    try (Stream<Path> files = Files.list(dir.resolve("model"))) {
      names = files.map(p -> p.getFileName().toString()).sorted().toList();
    }
    List<String> templated =
        names.stream().filter(n -> n.matches("model-0[12]-[0-9]\\.[0-9]{4}")).toList();
    assertEquals(2, templated.size(), names.toString());
    assertTrue(templated.get(0).startsWith("model-01-"), names.toString());
    assertTrue(names.containsAll(List.of("epoch:1", "epoch:2", "log:all.csv")), names.toString());
    for (String saved : List.of(templated.get(0), templated.get(1), "epoch:2")) {
      assertTrue(Files.exists(dir.resolve("model").resolve(saved).resolve("model.json")), saved);
    }
    assertEquals(3, Files.readAllLines(dir.resolve("model/log:all.csv")).size());
    // The second epoch's checkpoint under both names is the same model.
    assertArrayEquals(
        Weights.of(dir.resolve("model").resolve(templated.get(1))),
        Weights.of(dir.resolve("model/epoch:2")));
  }

  @Test
  void aSampleWeightColumnInCsvWeighsEachExampleAndIsNotAFeature() throws Exception {
    Blobs.of(240, 4, 2, 9).writeCsv(dir.resolve("plain.csv"));
    List<String> lines = Files.readAllLines(dir.resolve("plain.csv"));
    // The weight column between the features and the label: every example weighs 2.
    List<String> weighted =
        lines.stream()
            .map(
                l -> {
                  int cut = l.lastIndexOf(',');
                  return l.substring(0, cut)
                      + (l.startsWith("x0") ? ",w" : ",2")
                      + l.substring(cut);
                })
            .toList();
    Files.write(dir.resolve("weighted.csv"), weighted);
    for (String rate : List.of("0.05", "0.1")) {
      Files.writeString(
          dir.resolve("sgd-" + rate + ".yaml"),
          String.join(
              "\n",
              "model:",
              "  layers:",
              "    - {type: dense, units: 8, activation: tanh, input_dim: 4}",
              "    - {type: dense, units: 2, activation: softmax}",
              "compile:",
              "  optimizer: {type: sgd, learning_rate: " + rate + "}",
              "  loss: sparse_categorical_crossentropy",
              "fit: {epochs: 2, batch_size: 32, seed: 3}",
              ""));
    }
    // A repeated option takes its last value: these job files, not job.yaml.
    Launcher.Result weightedRun =
        Launcher.run(
            dir,
            Launcher.train(
                "weighted.csv",
                "weighted",
                "--sample-weight-col",
                "w",
                "--config",
                "sgd-0.05.yaml"));
    assertEquals(0, weightedRun.exitCode(), weightedRun.stderr());
    Launcher.Result plainRun =
        Launcher.run(dir, Launcher.train("plain.csv", "plain", "--config", "sgd-0.1.yaml"));
    assertEquals(0, plainRun.exitCode(), plainRun.stderr());
    // SGD's step is rate times the (weighted) gradient: weights of 2 at 0.05 are steps of 0.1.
    float[] w = Weights.of(dir.resolve("weighted"));
    assertEquals(4 * 8 + 8 + 8 * 2 + 2, w.length, "4 features: the weight is not one");
    // Were the weight read but not applied, the two runs' steps would differ by a factor of 2.
    assertArrayEquals(Weights.of(dir.resolve("plain")), w);
  }
}
