package org.sparkdp;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What Keras' {@code fit} returns: per metric, one value per epoch ({@code loss}, {@code accuracy},
 * {@code val_loss}, {@code val_accuracy}), plus the wall time of each epoch (training and
 * validation). Immutable: {@link #plus} gives the history one epoch longer.
 */
public final class History {
  private static final String EPOCH_SECONDS = "epoch_seconds";
  private static final History EMPTY = new History(Map.of(), List.of());

  private final Map<String, List<Double>> history;
  private final List<Double> epochSeconds;

  private History(Map<String, List<Double>> history, List<Double> epochSeconds) {
    Map<String, List<Double>> copy = new LinkedHashMap<>();
    history.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    this.history = Collections.unmodifiableMap(copy);
    this.epochSeconds = List.copyOf(epochSeconds);
  }

  /** A history with no epochs. */
  public static History empty() {
    return EMPTY;
  }

  /** This history with one more epoch: its logs (metric to value) and its wall time. */
  public History plus(Map<String, Double> logs, double seconds) {
    Map<String, List<Double>> next = new LinkedHashMap<>();
    history.forEach((k, v) -> next.put(k, new ArrayList<>(v)));
    logs.forEach((k, v) -> next.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
    List<Double> times = new ArrayList<>(epochSeconds);
    times.add(seconds);
    return new History(next, times);
  }

  /** The history that {@link #toMap} describes. */
  public static History fromMap(Map<String, List<Double>> all) {
    Map<String, List<Double>> metrics = new LinkedHashMap<>(all);
    List<Double> seconds = metrics.remove(EPOCH_SECONDS);
    return new History(metrics, seconds == null ? List.of() : seconds);
  }

  /** Keras' {@code history.history}: metric name to one value per epoch. */
  public Map<String, List<Double>> history() {
    return history;
  }

  /** Wall time of each epoch in seconds. */
  public List<Double> epochSeconds() {
    return epochSeconds;
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
    Map<String, List<Double>> all = new LinkedHashMap<>(history);
    all.put(EPOCH_SECONDS, epochSeconds);
    return Collections.unmodifiableMap(all);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof History h
        && h.history.equals(history)
        && h.epochSeconds.equals(epochSeconds);
  }

  @Override
  public int hashCode() {
    return history.hashCode() * 31 + epochSeconds.hashCode();
  }

  @Override
  public String toString() {
    return toMap().toString();
  }
}
