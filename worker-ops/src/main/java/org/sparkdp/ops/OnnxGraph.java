package org.sparkdp.ops;

import java.util.List;

/**
 * The ONNX graph a layer adds its nodes to ({@link Layer#onnx}), seen from the layer being
 * exported: its name, its weights as initializers and Keras' activations as ONNX operators. Written
 * by {@code org.sparkdp.interop.OnnxExport}; this interface keeps the ONNX protobuf out of the
 * layer kinds.
 */
public interface OnnxGraph {

  /** The layer's Keras name, e.g. {@code dense_1}; nodes are named after it. */
  String name();

  /** The layer's input width. */
  int inputWidth();

  /** The layer's input shape, without the batch. */
  int[] inputShape();

  /** An int64 vector constant (a shape for {@code Reshape}, a permutation); returns its name. */
  String ints(String name, long... values);

  /**
   * {@code x} as {@code [batch, *shape]}: a {@code Reshape} node (the graph carries each example as
   * its flat row between layers).
   */
  default String reshape(String x, String name, int... shape) {
    long[] dims = new long[shape.length + 1];
    dims[0] = -1;
    for (int i = 0; i < shape.length; i++) {
      dims[i + 1] = shape[i];
    }
    return node("Reshape", name, List.of(x, ints(name + "_shape", dims)));
  }

  /**
   * Adds node {@code op} named {@code name} with one output of the same name; returns that name.
   */
  String node(String op, String name, List<String> inputs, Attribute... attributes);

  /** The layer's weight {@code weight} ({@code kernel}) as an initializer; returns its name. */
  String weight(String weight);

  /** A float32 constant: a scalar, or a vector of {@code width} copies; returns its name. */
  String constant(String name, float value, int... width);

  /** The nodes of Keras' activation {@code f} applied to {@code x}; returns the output's name. */
  String activation(Activation f, String x);

  /** A node attribute: an integer, a float, or a list of integers, floats or texts. */
  record Attribute(String name, Object value) {
    public static Attribute of(String name, long value) {
      return new Attribute(name, value);
    }

    public static Attribute of(String name, float value) {
      return new Attribute(name, value);
    }

    public static Attribute ints(String name, long... values) {
      return new Attribute(name, values.clone());
    }

    public static Attribute floats(String name, float... values) {
      return new Attribute(name, values.clone());
    }

    public static Attribute strings(String name, String... values) {
      return new Attribute(name, values.clone());
    }
  }
}
