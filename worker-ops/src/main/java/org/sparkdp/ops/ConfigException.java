package org.sparkdp.ops;

/**
 * A configuration value that cannot be used; the message names the key (e.g. {@code
 * compile.optimizer.learning_rate}).
 */
public class ConfigException extends IllegalArgumentException {
  public ConfigException(String message) {
    super(message);
  }
}
