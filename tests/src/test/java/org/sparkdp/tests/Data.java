package org.sparkdp.tests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/** Seeded small data sets written as files. */
final class Data {
  private Data() {}

  /** A CSV with header {@code x0..x{dim-1},label}: Gaussian blobs, one per class. */
  static Path blobsCsv(Path file, int rows, int dim, int classes, long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    double[][] centres = new double[classes][dim];
    for (double[] c : centres) {
      for (int j = 0; j < dim; j++) {
        c[j] = 2 * random.nextGaussian();
      }
    }
    StringBuilder s = new StringBuilder();
    for (int j = 0; j < dim; j++) {
      s.append('x').append(j).append(',');
    }
    s.append("label\n");
    for (int r = 0; r < rows; r++) {
      int label = random.nextInt(classes);
      for (int j = 0; j < dim; j++) {
        s.append(String.format(Locale.ROOT, "%.6f,", centres[label][j] + random.nextGaussian()));
      }
      s.append(label).append('\n');
    }
    Files.writeString(file, s);
    return file;
  }

  /** A small job file for {@code dim} features and {@code classes} classes. */
  static Path config(Path file, int dim, int classes) throws IOException {
    return config(file, dim, 16, classes);
  }

  /** A job file with two hidden layers of {@code hidden} units. */
  static Path config(Path file, int dim, int hidden, int classes) throws IOException {
    Files.writeString(
        file,
        String.join(
            "\n",
            "model:",
            "  layers:",
            "    - {type: dense, units: " + hidden + ", activation: relu, input_dim: " + dim + "}",
            "    - {type: dense, units: " + hidden + ", activation: tanh}",
            "    - {type: dense, units: " + classes + ", activation: softmax}",
            "compile:",
            "  optimizer: {type: adam, learning_rate: 0.01}",
            "  loss: sparse_categorical_crossentropy",
            "  metrics: [accuracy]",
            "fit: {epochs: 2, batch_size: 32, strategy: sync, seed: 3}",
            ""));
    return file;
  }
}
