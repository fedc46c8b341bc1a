package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WatermarkEmbeddingTest {
  private static final byte[] SECRET =
      "a secret of the model's owner, 32b".getBytes(StandardCharsets.UTF_8);
  private static final byte[] OTHER =
      "another owner's secret, not alike!".getBytes(StandardCharsets.UTF_8);

  /** Layer 1 of a 3-10-6-2 model: a kernel [10, 6] after layer 0's 3 * 10 + 10 parameters. */
  private static final ModelSpec SPEC =
      ModelSpec.of(
          Dense.of(10, "relu").withInputDim(3), Dense.of(6, "relu"), Dense.of(2, "softmax"));

  private static float[] randomParams(long seed, double scale) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] p = new float[SPEC.layout().size()];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) (scale * r.nextGaussian());
    }
    return p;
  }

  /**
   * The embedding loss computed from its definition, in double: strength * -sum_j [b_j log
   * sigmoid(z_j) + (1 - b_j) log(1 - sigmoid(z_j))], z = X w, w the kernel's row means.
   */
  private static double referenceLoss(
      double[] kernel, int in, int units, double[] x, boolean[] b, double strength) {
    double loss = 0;
    for (int j = 0; j < b.length; j++) {
      double z = 0;
      for (int i = 0; i < in; i++) {
        double mean = 0;
        for (int u = 0; u < units; u++) {
          mean += kernel[i * units + u];
        }
        z += x[j * in + i] * mean / units;
      }
      double y = 1 / (1 + Math.exp(-z));
      loss -= b[j] ? Math.log(y) : Math.log(1 - y);
    }
    return strength * loss;
  }

  @Test
  void penaltyAndGradientMatchTheDefinitionAndFiniteDifferencesInDouble() {
    ParameterLayout layout = SPEC.layout();
    WatermarkEmbedding mark =
        WatermarkEmbedding.derive(SECRET, new Watermark("k", 5, 1, 0.3), layout);
    float[] params = randomParams(3, 0.5);
    float[] grad = new float[params.length];
    double loss = mark.apply(params, grad);

    int in = layout.inputs()[1];
    int units = layout.outputs()[1];
    int offset = layout.offset(1, "kernel");
    double[] kernel = new double[in * units];
    for (int k = 0; k < kernel.length; k++) {
      kernel[k] = params[offset + k];
    }
    double[] x = mark.projection();
    boolean[] b = mark.target();
    assertEquals(referenceLoss(kernel, in, units, x, b, 0.3), loss, 1e-9 * Math.abs(loss));

    double h = 1e-5;
    for (int k = 0; k < kernel.length; k++) {
      double keep = kernel[k];
      kernel[k] = keep + h;
      double up = referenceLoss(kernel, in, units, x, b, 0.3);
      kernel[k] = keep - h;
      double down = referenceLoss(kernel, in, units, x, b, 0.3);
      kernel[k] = keep;
      double numeric = (up - down) / (2 * h);
      assertEquals(numeric, grad[offset + k], 1e-5 + 1e-4 * Math.abs(numeric), "kernel " + k);
    }
    for (int i = 0; i < params.length; i++) {
      if (i < offset || i >= offset + in * units) {
        assertEquals(0f, grad[i], "only the chosen kernel has a gradient, not parameter " + i);
      }
    }
  }

  @Test
  void theGradientIsAddedToTheOneGivenAndANullGradientOnlyMeasures() {
    WatermarkEmbedding mark =
        WatermarkEmbedding.derive(SECRET, new Watermark("k", 4, 1, 0.1), SPEC.layout());
    float[] params = randomParams(5, 0.3);
    float[] alone = new float[params.length];
    mark.apply(params, alone);
    float[] onTop = new float[params.length];
    Arrays.fill(onTop, 1f);
    double loss = mark.apply(params, onTop);
    for (int i = 0; i < params.length; i++) {
      assertEquals(1f + alone[i], onTop[i], 1e-6f);
    }
    assertEquals(loss, mark.apply(params, null), 0);
  }

  @Test
  void theProjectionAndBitsFollowFromTheKeyAlone() {
    ParameterLayout layout = SPEC.layout();
    Watermark spec = new Watermark("k", 6, 1, 0.01);
    WatermarkEmbedding a = WatermarkEmbedding.derive(SECRET, spec, layout);
    WatermarkEmbedding again = WatermarkEmbedding.derive(SECRET.clone(), spec, layout);
    WatermarkEmbedding other = WatermarkEmbedding.derive(OTHER, spec, layout);
    assertArrayEquals(a.projection(), again.projection());
    assertArrayEquals(a.target(), again.target());
    assertFalse(Arrays.equals(a.projection(), other.projection()));
  }

  @Test
  void theProjectionIsStandardNormalAndTheBitsAreBalanced() {
    // 256 bits on a 1024-input kernel: 262144 projection entries.
    WatermarkEmbedding mark = WatermarkEmbedding.derive(SECRET, 256, 0, 1024, 1, 0, 0.01);
    double[] x = mark.projection();
    double mean = Arrays.stream(x).average().orElseThrow();
    double variance = Arrays.stream(x).map(v -> (v - mean) * (v - mean)).sum() / x.length;
    long beyondTwo = Arrays.stream(x).filter(v -> Math.abs(v) > 2).count();
    // Standard errors: mean 1/sqrt(n) = 0.002, variance sqrt(2/n) = 0.0028; P(|z| > 2) = 0.0455.
    assertEquals(0, mean, 0.01);
    assertEquals(1, variance, 0.015);
    assertEquals(0.0455, beyondTwo / (double) x.length, 0.003);
    int ones = 0;
    for (boolean bit : mark.target()) {
      ones += bit ? 1 : 0;
    }
    assertTrue(ones > 96 && ones < 160, ones + " ones of 256"); // 4 standard deviations
  }

  @Test
  void descendingThePenaltyAloneEmbedsEveryBit() {
    ParameterLayout layout = SPEC.layout();
    WatermarkEmbedding mark =
        WatermarkEmbedding.derive(SECRET, new Watermark("k", 10, 1, 1.0), layout);
    float[] params = randomParams(7, 0.1);
    int offset = layout.offset(1, "kernel");
    double before = mark.apply(params, null);
    for (int step = 0; step < 500; step++) {
      float[] grad = new float[params.length];
      mark.apply(params, grad);
      for (int i = 0; i < params.length; i++) {
        params[i] -= 0.5f * grad[i];
      }
    }
    assertEquals(0, mark.bitErrors(params, offset));
    assertArrayEquals(mark.target(), mark.extract(params, offset));
    assertTrue(mark.apply(params, null) < before / 10);
    // Another owner's key reads other bits from the same kernel.
    WatermarkEmbedding other =
        WatermarkEmbedding.derive(OTHER, new Watermark("k", 10, 1, 1.0), layout);
    assertTrue(other.bitErrors(params, offset) > 0);
  }

  @Test
  void chanceIsTheBinomialTail() {
    assertEquals(5.0 / 16, WatermarkEmbedding.chance(4, 3), 1e-15); // C(4,3) + C(4,4) = 5
    assertEquals(1.0, WatermarkEmbedding.chance(64, 0), 0);
    assertEquals(Math.pow(2, -64), WatermarkEmbedding.chance(64, 64), 1e-30);
    // 61 matches of 64: (1 + 64 + 2016 + 41664) / 2^64.
    assertEquals(43745 / Math.pow(2, 64), WatermarkEmbedding.chance(64, 61), 1e-25);
    // Against a sum of binomial probabilities computed in log space.
    for (int m = 0; m <= 64; m++) {
      double sum = 0;
      for (int k = m; k <= 64; k++) {
        sum += Math.exp(logChoose(64, k) - 64 * Math.log(2));
      }
      assertEquals(sum, WatermarkEmbedding.chance(64, m), 1e-12 * sum);
    }
  }

  private static double logChoose(int n, int k) {
    double s = 0;
    for (int i = 1; i <= k; i++) {
      s += Math.log(n - k + i) - Math.log(i);
    }
    return s;
  }

  @Test
  void matchesNeededIsTheFewestWhoseChanceIsBelowTheThreshold() {
    int m = WatermarkEmbedding.matchesNeeded(64, 1e-6);
    assertTrue(WatermarkEmbedding.chance(64, m) <= 1e-6);
    assertTrue(WatermarkEmbedding.chance(64, m - 1) > 1e-6);
    assertEquals(9, WatermarkEmbedding.matchesNeeded(8, 1e-6), "8 bits can never show it");
  }

  @Test
  void moreBitsThanTheLayerHasInputsAreRefusedByName() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                WatermarkEmbedding.derive(SECRET, new Watermark("k", 11, 1, 0.01), SPEC.layout()));
    assertTrue(e.getMessage().startsWith("watermark.bits: 11 bits"), e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () -> WatermarkEmbedding.derive(SECRET, new Watermark("k", 2, 3, 0.01), SPEC.layout()));
    assertTrue(e.getMessage().startsWith("watermark.layer: 3"), e.getMessage());
  }

  @Test
  void settingsComeFromAMappingOrTheCommandLinesText() {
    assertEquals(
        new Watermark("owner.key", 64, 0, 0.01),
        Watermark.fromConfig(TextNode.valueOf("owner.key")));
    assertEquals(
        new Watermark("o.key", 32, 1, 0.05),
        Watermark.fromConfig(TextNode.valueOf("key=o.key,bits=32,layer=1,strength=0.05")));
    var node = JsonNodeFactory.instance.objectNode().put("key", "o.key").put("bits", 16);
    assertEquals(new Watermark("o.key", 16, 0, 0.01), Watermark.fromConfig(node));
    assertEquals(
        node.put("layer", 0).put("strength", 0.01), Watermark.toConfig(Watermark.fromConfig(node)));
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> Watermark.fromConfig(TextNode.valueOf("key=o.key,bits=0")));
    assertEquals("watermark.bits: must be an integer from 1 to 1024, got '0'", e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () -> Watermark.fromConfig(JsonNodeFactory.instance.objectNode().put("bits", 8)));
    assertTrue(e.getMessage().startsWith("watermark.key: missing"), e.getMessage());
  }

  @Test
  void aConvolutionsKernelCarriesTheWatermarkAsKhKwInByFilters() {
    ModelSpec spec =
        new ModelSpec(
            java.util.List.of(Conv2D.of(4, 3, "relu"), Flatten.of(), Dense.of(2, "softmax")),
            java.util.List.of(6, 6, 2));
    ParameterLayout layout = spec.layout();
    WatermarkEmbedding e = WatermarkEmbedding.derive(SECRET, new Watermark("k", 5, 0, 0.1), layout);
    float[] params = spec.initialParameters(3);
    // The kernel [3, 3, 2, 4] is read as [18, 4].
    org.junit.jupiter.api.Assertions.assertEquals(
        5, e.extract(params, layout.offset(0, "kernel")).length);
    // It reads exactly the kernel's 72 values.
    e.extract(params, params.length - 72);
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> e.extract(params, params.length - 71));
  }
}
