package org.sparkdp.ops;

/**
 * What a layer's kernel is bound to: its position, its input width, where its weights sit and the
 * activation it applies ({@link Activation#LINEAR} for a last layer whose activation a fused loss
 * applies), and the fit's seed for layers that draw noise.
 *
 * @param layout the model's parameter layout
 * @param layer the layer's position
 * @param activation the activation the kernel applies last
 * @param seed the fit's seed
 */
record Binding(ParameterLayout layout, int layer, Activation activation, long seed) {

  /** The layer's input width. */
  int in() {
    return layout.inputs()[layer];
  }

  /** The layer's input shape, without the batch. */
  int[] inShape() {
    return layout.inputShapes()[layer];
  }

  /** The layer's output shape, without the batch. */
  int[] outShape() {
    return layout.outputShapes()[layer];
  }

  /** Where weight {@code weight} of the layer starts, or -1 if it has none. */
  int offset(String weight) {
    return layout.offset(layer, weight);
  }
}
