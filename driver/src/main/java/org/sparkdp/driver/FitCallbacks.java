package org.sparkdp.driver;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.sparkdp.Callback;
import org.sparkdp.CallbackState;
import org.sparkdp.Callbacks;
import org.sparkdp.FitOptions;
import org.sparkdp.History;
import org.sparkdp.TrainingPlan;
import org.sparkdp.TrainingRun;
import org.sparkdp.io.ModelStore;
import org.sparkdp.io.Provenance;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.LearningRate;
import org.sparkdp.ops.Metric;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.OptimizerState;

/**
 * A fit's callbacks, called in order, and the {@link TrainingRun} they act on. At the start it
 * checks what the configured callbacks monitor against the keys the logs will have (a monitor that
 * is not there is an error naming the callback, not a silent no-op), hands every callback the run
 * and, in a resumed run, the state the checkpoint kept for it; at each epoch's end it records every
 * callback's state and a stop in the {@link TrainingState}, which the checkpoint that follows
 * stores.
 *
 * <p>States are kept by the callback's class name ({@code EarlyStopping}, the second of a class
 * {@code EarlyStopping#2}), so a progress printer more or less does not move them.
 */
final class FitCallbacks implements TrainingRun {
  private final List<Callback> callbacks;
  private final List<Callback> configured;
  private final TrainingState state;
  private final Network network;
  private final CompileConfig compile;
  private final FitOptions options;
  private final boolean validating;
  private final Configuration conf;
  private final Map<Callback, String> keys = new HashMap<>();
  private boolean stop;

  /**
   * @param callbacks every callback of the fit, in order (the progress printer among them)
   * @param configured the fit's own callbacks ({@code fit.callbacks}), which messages number
   */
  FitCallbacks(
      List<Callback> callbacks,
      List<Callback> configured,
      TrainingState state,
      Network network,
      CompileConfig compile,
      FitOptions options,
      boolean validating,
      Configuration conf) {
    this.callbacks = List.copyOf(callbacks);
    this.configured = configured;
    this.state = state;
    this.network = network;
    this.compile = compile;
    this.options = options;
    this.validating = validating;
    this.conf = conf;
    Map<String, Integer> seen = new HashMap<>();
    for (Callback c : this.callbacks) {
      String name = c.getClass().getSimpleName().replaceAll("[^A-Za-z0-9_.-]", "");
      name = name.isEmpty() ? "Callback" : name;
      int n = seen.merge(name, 1, Integer::sum);
      keys.put(c, n == 1 ? name : name + "#" + n);
    }
  }

  /**
   * Checks the callbacks, hands them the run, calls {@code onTrainBegin} and, when the run resumed,
   * gives each the state the checkpoint kept for it.
   */
  void begin(TrainingPlan plan, boolean resumed) {
    for (int i = 0; i < configured.size(); i++) {
      if (configured.get(i) instanceof Callbacks.Configured c
          && c.monitor() != null
          && !logKeys().contains(c.monitor())) {
        throw new ConfigException(
            "fit.callbacks["
                + i
                + "] ("
                + c.type()
                + ").monitor: '"
                + c.monitor()
                + "' is not among this fit's logs ("
                + String.join(", ", logKeys())
                + ")"
                + (c.monitor().startsWith("val_") && !validating
                    ? "; validation needs validation_split or validation data"
                    : ""));
      }
    }
    callbacks.forEach(c -> c.setRun(this));
    for (Callback c : callbacks) {
      try {
        c.onTrainBegin(plan);
      } catch (ConfigException e) {
        int i = configured.indexOf(c);
        if (i < 0) {
          throw e;
        }
        // A job file's callback names its setting (".monitor: ..."); a Java callback its class.
        ConfigException named =
            new ConfigException(
                "fit.callbacks["
                    + i
                    + "] ("
                    + (c instanceof Callbacks.Configured cc
                        ? cc.type() + ")." + e.getMessage()
                        : c.getClass().getName() + "): " + e.getMessage()));
        named.initCause(e);
        throw named;
      }
    }
    if (resumed) {
      for (Callback c : callbacks) {
        CallbackState saved = state.callbackStates().get(keys.get(c));
        if (saved != null) {
          c.restoreState(saved);
        }
      }
    }
  }

