package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.testkit.Blobs;

/**
 * Keras' fit settings, callbacks and metrics through {@code bin/sparkdp} and job files: {@code
 * class_weight} on a 1:20 imbalanced CSV raises the minority class's recall; {@code early_stopping}
 * with {@code restore_best_weights} saves the best epoch's model (which {@code bin/sparkdp
 * evaluate} finds at the history's lowest {@code val_loss}), beside the files of {@code
 * model_checkpoint} and {@code csv_logger}; the test metrics carry the confusion matrix and its
 * picture.
 */
class FitCallbacksMetricsIT {
  private static final int DIM = 4;
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * {@code rows} examples of two overlapping Gaussian classes (unit variance, means 0 and 1 in each
   * feature), every 21st of class 1: 1 minority example to 20.
   */
  private static Path imbalancedCsv(Path file, int rows, long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    StringBuilder s = new StringBuilder("x0,x1,x2,x3,label\n");
    for (int r = 0; r < rows; r++) {
      int label = r % 21 == 20 ? 1 : 0;
      for (int j = 0; j < DIM; j++) {
        s.append(String.format(Locale.ROOT, "%.5f,", label + gaussian(random)));
      }
      s.append(label).append('\n');
    }
    Files.writeString(file, s);
    return file;
  }

  private static double gaussian(SplittableRandom random) {
    double u = 1 - random.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
  }

  private static void imbalancedJob(Path file, String classWeight) throws IOException {
    Files.writeString(
        file,
        String.join(
            "\n",
            "model:",
            "  layers:",
            "    - {type: dense, units: 8, activation: relu, input_dim: " + DIM + "}",
            "    - {type: dense, units: 2, activation: softmax}",
            "compile:",
            "  optimizer: {type: adam, learning_rate: 0.01}",
            "  loss: sparse_categorical_crossentropy",
            "  metrics:",
            "    - accuracy",
            "    - {type: recall, class_id: 1, name: recall_1}",
            "    - {type: precision, class_id: 1, name: precision_1}",
            "    - auc",
            "fit: {epochs: 6, batch_size: 64, seed: 7, partitions: 3" + classWeight + "}",
            "data:",
            "  train: {format: csv, path: train.csv}",
            "  test: {format: csv, path: test.csv}",
            ""));
  }

  @Test
  void classWeightRaisesTheMinorityRecallOnAOneToTwentyCsv(@TempDir Path dir) throws Exception {
    imbalancedCsv(dir.resolve("train.csv"), 4200, 1);
    imbalancedCsv(dir.resolve("test.csv"), 2100, 2);
    imbalancedJob(dir.resolve("plain.yaml"), "");
    imbalancedJob(dir.resolve("weighted.yaml"), ", class_weight: {0: 1, 1: 20}");
    Launcher.Result plain =
        Launcher.run(
            dir,
            "train",
            "--config",
            "plain.yaml",
            "--output",
            "plain",
            "--conf",
            "spark.ui.enabled=false");
    assertEquals(0, plain.exitCode(), plain.stderr());
    Launcher.Result weighted =
        Launcher.run(
            dir,
            "train",
            "--config",
            "weighted.yaml",
            "--output",
            "weighted",
            "--conf",
            "spark.ui.enabled=false");
    assertEquals(0, weighted.exitCode(), weighted.stderr());

    JsonNode before = JSON.readTree(dir.resolve("plain/test-metrics.json").toFile());
    JsonNode after = JSON.readTree(dir.resolve("weighted/test-metrics.json").toFile());
    double recallBefore = before.get("recall_1").asDouble();
    double recallAfter = after.get("recall_1").asDouble();
    System.out.printf(
        Locale.ROOT,
        "class_weight {0: 1, 1: 20} on a 1:20 CSV: minority recall %.3f -> %.3f (+%.3f),"
            + " precision %.3f -> %.3f, accuracy %.3f -> %.3f%n",
        recallBefore,
        recallAfter,
        recallAfter - recallBefore,
        before.get("precision_1").asDouble(),
        after.get("precision_1").asDouble(),
        before.get("accuracy").asDouble(),
        after.get("accuracy").asDouble());
    assertTrue(
        recallAfter >= recallBefore + 0.3,
        "the minority's recall rises: " + recallBefore + " -> " + recallAfter);
    for (JsonNode metrics : List.of(before, after)) {
      // The confusion matrix's counts give the same recall and accuracy as the metrics' own sums.
      JsonNode cm = metrics.get("confusion_matrix");
      long[][] c = new long[2][2];
      for (int t = 0; t < 2; t++) {
        for (int p = 0; p < 2; p++) {
          c[t][p] = cm.get(t).get(p).asLong();
        }
      }
      assertEquals(100, c[1][0] + c[1][1], "the test data's minority rows");
      assertEquals(2000, c[0][0] + c[0][1], "the test data's majority rows");
      assertEquals((double) c[1][1] / 100, metrics.get("recall_1").asDouble(), 1e-12);
      assertEquals((c[0][0] + c[1][1]) / 2100.0, metrics.get("accuracy").asDouble(), 1e-12);
    }
    BufferedImage picture = ImageIO.read(dir.resolve("weighted/confusion-matrix.png").toFile());
    assertTrue(picture.getWidth() > 100 && picture.getHeight() > 100, "a PNG is drawn");
    assertFalse(weighted.stdout().contains(" - val_"), "no validation was asked for");
    assertTrue(weighted.stdout().contains("recall_1: "), weighted.stdout());
  }

