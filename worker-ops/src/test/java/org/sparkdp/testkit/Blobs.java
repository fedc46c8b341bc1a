package org.sparkdp.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The tests' learnable data: Gaussian blobs, one per class, in {@code dim} dimensions. The class
 * centres come from one seed and the examples from another, so a training set and a test set share
 * their centres (a model can learn one and be tested on the other) but not their rows.
 *
 * @param x features {@code [rows, dim]}, row-major
 * @param labels class indices in {@code [0, classes)}
 */
public record Blobs(int rows, int dim, int classes, float[] x, float[] labels) {
  /** How far apart the centres are, in standard deviations of the examples around them. */
  private static final double SPREAD = 3;

  /** {@code rows} examples; centres and examples both from {@code seed}. */
  public static Blobs of(int rows, int dim, int classes, long seed) {
    return of(rows, dim, classes, seed, seed);
  }

  /**
   * {@code rows} examples around the centres of {@code centreSeed}, drawn with {@code sampleSeed}.
   */
  public static Blobs of(int rows, int dim, int classes, long centreSeed, long sampleSeed) {
    SplittableRandom centresRandom = new SplittableRandom(centreSeed);
    double[][] centres = new double[classes][dim];
    for (double[] c : centres) {
      for (int j = 0; j < dim; j++) {
        c[j] = SPREAD * centresRandom.nextGaussian();
      }
    }
    SplittableRandom random =
        centreSeed == sampleSeed ? centresRandom : new SplittableRandom(sampleSeed);
    float[] x = new float[rows * dim];
    float[] labels = new float[rows];
    for (int r = 0; r < rows; r++) {
      int label = random.nextInt(classes);
      labels[r] = label;
      for (int j = 0; j < dim; j++) {
        x[r * dim + j] = (float) (centres[label][j] + random.nextGaussian());
      }
    }
    return new Blobs(rows, dim, classes, x, labels);
  }

  /** Row {@code r}'s features. */
  public double[] features(int r) {
    double[] v = new double[dim];
    for (int j = 0; j < dim; j++) {
      v[j] = x[r * dim + j];
    }
    return v;
  }

  /** The rows {@code [from, to)}. */
  public Blobs slice(int from, int to) {
    return new Blobs(
        to - from,
        dim,
        classes,
        java.util.Arrays.copyOfRange(x, from * dim, to * dim),
        java.util.Arrays.copyOfRange(labels, from, to));
  }

  /** Writes a CSV with header {@code x0,...,x{dim-1},label}. */
  public Path writeCsv(Path file) throws IOException {
    StringBuilder s = new StringBuilder();
    for (int j = 0; j < dim; j++) {
      s.append('x').append(j).append(',');
    }
    s.append("label\n");
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < dim; j++) {
        s.append(String.format(Locale.ROOT, "%s,", x[r * dim + j]));
      }
      s.append((int) labels[r]).append('\n');
    }
    Files.writeString(file, s);
    return file;
  }
}
