package org.sparkdp.jobs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.sparkdp.Callbacks;
import org.sparkdp.FitOptions;
import org.sparkdp.ops.Activation;
import org.sparkdp.ops.BaseOptimizer;
import org.sparkdp.ops.Configs;
import org.sparkdp.ops.Initializer;
import org.sparkdp.ops.Layer;
import org.sparkdp.ops.LearningRate;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.Metric;
import org.sparkdp.ops.RecordSettings;
import org.sparkdp.ops.Regularizer;
import org.sparkdp.ops.Setting;
import org.sparkdp.ops.Watermark;
import org.sparkdp.ops.privacy.DifferentialPrivacy;

/**
 * The README's configuration reference, made from the settings' declarations: one table for the
 * {@code fit:} settings, one each for the keys of the watermark ({@code fit.watermark:}) and of
 * differential privacy ({@code fit.differential_privacy:}), and one for each kind of thing a job
 * names: layers, optimizers, learning-rate schedules, regularizers, initializers, activations,
 * losses, callbacks and metrics. {@code bin/sparkdp reference} prints it; {@code bin/sparkdp
 * reference --update README.md} rewrites the tables between their markers ({@code <!--
 * reference:fit -->} ... {@code <!-- /reference:fit -->}); a test fails when the README's differ.
 */
public final class ConfigReference {
  private ConfigReference() {}

