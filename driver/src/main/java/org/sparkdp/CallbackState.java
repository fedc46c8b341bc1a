package org.sparkdp;

import java.util.Map;

/**
 * What a {@link Callback} carries across a resumed run: named numbers (finite; a missing one stands
 * for "none yet") and named float arrays (at most as long as the model's parameter vector, e.g. the
 * best weights so far). Checkpoints keep it beside the training state, so that {@code --resume}
 * continues with the callback where it was.
 *
 * @param values the numbers, by name
 * @param arrays the arrays, by name
 */
public record CallbackState(Map<String, Double> values, Map<String, float[]> arrays) {
  public CallbackState {
    values = Map.copyOf(values);
    arrays = Map.copyOf(arrays);
    for (Map.Entry<String, Double> e : values.entrySet()) {
      if (!Double.isFinite(e.getValue())) {
        throw new IllegalArgumentException(
            "callback state value " + e.getKey() + " is " + e.getValue() + ", not finite");
      }
    }
  }

  /** The number {@code name}, or {@code null} if there is none. */
  public Double value(String name) {
    return values.get(name);
  }
}