  void epochBegin(int epoch) {
    callbacks.forEach(c -> c.onEpochBegin(epoch));
  }

  /** Calls {@code onEpochEnd}, then records the callbacks' states and a stop in the state. */
  void epochEnd(int epoch, Map<String, Double> logs) {
    Map<String, Double> view = java.util.Collections.unmodifiableMap(logs);
    callbacks.forEach(c -> c.onEpochEnd(epoch, view));
    Map<String, CallbackState> states = new LinkedHashMap<>();
    for (Callback c : callbacks) {
      CallbackState s = c.saveState();
      if (s != null) {
        states.put(keys.get(c), s);
      }
    }
    state.setCallbackStates(states);
    if (stop) {
      state.stop();
    }
  }

  void end(History history) {
    callbacks.forEach(c -> c.onTrainEnd(history));
  }

  /**
   * Hands {@code line} to the callbacks that show progress (the progress printer, a notebook's
   * {@code ProgressLines}); standard output when none does, as Keras' callbacks print.
   */
  @Override
  public void say(String line) {
    boolean shown = false;
    for (Callback c : callbacks) {
      shown |= c.onMessage(line);
    }
    if (!shown) {
      System.out.println(line);
    }
  }

  @Override
  public void stopTraining() {
    stop = true;
  }

  @Override
  public boolean stopTrainingRequested() {
    return stop || state.stopped();
  }

  @Override
  public float[] getWeights() {
    return state.params().clone();
  }

  @Override
  public void setWeights(float[] weights) {
    float[] params = state.params();
    if (weights.length != params.length) {
      throw new IllegalArgumentException(
          "the model has " + params.length + " parameters, got " + weights.length);
    }
    System.arraycopy(weights, 0, params, 0, params.length);
  }

  /** The optimizer state whose iterations the learning rate follows. */
  private OptimizerState optimizerState() {
    List<OptimizerState> inner = state.innerStates();
    return inner != null && !inner.isEmpty() ? inner.get(0) : state.optimizer();
  }

  @Override
  public double learningRate() {
    OptimizerState s = optimizerState();
    return compile.optimizer().learningRate().at(s.iterations()) * s.learningRateFactor();
  }

  @Override
  public void setLearningRate(double learningRate) {
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException(
          "a learning rate must be a positive number, got " + learningRate);
    }
    LearningRate rate = compile.optimizer().learningRate();
    double base = rate.at(optimizerState().iterations());
    if (!(base > 0)) {
      throw new IllegalStateException(
          "the learning rate is " + base + " at this step: it cannot be scaled to " + learningRate);
    }
    double factor = learningRate / base;
    List<OptimizerState> all = new ArrayList<>();
    all.add(state.optimizer());
    if (state.innerStates() != null) {
      all.addAll(state.innerStates());
    }
    all.forEach(s -> s.setLearningRateFactor(factor));
  }

  @Override
  public ModelSpec spec() {
    return network.spec();
  }

  @Override
  public int epoch() {
    return state.epoch();
  }

  @Override
  public int epochs() {
    return options.epochs();
  }

  @Override
  public History history() {
    return state.history();
  }

  @Override
  public Set<String> logKeys() {
    Set<String> keys = new LinkedHashSet<>();
    keys.add("loss");
    compile.metrics().forEach(m -> keys.add(m.name()));
    if (validating) {
      keys.add("val_loss");
      compile.metrics().forEach(m -> keys.add("val_" + m.name()));
    }
    return keys;
  }

  @Override
  public Boolean higherIsBetter(String key) {
    if (!logKeys().contains(key)) {
      return null;
    }
    String name = key.startsWith("val_") ? key.substring(4) : key;
    if (name.equals("loss")) {
      return false;
    }
    for (Metric m : compile.metrics()) {
      if (m.name().equals(name)) {
        return m.higherIsBetter();
      }
    }
    return null;
  }

  @Override
  public String saveModel(String dir) throws IOException {
    return ModelStore.save(
        dir,
        conf,
        network.spec(),
        compile,
        network.labelWidth(),
        state.params().clone(),
        options.toConfig(),
        Provenance.none().toJson(),
        Map.of());
  }
}
