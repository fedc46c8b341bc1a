package org.sparkdp.jobs;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Point2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.DoubleSummaryStatistics;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/** Draws loss and accuracy per epoch, train and validation, into a PNG. */
public final class LearningCurves {
  static final Color TRAIN_COLOR = new Color(31, 119, 180);
  static final Color VALIDATION_COLOR = new Color(255, 127, 14);

  private static final Color GRID_COLOR = new Color(228, 228, 228);
  private static final Color AXIS_COLOR = new Color(110, 110, 110);
  private static final Color TEXT_COLOR = new Color(40, 40, 40);
  private static final Font TICK_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
  private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 15);
  private static final Stroke SOLID =
      new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
  private static final Stroke DASHED =
      new BasicStroke(
          2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {7f, 5f}, 0f);
  private static final double MARKER_SIZE = 6;

  /** Keeps the first and last markers off the frame. */
  private static final int X_INSET = 10;

  private static final int TOP_MARGIN = 42;
  private static final int BOTTOM_MARGIN = 50;
  private static final int RIGHT_MARGIN = 18;

  private record Series(String label, Color color, Stroke stroke, List<Double> values) {}

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
      graphics.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      graphics.setRenderingHint(
          RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
      graphics.setColor(Color.WHITE);
      graphics.fillRect(0, 0, width, height);
      int half = width / 2;
      drawPanel(
          graphics,
          new Rectangle(0, 0, half, height),
          "loss",
          history.get("loss"),
          history.get("val_loss"));
      drawPanel(
          graphics,
          new Rectangle(half, 0, width - half, height),
          "accuracy",
          history.get("accuracy"),
          history.get("val_accuracy"));
    } finally {
      graphics.dispose();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  /** Maps epochs and values to pixels inside the frame. */
  private record Axes(Rectangle frame, int epochs, double low, double high) {
    double x(double epoch) {
      return epochs == 1
          ? frame.getCenterX()
          : frame.x + X_INSET + (epoch - 1) * (frame.width - 2.0 * X_INSET) / (epochs - 1);
    }

    double y(double value) {
      return frame.getMaxY() - (value - low) / (high - low) * frame.height;
    }
  }

  private static void drawPanel(
      Graphics2D graphics,
      Rectangle panel,
      String title,
      List<Double> train,
      List<Double> validation) {
    List<Series> series = new ArrayList<>();
    if (hasFiniteValue(train)) {
      series.add(new Series("train", TRAIN_COLOR, SOLID, train));
    }
    if (hasFiniteValue(validation)) {
      series.add(new Series("validation", VALIDATION_COLOR, DASHED, validation));
    }
    graphics.setStroke(new BasicStroke(1f));
    graphics.setFont(TITLE_FONT);
    graphics.setColor(TEXT_COLOR);
    drawText(graphics, title, panel.x + panel.width / 2.0, panel.y + TOP_MARGIN / 2.0, 0.5);
    graphics.setFont(TICK_FONT);
    if (series.isEmpty()) {
      Rectangle frame = frame(panel, 36);
      graphics.setColor(AXIS_COLOR);
      graphics.draw(frame);
      drawText(graphics, "no data", frame.getCenterX(), frame.getCenterY(), 0.5);
      return;
    }
    DoubleSummaryStatistics values =
        series.stream()
            .flatMap(curve -> curve.values().stream())
            .filter(LearningCurves::isFinite)
            .mapToDouble(Double::doubleValue)
            .summaryStatistics();
    // a margin keeps extreme points off the frame, but a non-negative axis stays non-negative
    double margin = (values.getMax() - values.getMin()) * 0.05;
    double lower =
        values.getMin() >= 0 ? Math.max(0, values.getMin() - margin) : values.getMin() - margin;
    double[] yTicks = niceTicks(lower, values.getMax() + margin);
    String[] yLabels = formatTicks(yTicks);
    FontMetrics metrics = graphics.getFontMetrics();
    int left = 16 + Arrays.stream(yLabels).mapToInt(metrics::stringWidth).max().orElse(0);
    Rectangle frame = frame(panel, left);
    int epochs = series.stream().mapToInt(curve -> curve.values().size()).max().orElse(0);
    Axes axes = new Axes(frame, epochs, yTicks[0], yTicks[yTicks.length - 1]);

    for (int i = 0; i < yTicks.length; i++) {
      double y = axes.y(yTicks[i]);
      graphics.setColor(GRID_COLOR);
      graphics.draw(new Line2D.Double(frame.x, y, frame.getMaxX(), y));
      graphics.setColor(TEXT_COLOR);
      drawText(graphics, yLabels[i], frame.x - 6, y, 1.0);
    }
    int maxLabels = Math.max(2, Math.min(10, frame.width / 40));
    int xStep = niceIntegerStep((epochs + maxLabels - 1) / maxLabels);
    double labelCenter = frame.getMaxY() + 6 + metrics.getAscent() / 2.0;
    for (int epoch = xStep; epoch <= epochs; epoch += xStep) {
      double x = axes.x(epoch);
      graphics.setColor(GRID_COLOR);
      graphics.draw(new Line2D.Double(x, frame.y, x, frame.getMaxY()));
      graphics.setColor(TEXT_COLOR);
      drawText(graphics, Integer.toString(epoch), x, labelCenter, 0.5);
    }
    drawText(graphics, "epoch", frame.getCenterX(), labelCenter + metrics.getHeight() + 4, 0.5);
    graphics.setColor(AXIS_COLOR);
    graphics.draw(frame);

    List<Point2D> curvePoints = new ArrayList<>();
    for (Series curve : series) {
      curvePoints.addAll(drawSeries(graphics, axes, curve));
    }
    drawLegend(graphics, frame, series, curvePoints);
  }

  /** Draws one series and returns points along it, for the legend to avoid. */
  private static List<Point2D> drawSeries(Graphics2D graphics, Axes axes, Series series) {
    Path2D.Double path = new Path2D.Double();
    List<Point2D> markers = new ArrayList<>();
    List<Point2D> samples = new ArrayList<>();
    boolean penDown = false;
    for (int i = 0; i < series.values().size(); i++) {
      Double value = series.values().get(i);
      if (!isFinite(value)) {
        penDown = false; // a gap in the data breaks the line
        continue;
      }
      Point2D point = new Point2D.Double(axes.x(i + 1), axes.y(value));
      if (penDown) {
        path.lineTo(point.getX(), point.getY());
        Point2D previous = markers.get(markers.size() - 1);
        for (double fraction = 0.1; fraction < 1; fraction += 0.1) {
          samples.add(
              new Point2D.Double(
                  previous.getX() + (point.getX() - previous.getX()) * fraction,
                  previous.getY() + (point.getY() - previous.getY()) * fraction));
        }
      } else {
        path.moveTo(point.getX(), point.getY());
      }
      penDown = true;
      markers.add(point);
    }
    graphics.setColor(series.color());
    graphics.setStroke(series.stroke());
    graphics.draw(path);
    // on long runs full-size markers would merge into a thick band
    boolean crowded = axes.epochs() > 1 && axes.x(2) - axes.x(1) < 2 * MARKER_SIZE;
    double size = crowded ? MARKER_SIZE / 2 : MARKER_SIZE;
    for (Point2D point : markers) {
      drawMarker(graphics, point.getX(), point.getY(), size);
    }
    samples.addAll(markers);
    return samples;
  }

  /**
   * The plot area of a panel: room above for the title, below for the x axis, left for y labels.
   */
  private static Rectangle frame(Rectangle panel, int left) {
    return new Rectangle(
        panel.x + left,
        panel.y + TOP_MARGIN,
        Math.max(1, panel.width - left - RIGHT_MARGIN),
        Math.max(1, panel.height - TOP_MARGIN - BOTTOM_MARGIN));
  }

  /**
   * Puts the legend in the frame corner close to the fewest curve points, then farthest from any.
   */
  private static void drawLegend(
      Graphics2D graphics, Rectangle frame, List<Series> series, List<Point2D> points) {
    FontMetrics metrics = graphics.getFontMetrics();
    int textWidth =
        series.stream().mapToInt(curve -> metrics.stringWidth(curve.label())).max().orElse(0);
    int rowHeight = metrics.getHeight() + 2;
    int width = 8 + 26 + 6 + textWidth + 8;
    int height = series.size() * rowHeight + 8;
    int leftX = frame.x + 8;
    int rightX = (int) frame.getMaxX() - 8 - width;
    int topY = frame.y + 8;
    int bottomY = (int) frame.getMaxY() - 8 - height;
    int[][] corners = {
      {rightX, topY}, {rightX, bottomY}, {leftX, topY}, {leftX, bottomY}
    }; // preferred first
    Rectangle best = null;
    long bestCovered = Long.MAX_VALUE;
    double bestClearance = -1;
    for (int[] corner : corners) {
      Rectangle candidate = new Rectangle(corner[0], corner[1], width, height);
      long covered = points.stream().filter(point -> distance(candidate, point) < 10).count();
      double clearance =
          points.stream()
              .mapToDouble(point -> distance(candidate, point))
              .min()
              .orElse(Double.MAX_VALUE);
      if (covered < bestCovered || (covered == bestCovered && clearance > bestClearance)) {
        best = candidate;
        bestCovered = covered;
        bestClearance = clearance;
      }
    }
    graphics.setColor(new Color(255, 255, 255, 225));
    graphics.fill(best);
    graphics.setColor(GRID_COLOR.darker());
    graphics.setStroke(new BasicStroke(1f));
    graphics.draw(best);
    for (int i = 0; i < series.size(); i++) {
      Series curve = series.get(i);
      double y = best.y + 4 + rowHeight * (i + 0.5);
      double x = best.x + 8;
      graphics.setColor(curve.color());
      graphics.setStroke(curve.stroke());
      graphics.draw(new Line2D.Double(x, y, x + 26, y));
      drawMarker(graphics, x + 13, y, MARKER_SIZE);
      graphics.setColor(TEXT_COLOR);
      drawText(graphics, curve.label(), x + 32, y, 0.0);
    }
  }

  private static void drawMarker(Graphics2D graphics, double x, double y, double size) {
    graphics.fill(new Ellipse2D.Double(x - size / 2, y - size / 2, size, size));
  }

  /**
   * Draws text vertically centred on y; anchor 0 = left-aligned, 0.5 = centred, 1 = right-aligned.
   */
  private static void drawText(
      Graphics2D graphics, String text, double x, double y, double anchor) {
    FontMetrics metrics = graphics.getFontMetrics();
    float left = (float) (x - anchor * metrics.stringWidth(text));
    float baseline = (float) (y + (metrics.getAscent() - metrics.getDescent()) / 2.0);
    graphics.drawString(text, left, baseline);
  }

  /**
   * Ticks at a 1, 2, 2.5 or 5 x 10^k spacing spanning [min, max], as close to five of them as
   * possible.
   */
  private static double[] niceTicks(double min, double max) {
    if (max - min <= 1e-9 * Math.max(1.0, Math.abs(max))) {
      double pad = Math.max(Math.abs(min) * 0.1, 0.1); // a flat series still needs a range
      min -= pad;
      max += pad;
    }
    double magnitude = Math.pow(10, Math.floor(Math.log10(max - min)));
    double step = 0;
    long first = 0;
    long count = 0;
    for (double factor : new double[] {0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5}) {
      double candidate = factor * magnitude;
      long candidateFirst = (long) Math.floor(min / candidate + 1e-9);
      long candidateCount = (long) Math.ceil(max / candidate - 1e-9) - candidateFirst + 1;
      if (step == 0
          || Math.abs(candidateCount - 5) < Math.abs(count - 5)) { // ties keep the tighter axis
        step = candidate;
        first = candidateFirst;
        count = candidateCount;
      }
    }
    double[] ticks = new double[(int) count];
    for (int i = 0; i < ticks.length; i++) {
      ticks[i] = (first + i) * step;
    }
    return ticks;
  }

  /** Formats ticks with just enough decimals to tell neighbours apart. */
  private static String[] formatTicks(double[] ticks) {
    String[] labels = new String[ticks.length];
    double step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
    int decimals = 0;
    for (double scaled = step;
        decimals < 12 && Math.abs(scaled - Math.rint(scaled)) > 1e-6 * scaled;
        scaled *= 10) {
      decimals++;
    }
    for (int i = 0; i < ticks.length; i++) {
      double value = Math.abs(ticks[i]) < step * 1e-6 ? 0.0 : ticks[i]; // avoid "-0.00"
      labels[i] = String.format(Locale.ROOT, "%." + decimals + "f", value);
    }
    return labels;
  }

  /** Smallest 1, 2 or 5 x 10^k that is at least minimum. */
  private static int niceIntegerStep(int minimum) {
    for (int magnitude = 1; ; magnitude *= 10) {
      for (int factor : new int[] {1, 2, 5}) {
        if (factor * magnitude >= minimum) {
          return factor * magnitude;
        }
      }
    }
  }

  private static double distance(Rectangle rectangle, Point2D point) {
    double dx =
        Math.max(0, Math.max(rectangle.x - point.getX(), point.getX() - rectangle.getMaxX()));
    double dy =
        Math.max(0, Math.max(rectangle.y - point.getY(), point.getY() - rectangle.getMaxY()));
    return Math.hypot(dx, dy);
  }

  private static boolean hasFiniteValue(List<Double> values) {
    return values != null && values.stream().anyMatch(LearningCurves::isFinite);
  }

  private static boolean isFinite(Double value) {
    return value != null && Double.isFinite(value);
  }
}
