package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkdp.FitOptions;
import org.sparkdp.Sequential;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.Conv2D;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Flatten;
import org.sparkdp.ops.MaxPooling2D;
import org.sparkdp.ops.Padding;
import org.sparkdp.testkit.Blobs;
import org.sparkdp.testkit.TestSpark;

/** A fit whose batch's activations do not fit a task is refused before anything is allocated. */
class ActivationBudgetFitTest {
  @Test
  void aConvolutionOnMegapixelImagesAtBatch128IsRefusedNamingTheLayerBeforeTheDataIsRead() {
    Sequential model =
        new Sequential(
                Conv2D.of(32, 3, "relu"),
                new MaxPooling2D(List.of(8, 8), null, Padding.VALID, 0),
                Flatten.of(),
                Dense.of(10, "softmax"))
            .inputShape(1000, 1000, 3);
    model.compile(Adam.defaults(), "sparse_categorical_crossentropy", "accuracy");
    // The frame has 6 features, not 3,000,000: the budget is checked before the data is packed
    // (which would refuse the width).
    String message =
        assertThrows(
                ConfigException.class,
                () ->
                    model.fit(
                        TestSpark.frame(Blobs.of(20, 6, 3, 5)),
                        new FitOptions().epochs(1).batchSize(128).verbose(0)))
            .getMessage();
    assertTrue(
        message.startsWith(
            "layers[0]: conv2d (input [1000, 1000, 3], output [998, 998, 32]) needs 30087288832"
                + " bytes of outputs and scratch for a pass of 128 examples"),
        message);
    assertTrue(message.contains("bytes one task may use (a quarter of this JVM's heap"), message);
  }
}
