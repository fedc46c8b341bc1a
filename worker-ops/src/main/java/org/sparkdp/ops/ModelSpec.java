package org.sparkdp.ops;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A Sequential stack of {@link Dense} layers: what the model is, without any weights. The first
 * layer's {@code inputDim} is the model's input width; each later layer takes the width of the one
 * before.
 */
public record ModelSpec(List<Dense> layers) implements Serializable {

  public ModelSpec {
    layers = List.copyOf(layers);
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("a model needs at least one layer");
    }
    if (layers.get(0).inputDim() <= 0) {
      throw new IllegalArgumentException(
          "the first layer needs input_dim (the number of features)");
    }
    for (int l = 1; l < layers.size(); l++) {
      int given = layers.get(l).inputDim();
      int before = layers.get(l - 1).units();
      if (given != 0 && given != before) {
        throw new IllegalArgumentException(
            "layer "
                + layerName(l)
                + " has input_dim "
                + given
                + " but the layer before it has "
                + before
                + " units");
      }
    }
  }

  public static ModelSpec of(Dense... layers) {
    return new ModelSpec(List.of(layers));
  }

  /** Keras' default layer names: {@code dense}, {@code dense_1}, {@code dense_2}, ... */
  public static String layerName(int l) {
    return l == 0 ? "dense" : "dense_" + l;
  }

  /** The model's input width (number of features). */
  public int inputDim() {
    return layers.get(0).inputDim();
  }

  /** The width of the last layer. */
  public int outputUnits() {
    return layers.get(layers.size() - 1).units();
  }

  /** The activation of the last layer. */
  public Activation outputActivation() {
    return layers.get(layers.size() - 1).activation();
  }

  /** The input width of layer {@code l}. */
  public int inputOf(int l) {
    return l == 0 ? inputDim() : layers.get(l - 1).units();
  }

  /** Where each layer's parameters sit in the flat parameter array. */
  public ParameterLayout layout() {
    return ParameterLayout.of(this);
  }

  /**
   * The names of the parameter arrays in Keras' order: {@code dense/kernel, dense/bias,
   * dense_1/kernel, ...}.
   */
  public List<String> weightNames() {
    List<String> names = new ArrayList<>();
    for (int l = 0; l < layers.size(); l++) {
      names.add(layerName(l) + "/kernel");
      if (layers.get(l).useBias()) {
        names.add(layerName(l) + "/bias");
      }
    }
    return names;
  }

  /**
   * Fresh parameters: each layer's kernel and bias drawn by its initialisers from a stream derived
   * from {@code seed} and the layer's index, so adding a layer does not change the ones before it.
   */
  public float[] initialParameters(long seed) {
    ParameterLayout layout = layout();
    float[] params = new float[layout.size()];
    for (int l = 0; l < layers.size(); l++) {
      Dense d = layers.get(l);
      SplittableRandom random = new SplittableRandom(Seeds.mix(seed, 0x1a7e5L, l));
      int in = layout.inputs()[l];
      d.kernelInitializer()
          .fill(params, layout.kernelOffsets()[l], layout.kernelSize(l), in, d.units(), random);
      if (d.useBias()) {
        d.biasInitializer().fill(params, layout.biasOffsets()[l], d.units(), in, d.units(), random);
      }
    }
    return params;
  }
}
