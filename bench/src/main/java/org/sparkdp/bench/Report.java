package org.sparkdp.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmark's figures: a table for people, and the same values under stable keys for {@code
 * --json}.
 */
final class Report {
  private record Line(String section, String label, String value, String note) {}

  private final List<Line> lines = new ArrayList<>();
  private final Map<String, Object> values = new LinkedHashMap<>();
  private String section = "";

  void section(String name) {
    section = name;
  }

  /** A figure with a stable key; {@code format} renders it in the table. */
  void put(String key, String label, double value, String format, String note) {
    values.put(key, Double.isFinite(value) ? value : null);
    lines.add(
        new Line(
            section,
            label,
            Double.isFinite(value) ? String.format(Locale.ROOT, format, value) : "n/a",
            note));
    System.err.printf(
        Locale.ROOT,
        "bench: %s = %s%n",
        key,
        Double.isFinite(value) ? String.format(Locale.ROOT, format, value) : "n/a");
  }

  void put(String key, String label, String value, String note) {
    values.put(key, value);
    lines.add(new Line(section, label, value, note));
  }

  double get(String key) {
    Object v = values.get(key);
    return v instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  void print() {
    int label = lines.stream().mapToInt(l -> l.label().length()).max().orElse(10);
    int value = lines.stream().mapToInt(l -> l.value().length()).max().orElse(10);
    String current = null;
    for (Line l : lines) {
      if (!l.section().equals(current)) {
        current = l.section();
        System.out.println();
        System.out.println(current);
      }
      System.out.printf(
          Locale.ROOT,
          "  %-" + label + "s  %" + value + "s  %s%n",
          l.label(),
          l.value(),
          l.note() == null ? "" : l.note());
    }
  }

  /** Writes the figures to {@code file}, replacing only an earlier one unless {@code overwrite}. */
  void writeJson(Path file, boolean overwrite) throws IOException {
    if (file.toAbsolutePath().getParent() != null) {
      Files.createDirectories(file.toAbsolutePath().getParent());
    }
    org.sparkdp.io.OutputFile.BENCH_JSON.write(
        file.toAbsolutePath().toString(),
        "--json " + file,
        overwrite,
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(values),
        new org.apache.hadoop.conf.Configuration());
  }
}
