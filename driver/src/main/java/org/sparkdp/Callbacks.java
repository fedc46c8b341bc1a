package org.sparkdp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.Configs;
import org.sparkdp.ops.RecordSettings;
import org.sparkdp.ops.Setting;

/**
 * The callbacks a job file names in {@code fit.callbacks} ({@code [{type: early_stopping, monitor:
 * val_loss, patience: 3}, ...]}), by their Keras names, each with its settings declared once in its
 * {@code Config} record: {@link EarlyStopping}, {@link ModelCheckpoint}, {@link ReduceLROnPlateau}
 * and {@link CsvLogger}. Other callbacks are Java classes given to {@link FitOptions#callbacks}.
 */
public final class Callbacks {
  /** How a monitored quantity improves, as Keras' {@code mode}. */
  public enum Mode {
    /** From the quantity: lower for a loss or an error, higher for a metric such as accuracy. */
    AUTO,
    /** Lower is better. */
    MIN,
    /** Higher is better. */
    MAX
  }

  public static final Setting<String> MONITOR =
      Setting.text("monitor", "val_loss", "the key of the epoch's logs to watch");
  public static final Setting<Mode> MODE =
      Setting.choice(
          "mode",
          Mode.class,
          Mode.AUTO,
          "whether the monitored value should fall (`min`) or rise (`max`); `auto` tells from its"
              + " name");
  public static final Setting<Integer> VERBOSE =
      Setting.integer("verbose", 0, 0, 1, "1: say when the callback acts");

  private record Kind(RecordSettings<? extends Record> settings, Function<Record, Callback> make) {}

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private Callbacks() {}

  /**
   * The registry, made at its first use: the callbacks' settings refer to this class's, so this
   * class must be complete before they are made.
   */
  private static final class Registry {
    static final Map<String, Kind> KINDS = kinds0();
  }

  @SuppressWarnings("unchecked")
  private static <R extends Record> Kind kind(RecordSettings<R> settings, Function<R, Callback> f) {
    return new Kind(settings, r -> f.apply((R) r));
  }

  private static Map<String, Kind> kinds0() {
    Map<String, Kind> m = new LinkedHashMap<>();
    m.put("early_stopping", kind(EarlyStopping.Config.SETTINGS, EarlyStopping::new));
    m.put("model_checkpoint", kind(ModelCheckpoint.Config.SETTINGS, ModelCheckpoint::new));
    m.put("reduce_lr_on_plateau", kind(ReduceLROnPlateau.Config.SETTINGS, ReduceLROnPlateau::new));
    m.put("csv_logger", kind(CsvLogger.Config.SETTINGS, CsvLogger::new));
    return Collections.unmodifiableMap(m);
  }

  /** The callbacks' settings by their Keras names (for the configuration reference). */
  public static Map<String, RecordSettings<?>> kinds() {
    Map<String, RecordSettings<?>> m = new LinkedHashMap<>();
    Registry.KINDS.forEach((name, kind) -> m.put(name, kind.settings()));
    return Collections.unmodifiableMap(m);
  }

  /** A callback from {@code {type: early_stopping, ...}} at {@code path}. */
  public static Callback fromConfig(JsonNode node, String path) {
    Configs.requireObject(node, path);
    String type = node.hasNonNull("type") ? node.get("type").asText() : "";
    Kind kind = Registry.KINDS.get(type.trim().toLowerCase(Locale.ROOT));
    if (kind == null) {
      throw new ConfigException(
          path
              + ".type: unknown callback '"
              + type
              + "' (supported: "
              + String.join(", ", Registry.KINDS.keySet())
              + ")");
    }
    return kind.make().apply(kind.settings().read(node, path, Set.of("type")));
  }

  /** A callback's settings from a map of keys to Java values, the others at their defaults. */
  static <R extends Record> R read(RecordSettings<R> settings, Map<String, ?> values, String path) {
    return settings.read(JSON.valueToTree(values), path, Set.of());
  }

  /** A list of callbacks from configuration; {@code null} when it is not a list of mappings. */
  static List<Callback> fromConfigList(JsonNode node) {
    if (node.isTextual()) {
      try {
        node = JSON.readTree(node.asText());
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new ConfigException(
            ": not a JSON list of callbacks (" + e.getOriginalMessage() + ")");
      }
    }
    if (node == null || !node.isArray()) {
      return null;
    }
    List<Callback> list = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      list.add(fromConfig(node.get(i), "[" + i + "]"));
    }
    return List.copyOf(list);
  }

  /**
   * Callbacks as configuration: the built-in ones by their settings, others by their class ({@code
   * {class: com.example.MyCallback}}, recorded but not read back).
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static JsonNode toConfigList(List<Callback> callbacks) {
    ArrayNode list = JsonNodeFactory.instance.arrayNode();
    for (Callback c : callbacks) {
      ObjectNode node = list.addObject();
      if (c instanceof Configured configured) {
        node.put("type", configured.type());
        RecordSettings settings = Registry.KINDS.get(configured.type()).settings();
        node.setAll(settings.toJson(configured.config()));
      } else {
        node.put("class", c.getClass().getName());
      }
    }
    return list;
  }

  /** A callback declared in {@link Callbacks}: its type, its settings, and what it monitors. */
  public interface Configured extends Callback {
    /** Its Keras name, e.g. {@code early_stopping}. */
    String type();

    /** Its settings. */
    Record config();

    /** The key of the logs it needs, or {@code null}. */
    String monitor();
  }

  /**
   * Whether higher is better for {@code monitor} under {@code mode}, as Keras' monitoring callbacks
   * decide it: {@code min} and {@code max} say so; {@code auto} takes a loss as lower-is-better and
   * a metric by its own direction.
   *
   * @throws ConfigException when {@code auto} cannot tell
   */
  static boolean higherIsBetter(Mode mode, String monitor, TrainingRun run) {
    if (mode == Mode.MIN) {
      return false;
    }
    if (mode == Mode.MAX) {
      return true;
    }
    Boolean higher = run.higherIsBetter(monitor);
    if (higher == null) {
      throw new ConfigException(
          "monitor: cannot tell whether '"
              + monitor
              + "' should rise or fall; give mode: max or mode: min");
    }
    return higher;
  }

  /**
   * Whether {@code current} improves on {@code reference} by more than {@code minDelta} (Keras'
   * {@code _is_improvement}); anything improves on no reference.
   */
  static boolean improves(double current, Double reference, double minDelta, boolean higher) {
    if (reference == null) {
      return true;
    }
    return higher
        ? current - Math.abs(minDelta) > reference
        : current + Math.abs(minDelta) < reference;
  }
}
