package org.sparkdp.jobs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkdp.FitOptions;
import org.sparkdp.ops.Configs;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Setting;
import org.sparkdp.ops.Watermark;

/**
 * The README's configuration reference, made from the settings' declarations: one table for the
 * {@code fit:} settings, one for the watermark's, one for the layers' and one for the optimizers'.
 * {@code bin/sparkdp reference} prints it; {@code bin/sparkdp reference --update README.md}
 * rewrites the tables between their markers ({@code <!-- reference:fit -->} ... {@code <!--
 * /reference:fit -->}); a test fails when the README's differ.
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
    StringBuilder watermark = header("key", "meaning", "default");
    for (Setting<?> s : Watermark.SETTINGS.settings()) {
      row(
          watermark,
          "`fit.watermark." + s.key() + "`",
          meaning(s),
          s.required() ? "(required)" : s.defaultText());
    }
    tables.put("watermark", watermark.toString());
    StringBuilder layers = header("layer", "key", "meaning", "default");
    for (Setting<?> s : Dense.SETTINGS.settings()) {
      row(
          layers,
          "`dense`",
          "`" + s.key() + "`",
          meaning(s),
          s.required() ? "(required)" : s.defaultText());
    }
    tables.put("layers", layers.toString());
    StringBuilder optimizers = header("optimizer", "key", "meaning", "default");
    Configs.OPTIMIZERS.forEach(
        (name, settings) -> {
          for (Setting<?> s : settings.settings()) {
            row(optimizers, "`" + name + "`", "`" + s.key() + "`", meaning(s), s.defaultText());
          }
        });
    tables.put("optimizers", optimizers.toString());
    return tables;
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