  public static void main(String[] args) throws IOException {
    if (args.length == 2 && args[0].equals("--update")) {
      Path readme = Path.of(args[1]);
      Files.writeString(
          readme, update(Files.readString(readme, StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
      System.out.println("updated the configuration reference in " + readme);
      return;
    }
    tables().forEach((name, table) -> System.out.println(table));
  }

  /** Each table by its marker name, as Markdown. */
  public static Map<String, String> tables() {
    Map<String, String> tables = new LinkedHashMap<>();
    StringBuilder fit = header("key", "meaning", "default");
    for (Setting<?> s : FitOptions.SETTINGS) {
      row(fit, "`fit." + s.key() + "`", meaning(s), s.defaultText());
    }
    tables.put("fit", fit.toString());
    tables.put("watermark", keys(FitOptions.WATERMARK, Watermark.SETTINGS));
    tables.put(
        "differential_privacy",
        keys(FitOptions.DIFFERENTIAL_PRIVACY, DifferentialPrivacy.SETTINGS));
    tables.put("layers", kinds("layer", Layer.kinds()));
    StringBuilder optimizers = header("optimizer", "key", "meaning", "default");
    Configs.OPTIMIZERS.forEach(
        (name, settings) -> {
          List<Setting<?>> rows = new ArrayList<>(settings.own());
          // A group's settings are listed once below, unless this optimizer changes a default.
          for (RecordSettings<?> group : settings.groups()) {
            for (Setting<?> s : group.settings()) {
              if (!BaseOptimizer.SETTINGS.settings().contains(s)) {
                rows.add(s);
              }
            }
          }
          for (Setting<?> s : rows) {
            row(optimizers, "`" + name + "`", "`" + s.key() + "`", meaning(s), shown(s));
          }
        });
    for (Setting<?> s : BaseOptimizer.SETTINGS.settings()) {
      row(optimizers, "every optimizer", "`" + s.key() + "`", meaning(s), shown(s));
    }
    tables.put("optimizers", optimizers.toString());
    tables.put("schedules", kinds("schedule", LearningRate.schedules()));
    tables.put("regularizers", kinds("regularizer", Regularizer.kinds()));
    StringBuilder initializers = header("initializer", "key", "meaning", "default");
    for (Initializer.Preset p : Initializer.Preset.values()) {
      row(initializers, "`" + p.kerasName() + "`", "", p.definition(), "");
    }
    rows(initializers, Initializer.withArguments());
    tables.put("initializers", initializers.toString());
    StringBuilder activations = header("activation", "definition");
    for (Activation a : Activation.values()) {
      row(activations, "`" + a.kerasName() + "`", a.definition());
    }
    tables.put("activations", activations.toString());
    StringBuilder losses =
        header("loss", "one example's loss (p: outputs, y: label)", "last layer");
    for (Loss l : Loss.values()) {
      StringBuilder names = new StringBuilder("`" + l.kerasName() + "`");
      Loss.ALIASES.entrySet().stream()
          .filter(e -> e.getValue() == l)
          .map(Map.Entry::getKey)
          .sorted()
          .forEach(alias -> names.append(" (`").append(alias).append("`)"));
      String definition = l.definition();
      if (l == Loss.HUBER) {
        definition += "; `" + Loss.DELTA.key() + "` " + Loss.DELTA.defaultText();
      }
      row(losses, names.toString(), definition, l.lastLayer());
    }
    tables.put("losses", losses.toString());
    tables.put("callbacks", kinds("callback", Callbacks.kinds()));
    StringBuilder metrics = header("metric", "key", "meaning", "default");
    Metric.kinds()
        .forEach(
            (name, settings) -> {
              String shown = "`" + name + "`";
              for (Map.Entry<String, String> alias : new TreeMap<>(Metric.ALIASES).entrySet()) {
                if (alias.getValue().equals(name)) {
                  shown += " (`" + alias.getKey() + "`)";
                }
              }
              row(metrics, shown, "", definition(settings), "");
              for (Setting<?> s : settings.settings()) {
                row(metrics, shown, "`" + s.key() + "`", meaning(s), shown(s));
              }
            });
    tables.put("metrics", metrics.toString());
    return tables;
  }

  /** The keys of the mapping a fit setting takes: {@code | `fit.watermark.bits` | ... |}. */
  private static String keys(Setting<?> of, RecordSettings<?> settings) {
    StringBuilder table = header("key", "meaning", "default");
    for (Setting<?> s : settings.settings()) {
      row(table, "`fit." + of.key() + "." + s.key() + "`", meaning(s), shown(s));
    }
    return table.toString();
  }

  /** What a metric is, from its definition at its defaults. */
  private static String definition(RecordSettings<? extends Metric> settings) {
    return settings.defaults().definition();
  }

  /** One row per setting of each kind: {@code | `dense` | `units` | meaning | default |}. */
  private static String kinds(String kind, Map<String, ? extends RecordSettings<?>> kinds) {
    StringBuilder table = header(kind, "key", "meaning", "default");
    rows(table, kinds);
    return table.toString();
  }

  private static void rows(StringBuilder table, Map<String, ? extends RecordSettings<?>> kinds) {
    kinds.forEach(
        (name, settings) -> {
          for (Setting<?> s : settings.settings()) {
            row(table, "`" + name + "`", "`" + s.key() + "`", meaning(s), shown(s));
          }
        });
  }

  private static String shown(Setting<?> s) {
    return s.required() ? "(required)" : s.defaultText();
  }

  /** {@code readme} with each marked table replaced by the current one. */
  public static String update(String readme) {
    String text = readme;
    for (Map.Entry<String, String> t : tables().entrySet()) {
      String open = "<!-- reference:" + t.getKey() + " -->\n";
      String close = "<!-- /reference:" + t.getKey() + " -->";
      int from = text.indexOf(open);
      int to = text.indexOf(close);
      if (from < 0 || to < from) {
        throw new IllegalArgumentException(
            "no " + open.trim() + " ... " + close + " in the README");
      }
      text = text.substring(0, from + open.length()) + t.getValue() + text.substring(to);
    }
    return text;
  }

  private static String meaning(Setting<?> s) {
    String doc = s.doc().isEmpty() ? "" : s.doc() + "; ";
    return doc + s.expectation();
  }

  private static StringBuilder header(String... columns) {
    StringBuilder s = new StringBuilder("| " + String.join(" | ", columns) + " |\n|");
    for (int i = 0; i < columns.length; i++) {
      s.append(" --- |");
    }
    return s.append('\n');
  }

  private static void row(StringBuilder table, String... cells) {
    table
        .append("| ")
        .append(
            String.join(" | ", List.of(cells).stream().map(c -> c.replace("|", "\\|")).toList()))
        .append(" |\n");
  }
}
