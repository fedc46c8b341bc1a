package org.sparkdp.ops;

/**
 * A kernel whose backward pass is broken on purpose, around a real one: the gradient checks show
 * that they fail on it, so that a passing check means something.
 */
abstract class BrokenBackward implements Kernel {
  final Kernel real;

  BrokenBackward(Kernel real) {
    this.real = real;
  }

  /** Spoils what a real backward pass wrote: the input gradient and the weights' gradient. */
  @FunctionalInterface
  interface Spoil {
    void apply(float[] dIn, float[] grad);
  }

  /** {@code real}'s backward pass, then {@code spoil}; its forward pass as it is. */
  static Kernel after(Kernel real, Spoil spoil) {
    return new BrokenBackward(real) {
      @Override
      public void backward(
          float[] params,
          float[] in,
          int inOff,
          int rows,
          float[] out,
          float[] s,
          float[] dOut,
          float[] dIn,
          float[] grad,
          Workspace ws) {
        real.backward(params, in, inOff, rows, out, s, dOut, dIn, grad, ws);
        spoil.apply(dIn, grad);
      }
    };
  }

  @Override
  public int scratch(int rows) {
    return real.scratch(rows);
  }

  @Override
  public void forward(
      float[] params, float[] in, int inOff, int rows, float[] out, float[] s, Workspace ws) {
    real.forward(params, in, inOff, rows, out, s, ws);
  }
}
