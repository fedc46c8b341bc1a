package org.sparkdp.driver;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What Keras' {@code fit} returns: per metric, one value per epoch ({@code loss}, {@code accuracy},
 * {@code val_loss}, {@code val_accuracy}), plus the wall time of each epoch (training and
 * validation).
 */
public final class History {
  private final Map<String, List<Double>> history = new LinkedHashMap<>();
  private final List<Double> epochSeconds = new ArrayList<>();

  void add(String metric, double value) {
    history.computeIfAbsent(metric, k -> new ArrayList<>()).add(value);
  }

  void addEpochSeconds(double seconds) {
    epochSeconds.add(seconds);
  }

  /** A copy of this history (for checkpoints). */
  History copy() {
    return fromMap(toMap());
  }

  /** The history that {@link #toMap} describes. */
  static History fromMap(Map<String, List<Double>> all) {
    History h = new History();
    all.forEach(
        (metric, values) -> {
          if (metric.equals("epoch_seconds")) {
            h.epochSeconds.addAll(values);
          } else {
            h.history.put(metric, new ArrayList<>(values));
          }
        });
    return h;
  }

  /** Keras' {@code history.history}: metric name to one value per epoch. */
  public Map<String, List<Double>> history() {
    Map<String, List<Double>> copy = new LinkedHashMap<>();
    history.forEach((k, v) -> copy.put(k, Collections.unmodifiableList(v)));
    return Collections.unmodifiableMap(copy);
  }

  /** Wall time of each epoch in seconds. */
  public List<Double> epochSeconds() {
    return Collections.unmodifiableList(epochSeconds);
  }

  /** The last epoch's value of {@code metric}. */
  public double last(String metric) {
    List<Double> values = history.get(metric);
    if (values == null || values.isEmpty()) {
      throw new IllegalArgumentException("no metric '" + metric + "' in " + history.keySet());
    }
    return values.get(values.size() - 1);
  }

  /** Number of epochs recorded. */
  public int epochs() {
    return epochSeconds.size();
  }

  /** The history and the epoch times in one map, as {@code history.json} stores them. */
  public Map<String, List<Double>> toMap() {
    Map<String, List<Double>> all = new LinkedHashMap<>(history());
    all.put("epoch_seconds", epochSeconds());
    return all;
  }
}
