package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.Callback;
import org.sparkdp.EarlyStopping;
import org.sparkdp.FitOptions;
import org.sparkdp.ModelCheckpoint;
import org.sparkdp.ReduceLROnPlateau;
import org.sparkdp.Sequential;
import org.sparkdp.TrainingPlan;
import org.sparkdp.ml.ProgressLines;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.Dense;
import org.sparkdp.testkit.Blobs;
import org.sparkdp.testkit.TestSpark;

/**
 * What a fit leaves behind when it fails, how it names a Java callback's configuration error, and
 * where the callbacks' own messages go.
 */
class FailedFitTest {
  private static final Blobs DATA = Blobs.of(200, 6, 3, 5);

  private static Sequential model() {
    Sequential model = new Sequential(Dense.of(8, "relu").withInputDim(6), Dense.of(3, "softmax"));
    model.compile(Adam.withLearningRate(0.01), "sparse_categorical_crossentropy", "accuracy");
    return model;
  }

  private static FitOptions oneEpoch() {
    return new FitOptions().epochs(1).batchSize(20).partitions(2).seed(3).verbose(0);
  }

  /** Fails at the end of the epoch it is told, after that epoch's steps changed the weights. */
  private record FailAt(int epoch) implements Callback {
    @Override
    public void onEpochEnd(int e, Map<String, Double> logs) {
      if (e == epoch) {
        throw new IllegalStateException("failing on purpose at epoch " + e);
      }
    }
  }

  @Test
  void aFailedFitLeavesTheWeightsAndTheOptimizerStateAsTheyWere() {
    Sequential failed = model();
    failed.fit(TestSpark.frame(DATA), oneEpoch());
    float[] before = failed.weights();
    assertThrows(
        IllegalStateException.class,
        () -> failed.fit(TestSpark.frame(DATA), oneEpoch().epochs(2).callbacks(new FailAt(1))));
    assertArrayEquals(before, failed.weights(), "the weights of before the failed fit");

    // The next fit continues from the state of before: as a model that never failed.
    failed.fit(TestSpark.frame(DATA), oneEpoch());
    Sequential clean = model();
    clean.fit(TestSpark.frame(DATA), oneEpoch());
    clean.fit(TestSpark.frame(DATA), oneEpoch());
    assertArrayEquals(clean.weights(), failed.weights(), "weights and Adam's moments unchanged");
  }

  @Test
  void aJavaCallbacksConfigErrorIsNamedWithItsClassNotAClassCastException() {
    Callback plain =
        new Callback() {
          @Override
          public void onTrainBegin(TrainingPlan plan) {
            throw new ConfigException("threshold: must be positive");
          }
        };
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> model().fit(TestSpark.frame(DATA), oneEpoch().callbacks(plain)));
    assertEquals(
        "fit.callbacks[0] (" + plain.getClass().getName() + "): threshold: must be positive",
        e.getMessage());
  }

  @Test
  void theCallbacksMessagesGoWhereTheProgressLinesGo(@TempDir Path dir) {
    ProgressLines lines = new ProgressLines();
    PrintStream stdout = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      model()
          .fit(
              TestSpark.frame(DATA),
              oneEpoch()
                  .epochs(3)
                  .callbacks(
                      lines,
                      // min_delta 10: no epoch improves, so each acts as soon as it may.
                      EarlyStopping.of(Map.of("monitor", "loss", "min_delta", 10.0, "verbose", 1)),
                      ReduceLROnPlateau.of(
                          Map.of(
                              "monitor", "loss", "min_delta", 10.0, "patience", 1, "verbose", 1)),
                      ModelCheckpoint.of(
                          Map.of(
                              "filepath",
                              dir.resolve("m-{epoch}").toString(),
                              "monitor",
                              "loss",
                              "verbose",
                              1))));
    } finally {
      System.setOut(stdout);
    }
    String shown = lines.poll();
    assertTrue(shown.contains("Epoch 2: early stopping"), shown);
    assertTrue(shown.contains("Epoch 2: ReduceLROnPlateau reducing learning rate to"), shown);
    assertTrue(shown.contains("Epoch 1: saving model to " + dir.resolve("m-1")), shown);
    String printed = captured.toString(StandardCharsets.UTF_8);
    assertFalse(printed.contains("early stopping"), "nothing on standard output: " + printed);
    assertFalse(printed.contains("saving model"), "nothing on standard output: " + printed);
  }
}
