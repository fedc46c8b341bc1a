package org.sparkdp.tests;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.sparkdp.ops.ModelFile;

/** Reads a model directory's weights as a test compares them. */
final class Weights {
  private Weights() {}

  static float[] of(Path modelDir) throws IOException {
    ModelFile.Saved saved =
        ModelFile.parse(Files.readAllBytes(modelDir.resolve("model.json")), "model.json");
    return ModelFile.readWeights(
        saved.spec(),
        new ByteArrayInputStream(Files.readAllBytes(modelDir.resolve("weights.npz"))),
        "weights.npz");
  }
}
