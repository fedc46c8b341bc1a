package org.sparkdp;

/**
 * Input data that cannot be trained on; the message names the data set, row and column at fault.
 */
public class DataException extends IllegalArgumentException {
  public DataException(String message) {
    super(message);
  }
}
