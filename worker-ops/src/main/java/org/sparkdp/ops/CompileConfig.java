package org.sparkdp.ops;

import java.io.Serializable;
import java.util.List;
import java.util.Locale;

/**
 * What Keras' {@code model.compile} takes: the optimizer, the loss (optionally on logits; Huber
 * with its {@code delta}) and the metrics. The only metric is {@code accuracy} ({@code acc}); the
 * loss is always reported.
 */
public record CompileConfig(
    Optimizer optimizer, Loss loss, boolean fromLogits, List<String> metrics, double huberDelta)
    implements Serializable {

  /** The compile settings with Huber's default delta (1). */
  public CompileConfig(Optimizer optimizer, Loss loss, boolean fromLogits, List<String> metrics) {
    this(optimizer, loss, fromLogits, metrics, Loss.DELTA.defaultValue());
  }

  public CompileConfig {
    Loss.DELTA.check(huberDelta);
    if (optimizer == null || loss == null) {
      throw new IllegalArgumentException("optimizer and loss must be given");
    }
    metrics =
        metrics.stream()
            .map(m -> m.trim().toLowerCase(Locale.ROOT))
            .map(m -> m.equals("acc") ? "accuracy" : m)
            .distinct()
            .toList();
    for (String m : metrics) {
      if (!m.equals("accuracy")) {
        throw new IllegalArgumentException("unknown metric '" + m + "' (supported: accuracy)");
      }
    }
  }

  /** Whether {@code accuracy} was asked for. */
  public boolean reportsAccuracy() {
    return metrics.contains("accuracy");
  }
}
