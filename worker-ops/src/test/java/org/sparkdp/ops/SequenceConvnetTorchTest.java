package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.testkit.Blobs;
import org.sparkdp.testkit.ReferenceTraining;

/**
 * Full-batch SGD of a sequence convnet (Conv1D same with dilation and causal, MaxPooling1D and
 * AveragePooling1D with same padding, GlobalAveragePooling1D, Dense softmax) from given weights,
 * against an independent computation of Keras' semantics: PyTorch in float64 ({@code
 * /usr/bin/python3} with Debian's {@code python3-torch}), with its own padding rules and autograd.
 */
class SequenceConvnetTorchTest {
  static final int STEPS = 12;
  static final int LENGTH = 12;
  static final int CHANNELS = 3;

  @TempDir Path dir;

  static ModelSpec spec() {
    return new ModelSpec(
        List.of(
            Conv1D.of(5, 3, "tanh").with(1, Padding.SAME, 2, true),
            new MaxPooling1D(List.of(3), List.of(2), Padding.SAME, 0),
            Conv1D.of(4, 2, "relu").with(1, Padding.CAUSAL, 1, true),
            new AveragePooling1D(List.of(2), List.of(1), Padding.SAME, 0),
            GlobalAveragePooling1D.of(),
            Dense.of(3, "softmax")),
        List.of(LENGTH, CHANNELS));
  }

  @Test
  void fullBatchSgdAgreesWithPyTorchsKerasSemanticsToOneInTenThousand() throws Exception {
    ModelSpec spec = spec();
    Blobs data = Blobs.of(32, LENGTH * CHANNELS, 3, 5);
    float[] start = spec.initialParameters(7);
    Map<String, Npz.Array> arrays = new LinkedHashMap<>(ModelFile.weightArrays(spec, start));
    arrays.put("x", new Npz.Array(new int[] {data.rows(), data.dim()}, data.x()));
    arrays.put("y", new Npz.Array(new int[] {data.rows()}, data.labels()));
    Path in = dir.resolve("in.npz");
    try (OutputStream out = Files.newOutputStream(in)) {
      Npz.write(arrays, out);
    }
    Path script = dir.resolve("torch_sequence_convnet.py");
    try (InputStream s = getClass().getResourceAsStream("torch_sequence_convnet.py")) {
      Files.write(script, s.readAllBytes());
    }
    double learningRate = 0.5;
    Path out = dir.resolve("out.npz");
    Process p =
        new ProcessBuilder(
                "/usr/bin/python3",
                script.toString(),
                in.toString(),
                out.toString(),
                String.valueOf(STEPS),
                String.valueOf(learningRate),
                String.valueOf(LENGTH),
                String.valueOf(CHANNELS))
            .redirectErrorStream(true)
            .start();
    String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertEquals(0, p.waitFor(), "/usr/bin/python3 with python3-torch and python3-numpy: " + said);
    System.out.println("torch_sequence_convnet.py: " + said);
    float[] torch;
    try (InputStream s = Files.newInputStream(out)) {
      torch = ModelFile.readWeights(spec, s, "out.npz");
    }

    Sgd sgd = new Sgd(learningRate, 0, false);
    CompileConfig compile =
        new CompileConfig(
            sgd, Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, CompileConfig.metrics("accuracy"));
    float[] sparkdp =
        ReferenceTraining.train(
            new Network(spec, compile, 1, 7),
            sgd,
            start,
            data,
            data.rows(),
            STEPS,
            ReferenceTraining.syncOrder(data.rows(), 7));
    double moved = Comparisons.maxRelativeDifference(start, torch);
    double d = Comparisons.maxRelativeDifference(sparkdp, torch);
    System.out.printf(
        "sequence convnet, %d full-batch steps: max |w - w_torch| / max |w_torch| = %.3g"
            + " (the weights moved by %.3g)%n",
        STEPS, d, moved);
    assertTrue(moved > 1e-2, "the weights moved by " + moved);
    assertTrue(d <= 1e-4, "sparkdp against PyTorch: " + d);
  }
}
