package org.sparkdp.jobs;

import java.awt.Color;
import java.awt.Font;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.LookupPaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.data.xy.DefaultXYZDataset;

/**
 * Draws a confusion matrix as a heat map into a PNG (with JFreeChart): a cell per true class (rows,
 * the first at the top) and predicted class (columns), shaded by the share of its row (the recall
 * of the row's class on the diagonal), with the count written in it up to {@link #MAX_LABELLED}
 * classes.
 */
public final class ConfusionMatrixChart {
  /** Cells are labelled with their counts up to this many classes. */
  static final int MAX_LABELLED = 30;

  /** The shade of a full row share. */
  static final Color FULL = new Color(8, 48, 107);

  private ConfusionMatrixChart() {}

  /**
   * Renders {@code matrix} ({@code [true class][predicted class]} counts) at {@code size} x {@code
   * size} pixels.
   */
  public static byte[] renderPng(long[][] matrix, int size) throws IOException {
    int k = matrix.length;
    if (k == 0 || size < 50) {
      throw new IllegalArgumentException("a confusion matrix of " + k + " classes at " + size);
    }
    double[] xs = new double[k * k];
    double[] ys = new double[k * k];
    double[] zs = new double[k * k];
    for (int r = 0; r < k; r++) {
      long total = 0;
      for (long c : matrix[r]) {
        total += c;
      }
      for (int c = 0; c < k; c++) {
        int i = r * k + c;
        xs[i] = c;
        ys[i] = r;
        zs[i] = total == 0 ? 0 : (double) matrix[r][c] / total;
      }
    }
    DefaultXYZDataset data = new DefaultXYZDataset();
    data.addSeries("share of the true class", new double[][] {xs, ys, zs});
    NumberAxis predicted = axis("predicted class", k);
    NumberAxis actual = axis("true class", k);
    actual.setInverted(true);
    XYBlockRenderer renderer = new XYBlockRenderer();
    LookupPaintScale scale = new LookupPaintScale(0, 1.0001, Color.WHITE);
    for (int step = 0; step <= 20; step++) {
      double share = step / 20.0;
      scale.add(share, blend(share));
    }
    renderer.setPaintScale(scale);
    XYPlot plot = new XYPlot(data, predicted, actual, renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinesVisible(false);
    plot.setRangeGridlinesVisible(false);
    if (k <= MAX_LABELLED) {
      Font font = new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(8, Math.min(16, size / (3 * k))));
      for (int i = 0; i < k * k; i++) {
        XYTextAnnotation count =
            new XYTextAnnotation(String.valueOf(matrix[(int) ys[i]][(int) xs[i]]), xs[i], ys[i]);
        count.setFont(font);
        count.setPaint(zs[i] > 0.5 ? Color.WHITE : Color.BLACK);
        plot.addAnnotation(count);
      }
    }
    JFreeChart chart = new JFreeChart("confusion matrix", plot);
    chart.removeLegend();
    chart.setBackgroundPaint(Color.WHITE);
    BufferedImage image = chart.createBufferedImage(size, size);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  /** Renders at 640 x 640 pixels. */
  public static byte[] renderPng(long[][] matrix) throws IOException {
    return renderPng(matrix, 640);
  }

  /** White at share 0, {@link #FULL} at 1. */
  static Color blend(double share) {
    return new Color(
        (int) Math.round(255 + (FULL.getRed() - 255) * share),
        (int) Math.round(255 + (FULL.getGreen() - 255) * share),
        (int) Math.round(255 + (FULL.getBlue() - 255) * share));
  }

  private static NumberAxis axis(String label, int k) {
    NumberAxis axis = new NumberAxis(label);
    axis.setRange(-0.5, k - 0.5);
    axis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    axis.setLowerMargin(0);
    axis.setUpperMargin(0);
    return axis;
  }
}
