package org.sparkdp.interop;

import java.util.List;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.ModelSpec;

/**
 * A model read from Keras' files: its layers, how it was compiled (or {@code null}: the file has no
 * compile config, or one sparkdp cannot use), its weights (or {@code null}: a model JSON has none)
 * and notes for the person running it (what was left out, and why).
 *
 * @param spec the layers
 * @param compile the compile config, or {@code null}
 * @param params the weights laid out as {@code spec.layout()}, or {@code null}
 * @param notes one line each, e.g. {@code metric 'auc' left out: sparkdp does not compute it}
 */
public record KerasModel(
    ModelSpec spec, CompileConfig compile, float[] params, List<String> notes) {
  public KerasModel {
    notes = List.copyOf(notes);
  }

  /** This model with its weights. */
  KerasModel withParams(float[] values) {
    return new KerasModel(spec, compile, values, notes);
  }
}
