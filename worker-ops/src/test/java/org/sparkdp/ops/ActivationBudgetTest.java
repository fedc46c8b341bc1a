package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ActivationBudgetTest {
  /** conv2d 32 3x3 on 1000x1000x3 images, pooled by 8, then a dense softmax. */
  private static final ModelSpec MEGAPIXEL =
      new ModelSpec(
          java.util.List.of(
              Conv2D.of(32, 3, "relu"),
              new MaxPooling2D(java.util.List.of(8, 8), null, Padding.VALID, 0),
              Flatten.of(),
              Dense.of(10, "softmax")),
          java.util.List.of(1000, 1000, 3));

  private static final ModelSpec CONVNET =
      new ModelSpec(
          java.util.List.of(
              Conv2D.of(32, 3, "relu"),
              MaxPooling2D.of(2),
              Conv2D.of(64, 3, "relu"),
              MaxPooling2D.of(2),
              Flatten.of(),
              Dropout.of(0.5),
              Dense.of(10, "softmax")),
          java.util.List.of(28, 28, 1));

  // Floats per example, worked by hand: the conv2d's output 998 x 998 x 32 and its scratch, the
  // im2col columns (998 x 998 windows of 3 x 3 x 3; relu is applied in place on the output).
  private static final long CONV_OUTPUT = 998L * 998 * 32;
  private static final long CONV_SCRATCH = 998L * 998 * 27;
  // The pooling's output and its argmax indices (124 x 124 x 32 each), flatten's output, the dense
  // layer's 10 outputs and 10 pre-activations, and two gradient buffers as wide as the widest
  // layer.
  private static final long PER_EXAMPLE =
      CONV_OUTPUT + CONV_SCRATCH + 3 * 124L * 124 * 32 + 10 + 10 + 2 * CONV_OUTPUT;

  @Test
  void theBudgetIsAQuarterOfTheHeap() {
    assertEquals(Runtime.getRuntime().maxMemory() / 4, ActivationBudget.maxBytes());
  }

  @Test
  void aConvolutionOnMegapixelImagesAtBatch128IsRefusedNamingTheLayerItsBytesAndABatchThatFits() {
    long budget = 4L << 30;
    String message =
        assertThrows(
                ConfigException.class,
                () -> ActivationBudget.check(MEGAPIXEL, 128, "model.layers", budget))
            .getMessage();
    long layerBytes = 4 * 128 * (CONV_OUTPUT + CONV_SCRATCH);
    long withGradients = 4 * 128 * (CONV_OUTPUT + CONV_SCRATCH + 2 * CONV_OUTPUT);
    assertTrue(
        message.startsWith(
            "model.layers[0]: conv2d (input [1000, 1000, 3], output [998, 998, 32]) needs "
                + layerBytes
                + " bytes of outputs and scratch for a pass of 128 examples ("
                + withGradients
                + " with the layers before it and the gradient buffers), more than the "
                + budget
                + " bytes one task may use"),
        message);
    assertTrue(
        message.contains("; a batch_size of " + budget / (4 * PER_EXAMPLE) + " fits;"), message);
    assertEquals(8, budget / (4 * PER_EXAMPLE));
  }

  @Test
  void theBatchThatFitsIsTheLargestWithinTheBudget() {
    long budget = 4 * PER_EXAMPLE * 5;
    ActivationBudget.check(MEGAPIXEL, 5, "layers", budget);
    assertThrows(
        ConfigException.class, () -> ActivationBudget.check(MEGAPIXEL, 6, "layers", budget));
    assertTrue(
        assertThrows(
                ConfigException.class, () -> ActivationBudget.check(MEGAPIXEL, 6, "layers", budget))
            .getMessage()
            .contains("a batch_size of 5 fits"));
  }

  @Test
  void notEvenOneExampleIsSaidSo() {
    String message =
        assertThrows(
                ConfigException.class,
                () -> ActivationBudget.check(MEGAPIXEL, 1, "layers", 4 * PER_EXAMPLE - 1))
            .getMessage();
    assertTrue(message.contains("not even one example fits"), message);
  }

  @Test
  void theFashionConvnetAtBatch128TakesUnderAHundredMegabytes() {
    ActivationBudget.check(CONVNET, 128, "layers", 100L << 20);
  }

  @Test
  void aWorkspaceTooLargeForThisHeapIsRefusedBeforeItIsAllocated() {
    Network network = new Network(MEGAPIXEL, Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, 1);
    String message =
        assertThrows(ConfigException.class, () -> network.newWorkspace(128)).getMessage();
    assertTrue(message.startsWith("layers[0]: conv2d (input [1000, 1000, 3]"), message);
  }

  @Test
  void passesThatChooseTheirSizeTakeFewerRowsWhenAllDoNotFit() {
    assertEquals(256, ActivationBudget.passRows(CONVNET, 256, "layers"));
    long fits = ActivationBudget.maxBytes() / (4 * PER_EXAMPLE);
    if (fits == 0) {
      assertThrows(
          ConfigException.class, () -> ActivationBudget.passRows(MEGAPIXEL, 256, "layers"));
    } else {
      assertEquals(Math.min(256, fits), ActivationBudget.passRows(MEGAPIXEL, 256, "layers"));
    }
  }
}