  /** Few rows, 40% relabelled at random: a wide model learns the noise and overfits. */
  private static Blobs noisy() {
    Blobs clean = Blobs.of(160, 10, 4, 3, 4);
    float[] labels = clean.labels().clone();
    SplittableRandom random = new SplittableRandom(9);
    for (int r = 0; r < labels.length; r++) {
      if (random.nextDouble() < 0.4) {
        labels[r] = random.nextInt(clean.classes());
      }
    }
    return new Blobs(clean.rows(), clean.dim(), clean.classes(), clean.x(), labels);
  }

  @Test
  void earlyStoppingInAJobFileSavesTheBestEpochsModel(@TempDir Path dir) throws Exception {
    Blobs data = noisy();
    data.slice(0, 80).writeCsv(dir.resolve("train.csv"));
    data.slice(80, 160).writeCsv(dir.resolve("validation.csv"));
    Files.writeString(
        dir.resolve("job.yaml"),
        String.join(
            "\n",
            "model:",
            "  layers:",
            "    - {type: dense, units: 64, activation: relu, input_dim: 10}",
            "    - {type: dense, units: 64, activation: relu}",
            "    - {type: dense, units: 4, activation: softmax}",
            "compile:",
            "  optimizer: {type: adam, learning_rate: 0.02}",
            "  loss: sparse_categorical_crossentropy",
            "  metrics: [accuracy, {type: sparse_top_k_categorical_accuracy, k: 2, name: top2}]",
            "fit:",
            "  epochs: 60",
            "  batch_size: 16",
            "  seed: 5",
            "  callbacks:",
            "    - {type: early_stopping, monitor: val_loss, patience: 3,"
                + " restore_best_weights: true, verbose: 1}",
            "    - {type: model_checkpoint, filepath: best, save_best_only: true}",
            "    - {type: csv_logger, filename: training.csv}",
            "data:",
            "  train: {format: csv, path: train.csv}",
            "  validation: {format: csv, path: validation.csv}",
            ""));
    Launcher.Result train =
        Launcher.run(
            dir,
            "train",
            "--config",
            "job.yaml",
            "--output",
            "run",
            "--conf",
            "spark.ui.enabled=false");
    assertEquals(0, train.exitCode(), train.stderr());
    assertTrue(
        train.stdout().contains("Restoring model weights from the end of the best epoch"),
        train.stdout());

    JsonNode history = JSON.readTree(dir.resolve("run/history.json").toFile());
    List<Double> valLoss = new ArrayList<>();
    history.get("val_loss").forEach(v -> valLoss.add(v.asDouble()));
    double best = valLoss.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    int bestEpoch = valLoss.indexOf(best);
    assertTrue(valLoss.size() < 60, "it overfits and stops early: " + valLoss);
    assertEquals(bestEpoch + 4, valLoss.size(), "three epochs after the best, it stops");
    assertTrue(valLoss.get(valLoss.size() - 1) > best, "the last epoch is worse: " + valLoss);
    assertEquals(valLoss.size(), history.get("val_top2").size(), "val_ metrics in the history");

    // model_checkpoint's file of the best epoch and the restored model are one model: the same
    // weights, bit for bit, and the same model.json but for the final model's provenance.
    assertArrayEquals(Weights.of(dir.resolve("run")), Weights.of(dir.resolve("run/best")));
    JsonNode restored = JSON.readTree(dir.resolve("run/model.json").toFile());
    JsonNode checkpoint = JSON.readTree(dir.resolve("run/best/model.json").toFile());
    assertTrue(restored.has("provenance"), "the final model records how it was made");
    ((ObjectNode) restored).remove("provenance");
    ((ObjectNode) checkpoint).remove("provenance");
    assertEquals(restored, checkpoint, "run/model.json against run/best/model.json");
    // So one evaluation tells for both: the checkpoint, evaluated on the validation data by another
    // process, is the best epoch's.
    Launcher.Result evaluate =
        Launcher.run(
            dir,
            "evaluate",
            "--model",
            "run/best",
            "--data",
            "validation.csv",
            "--output",
            "run-best.json",
            "--conf",
            "spark.ui.enabled=false");
    assertEquals(0, evaluate.exitCode(), evaluate.stderr());
    JsonNode evaluated = JSON.readTree(dir.resolve("run-best.json").toFile());
    System.out.printf(
        Locale.ROOT,
        "run and run/best: evaluated val_loss %.6f, history's minimum %.6f (epoch %d of %d)%n",
        evaluated.get("loss").asDouble(),
        best,
        bestEpoch + 1,
        valLoss.size());
    assertEquals(
        best, evaluated.get("loss").asDouble(), 1e-6, "run and run/best hold the best epoch");
    assertEquals(4, evaluated.get("confusion_matrix").size(), "a 4-class confusion matrix");

    // csv_logger: a header of epoch and the sorted keys, one row per epoch with the history's
    // values.
    List<String> csv = Files.readAllLines(dir.resolve("run/training.csv"));
    assertEquals("epoch,accuracy,loss,top2,val_accuracy,val_loss,val_top2", csv.get(0));
    assertEquals(valLoss.size() + 1, csv.size(), "one row per epoch: " + csv);
    for (int e = 0; e < valLoss.size(); e++) {
      String[] row = csv.get(e + 1).split(",");
      assertEquals(String.valueOf(e), row[0]);
      assertEquals(valLoss.get(e), Double.parseDouble(row[5]), 1e-12, "val_loss of epoch " + e);
    }
  }
}
