package org.sparkdp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.RecordSettings;
import org.sparkdp.ops.Setting;

/**
 * Saves the model at the end of every epoch, or only when a monitored quantity improves ({@code
 * save_best_only}), as Keras 3's {@code ModelCheckpoint}. Each save is a model directory ({@code
 * model.json}, {@code weights.npz}) written as one committed set, so an interrupted save leaves the
 * previous model of that path whole. The path is a template in Python's format syntax, filled with
 * the epoch (counted from 1) and the epoch's logs: {@code best}, {@code model-{epoch:02d}}, {@code
 * model-{epoch:02d}-{val_loss:.4f}}.
 *
 * <p>The best value so far is part of every checkpoint, so a resumed run saves only what beats it.
 */
public final class ModelCheckpoint implements Callbacks.Configured {
  /** {@code {name}} or {@code {name:spec}} with a spec as {@code 02d}, {@code .4f}, {@code e}. */
  private static final Pattern FIELD =
      Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)(?::([^{}]*))?}");

  private static final Pattern SPEC = Pattern.compile("(0?)(\\d*)(?:\\.(\\d+))?([dfeg]?)");

  /**
   * Keras' arguments, in Keras' order, without {@code save_weights_only} and {@code save_freq}
   * (every save is a model directory, at the end of an epoch).
   *
   * @param filepath where to save: a template filled with {@code epoch} and the logs
   * @param monitor the key of the logs that {@code save_best_only} watches, default {@code
   *     val_loss}
   * @param verbose 1: say what is saved
   * @param saveBestOnly save only when the monitored value improves on the best so far
   * @param mode {@code auto}, {@code min} or {@code max}
   * @param initialValueThreshold the value the first save must beat, or {@code null}
   */
  public record Config(
      String filepath,
      String monitor,
      int verbose,
      boolean saveBestOnly,
      Callbacks.Mode mode,
      Double initialValueThreshold) {
    public static final Setting<String> FILEPATH =
        Setting.text(
            "filepath",
            null,
            "the model directory to write; a template filled with the epoch (from 1) and the"
                + " logs, e.g. `model-{epoch:02d}-{val_loss:.4f}`; in a job file relative to"
                + " `output`");
    public static final Setting<Boolean> SAVE_BEST_ONLY =
        Setting.bool(
            "save_best_only", false, "save only when the monitored value improves on the best");
    public static final Setting<Double> INITIAL_VALUE_THRESHOLD =
        Setting.number(
                "initial_value_threshold",
                null,
                "a number",
                v -> true,
                "with `save_best_only`: the value the first save must beat")
            .optional();
    public static final RecordSettings<Config> SETTINGS =
        RecordSettings.of(
            Config.class,
            FILEPATH,
            Callbacks.MONITOR,
            Callbacks.VERBOSE,
            SAVE_BEST_ONLY,
            Callbacks.MODE,
            INITIAL_VALUE_THRESHOLD);

    public Config {
      FILEPATH.check(filepath);
      Callbacks.MONITOR.check(monitor);
      Callbacks.VERBOSE.check(verbose);
      Callbacks.MODE.check(mode);
      INITIAL_VALUE_THRESHOLD.check(initialValueThreshold);
      fields(filepath);
    }

    /** This configuration with another path (a job resolves relative paths against its output). */
    public Config withFilepath(String value) {
      return new Config(value, monitor, verbose, saveBestOnly, mode, initialValueThreshold);
    }
  }

  private final Config config;
  private TrainingRun run;
  private boolean higher;
  private Double best;
  private final List<String> saved = new ArrayList<>();

  public ModelCheckpoint(Config config) {
    this.config = config;
  }

  /** A model checkpoint callback from settings by their keys, the others at Keras' defaults. */
  public static ModelCheckpoint of(Map<String, ?> settings) {
    return new ModelCheckpoint(Callbacks.read(Config.SETTINGS, settings, "model_checkpoint"));
  }

  @Override
  public String type() {
    return "model_checkpoint";
  }

  @Override
  public Config config() {
    return config;
  }

  @Override
  public String monitor() {
    return config.saveBestOnly() ? config.monitor() : null;
  }

  /** The paths saved to so far in this run, in order. */
  public List<String> saved() {
    return List.copyOf(saved);
  }

  @Override
  public void setRun(TrainingRun run) {
    this.run = run;
  }

  @Override
  public void onTrainBegin(TrainingPlan plan) {
    for (String field : fields(config.filepath())) {
      if (!field.equals("epoch") && !run.logKeys().contains(field)) {
        throw new ConfigException(
            "filepath: {"
                + field
                + "} is not among the logs of this fit (epoch, "
                + String.join(", ", run.logKeys())
                + ")");
      }
    }
    higher =
        config.saveBestOnly() && Callbacks.higherIsBetter(config.mode(), config.monitor(), run);
    best = config.initialValueThreshold();
    saved.clear();
  }

  @Override
  public void onEpochEnd(int epoch, Map<String, Double> logs) {
    String path = path(config.filepath(), epoch, logs);
    if (config.saveBestOnly()) {
      Double current = logs.get(config.monitor());
      if (!Callbacks.improves(current, best, 0, higher)) {
        if (config.verbose() > 0) {
          run.say(
              String.format(
                  Locale.ROOT,
                  "Epoch %d: %s did not improve from %.5f",
                  epoch + 1,
                  config.monitor(),
                  best));
        }
        return;
      }
      if (config.verbose() > 0) {
        run.say(
            String.format(
                Locale.ROOT,
                "Epoch %d: %s improved from %s to %.5f, saving model to %s",
                epoch + 1,
                config.monitor(),
                best == null ? "None" : String.format(Locale.ROOT, "%.5f", best),
                current,
                path));
      }
      best = current;
    } else if (config.verbose() > 0) {
      run.say(String.format(Locale.ROOT, "Epoch %d: saving model to %s", epoch + 1, path));
    }
    try {
      run.saveModel(path);
    } catch (IOException e) {
      throw new UncheckedIOException("model_checkpoint: cannot save to " + path, e);
    }
    saved.add(path);
  }

  @Override
  public CallbackState saveState() {
    Map<String, Double> values = new LinkedHashMap<>();
    if (best != null) {
      values.put("best", best);
    }
    return new CallbackState(values, Map.of());
  }

  @Override
  public void restoreState(CallbackState state) {
    Double saved = state.value("best");
    best = saved != null ? saved : config.initialValueThreshold();
  }

  /** The fields a template names, checked: {@code {name}} or {@code {name:spec}}. */
  static List<String> fields(String template) {
    List<String> fields = new ArrayList<>();
    Matcher m = FIELD.matcher(template);
    int at = 0;
    while (m.find()) {
      checkLiteral(template, template.substring(at, m.start()));
      if (m.group(2) != null && !SPEC.matcher(m.group(2)).matches()) {
        throw new ConfigException(
            "filepath: the format '"
                + m.group(2)
                + "' of {"
                + m.group(1)
                + "} is not one of [0][width][.precision][d|f|e|g]");
      }
      fields.add(m.group(1));
      at = m.end();
    }
    checkLiteral(template, template.substring(at));
    return fields;
  }

  private static void checkLiteral(String template, String literal) {
    if (literal.contains("{") || literal.contains("}")) {
      throw new ConfigException(
          "filepath: '"
              + template
              + "' has a brace that is not part of a {name} or {name:format} field");
    }
  }

  /** {@code template} filled with the epoch (from 1) and the logs, as Python's format would. */
  static String path(String template, int epoch, Map<String, Double> logs) {
    Matcher m = FIELD.matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1);
      Object value = name.equals("epoch") ? (Object) (epoch + 1) : logs.get(name);
      if (value == null) {
        throw new IllegalStateException("filepath: no '" + name + "' in the logs " + logs.keySet());
      }
      m.appendReplacement(out, Matcher.quoteReplacement(format(value, m.group(2), name)));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String format(Object value, String spec, String name) {
    if (spec == null || spec.isEmpty()) {
      return value instanceof Integer i ? i.toString() : pythonRepr((Double) value);
    }
    Matcher s = SPEC.matcher(spec);
    s.matches();
    String type = s.group(4).isEmpty() ? (value instanceof Integer ? "d" : "g") : s.group(4);
    if (type.equals("d") && !(value instanceof Integer)) {
      throw new IllegalStateException(
          "filepath: {" + name + ":" + spec + "} formats a number with decimals as an integer");
    }
    String java =
        "%"
            + s.group(1)
            + s.group(2)
            + (s.group(3) == null || type.equals("d") ? "" : "." + s.group(3))
            + type;
    Object v = type.equals("d") ? value : ((Number) value).doubleValue();
    return String.format(Locale.ROOT, java, v);
  }

  /** A double as Python's {@code str} shows it: {@code 0.25}, {@code 1e-05}. */
  static String pythonRepr(double v) {
    String s = Double.toString(v);
    int e = s.indexOf('E');
    if (e < 0) {
      return s;
    }
    String mantissa = s.substring(0, e).replaceAll("\\.0$", "");
    int exponent = Integer.parseInt(s.substring(e + 1));
    return mantissa
        + "e"
        + (exponent < 0 ? "-" : "+")
        + String.format(Locale.ROOT, "%02d", Math.abs(exponent));
  }
}
