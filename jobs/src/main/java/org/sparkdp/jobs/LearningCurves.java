package org.sparkdp.jobs;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Draws loss and accuracy per epoch, train and validation, side by side into a PNG (with
 * JFreeChart).
 */
public final class LearningCurves {
  static final Color TRAIN_COLOR = new Color(31, 119, 180);
  static final Color VALIDATION_COLOR = new Color(255, 127, 14);

  private LearningCurves() {}

  /** Renders at the default size of 1000 x 420 pixels; see {@link #renderPng(Map, int, int)}. */
  public static byte[] renderPng(Map<String, List<Double>> history) throws IOException {
    return renderPng(history, 1000, 420);
  }

  /**
   * Renders a "loss" panel and an "accuracy" panel side by side.
   *
   * @param history Keras' history.history shape, e.g. keys "loss", "accuracy", "val_loss",
   *     "val_accuracy" (other keys ignored); absent series and non-finite values are skipped
   * @return the PNG bytes of a {@code width} x {@code height} image
   */
  public static byte[] renderPng(Map<String, List<Double>> history, int width, int height)
      throws IOException {
    if (width < 2 || height < 1) {
      throw new IllegalArgumentException("image size must be positive: " + width + "x" + height);
    }
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D graphics = image.createGraphics();
    try {
      graphics.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      int half = width / 2;
      panel("loss", history.get("loss"), history.get("val_loss"))
          .draw(graphics, new Rectangle2D.Double(0, 0, half, height));
      panel("accuracy", history.get("accuracy"), history.get("val_accuracy"))
          .draw(graphics, new Rectangle2D.Double(half, 0, width - half, height));
    } finally {
      graphics.dispose();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  private static JFreeChart panel(String title, List<Double> train, List<Double> validation) {
    XYSeriesCollection data = new XYSeriesCollection();
    XYSeries trainSeries = series("train", train);
    XYSeries validationSeries = series("validation", validation);
    if (!trainSeries.isEmpty()) {
      data.addSeries(trainSeries);
    }
    if (!validationSeries.isEmpty()) {
      data.addSeries(validationSeries);
    }
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            title,
            "epoch",
            title,
            data,
            PlotOrientation.VERTICAL,
            data.getSeriesCount() > 0,
            false,
            false);
    chart.setBackgroundPaint(Color.WHITE);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(228, 228, 228));
    plot.setRangeGridlinePaint(new Color(228, 228, 228));
    plot.setNoDataMessage("no data");
    NumberAxis epochs = (NumberAxis) plot.getDomainAxis();
    epochs.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
    for (int s = 0; s < data.getSeriesCount(); s++) {
      boolean isTrain = data.getSeriesKey(s).equals("train");
      renderer.setSeriesPaint(s, isTrain ? TRAIN_COLOR : VALIDATION_COLOR);
      renderer.setSeriesStroke(
          s,
          isTrain
              ? new BasicStroke(2f)
              : new BasicStroke(
                  2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {7f, 5f}, 0f));
    }
    plot.setRenderer(renderer);
    return chart;
  }

  /** The finite values of {@code values} by epoch (from 1). */
  private static XYSeries series(String name, List<Double> values) {
    XYSeries series = new XYSeries(name);
    if (values != null) {
      for (int e = 0; e < values.size(); e++) {
        Double v = values.get(e);
        if (v != null && Double.isFinite(v)) {
          series.add(e + 1, v);
        }
      }
    }
    return series;
  }
}
