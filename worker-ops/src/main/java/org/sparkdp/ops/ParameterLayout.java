package org.sparkdp.ops;

import java.io.Serializable;

/**
 * Where each layer's kernel {@code [in, out]} and bias {@code [out]} sit in a model's flat
 * parameter array. A bias offset of {@code -1} means the layer has none.
 */
public record ParameterLayout(
    int[] inputs, int[] units, int[] kernelOffsets, int[] biasOffsets, int size)
    implements Serializable {

  static ParameterLayout of(ModelSpec spec) {
    int n = spec.layers().size();
    int[] in = new int[n];
    int[] out = new int[n];
    int[] kernel = new int[n];
    int[] bias = new int[n];
    long offset = 0;
    for (int l = 0; l < n; l++) {
      Dense d = spec.layers().get(l);
      in[l] = spec.inputOf(l);
      out[l] = d.units();
      kernel[l] = (int) offset;
      offset += (long) in[l] * out[l];
      bias[l] = d.useBias() ? (int) offset : -1;
      offset += d.useBias() ? out[l] : 0;
      if (offset > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException(
            "the model has more than 2^31 parameters, which one array cannot hold");
      }
    }
    return new ParameterLayout(in, out, kernel, bias, (int) offset);
  }

  /** Number of layers. */
  public int layers() {
    return units.length;
  }

  /** Number of kernel entries of layer {@code l}. */
  public int kernelSize(int l) {
    return inputs[l] * units[l];
  }
}
