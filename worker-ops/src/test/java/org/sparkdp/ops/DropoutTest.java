package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Dropout as Keras': inverted scaling in training, identity in evaluation and prediction, and masks
 * that are a function of (seed, epoch, example id, layer, unit) only.
 */
class DropoutTest {
  private static final int WIDTH = 50;
  private static final ModelSpec SPEC =
      ModelSpec.of(Dropout.of(0.3).withInputDim(WIDTH), Dense.of(WIDTH, "linear"));

  /** The dropout layer's output for these rows, through a network whose dense layer is 0. */
  private static float[] dropped(float[] x, long[] ids, int epoch, long seed, int rows) {
    Network network =
        new Network(
            SPEC,
            new CompileConfig(Sgd.defaults(), Loss.MEAN_SQUARED_ERROR, false, List.of()),
            WIDTH,
            seed);
    float[] params = new float[SPEC.layout().size()];
    Workspace ws = network.newWorkspace(rows);
    network.accumulate(
        params,
        x,
        0,
        new float[rows * WIDTH],
        0,
        ids,
        0,
        epoch,
        rows,
        new float[params.length],
        new Totals(),
        ws);
    return java.util.Arrays.copyOf(ws.outputs[0], rows * WIDTH);
  }

  @Test
  void trainingKeepsAboutOneMinusRateScaledByItsInverseAndEvaluationPassesThrough() {
    int rows = 200;
    float[] x = new float[rows * WIDTH];
    java.util.Arrays.fill(x, 2f);
    long[] ids = new long[rows];
    for (int r = 0; r < rows; r++) {
      ids[r] = r;
    }
    float[] out = dropped(x, ids, 0, 42, rows);
    int kept = 0;
    double sum = 0;
    for (float v : out) {
      assertTrue(v == 0f || v == 2f / 0.7f, "0 or x / (1 - rate): " + v);
      kept += v != 0 ? 1 : 0;
      sum += v;
    }
    double fraction = kept / (double) out.length;
    assertEquals(0.7, fraction, 0.02, "fraction kept");
    assertEquals(2, sum / out.length, 0.06, "the mean is kept, as inverted dropout does");

    Network network = new Network(SPEC, Loss.MEAN_SQUARED_ERROR, false, WIDTH);
    Workspace ws = network.newWorkspace(rows);
    network.forward(new float[SPEC.layout().size()], x, 0, rows, ws);
    assertArrayEquals(x, java.util.Arrays.copyOf(ws.outputs[0], x.length), "prediction");
  }

  @Test
  void masksDependOnTheExampleIdAndEpochNotOnTheRowsPlaceOrCompany() {
    float[] x = new float[3 * WIDTH];
    java.util.Arrays.fill(x, 1f);
    float[] batch = dropped(x, new long[] {7, 8, 9}, 2, 42, 3);
    float[] alone = dropped(java.util.Arrays.copyOf(x, WIDTH), new long[] {8}, 2, 42, 1);
    assertArrayEquals(alone, java.util.Arrays.copyOfRange(batch, WIDTH, 2 * WIDTH), "example 8");
    float[] reordered = dropped(x, new long[] {9, 7, 8}, 2, 42, 3);
    assertArrayEquals(
        java.util.Arrays.copyOfRange(batch, 0, WIDTH),
        java.util.Arrays.copyOfRange(reordered, WIDTH, 2 * WIDTH),
        "example 7 in another position");
    assertNotEquals(
        List.of(floats(batch)),
        List.of(floats(dropped(x, new long[] {7, 8, 9}, 3, 42, 3))),
        "another epoch");
    assertNotEquals(
        List.of(floats(batch)),
        List.of(floats(dropped(x, new long[] {7, 8, 9}, 2, 43, 3))),
        "another seed");
  }

  private static List<Float> floats(float[] v) {
    List<Float> list = new java.util.ArrayList<>();
    for (float f : v) {
      list.add(f);
    }
    return list;
  }

  @Test
  void trainingWithoutIdsIsRefusedForAModelWithDropout() {
    Network network = new Network(SPEC, Loss.MEAN_SQUARED_ERROR, false, WIDTH);
    float[] params = new float[SPEC.layout().size()];
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                network.accumulate(
                    params,
                    new float[WIDTH],
                    0,
                    new float[WIDTH],
                    0,
                    1,
                    new float[params.length],
                    new Totals(),
                    network.newWorkspace(1)));
    assertTrue(e.getMessage().contains("ids"), e.getMessage());
  }
}
