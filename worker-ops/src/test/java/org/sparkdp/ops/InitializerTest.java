package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The initializers against Keras' formulas: the variance (or bounds) each one promises, measured on
 * large samples, and the exact ones value by value.
 */
class InitializerTest {
  private static float[] draw(Initializer init, int... shape) {
    float[] values = new float[Initializer.size(shape)];
    init.fill(values, 0, shape, new SplittableRandom(3));
    return values;
  }

  private static double variance(float[] v) {
    double mean = 0;
    for (float x : v) {
      mean += x / (double) v.length;
    }
    double var = 0;
    for (float x : v) {
      var += (x - mean) * (x - mean) / v.length;
    }
    return var;
  }

  private static double maxAbs(float[] v) {
    double m = 0;
    for (float x : v) {
      m = Math.max(m, Math.abs(x));
    }
    return m;
  }

  @Test
  void varianceScalingPresetsHaveKerasVariances() {
    int in = 300;
    int out = 200;
    // Uniform on [-l, l] has variance l^2 / 3.
    assertEquals(
        2.0 / (in + out),
        variance(draw(Initializer.GLOROT_UNIFORM, in, out)),
        2e-4 * 2.0 / (in + out) * 20);
    assertEquals(
        2.0 / (in + out),
        variance(draw(Initializer.GLOROT_NORMAL, in, out)),
        0.02 * 2.0 / (in + out));
    assertEquals(2.0 / in, variance(draw(Initializer.HE_UNIFORM, in, out)), 0.02 * 2.0 / in);
    assertEquals(2.0 / in, variance(draw(Initializer.HE_NORMAL, in, out)), 0.02 * 2.0 / in);
    assertEquals(1.0 / in, variance(draw(Initializer.LECUN_UNIFORM, in, out)), 0.02 / in);
    assertEquals(1.0 / in, variance(draw(Initializer.LECUN_NORMAL, in, out)), 0.02 / in);
    assertTrue(maxAbs(draw(Initializer.HE_UNIFORM, in, out)) <= Math.sqrt(6.0 / in));
    // Truncated at two standard deviations of the untruncated normal.
    assertTrue(
        maxAbs(draw(Initializer.HE_NORMAL, in, out))
            <= 2 * Math.sqrt(2.0 / in) / 0.87962566103423978 + 1e-6);
    float[] fanOut =
        draw(
            new Initializer.VarianceScaling(
                3, Initializer.Mode.FAN_OUT, Initializer.Distribution.UNTRUNCATED_NORMAL),
            in,
            out);
    assertEquals(3.0 / out, variance(fanOut), 0.02 * 3.0 / out);
    assertTrue(maxAbs(fanOut) > 2.5 * Math.sqrt(3.0 / out), "untruncated reaches past 2 sigma");
  }

  @Test
  void aVectorsFansAreItsLengthAsInKeras() {
    // Keras takes fan_in = fan_out = 10000 for a vector: variance 1 / 10000.
    assertEquals(1.0 / 10000, variance(draw(Initializer.GLOROT_UNIFORM, 10000)), 0.03 / 10000);
  }

  @Test
  void aConvolutionKernelsFansAreItsWindowTimesItsChannelsAsInKeras() {
    // [3, 3, 32, 64]: fan_in = 9 * 32 = 288, fan_out = 9 * 64 = 576; glorot: variance 2 / 864.
    float[] glorot = draw(Initializer.GLOROT_UNIFORM, 3, 3, 32, 64);
    assertEquals(2.0 / 864, variance(glorot), 0.03 * 2.0 / 864);
    assertTrue(maxAbs(glorot) <= Math.sqrt(6.0 / 864));
    assertTrue(maxAbs(glorot) > 0.99 * Math.sqrt(6.0 / 864), "reaches its bound");
    assertEquals(2.0 / 288, variance(draw(Initializer.HE_NORMAL, 3, 3, 32, 64)), 0.03 * 2.0 / 288);
    // A conv1d kernel [5, 8, 16]: fan_in 40.
    assertEquals(1.0 / 40, variance(draw(Initializer.LECUN_UNIFORM, 5, 8, 16)), 0.05 / 40);
  }

  @Test
  void randomInitializersHaveTheirArguments() {
    float[] normal = draw(new Initializer.RandomNormal(1, 0.1), 100, 100);
    assertEquals(0.01, variance(normal), 0.0005);
    float[] uniform = draw(new Initializer.RandomUniform(-0.2, 0.6), 100, 100);
    for (float v : uniform) {
      assertTrue(v >= -0.2f && v <= 0.6f, "in [minval, maxval]: " + v);
    }
    float[] truncated = draw(new Initializer.TruncatedNormal(0, 0.05), 100, 100);
    assertTrue(maxAbs(truncated) <= 0.1 + 1e-7, "within two standard deviations");
    assertEquals(0.05 * 0.05 * 0.7737, variance(truncated), 0.05 * 0.05 * 0.04);
  }

  @Test
  void orthogonalGivesOrthonormalColumnsOrRowsTimesTheGain() {
    for (int[] shape : new int[][] {{7, 4}, {4, 7}, {5, 5}}) {
      float[] w = draw(new Initializer.Orthogonal(2), shape);
      int rows = shape[0];
      int cols = shape[1];
      boolean byColumns = rows >= cols;
      int n = byColumns ? cols : rows;
      for (int a = 0; a < n; a++) {
        for (int b = 0; b < n; b++) {
          double dot = 0;
          for (int k = 0; k < (byColumns ? rows : cols); k++) {
            dot +=
                byColumns ? w[k * cols + a] * w[k * cols + b] : w[a * cols + k] * w[b * cols + k];
          }
          assertEquals(
              a == b ? 4 : 0, dot, 1e-5, shape[0] + "x" + shape[1] + " entry " + a + "," + b);
        }
      }
    }
    assertThrows(IllegalArgumentException.class, () -> draw(new Initializer.Orthogonal(1), 5));
  }

  @Test
  void exactInitializersGiveTheirValues() {
    float[] identity = draw(new Initializer.Identity(3), 2, 3);
    assertEquals(java.util.List.of(3f, 0f, 0f, 0f, 3f, 0f), floats(identity));
    assertEquals(java.util.List.of(0.5f, 0.5f), floats(draw(new Initializer.Constant(0.5), 2)));
    assertEquals(java.util.List.of(1f, 1f), floats(draw(Initializer.ONES, 2)));
    assertEquals(java.util.List.of(0f, 0f), floats(draw(Initializer.ZEROS, 2)));
  }

  private static java.util.List<Float> floats(float[] v) {
    java.util.List<Float> list = new java.util.ArrayList<>();
    for (float x : v) {
      list.add(x);
    }
    return list;
  }

  @Test
  void theSameSeedGivesTheSameWeightsAndAddingALayerKeepsTheOnesBefore() {
    ModelSpec two = ModelSpec.of(Dense.of(4, "relu").withInputDim(3), Dense.of(2, "softmax"));
    ModelSpec three =
        ModelSpec.of(
            Dense.of(4, "relu").withInputDim(3), Dense.of(2, "relu"), Dense.of(2, "softmax"));
    float[] a = two.initialParameters(9);
    float[] b = three.initialParameters(9);
    for (int i = 0; i < 3 * 4 + 4 + 4 * 2 + 2; i++) {
      assertEquals(a[i], b[i]);
    }
  }
}
