package org.sparkdp.ops;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * Where each weight of a model sits in its flat parameter array: one {@link View} per weight, in
 * Keras' order (layer by layer; within a layer as {@link Layer#weights} lists them), each a
 * contiguous row-major block.
 *
 * @param views every weight, in order
 * @param inputs each layer's input width (the values of its input shape)
 * @param outputs each layer's output width
 * @param size the number of parameters
 * @param inputShapes each layer's input shape, without the batch
 * @param outputShapes each layer's output shape, without the batch
 */
public record ParameterLayout(
    List<View> views,
    int[] inputs,
    int[] outputs,
    int size,
    int[][] inputShapes,
    int[][] outputShapes)
    implements Serializable {

  /**
   * One weight: its Keras name ({@code dense/kernel}), the layer it belongs to, where it starts,
   * its shape, and whether the optimizer trains it.
   */
  public record View(
      String name, int layer, String weight, int offset, int[] shape, boolean trainable)
      implements Serializable {
    /** A trainable weight. */
    public View(String name, int layer, String weight, int offset, int[] shape) {
      this(name, layer, weight, offset, shape, true);
    }

    /** The number of values. */
    public int size() {
      return Initializer.size(shape);
    }
  }

  static ParameterLayout of(ModelSpec spec) {
    int n = spec.layers().size();
    int[] in = new int[n];
    int[] out = new int[n];
    int[][] inShapes = new int[n][];
    int[][] outShapes = new int[n][];
    int[] shape = spec.inputShapeArray();
    List<String> names = spec.names();
    List<View> views = new ArrayList<>();
    long offset = 0;
    for (int l = 0; l < n; l++) {
      Layer layer = spec.layers().get(l);
      inShapes[l] = shape;
      outShapes[l] = layer.outputShape(shape);
      in[l] = Layer.size(shape);
      out[l] = Layer.size(outShapes[l]);
      shape = outShapes[l];
      for (Layer.Weight w : layer.weights(inShapes[l])) {
        views.add(
            new View(
                names.get(l) + "/" + w.name(),
                l,
                w.name(),
                (int) offset,
                w.shape(),
                w.trainable()));
        offset += w.size();
        if (offset > Integer.MAX_VALUE - 8) {
          throw new IllegalArgumentException(
              "the model has more than 2^31 parameters, which one array cannot hold");
        }
      }
    }
    return new ParameterLayout(List.copyOf(views), in, out, (int) offset, inShapes, outShapes);
  }

  /** Number of layers. */
  public int layers() {
    return inputs.length;
  }

  /**
   * Where weight {@code weight} ({@code "kernel"}) of layer {@code l} starts, or -1 if it has none.
   */
  public int offset(int l, String weight) {
    for (View v : views) {
      if (v.layer() == l && v.weight().equals(weight)) {
        return v.offset();
      }
    }
    return -1;
  }

  /** The number of parameters the optimizer does not train (moving statistics). */
  public int nonTrainable() {
    int n = 0;
    for (View v : views) {
      n += v.trainable() ? 0 : v.size();
    }
    return n;
  }

  /**
   * The boundaries of the weights in the flat array: weight {@code i} is {@code [bounds[i],
   * bounds[i + 1])}. What optimizers clip by norm per weight, as Keras does per variable.
   */
  public int[] bounds() {
    int[] bounds = new int[views.size() + 1];
    for (int i = 0; i < views.size(); i++) {
      bounds[i] = views.get(i).offset();
    }
    bounds[views.size()] = size;
    return bounds;
  }
}
