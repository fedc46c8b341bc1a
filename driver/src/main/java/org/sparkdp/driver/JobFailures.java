package org.sparkdp.driver;

/** The most telling line of a failure that Spark may have wrapped several times. */
final class JobFailures {
  private JobFailures() {}

  static String message(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String text =
        (t.getMessage() == null ? t.toString() : t.getMessage()).lines().findFirst().orElse("");
    if (root != t && root.getMessage() != null && !text.contains(root.getMessage())) {
      text += " (" + root.getMessage().lines().findFirst().orElse("") + ")";
    }
    return text.length() > 400 ? text.substring(0, 397) + "..." : text;
  }
}
