package org.sparkdp.ops;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A Sequential stack of {@link Layer}s: what the model is, without any weights. The model takes
 * examples of {@code inputShape} (Keras' {@code input_shape}, without the batch: {@code [784]} or
 * {@code [28, 28, 1]}), each a flat row of its values in channels_last row-major order; each layer
 * takes the shape of the one before. A vector input is also the first layer's {@code inputDim}.
 *
 * @param layers the layers, first to last
 * @param inputShape the shape of one example; {@code null}: {@code [the first layer's inputDim]}
 */
public record ModelSpec(List<Layer> layers, List<Integer> inputShape) implements Serializable {

  public ModelSpec {
    layers = new ArrayList<>(layers);
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("a model needs at least one layer");
    }
    int given = layers.get(0).inputDim();
    if (inputShape == null) {
      if (given <= 0) {
        throw new IllegalArgumentException(
            "the first layer needs input_dim (the number of features) or input_shape");
      }
      inputShape = List.of(given);
    }
    inputShape = List.copyOf(inputShape);
    if (inputShape.isEmpty() || inputShape.stream().anyMatch(d -> d == null || d <= 0)) {
      throw new IllegalArgumentException(
          "input_shape " + inputShape + ": expected a non-empty list of positive sizes");
    }
    if (inputShape.size() == 1) {
      if (given == 0) {
        layers.set(0, layers.get(0).withInputDim(inputShape.get(0)));
      } else if (given != inputShape.get(0)) {
        throw new IllegalArgumentException(
            "the first layer has input_dim " + given + " but input_shape " + inputShape);
      }
    } else if (given != 0) {
      throw new IllegalArgumentException(
          "the first layer has input_dim "
              + given
              + " and input_shape "
              + inputShape
              + ": give input_shape alone");
    }
    layers = List.copyOf(layers);
    List<String> names = names(layers);
    int[] shape = inputShape.stream().mapToInt(Integer::intValue).toArray();
    Layer.size(shape);
    for (int l = 0; l < layers.size(); l++) {
      Layer layer = layers.get(l);
      int width = Layer.size(shape);
      int dim = layer.inputDim();
      if (l > 0 && dim != 0 && dim != width) {
        throw new IllegalArgumentException(
            "layer "
                + names.get(l)
                + " has input_dim "
                + dim
                + " but the layer before it gives "
                + width
                + " values");
      }
      if (l > 0 && layer.takesIds()) {
        throw new IllegalArgumentException(
            "layer "
                + names.get(l)
                + ": an "
                + layer.type()
                + " reads the data's ids, so it must be the model's first layer (it is layer "
                + l
                + ")");
      }
      int[] out;
      List<Layer.Weight> weights;
      try {
        out = layer.outputShape(shape);
        Layer.size(out);
        weights = layer.weights(shape);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("layer " + names.get(l) + ": " + e.getMessage(), e);
      }
      for (Layer.Weight w : weights) {
        try {
          w.initializer().checkShape(w.shape());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "layer " + names.get(l) + ", weight " + w.name() + ": " + e.getMessage(), e);
        }
      }
      shape = out;
    }
  }

  /** A model of {@code layers}, its input the first layer's {@code inputDim}. */
  public ModelSpec(List<Layer> layers) {
    this(layers, null);
  }

  /** This model taking examples of {@code shape}, e.g. {@code [28, 28, 1]}. */
  public ModelSpec withInputShape(int... shape) {
    List<Integer> s = java.util.Arrays.stream(shape).boxed().toList();
    List<Layer> list = new ArrayList<>(layers);
    if (shape.length != 1 && list.get(0).inputDim() != 0) {
      // input_dim is the vector case of input_shape: drop it for a shaped input.
      list.set(0, Configs.withoutInputDim(list.get(0)));
    }
    return new ModelSpec(list, s);
  }

  /** The input shape as an array. */
  public int[] inputShapeArray() {
    return inputShape.stream().mapToInt(Integer::intValue).toArray();
  }

  public static ModelSpec of(Layer... layers) {
    return new ModelSpec(List.of(layers));
  }

  /**
   * Keras' default layer names, counted per kind: {@code dense}, {@code dense_1}, {@code dropout},
   * {@code dense_2}, ...
   */
  public List<String> names() {
    return names(layers);
  }

  private static List<String> names(List<Layer> layers) {
    Map<String, Integer> seen = new HashMap<>();
    List<String> names = new ArrayList<>();
    for (Layer layer : layers) {
      int n = seen.merge(layer.type(), 1, Integer::sum) - 1;
      names.add(n == 0 ? layer.type() : layer.type() + "_" + n);
    }
    return names;
  }

  /** The model's input width: the number of values of one example. */
  public int inputDim() {
    return Layer.size(inputShapeArray());
  }

  /** The shape of layer {@code l}'s input, without the batch. */
  public int[] inputShapeOf(int l) {
    int[] shape = inputShapeArray();
    for (int i = 0; i < l; i++) {
      shape = layers.get(i).outputShape(shape);
    }
    return shape;
  }

  /**
   * What is wrong with one example {@code x[off .. off + inputDim())} for this model (an
   * embedding's id out of range: {@code value 3: 12.5 is not an embedding id in [0, 1000)}), or
   * {@code null}.
   */
  public String checkInput(float[] x, int off) {
    return layers.get(0).checkInput(x, off);
  }

  /** The width of layer {@code l}'s input. */
  public int inputOf(int l) {
    return Layer.size(inputShapeOf(l));
  }

  /** The width of layer {@code l}'s output. */
  public int outputOf(int l) {
    return Layer.size(layers.get(l).outputShape(inputShapeOf(l)));
  }

  /** The width of the model's output. */
  public int outputUnits() {
    return outputOf(layers.size() - 1);
  }

  /**
   * The activation the outputs come out of, for the loss: the last layer's if it is a {@link Dense}
   * or {@link ActivationLayer}, else {@link Activation#LINEAR} (a dropout or normalisation after a
   * softmax does not leave probabilities).
   */
  public Activation outputActivation() {
    return layers.get(layers.size() - 1).activation();
  }

  /** Whether some layer draws noise in training (and so needs the examples' ids). */
  public boolean hasNoise() {
    return layers.stream().anyMatch(Layer::drawsNoise);
  }

  /** Where each weight sits in the flat parameter array. */
  public ParameterLayout layout() {
    return ParameterLayout.of(this);
  }

  /**
   * The names of the weights in Keras' order: {@code dense/kernel, dense/bias, dense_1/kernel,
   * ...}.
   */
  public List<String> weightNames() {
    return layout().views().stream().map(ParameterLayout.View::name).toList();
  }

  /**
   * Fresh parameters: each layer's weights drawn by their initialisers from a stream derived from
   * {@code seed} and the layer's position, so adding a layer at the end does not change the ones
   * before it.
   */
  public float[] initialParameters(long seed) {
    ParameterLayout layout = layout();
    float[] params = new float[layout.size()];
    for (int l = 0; l < layers.size(); l++) {
      SplittableRandom random = new SplittableRandom(Seeds.mix(seed, 0x1a7e5L, l));
      List<Layer.Weight> weights = layers.get(l).weights(layout.inputShapes()[l]);
      for (Layer.Weight w : weights) {
        w.initializer().fill(params, layout.offset(l, w.name()), w.shape(), random);
      }
    }
    return params;
  }

  /**
   * The penalties of the layers' regularizers on the parameters ({@link Penalty#NONE} when there
   * are none).
   */
  public Penalty regularization() {
    List<Regularization.Term> terms = new ArrayList<>();
    ParameterLayout layout = layout();
    for (int l = 0; l < layers.size(); l++) {
      for (Layer.Weight w : layers.get(l).weights(layout.inputShapes()[l])) {
        if (w.regularizer() != null) {
          terms.add(new Regularization.Term(layout.offset(l, w.name()), w.size(), w.regularizer()));
        }
      }
    }
    return terms.isEmpty() ? Penalty.NONE : new Regularization(terms);
  }

  /**
   * Keras' {@code model.summary()}: the model's name, a table of each layer's name and class,
   * output shape and parameter count, and the totals with their size in float32.
   */
  public String summary(String name) {
    return summary(name, true);
  }

  /**
   * {@link #summary(String)}, drawn with Keras 3's box characters or, for a console that cannot
   * show them, with ASCII.
   */
  public String summary(String name, boolean unicode) {
    ParameterLayout layout = layout();
    List<String> names = names();
    long[] counts = new long[layers.size()];
    for (ParameterLayout.View v : layout.views()) {
      counts[v.layer()] += v.size();
    }
    int[] widths = {31, 22, 13};
    String box = unicode ? "┏━┳┓┃┡━╇┩├─┼┤└─┴┘│" : "+=++|+=+++-+++-++|";
    StringBuilder s = new StringBuilder();
    s.append("Model: \"").append(name).append("\"\n");
    s.append(rule(box, 0, widths));
    s.append(row(box.charAt(4), widths, "Layer (type)", "Output Shape", "Param #"));
    s.append(rule(box, 5, widths));
    for (int l = 0; l < layers.size(); l++) {
      if (l > 0) {
        s.append(rule(box, 9, widths));
      }
      s.append(
          row(
              box.charAt(17),
              widths,
              names.get(l) + " (" + layers.get(l).className() + ")",
              shape(layout.outputShapes()[l]),
              String.format(Locale.ROOT, "%,d", counts[l])));
    }
    s.append(rule(box, 13, widths));
    long total = layout.size();
    s.append(totalLine("Total params", total));
    s.append(totalLine("Trainable params", total - layout.nonTrainable()));
    s.append(totalLine("Non-trainable params", layout.nonTrainable()));
    return s.toString();
  }

  /** Keras' output shape with the batch: {@code (None, 26, 26, 32)}. */
  static String shape(int[] shape) {
    StringBuilder s = new StringBuilder("(None");
    for (int d : shape) {
      s.append(", ").append(d);
    }
    return s.append(')').toString();
  }

  /**
   * A horizontal line from the four characters of {@code box} at {@code at}: left, line, cross,
   * right.
   */
  private static String rule(String box, int at, int[] widths) {
    StringBuilder s = new StringBuilder().append(box.charAt(at));
    for (int c = 0; c < widths.length; c++) {
      s.append(String.valueOf(box.charAt(at + 1)).repeat(widths[c] + 2))
          .append(box.charAt(c + 1 < widths.length ? at + 2 : at + 3));
    }
    return s.append('\n').toString();
  }

  /** A table row: the last column (the counts) right-aligned, as Keras aligns numbers. */
  private static String row(char bar, int[] widths, String... cells) {
    StringBuilder s = new StringBuilder().append(bar);
    for (int c = 0; c < cells.length; c++) {
      String cell = cells[c];
      String format = c == cells.length - 1 ? "%" + widths[c] + "s" : "%-" + widths[c] + "s";
      s.append(' ').append(String.format(Locale.ROOT, format, cell)).append(' ').append(bar);
    }
    return s.append('\n').toString();
  }

  private static String totalLine(String label, long count) {
    return String.format(Locale.ROOT, " %s: %,d (%s)%n", label, count, readableSize(4 * count));
  }

  /** Keras' {@code readable_memory_size}: bytes in B, KB, MB, ... with two decimals. */
  static String readableSize(double bytes) {
    String[] units = {"B", "KB", "MB", "GB", "TB", "PB"};
    for (String unit : units) {
      if (bytes / 1024 < 1) {
        return String.format(Locale.ROOT, "%.2f %s", bytes, unit);
      }
      bytes /= 1024;
    }
    return String.format(Locale.ROOT, "%.2f %s", bytes, units[units.length - 1]);
  }
}
