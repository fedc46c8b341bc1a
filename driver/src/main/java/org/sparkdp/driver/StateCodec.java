package org.sparkdp.driver;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkdp.CallbackState;
import org.sparkdp.History;
import org.sparkdp.ops.Npz;
import org.sparkdp.ops.OptimizerState;
import org.sparkdp.ops.Totals;
import org.sparkdp.ops.privacy.PrivacyAccount;

/**
 * The one encoding of a {@link TrainingState}, used both ways: its arrays (the parameters and every
 * optimizer slot, each as long as the parameter vector) and a metadata record that says where the
 * run is and which arrays there are, so that a reader knows every array's name and shape before it
 * allocates anything. Checkpoints store the arrays as {@code state.npz} and the record in {@code
 * checkpoint.json}.
 *
 * <p>Array names: {@code params}, {@code optimizer/I}, for {@code local} {@code local/P/I}
 * (partition {@code P}'s slot {@code I}) and {@code local/outer_momentum}, and {@code
 * callbacks/KEY/NAME} for the arrays of the callbacks' states (e.g. early stopping's best weights).
 */
final class StateCodec {
  private StateCodec() {}

  /**
   * Where the run is and what the arrays hold.
   *
   * @param optimizerSlots slots of the optimizer's state, or -1 if it has none yet
   * @param local the state of {@code local}'s partitions, or {@code null}
   * @param learningRateFactor the optimizer state's factor on the learning rate ({@code null} in
   *     checkpoints from before it existed: 1)
   * @param callbacks the callbacks' states by callback ({@code null} in checkpoints from before
   *     they existed: none)
   * @param stopped whether a callback stopped the run ({@code null}: no)
   * @param privacy the privacy spent ({@link PrivacyAccount#toJson}), or {@code null} for a run
   *     without differential privacy
   */
  record Meta(
      int epoch,
      int step,
      int parameters,
      long optimizerIterations,
      int optimizerSlots,
      Local local,
      Totals epochTotals,
      double epochSecondsSoFar,
      Map<String, List<Double>> history,
      Double learningRateFactor,
      Map<String, CallbackMeta> callbacks,
      Boolean stopped,
      JsonNode privacy) {}

  /** One callback's state: its numbers, and the lengths of its arrays by name. */
  record CallbackMeta(Map<String, Double> values, Map<String, Integer> arrays) {}

  /** What a callback's key and its arrays' names may be: they become parts of array names. */
  private static final java.util.regex.Pattern NAME =
      java.util.regex.Pattern.compile("[A-Za-z0-9_.#-]{1,100}");

  /**
   * {@code local}'s per-partition optimizer states (each with {@code slots} arrays, an iteration
   * count and a learning-rate factor, {@code null} before factors existed) and outer momentum.
   */
  record Local(
      int partitions,
      int slots,
      List<Long> iterations,
      boolean outerMomentum,
      List<Double> learningRateFactors) {}

  /** A state as a record and named arrays. */
  record Encoded(Meta meta, Map<String, Npz.Array> arrays) {}

  /** The state as arrays (copies) and a record. */
  static Encoded encode(TrainingState s) {
    int n = s.params().length;
    Map<String, Npz.Array> arrays = new LinkedHashMap<>();
    arrays.put("params", array(s.params()));
    OptimizerState optimizer = s.optimizer();
    if (optimizer != null) {
      for (int i = 0; i < optimizer.slots().length; i++) {
        arrays.put("optimizer/" + i, array(optimizer.slots()[i]));
      }
    }
    Local local = null;
    if (s.innerStates() != null) {
      List<Long> iterations = new ArrayList<>();
      List<Double> factors = new ArrayList<>();
      for (int p = 0; p < s.innerStates().size(); p++) {
        float[][] slots = s.innerStates().get(p).slots();
        for (int i = 0; i < slots.length; i++) {
          arrays.put("local/" + p + "/" + i, array(slots[i]));
        }
        iterations.add(s.innerStates().get(p).iterations());
        factors.add(s.innerStates().get(p).learningRateFactor());
      }
      int slots = s.innerStates().isEmpty() ? 0 : s.innerStates().get(0).slots().length;
      local =
          new Local(s.innerStates().size(), slots, iterations, s.outerMomentum() != null, factors);
      if (s.outerMomentum() != null) {
        arrays.put("local/outer_momentum", array(s.outerMomentum()));
      }
    }
    Map<String, CallbackMeta> callbacks = new LinkedHashMap<>();
    s.callbackStates()
        .forEach(
            (key, state) -> {
              Map<String, Integer> lengths = new LinkedHashMap<>();
              state
                  .arrays()
                  .forEach(
                      (name, values) -> {
                        arrays.put("callbacks/" + key + "/" + name, array(values));
                        lengths.put(name, values.length);
                      });
              callbacks.put(key, new CallbackMeta(new LinkedHashMap<>(state.values()), lengths));
            });
    Meta meta =
        new Meta(
            s.epoch(),
            s.step(),
            n,
            optimizer == null ? 0 : optimizer.iterations(),
            optimizer == null ? -1 : optimizer.slots().length,
            local,
            new Totals().add(s.epochTotals()),
            s.epochSeconds(),
            s.history().toMap(),
            optimizer == null ? null : optimizer.learningRateFactor(),
            callbacks,
            s.stopped(),
            s.privacy() == null ? null : s.privacy().toJson());
    return new Encoded(meta, arrays);
  }

