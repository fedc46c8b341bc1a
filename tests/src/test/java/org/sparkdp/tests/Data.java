package org.sparkdp.tests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Job files for the tests' small models (their data comes from {@link org.sparkdp.testkit.Blobs}).
 */
final class Data {
  private Data() {}

  /** A small job file for {@code dim} features and {@code classes} classes. */
  static Path config(Path file, int dim, int classes) throws IOException {
    return config(file, dim, 16, classes);
  }

  /** A job file with two hidden layers of {@code hidden} units. */
  static Path config(Path file, int dim, int hidden, int classes) throws IOException {
    return config(file, dim, hidden, classes, 0);
  }

  /**
   * A job file with two hidden layers of {@code hidden} units, each followed by dropout at {@code
   * rate} unless it is 0.
   */
  static Path config(Path file, int dim, int hidden, int classes, double rate) throws IOException {
    String dropout = rate > 0 ? "    - {type: dropout, rate: " + rate + "}\n" : "";
    Files.writeString(
        file,
        String.join(
            "\n",
            "model:",
            "  layers:",
            "    - {type: dense, units: " + hidden + ", activation: relu, input_dim: " + dim + "}",
            dropout + "    - {type: dense, units: " + hidden + ", activation: tanh}",
            dropout + "    - {type: dense, units: " + classes + ", activation: softmax}",
            "compile:",
            "  optimizer: {type: adam, learning_rate: 0.01}",
            "  loss: sparse_categorical_crossentropy",
            "  metrics: [accuracy]",
            "fit: {epochs: 2, batch_size: 32, strategy: sync, seed: 3}",
            ""));
    return file;
  }
}
