package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.testkit.Blobs;

/**
 * One training run through the launcher, then evaluate and predict on its model: every output file
 * checked.
 */
class OutputsIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void trainWritesKerasShapedOutputsAndTheModelEvaluatesAndPredicts(@TempDir Path dir)
      throws Exception {
    Blobs.of(800, 6, 3, 21).writeCsv(dir.resolve("train.csv"));
    // The same classes (centres) as the training data, other examples.
    Blobs.of(200, 6, 3, 21, 22).writeCsv(dir.resolve("test.csv"));
    Data.config(dir.resolve("job.yaml"), 6, 3);
    Launcher.Result r =
        Launcher.run(
            dir,
            Launcher.train(
                "train.csv",
                "model",
                "--test",
                "test.csv",
                "--epochs",
                "3",
                "--validation-split",
                "0.25"));
    assertEquals(0, r.exitCode(), r.stderr());
    // The model's summary in Keras' table comes first: 6*16+16, 16*16+16, 16*3+3 parameters (in
    // box characters, or ASCII in a console without UTF-8).
    assertTrue(
        r.stdout()
                .matches("(?s).*[│|] dense_1 \\(Dense\\) +[│|] \\(None, 16\\) +[│|] +272 [│|]\n.*")
            && r.stdout().contains(" Total params: 435 (1.70 KB)")
            && r.stdout().indexOf("Model: \"sequential\"") < r.stdout().indexOf("Epoch 1/3"),
        r.stdout());
    List<String> epochLines = r.stdout().lines().filter(l -> l.startsWith("Epoch ")).toList();
    assertEquals(3, epochLines.size(), r.stdout());
    assertTrue(
        epochLines
            .get(2)
            .matches(
                "Epoch 3/3 - [0-9.]+s - loss: [0-9.]+ - accuracy: [0-9.]+ - val_loss: [0-9.]+ - val_accuracy: [0-9.]+"),
        epochLines.get(2));

    Path model = dir.resolve("model");
    JsonNode history = JSON.readTree(model.resolve("history.json").toFile());
    assertEquals(
        List.of("loss", "accuracy", "val_loss", "val_accuracy", "epoch_seconds"),
        iterate(history.fieldNames()));
    history.forEach(series -> assertEquals(3, series.size()));
    JsonNode test = JSON.readTree(model.resolve("test-metrics.json").toFile());
    assertTrue(test.get("accuracy").asDouble() > 0.9, test.toString());
    BufferedImage curves = ImageIO.read(model.resolve("learning-curves.png").toFile());
    assertEquals(1000, curves.getWidth());

    JsonNode modelJson = JSON.readTree(model.resolve("model.json").toFile());
    byte[] weights = Files.readAllBytes(model.resolve("weights.npz"));
    assertEquals(ModelFile.sha256(weights), modelJson.path("weights").path("sha256").asText());
    assertEquals(600, modelJson.path("provenance").path("data").path("train").path("rows").asInt());
    assertEquals(
        200,
        modelJson.path("provenance").path("data").path("train").path("validation_rows").asInt());
    assertEquals("train", modelJson.path("provenance").path("job").path("command").asText());
    assertEquals(
        test.get("accuracy").asDouble(),
        modelJson.path("provenance").path("final_metrics").path("test_accuracy").asDouble(),
        1e-12);

    Launcher.Result eval =
        Launcher.run(
            dir,
            "evaluate",
            "--model",
            "model",
            "--data",
            "test.csv",
            "--output",
            "eval.json",
            "--conf",
            "spark.ui.enabled=false");
    assertEquals(0, eval.exitCode(), eval.stderr());
    JsonNode evaluated = JSON.readTree(dir.resolve("eval.json").toFile());
    assertEquals(
        test.get("loss").asDouble(),
        evaluated.get("loss").asDouble(),
        1e-9,
        "same model, same data");

    Launcher.Result predict =
        Launcher.run(
            dir,
            "predict",
            "--model",
            "model",
            "--data",
            "test.csv",
            "--output",
            "predictions",
            "--format",
            "csv",
            "--conf",
            "spark.ui.enabled=false");
    assertEquals(0, predict.exitCode(), predict.stderr());
    List<String> lines;
    try (Stream<Path> files = Files.list(dir.resolve("predictions"))) {
      lines =
          files
              .filter(p -> p.toString().endsWith(".csv"))
              .flatMap(
                  p -> {
                    try {
                      return Files.readAllLines(p).stream().skip(1);
                    } catch (java.io.IOException e) {
                      throw new java.io.UncheckedIOException(e);
                    }
                  })
              .toList();
    }
    assertEquals(200, lines.size());
    long correct =
        lines.stream()
            .map(l -> l.split(","))
            .filter(f -> Double.parseDouble(f[0]) == Double.parseDouble(f[1]))
            .count();
    assertEquals(
        test.get("accuracy").asDouble(),
        correct / 200.0,
        1e-9,
        "predictions agree with the accuracy");
  }

  private static List<String> iterate(java.util.Iterator<String> it) {
    List<String> list = new java.util.ArrayList<>();
    it.forEachRemaining(list::add);
    return list;
  }
}