  /** Optimizer slots a state may have (Adam with AMSGrad has three). */
  private static final int MAX_SLOTS = 8;

  /** Partitions a {@code local} state may have. */
  private static final int MAX_PARTITIONS = 1 << 16;

  /**
   * What is wrong with {@code meta} read from a file for a model of {@code parameters}, or {@code
   * null}: a record that {@link #shapes} and {@link #decode} can use, whose arrays fit half the
   * heap.
   */
  static String check(Meta meta, int parameters) {
    if (meta == null) {
      return "no state";
    }
    if (meta.parameters() != parameters) {
      return meta.parameters() + " parameters, the model has " + parameters;
    }
    if (meta.epoch() < 0 || meta.step() < 0 || meta.optimizerIterations() < 0) {
      return "a negative epoch, step or iteration count";
    }
    if (meta.optimizerSlots() < -1 || meta.optimizerSlots() > MAX_SLOTS) {
      return meta.optimizerSlots() + " optimizer slots";
    }
    if (meta.epochTotals() == null || meta.history() == null) {
      return "no epoch totals or history";
    }
    for (Map.Entry<String, List<Double>> e : meta.history().entrySet()) {
      if (e.getValue() == null || e.getValue().contains(null)) {
        return "history." + e.getKey() + " is not a list of numbers";
      }
    }
    Local local = meta.local();
    if (local != null) {
      if (local.partitions() < 1
          || local.partitions() > MAX_PARTITIONS
          || local.slots() < 0
          || local.slots() > MAX_SLOTS) {
        return local.partitions() + " partitions of " + local.slots() + " slots";
      }
      if (local.iterations() == null
          || local.iterations().size() != local.partitions()
          || local.iterations().contains(null)) {
        return "not one iteration count per partition";
      }
      if (local.learningRateFactors() != null
          && (local.learningRateFactors().size() != local.partitions()
              || !local.learningRateFactors().stream().allMatch(StateCodec::isFactor))) {
        return "not one positive learning rate factor per partition";
      }
    }
    if (meta.learningRateFactor() != null && !isFactor(meta.learningRateFactor())) {
      return "a learning rate factor of " + meta.learningRateFactor();
    }
    long callbackArrays = 0;
    if (meta.callbacks() != null) {
      for (Map.Entry<String, CallbackMeta> e : meta.callbacks().entrySet()) {
        CallbackMeta c = e.getValue();
        if (!NAME.matcher(e.getKey()).matches()
            || c == null
            || c.values() == null
            || c.arrays() == null) {
          return "a callback state '" + e.getKey() + "' that is not one";
        }
        for (Map.Entry<String, Double> v : c.values().entrySet()) {
          if (v.getValue() == null || !Double.isFinite(v.getValue())) {
            return "callback state " + e.getKey() + "." + v.getKey() + " is not a number";
          }
        }
        for (Map.Entry<String, Integer> a : c.arrays().entrySet()) {
          if (!NAME.matcher(a.getKey()).matches()
              || a.getValue() == null
              || a.getValue() < 0
              || a.getValue() > parameters) {
            return "callback array " + e.getKey() + "/" + a.getKey() + " of a bad name or length";
          }
          callbackArrays++;
        }
      }
    }
    if (meta.privacy() != null && !meta.privacy().isNull()) {
      try {
        PrivacyAccount.fromJson(meta.privacy(), "privacy");
      } catch (IllegalArgumentException e) {
        return "a privacy account that is not one (" + e.getMessage() + ")";
      }
    }
    long arrays =
        1
            + callbackArrays
            + Math.max(0, meta.optimizerSlots())
            + (local == null
                ? 0
                : (long) local.partitions() * local.slots() + (local.outerMomentum() ? 1 : 0));
    if (4L * arrays * parameters > Runtime.getRuntime().maxMemory() / 2) {
      return arrays + " arrays of " + parameters + " floats, more than half this heap";
    }
    return null;
  }

