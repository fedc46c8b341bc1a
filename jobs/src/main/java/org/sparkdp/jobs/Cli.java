package org.sparkdp.jobs;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.sparkdp.ops.ConfigException;

/**
 * Command-line options of the form {@code --name value} (or {@code --name=value}), and flags
 * without a value. Every option is checked against the command's list; a wrong one fails naming it.
 */
final class Cli {
  private final String command;
  private final Map<String, String> values = new LinkedHashMap<>();

  private Cli(String command) {
    this.command = command;
  }

  static Cli parse(String command, String[] args, Set<String> options, Set<String> flags) {
    Cli cli = new Cli(command);
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--")) {
        throw new ConfigException(
            command + ": unexpected argument '" + arg + "' (options start with --)");
      }
      String name = arg.substring(2);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (flags.contains(name)) {
        cli.values.put(name, value == null ? "true" : value);
        continue;
      }
      if (!options.contains(name)) {
        throw new ConfigException(
            command
                + ": unknown option --"
                + name
                + " (known: "
                + String.join(", ", options.stream().sorted().map(o -> "--" + o).toList())
                + ")");
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          throw new ConfigException(command + ": option --" + name + " needs a value");
        }
        value = args[++i];
      }
      cli.values.put(name, value);
    }
    return cli;
  }

  String get(String name) {
    return values.get(name);
  }

  boolean has(String name) {
    return values.containsKey(name);
  }

  boolean flag(String name) {
    return "true".equals(values.get(name));
  }

  String require(String name) {
    String v = values.get(name);
    if (v == null || v.isBlank()) {
      throw new ConfigException(command + ": option --" + name + " is required");
    }
    return v;
  }

  /** A positive integer option, or {@code null} when absent. */
  Integer positiveInt(String name) {
    String v = values.get(name);
    if (v == null) {
      return null;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ConfigException("--" + name + " must be a positive integer, got '" + v + "'");
  }

  Long longValue(String name) {
    String v = values.get(name);
    if (v == null) {
      return null;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new ConfigException("--" + name + " must be an integer, got '" + v + "'");
    }
  }
}
