package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Embedding} against a gather written here in double: the forward pass, the table's gradient
 * against central differences (the kernel alone, and a whole network of embedding, flatten, dense
 * tanh and softmax with its loss), each check also run on a deliberately broken backward pass that
 * must fail it; ids refused by value; its settings, its place in a model, its summary line, the
 * parameter budget and the watermark.
 */
class EmbeddingTest {
  private static final int IDS = 5;
  private static final int DIM = 3;
  private static final int LENGTH = 4;
  private static final int ROWS = 6;
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ModelSpec spec() {
    return new ModelSpec(List.of(Embedding.of(IDS, DIM), Flatten.of()), List.of(LENGTH));
  }

  /** Ids with repeats within an example and across examples (so the backward pass must add). */
  private static float[] ids(Random random) {
    float[] x = new float[ROWS * LENGTH];
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextInt(IDS);
    }
    x[1] = x[0];
    x[LENGTH] = x[0];
    return x;
  }

  private static Kernel bind(ModelSpec spec) {
    return spec.layers().get(0).kernel(new Binding(spec.layout(), 0, Activation.LINEAR, 1));
  }

  /** {@code sum_{r,t,d} E[x[r,t], d] * g[r,t,d]} in double. */
  private static double gathered(double[] table, float[] x, double[] g) {
    double s = 0;
    for (int at = 0; at < x.length; at++) {
      int id = (int) x[at];
      for (int d = 0; d < DIM; d++) {
        s += table[id * DIM + d] * g[at * DIM + d];
      }
    }
    return s;
  }

  /**
   * The largest difference between the kernel's table gradient of {@code sum(out * g)} and central
   * differences in double, relative to the largest gradient.
   */
  private static double check(Kernel kernel) {
    Random random = new Random(7);
    float[] p = new float[IDS * DIM];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) random.nextGaussian();
    }
    float[] x = ids(random);
    float[] g = new float[x.length * DIM];
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) random.nextGaussian();
    }
    float[] out = new float[g.length];
    kernel.forward(p, x, 0, ROWS, out, new float[0], null);
    float[] grad = new float[p.length];
    kernel.backward(p, x, 0, ROWS, out, new float[0], g.clone(), null, grad, null);
    double[] table = new double[p.length];
    double[] gd = new double[g.length];
    for (int i = 0; i < p.length; i++) {
      table[i] = p[i];
    }
    for (int i = 0; i < g.length; i++) {
      gd[i] = g[i];
    }
    double step = 1e-6;
    double worst = 0;
    double largest = 1e-12;
    for (int i = 0; i < table.length; i++) {
      double keep = table[i];
      table[i] = keep + step;
      double up = gathered(table, x, gd);
      table[i] = keep - step;
      double down = gathered(table, x, gd);
      table[i] = keep;
      double numeric = (up - down) / (2 * step);
      worst = Math.max(worst, Math.abs(numeric - grad[i]));
      largest = Math.max(largest, Math.abs(numeric));
    }
    return worst / largest;
  }

  /** The real kernel's forward pass, with a backward pass of the test's own. */
  @Test
  void theForwardPassCopiesEachIdsRowOfTheTableInOrder() {
    ModelSpec spec = spec();
    Random random = new Random(5);
    float[] p = new float[IDS * DIM];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) random.nextGaussian();
    }
    float[] x = ids(random);
    float[] out = new float[x.length * DIM];
    bind(spec).forward(p, x, 0, ROWS, out, new float[0], null);
    for (int r = 0; r < ROWS; r++) {
      for (int t = 0; t < LENGTH; t++) {
        for (int d = 0; d < DIM; d++) {
          // channels_last: value (t * D + d) of row r
          assertEquals(
              p[(int) x[r * LENGTH + t] * DIM + d], out[r * LENGTH * DIM + t * DIM + d], 0f);
        }
      }
    }
    assertArrayEquals(new int[] {LENGTH, DIM}, spec.layout().outputShapes()[0]);
  }

  @Test
  void theTablesGradientAgreesWithCentralDifferencesAndBrokenOnesDoNot() {
    double error = check(bind(spec()));
    assertTrue(error < 1e-5, "relative gradient error " + error);
    Kernel offByOnePercent =
        BrokenBackward.after(
            bind(spec()),
            (dIn, grad) -> {
              int at = grad.length - 1;
              while (at > 0 && grad[at] == 0) {
                at--;
              }
              grad[at] *= 1.01f;
            });
    double broken = check(offByOnePercent);
    assertTrue(broken > 1e-4, "a gradient 1% off passed with " + broken);
    // The classic scatter bug: a repeated id's row written, not added to.
    Kernel overwrites =
        new BrokenBackward(bind(spec())) {
          @Override
          public void backward(
              float[] params,
              float[] in,
              int inOff,
              int rows,
              float[] out,
              float[] s,
              float[] dOut,
              float[] dIn,
              float[] grad,
              Workspace ws) {
            for (int at = 0; at < rows * LENGTH; at++) {
              int id = (int) in[inOff + at];
              for (int d = 0; d < DIM; d++) {
                grad[id * DIM + d] = dOut[at * DIM + d];
              }
            }
          }
        };
    double overwritten = check(overwrites);
    assertTrue(overwritten > 1e-4, "an overwriting scatter passed with " + overwritten);
  }

  /** Embedding (ids 7, 3 wide) of 4 steps, flatten, dense tanh 5, dense softmax 3. */
  private static ModelSpec network() {
    return new ModelSpec(
        List.of(
            Embedding.of(7, 3),
            Flatten.of(),
            Dense.of(5, Activation.TANH),
            Dense.of(3, Activation.SOFTMAX)),
        List.of(4));
  }

  /** The summed sparse categorical crossentropy of {@link #network()}, in double. */
  private static double networkLoss(ModelSpec spec, double[] p, float[] x, float[] y, int rows) {
    ParameterLayout layout = spec.layout();
    int e = layout.offset(0, "embeddings");
    int k1 = layout.offset(2, "kernel");
    int b1 = layout.offset(2, "bias");
    int k2 = layout.offset(3, "kernel");
    int b2 = layout.offset(3, "bias");
    double total = 0;
    for (int r = 0; r < rows; r++) {
      double[] a = new double[12];
      for (int t = 0; t < 4; t++) {
        for (int d = 0; d < 3; d++) {
          a[t * 3 + d] = p[e + (int) x[r * 4 + t] * 3 + d];
        }
      }
      double[] h = new double[5];
      for (int j = 0; j < 5; j++) {
        double z = p[b1 + j];
        for (int i = 0; i < 12; i++) {
          z += a[i] * p[k1 + i * 5 + j];
        }
        h[j] = Math.tanh(z);
      }
      double[] z = new double[3];
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < 3; j++) {
        z[j] = p[b2 + j];
        for (int i = 0; i < 5; i++) {
          z[j] += h[i] * p[k2 + i * 3 + j];
        }
        max = Math.max(max, z[j]);
      }
      double sum = 0;
      for (int j = 0; j < 3; j++) {
        sum += Math.exp(z[j] - max);
      }
      total -= z[(int) y[r]] - max - Math.log(sum);
    }
    return total;
  }

  @Test
  void aNetworkWithAnEmbeddingHasTheGradientsOfCentralDifferencesInDouble() {
    ModelSpec spec = network();
    int rows = 9;
    Random random = new Random(11);
    float[] params = spec.initialParameters(3);
    for (int i = 0; i < params.length; i++) {
      params[i] += (float) (0.3 * random.nextGaussian());
    }
    float[] x = new float[rows * 4];
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextInt(7);
    }
    float[] y = new float[rows];
    for (int r = 0; r < rows; r++) {
      y[r] = random.nextInt(3);
    }
    Network network = new Network(spec, Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, 1);
    float[] grad = new float[params.length];
    Totals totals = new Totals();
    network.accumulate(params, x, 0, y, 0, rows, grad, totals, network.newWorkspace(4));
    double[] p = new double[params.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = params[i];
    }
    assertEquals(networkLoss(spec, p, x, y, rows), totals.loss, 1e-4);
    double step = 1e-6;
    double worst = 0;
    double largest = 0;
    int e = spec.layout().offset(0, "embeddings");
    int checked = 0;
    for (int i = 0; i < p.length; i++) {
      double keep = p[i];
      p[i] = keep + step;
      double up = networkLoss(spec, p, x, y, rows);
      p[i] = keep - step;
      double down = networkLoss(spec, p, x, y, rows);
      p[i] = keep;
      double numeric = (up - down) / (2 * step);
      worst = Math.max(worst, Math.abs(numeric - grad[i]));
      largest = Math.max(largest, Math.abs(numeric));
      if (i >= e && i < e + 21 && numeric != 0) {
        checked++;
      }
    }
    assertTrue(checked > 9, "only " + checked + " table values have a gradient");
    assertTrue(worst / largest < 1e-4, "relative gradient error " + worst / largest);
  }

  @Test
  void theTablesGradientHasTheSameBitsFromOnePassOrOnePassPerExample() {
    Random random = new Random(13);
    Kernel kernel = bind(spec());
    float[] p = new float[IDS * DIM];
    float[] x = ids(random);
    float[] g = new float[x.length * DIM];
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) random.nextGaussian();
    }
    float[] whole = new float[p.length];
    kernel.backward(p, x, 0, ROWS, null, new float[0], g.clone(), null, whole, null);
    float[] pieces = new float[p.length];
    for (int r = 0; r < ROWS; r++) {
      float[] dOut = java.util.Arrays.copyOfRange(g, r * LENGTH * DIM, (r + 1) * LENGTH * DIM);
      kernel.backward(p, x, r * LENGTH, 1, null, new float[0], dOut, null, pieces, null);
    }
    assertArrayEquals(whole, pieces, 0f);
  }

  @Test
  void aValueThatIsNotAnIdIsRefusedWithItsPositionAndValue() {
    Embedding e = Embedding.of(1000, 4).withInputDim(5);
    float[] x = {0, 1, 999, 3, 4, 7, 12.5f, 2, 1000, -1, Float.NaN};
    assertNull(e.checkInput(x, 0));
    assertEquals("value 1: 12.5 is not an embedding id in [0, 1000)", e.checkInput(x, 5));
    assertEquals(
        "value 3: 1000 is not an embedding id in [0, 1000)",
        e.checkInput(new float[] {0, 1, 2, 1000, 0}, 0));
    assertEquals("-1 is not an embedding id in [0, 1000)", Embedding.idProblem(-1, 1000));
    assertEquals("NaN is not an embedding id in [0, 1000)", Embedding.idProblem(Float.NaN, 1000));
    assertEquals(
        "value 0: Infinity is not an embedding id in [0, 1000)",
        e.checkInput(new float[] {Float.POSITIVE_INFINITY, 0, 0, 0, 0}, 0));
    ModelSpec spec = new ModelSpec(List.of(e, Flatten.of()));
    assertEquals("value 1: 12.5 is not an embedding id in [0, 1000)", spec.checkInput(x, 5));
    // The kernel refuses it too, as the last line of defence.
    Kernel kernel = bind(spec);
    IllegalArgumentException thrown =
        assertThrows(
            IllegalArgumentException.class,
            () -> kernel.forward(new float[4000], x, 5, 1, new float[20], new float[0], null));
    assertEquals(
        "embedding: example 0 of the batch, value 1: 12.5 is not an embedding id in [0, 1000)",
        thrown.getMessage());
  }

  /** A model from its layers as a job file gives them, in JSON with single quotes. */
  private static ModelSpec parse(String layers) throws Exception {
    return Configs.model(JSON.readTree(layers.replace('\'', '"')), "model.layers");
  }

  private static final String TAIL = ", {'type': 'flatten'}, {'type': 'dense', 'units': 2}]";

  @Test
  void aJobFileTakesKerasArgumentsAndTheSequenceLengthAsInputShape() throws Exception {
    ModelSpec spec =
        parse(
            "[{'type': 'embedding', 'input_dim': 1000, 'output_dim': 8, 'input_shape': [20]}"
                + TAIL);
    Embedding e = (Embedding) spec.layers().get(0);
    assertEquals(1000, e.vocabularySize());
    assertEquals(8, e.outputDim());
    assertEquals(20, e.inputDim());
    assertEquals(new Initializer.RandomUniform(-0.05, 0.05), e.embeddingsInitializer());
    assertEquals(List.of(20), spec.inputShape());
    assertEquals(List.of("embedding/embeddings", "dense/kernel", "dense/bias"), spec.weightNames());
    assertEquals(
        spec,
        parse(
            "[{'type': 'embedding', 'input_dim': 1000, 'output_dim': 8, 'input_length': 20,"
                + " 'embeddings_initializer': 'uniform', 'mask_zero': false}"
                + TAIL));
    float[] table = spec.initialParameters(1);
    for (int i = 0; i < 8000; i++) {
      assertTrue(table[i] >= -0.05f && table[i] <= 0.05f, "uniform on [-0.05, 0.05]");
    }
  }

  private static String refusal(String first) {
    return assertThrows(IllegalArgumentException.class, () -> parse("[" + first + TAIL))
        .getMessage();
  }

  @Test
  void badSettingsAndPlacesAreRefusedNamingThem() {
    String ok = "'type': 'embedding', 'input_dim': 10, 'output_dim': 4";
    String masked = refusal("{" + ok + ", 'input_shape': [5], 'mask_zero': true}");
    assertTrue(masked.contains("mask_zero"), masked);
    String large =
        refusal(
            "{'type': 'embedding', 'input_dim': 16777217, 'output_dim': 4, 'input_shape': [5]}");
    assertTrue(large.contains("input_dim"), large);
    String narrow =
        refusal("{'type': 'embedding', 'input_dim': 10, 'output_dim': 0, 'input_shape': [5]}");
    assertTrue(narrow.contains("output_dim"), narrow);
    String missing = refusal("{'type': 'embedding', 'output_dim': 4, 'input_shape': [5]}");
    assertTrue(missing.contains("input_dim"), missing);
    String image = refusal("{" + ok + ", 'input_shape': [5, 2]}");
    assertTrue(
        image.contains(
            "embedding takes a sequence of ids, input_shape [T], not an input of shape [5, 2]"),
        image);
    String both = refusal("{" + ok + ", 'input_shape': [5], 'input_length': 5}");
    assertTrue(both.contains("give input_shape or input_length, not both"), both);
    String second = refusal("{'type': 'dense', 'units': 4, 'input_dim': 3}, {" + ok + "}");
    assertTrue(
        second.contains("layer embedding: an embedding reads the data's ids, so it must be the"),
        second);
  }

  @Test
  void theSummaryShowsTheSequenceOfVectorsAndTheTablesSize() {
    ModelSpec spec =
        new ModelSpec(
            List.of(Embedding.of(1000, 8), Flatten.of(), Dense.of(1, "sigmoid")), List.of(20));
    String summary = spec.summary("sequential");
    assertTrue(
        summary.contains(
            "│ embedding (Embedding)           │ (None, 20, 8)          │         8,000 │"),
        summary);
    assertTrue(summary.contains(" Total params: 8,161 "), summary);
  }

  @Test
  void theParameterBudgetCountsTheTable() {
    ModelSpec spec =
        new ModelSpec(
            List.of(Embedding.of(100_000, 64), Flatten.of(), Dense.of(1, "sigmoid")), List.of(10));
    ConfigException e =
        assertThrows(
            ConfigException.class, () -> ParameterBudget.check(spec, "model.layers", 1_000_000));
    assertTrue(
        e.getMessage()
            .startsWith(
                "model.layers[0]: an Embedding layer of 100000 ids and output_dim 64 brings the"
                    + " model to 6400000 parameters"),
        e.getMessage());
  }

  @Test
  void theWatermarkDoesNotGoIntoAnEmbeddingTable() {
    ModelSpec spec =
        new ModelSpec(
            List.of(Embedding.of(50, 8), Flatten.of(), Dense.of(4, "relu"), Dense.of(2, "softmax")),
            List.of(10));
    byte[] secret = new byte[32];
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> WatermarkEmbedding.derive(secret, new Watermark("k", 8, 0, 0.01), spec.layout()));
    assertTrue(e.getMessage().contains("layer 0 has no kernel"), e.getMessage());
    // The dense layer after it takes the mark.
    WatermarkEmbedding.derive(secret, new Watermark("k", 8, 2, 0.01), spec.layout());
  }

  @Test
  void theTablesRegularizerIsPartOfTheModelsPenalty() {
    ModelSpec spec =
        new ModelSpec(
            List.of(
                Embedding.of(4, 2).with(Initializer.ONES, new Regularizer.L2(0.5)), Flatten.of()),
            List.of(3));
    float[] p = spec.initialParameters(1);
    float[] grad = new float[p.length];
    assertEquals(0.5 * 8, spec.regularization().apply(p, grad), 1e-12);
    assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1, 1, 1}, grad, 0f);
  }
}
