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

  /** A node attribute: an integer, a float, or a list of integers. */
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
  }
}
