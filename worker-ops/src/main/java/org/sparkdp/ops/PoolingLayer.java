package org.sparkdp.ops;

import java.util.List;

/**
 * A pooling layer kind (as Keras' {@code BasePooling} and {@code BaseGlobalPooling}): no weights,
 * no noise, and its shape rule, kernel and ONNX nodes those of its {@link Pooling}; each kind adds
 * only its settings and Keras names.
 */
public sealed interface PoolingLayer extends Layer
    permits MaxPooling1D,
        MaxPooling2D,
        AveragePooling1D,
        AveragePooling2D,
        GlobalAveragePooling1D,
        GlobalAveragePooling2D,
        GlobalMaxPooling1D,
        GlobalMaxPooling2D {

  /** What this layer computes, from its settings. */
  Pooling pooling();

  @Override
  default String type() {
    return pooling().type();
  }

  @Override
  default Layer withInputDim(int dim) {
    throw pooling().noInputDim();
  }

  @Override
  default int[] outputShape(int[] in) {
    return pooling().outputShape(in);
  }

  @Override
  default List<Weight> weights(int[] in) {
    return List.of();
  }

  @Override
  default boolean drawsNoise() {
    return false;
  }

  @Override
  default Kernel kernel(Binding b) {
    return pooling().kernel(b);
  }

  @Override
  default String onnx(OnnxGraph g, String x) {
    return pooling().onnx(g, x);
  }
}
