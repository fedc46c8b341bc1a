package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Embedding;
import org.sparkdp.ops.Flatten;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.ParameterLayout;

/**
 * Keras' semantics computed independently: {@code bin/sparkdp train} of an embedding, flatten,
 * dense tanh and dense softmax model from given weights, full-batch SGD on 2 partitions, against
 * the same steps in PyTorch in float64 ({@code tests/src/test/python/embedding_sgd.py}, run with
 * Debian's {@code python3-torch}), within 1e-4 of the largest weight.
 */
class EmbeddingTorchIT {
  private static final int STEPS = 20;
  private static final double LEARNING_RATE = 0.5;

  @TempDir Path dir;

  private static final ModelSpec SPEC =
      new ModelSpec(
          List.of(Embedding.of(10, 4), Flatten.of(), Dense.of(5, "tanh"), Dense.of(3, "softmax")),
          List.of(6));

  private static final String JOB =
      String.join(
          "\n",
          "model:",
          "  layers:",
          "    - {type: embedding, input_dim: 10, output_dim: 4, input_shape: [6]}",
          "    - {type: flatten}",
          "    - {type: dense, units: 5, activation: tanh}",
          "    - {type: dense, units: 3, activation: softmax}",
          "compile: {optimizer: {type: sgd, learning_rate: "
              + LEARNING_RATE
              + "},"
              + " loss: sparse_categorical_crossentropy}",
          "fit: {epochs: " + STEPS + ", batch_size: all, partitions: 2, strategy: sync, seed: 5}",
          "");

  @Test
  void fullBatchSgdFromGivenWeightsIsPyTorchsWithinOneInTenThousand() throws Exception {
    Launcher.Result torch =
        Launcher.command(
            dir, Map.of(), List.of(), List.of("/usr/bin/python3", "-c", "import torch, numpy"));
    assertEquals(
        0,
        torch.exitCode(),
        "this test needs PyTorch for /usr/bin/python3: install python3-torch (apt-get install"
            + " python3-torch)\n"
            + torch.stderr());
    SplittableRandom random = new SplittableRandom(17);
    StringBuilder csv = new StringBuilder("t0,t1,t2,t3,t4,t5,label\n");
    for (int r = 0; r < 96; r++) {
      for (int t = 0; t < 6; t++) {
        csv.append(random.nextInt(10)).append(',');
      }
      csv.append(random.nextInt(3)).append('\n');
    }
    Files.writeString(dir.resolve("data.csv"), csv);
    Files.writeString(dir.resolve("job.yaml"), JOB);
    float[] start = SPEC.initialParameters(3);
    for (int i = 0; i < start.length; i++) {
      start[i] += (float) (0.3 * random.nextGaussian()); // a table far from 0, biases too
    }
    Files.write(dir.resolve("init.npz"), ModelFile.weightsBytes(SPEC, start));

    Launcher.Result train =
        Launcher.run(
            dir,
            "train",
            "--config",
            "job.yaml",
            "--train",
            "data.csv",
            "--init-weights",
            "init.npz",
            "--output",
            "runs/e",
            "--master",
            "local[2]");
    assertEquals(0, train.exitCode(), train.stdout() + train.stderr());
    float[] sparkdp;
    try (InputStream in = Files.newInputStream(dir.resolve("runs/e/weights.npz"))) {
      sparkdp = ModelFile.readWeights(SPEC, in, "weights.npz");
    }

    Launcher.Result reference =
        Launcher.command(
            dir,
            Map.of(),
            List.of(),
            List.of(
                "/usr/bin/python3",
                Launcher.HOME.resolve("tests/src/test/python/embedding_sgd.py").toString(),
                "init.npz",
                "data.csv",
                String.valueOf(STEPS),
                String.valueOf(LEARNING_RATE),
                "torch.json"));
    assertEquals(0, reference.exitCode(), reference.stdout() + reference.stderr());
    JsonNode torchWeights = new ObjectMapper().readTree(dir.resolve("torch.json").toFile());
    ParameterLayout layout = SPEC.layout();
    float[] expected = new float[layout.size()];
    for (ParameterLayout.View v : layout.views()) {
      JsonNode values = torchWeights.get(v.name());
      assertEquals(v.size(), values.size(), v.name());
      for (int i = 0; i < v.size(); i++) {
        expected[v.offset() + i] = (float) values.get(i).asDouble();
      }
    }
    double worst = 0;
    double largest = 0;
    double moved = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(sparkdp[i] - expected[i]));
      largest = Math.max(largest, Math.abs(expected[i]));
      moved = Math.max(moved, Math.abs(expected[i] - start[i]));
    }
    System.out.printf(
        "EmbeddingTorchIT: max |w - w_torch| / max |w_torch| = %.3g after %d steps%n",
        worst / largest, STEPS);
    assertTrue(moved > 0.05 * largest, "the weights moved: " + moved);
    assertTrue(worst / largest < 1e-4, "max |w - w_torch| / max |w_torch| = " + worst / largest);
  }
}
