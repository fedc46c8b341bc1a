package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.testkit.Blobs;

/**
 * Models in and out through the launcher: a trained model exported as ONNX (whose outputs ONNX
 * Runtime must give as {@code bin/sparkdp predict} does) and as a {@code .keras} file, which {@code
 * train --model-from} trains further without a job file, recording the file as its predecessor; and
 * the errors of both commands.
 */
class ModelsInAndOutIT {
  private static final int ROWS = 300;
  private static final int DIM = 5;

  @Test
  void aTrainedModelGoesOutAsOnnxAndKerasAndComesBackToTrainFurther(@TempDir Path dir)
      throws Exception {
    Blobs.of(ROWS, DIM, 3, 41).writeCsv(dir.resolve("train.csv"));
    Files.writeString(
        dir.resolve("job.yaml"),
        String.join(
            "\n",
            "model:",
            "  layers:",
            "    - {type: dense, units: 12, activation: gelu, input_dim: " + DIM + "}",
            "    - {type: dropout, rate: 0.1}",
            "    - {type: layer_normalization}",
            "    - {type: dense, units: 8, activation: hard_sigmoid}",
            "    - {type: activation, activation: softplus}",
            "    - {type: dense, units: 3, activation: softmax}",
            "compile:",
            "  optimizer: {type: adam, learning_rate: 0.01}",
            "  loss: sparse_categorical_crossentropy",
            "  metrics: [accuracy]",
            "fit: {epochs: 3, batch_size: 32, seed: 5}",
            ""));
    Launcher.Result first = Launcher.run(dir, Launcher.train("train.csv", "model"));
    assertEquals(0, first.exitCode(), first.stderr());

    Launcher.Result onnx =
        Launcher.run(dir, "export", "--model", "model", "--format", "onnx", "--output", "m.onnx");
    assertEquals(0, onnx.exitCode(), onnx.stderr());
    Launcher.Result keras =
        Launcher.run(dir, "export", "--model", "model", "--format", "keras", "--output", "m.keras");
    assertEquals(0, keras.exitCode(), keras.stderr());
    assertTrue(keras.stdout().contains("Model written to m.keras (keras)"), keras.stdout());

    Launcher.Result predict =
        Launcher.run(
            dir,
            "predict",
            "--model",
            "model",
            "--data",
            "train.csv",
            "--output",
            "predictions",
            "--format",
            "csv",
            "--conf",
            "spark.ui.enabled=false");
    assertEquals(0, predict.exitCode(), predict.stderr());
    double worst = onnxAgainstPredictions(dir);
    System.out.printf("ONNX Runtime against bin/sparkdp predict: max |diff| = %.3g%n", worst);
    assertTrue(worst <= 1e-5, "largest difference " + worst);

    // No job file: the model, its weights and its compile settings come from the .keras file.
    Launcher.Result again =
        Launcher.run(
            dir,
            "train",
            "--model-from",
            "m.keras",
            "--train",
            "train.csv",
            "--epochs",
            "1",
            "--output",
            "again",
            "--conf",
            "spark.ui.enabled=false");
    assertEquals(0, again.exitCode(), again.stderr());
    assertTrue(again.stdout().contains("adam, sparse_categorical_crossentropy"), again.stdout());
    JsonNode started =
        new ObjectMapper()
            .readTree(dir.resolve("again/model.json").toFile())
            .path("provenance")
            .path("predecessors")
            .path(0);
    assertEquals("keras", started.path("kind").asText(), started.toString());
    assertEquals("m.keras", started.path("path").asText());
    assertEquals(
        ModelFile.sha256(Files.readAllBytes(dir.resolve("m.keras"))),
        started.path("sha256").path("m.keras").asText());
    // It continues from the trained weights: its first epoch beats the first run's first.
    assertTrue(
        firstLoss(again.stdout()) < firstLoss(first.stdout()),
        first.stdout() + "\n" + again.stdout());
  }

  @Test
  void unsupportedKerasModelsAndBadExportsAreNamed(@TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("conv.json"),
        "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": ["
            + "{\"class_name\": \"Conv3D\", \"config\": {\"filters\": 8}}]},"
            + " \"keras_version\": \"2.15.0\"}");
    Blobs.of(50, DIM, 3, 1).writeCsv(dir.resolve("train.csv"));
    Launcher.Result conv =
        Launcher.run(dir, "train", "--model-from", "conv.json", "--train", "train.csv");
    assertEquals(1, conv.exitCode(), conv.stderr());
    assertTrue(
        conv.stderr()
            .contains(
                "sparkdp train: error: conv.json: config.layers[0]: the layer Conv3D is not"
                    + " supported"),
        conv.stderr());
    Launcher.Result name =
        Launcher.run(dir, "export", "--model", "m", "--format", "keras", "--output", "m.h5");
    assertEquals(2, name.exitCode(), name.stderr());
    assertTrue(name.stderr().contains("must end in .keras"), name.stderr());
  }

  /** The largest difference between ONNX Runtime's outputs and the predictions CSV's. */
  private static double onnxAgainstPredictions(Path dir) throws Exception {
    List<String> rows = Files.readAllLines(dir.resolve("train.csv")).stream().skip(1).toList();
    float[][] x = new float[rows.size()][DIM];
    for (int r = 0; r < rows.size(); r++) {
      String[] f = rows.get(r).split(",");
      for (int j = 0; j < DIM; j++) {
        x[r][j] = Float.parseFloat(f[j]);
      }
    }
    List<String> predicted;
    try (Stream<Path> files = Files.list(dir.resolve("predictions"))) {
      Path csv = files.filter(p -> p.toString().endsWith(".csv")).findFirst().orElseThrow();
      predicted = Files.readAllLines(csv);
    }
    List<String> header = List.of(predicted.get(0).split(","));
    assertEquals(ROWS, predicted.size() - 1, "one part file holds every row, in order");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    double worst = 0;
    try (OrtSession session =
            env.createSession(
                Files.readAllBytes(dir.resolve("m.onnx")), new OrtSession.SessionOptions());
        OnnxTensor input = OnnxTensor.createTensor(env, x);
        OrtSession.Result result = session.run(Map.of("input", input))) {
      float[][] out = (float[][]) result.get("output").orElseThrow().getValue();
      for (int r = 0; r < ROWS; r++) {
        String[] f = predicted.get(r + 1).split(",");
        for (int j = 0; j < 3; j++) {
          double sparkdp = Double.parseDouble(f[header.indexOf("output_" + j)]);
          worst = Math.max(worst, Math.abs(out[r][j] - sparkdp));
        }
      }
    }
    return worst;
  }

  private static double firstLoss(String stdout) {
    String line = stdout.lines().filter(l -> l.startsWith("Epoch 1/")).findFirst().orElseThrow();
    return Double.parseDouble(line.replaceAll(".* loss: ([0-9.]+).*", "$1"));
  }
}
