package org.sparkdp.ops;

import java.io.Serializable;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What Keras' {@code model.compile} takes: the optimizer, the loss (optionally on logits; Huber
 * with its {@code delta}) and the metrics ({@link Metric}), each reported under its name; the loss
 * is always reported.
 */
public record CompileConfig(
    Optimizer optimizer, Loss loss, boolean fromLogits, List<Metric> metrics, double huberDelta)
    implements Serializable {

  /** The compile settings with Huber's default delta (1). */
  public CompileConfig(Optimizer optimizer, Loss loss, boolean fromLogits, List<Metric> metrics) {
    this(optimizer, loss, fromLogits, metrics, Loss.DELTA.defaultValue());
  }

  public CompileConfig {
    Loss.DELTA.check(huberDelta);
    if (optimizer == null || loss == null) {
      throw new IllegalArgumentException("optimizer and loss must be given");
    }
    metrics = List.copyOf(metrics);
    Set<String> names = new HashSet<>();
    for (int i = 0; i < metrics.size(); i++) {
      if (!names.add(metrics.get(i).name())) {
        throw new ConfigException(
            "metrics["
                + i
                + "]: a second metric named '"
                + metrics.get(i).name()
                + "'; give it a name of its own, e.g. {type: "
                + metrics.get(i).type()
                + ", name: "
                + metrics.get(i).name()
                + "_1}");
      }
    }
  }

  /** The metrics of their names or configurations ({@code "accuracy"}, {@code "mae"}). */
  public static List<Metric> metrics(String... names) {
    return java.util.Arrays.stream(names)
        .map(n -> Metric.fromConfig(com.fasterxml.jackson.databind.node.TextNode.valueOf(n), n))
        .toList();
  }

  /** Whether {@code accuracy} was asked for. */
  public boolean reportsAccuracy() {
    return metrics.stream().anyMatch(m -> m instanceof Metric.Accuracy);
  }
}