  private static boolean isFactor(Double f) {
    return f != null && f > 0 && !f.isInfinite();
  }

  /** Every array {@code meta} says there is, with its shape. */
  static Map<String, int[]> shapes(Meta meta) {
    int[] shape = {meta.parameters()};
    Map<String, int[]> shapes = new LinkedHashMap<>();
    shapes.put("params", shape);
    for (int i = 0; i < meta.optimizerSlots(); i++) {
      shapes.put("optimizer/" + i, shape);
    }
    Local local = meta.local();
    if (local != null) {
      for (int p = 0; p < local.partitions(); p++) {
        for (int i = 0; i < local.slots(); i++) {
          shapes.put("local/" + p + "/" + i, shape);
        }
      }
      if (local.outerMomentum()) {
        shapes.put("local/outer_momentum", shape);
      }
    }
    if (meta.callbacks() != null) {
      meta.callbacks()
          .forEach(
              (key, c) ->
                  c.arrays()
                      .forEach(
                          (name, length) ->
                              shapes.put("callbacks/" + key + "/" + name, new int[] {length})));
    }
    return shapes;
  }

  /** The state that {@code meta} and {@code arrays} (as {@link #shapes} names them) describe. */
  static TrainingState decode(Meta meta, Map<String, float[]> arrays) {
    OptimizerState optimizer = null;
    if (meta.optimizerSlots() >= 0) {
      float[][] slots = new float[meta.optimizerSlots()][];
      for (int i = 0; i < slots.length; i++) {
        slots[i] = arrays.get("optimizer/" + i);
      }
      optimizer = new OptimizerState(meta.optimizerIterations(), slots);
      if (meta.learningRateFactor() != null) {
        optimizer.setLearningRateFactor(meta.learningRateFactor());
      }
    }
    List<OptimizerState> inner = null;
    float[] outer = null;
    Local local = meta.local();
    if (local != null) {
      inner = new ArrayList<>();
      for (int p = 0; p < local.partitions(); p++) {
        float[][] slots = new float[local.slots()][];
        for (int i = 0; i < slots.length; i++) {
          slots[i] = arrays.get("local/" + p + "/" + i);
        }
        OptimizerState state = new OptimizerState(local.iterations().get(p), slots);
        if (local.learningRateFactors() != null) {
          state.setLearningRateFactor(local.learningRateFactors().get(p));
        }
        inner.add(state);
      }
      outer = arrays.get("local/outer_momentum");
    }
    Map<String, CallbackState> callbacks = new LinkedHashMap<>();
    if (meta.callbacks() != null) {
      meta.callbacks()
          .forEach(
              (key, c) -> {
                Map<String, float[]> values = new LinkedHashMap<>();
                c.arrays()
                    .keySet()
                    .forEach(name -> values.put(name, arrays.get("callbacks/" + key + "/" + name)));
                callbacks.put(key, new CallbackState(c.values(), values));
              });
    }
    return TrainingState.at(
        meta.epoch(),
        meta.step(),
        arrays.get("params"),
        optimizer,
        new Totals().add(meta.epochTotals()),
        meta.epochSecondsSoFar(),
        History.fromMap(meta.history()),
        inner,
        outer,
        callbacks,
        Boolean.TRUE.equals(meta.stopped()),
        meta.privacy() == null || meta.privacy().isNull()
            ? null
            : PrivacyAccount.fromJson(meta.privacy(), "the checkpoint's privacy account"));
  }

  /** {@link #decode} of an {@link Encoded} held in memory. */
  static TrainingState decode(Encoded encoded) {
    Map<String, float[]> arrays = new LinkedHashMap<>();
    encoded.arrays().forEach((name, a) -> arrays.put(name, a.values()));
    return decode(encoded.meta(), arrays);
  }

  private static Npz.Array array(float[] values) {
    return new Npz.Array(new int[] {values.length}, values.clone());
  }
}
