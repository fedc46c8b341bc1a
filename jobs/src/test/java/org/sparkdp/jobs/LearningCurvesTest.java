package org.sparkdp.jobs;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class LearningCurvesTest {
  /** Exact-colour pixels that only a 10-epoch curve reaches; a legend entry alone has about 50. */
  private static final int CURVE_PIXELS = 150;

  private static Map<String, List<Double>> history(boolean withValidation) {
    Map<String, List<Double>> history = new HashMap<>();
    List<Double> loss = new ArrayList<>();
    List<Double> accuracy = new ArrayList<>();
    for (int epoch = 0; epoch < 10; epoch++) {
      loss.add(0.55 - 0.03 * epoch);
      accuracy.add(0.80 + 0.012 * epoch);
    }
    history.put("loss", loss);
    history.put("accuracy", accuracy);
    if (withValidation) {
      history.put("val_loss", loss.stream().map(value -> value + 0.03).toList());
      history.put("val_accuracy", accuracy.stream().map(value -> value - 0.02).toList());
    }
    history.put("lr", List.of(0.001)); // ignored
    return history;
  }

  private static BufferedImage decode(byte[] png) throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    assertNotNull(image, "bytes are not a readable image");
    return image;
  }

  /** Pixels of exactly this colour in columns [fromX, toX). */
  private static int count(BufferedImage image, Color color, int fromX, int toX) {
    int found = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = fromX; x < toX; x++) {
        if ((image.getRGB(x, y) & 0xFFFFFF) == (color.getRGB() & 0xFFFFFF)) {
          found++;
        }
      }
    }
    return found;
  }

  @Test
  void decodesToTheRequestedSize() throws IOException {
    BufferedImage image = decode(LearningCurves.renderPng(history(true), 640, 300));
    assertEquals(640, image.getWidth());
    assertEquals(300, image.getHeight());

    BufferedImage standard = decode(LearningCurves.renderPng(history(true)));
    assertEquals(1000, standard.getWidth());
    assertEquals(420, standard.getHeight());
  }

  @Test
  void drawsTrainAndValidationCurvesInBothPanels() throws IOException {
    BufferedImage image = decode(LearningCurves.renderPng(history(true)));
    int half = image.getWidth() / 2;
    assertTrue(
        count(image, LearningCurves.TRAIN_COLOR, 0, half) > CURVE_PIXELS, "train loss curve");
    assertTrue(
        count(image, LearningCurves.VALIDATION_COLOR, 0, half) > CURVE_PIXELS,
        "validation loss curve");
    assertTrue(
        count(image, LearningCurves.TRAIN_COLOR, half, image.getWidth()) > CURVE_PIXELS,
        "train accuracy curve");
    assertTrue(
        count(image, LearningCurves.VALIDATION_COLOR, half, image.getWidth()) > CURVE_PIXELS,
        "validation accuracy curve");
  }

  @Test
  void omitsValidationColourWithoutValidationSeries() throws IOException {
    BufferedImage image = decode(LearningCurves.renderPng(history(false)));
    assertTrue(count(image, LearningCurves.TRAIN_COLOR, 0, image.getWidth() / 2) > CURVE_PIXELS);
    assertEquals(0, count(image, LearningCurves.VALIDATION_COLOR, 0, image.getWidth()));
  }

  @Test
  void leavesAPanelWithoutSeriesEmpty() throws IOException {
    BufferedImage image = decode(LearningCurves.renderPng(Map.of("loss", List.of(0.5, 0.4, 0.3))));
    int half = image.getWidth() / 2;
    assertTrue(count(image, LearningCurves.TRAIN_COLOR, 0, half) > 0);
    assertEquals(0, count(image, LearningCurves.TRAIN_COLOR, half, image.getWidth()));
  }

  @Test
  void rendersASingleEpochAndAnEmptyHistory() throws IOException {
    Map<String, List<Double>> single =
        Map.of(
            "loss",
            List.of(0.4),
            "val_loss",
            List.of(0.5),
            "accuracy",
            List.of(0.9),
            "val_accuracy",
            List.of(0.9));
    BufferedImage image = decode(assertDoesNotThrow(() -> LearningCurves.renderPng(single)));
    int half = image.getWidth() / 2;
    // the lone epoch sits mid-panel, clear of the legend, which is in a corner
    assertTrue(
        count(image, LearningCurves.TRAIN_COLOR, half * 2 / 5, half * 3 / 5) > 0,
        "train loss point");
    assertTrue(
        count(image, LearningCurves.VALIDATION_COLOR, half * 7 / 5, half * 8 / 5) > 0,
        "validation accuracy point");

    BufferedImage empty = decode(assertDoesNotThrow(() -> LearningCurves.renderPng(Map.of())));
    assertEquals(0, count(empty, LearningCurves.TRAIN_COLOR, 0, empty.getWidth()));
    assertEquals(0, count(empty, LearningCurves.VALIDATION_COLOR, 0, empty.getWidth()));
  }

  @Test
  void toleratesNonFiniteValues() throws IOException {
    Map<String, List<Double>> history = new HashMap<>();
    history.put("loss", List.of(0.6, Double.NaN, 0.4, Double.POSITIVE_INFINITY, 0.3));
    history.put("val_loss", List.of(Double.NaN, Double.NaN)); // nothing finite: treated as absent
    history.put("accuracy", new ArrayList<>(List.of(Double.NEGATIVE_INFINITY, 0.7, 0.8)));
    BufferedImage image = decode(assertDoesNotThrow(() -> LearningCurves.renderPng(history)));
    int half = image.getWidth() / 2;
    assertTrue(count(image, LearningCurves.TRAIN_COLOR, 0, half) > 0);
    assertTrue(count(image, LearningCurves.TRAIN_COLOR, half, image.getWidth()) > 0);
    assertEquals(0, count(image, LearningCurves.VALIDATION_COLOR, 0, image.getWidth()));
  }
}
