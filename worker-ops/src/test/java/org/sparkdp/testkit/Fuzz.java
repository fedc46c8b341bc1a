package org.sparkdp.testkit;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Damaged copies of a valid file, reproducible from a seed, fed to a reader of untrusted files:
 * each must read (the damage did not matter, or was a valid change) or fail with one of the
 * reader's own exceptions and a message. Anything else (an {@code Error}, a {@code
 * NullPointerException}, an index out of bounds, an exception without a message) fails the test
 * with the case that caused it.
 *
 * <p>The damage: a truncation; a few flipped bits; a few bytes set to values that parsers treat
 * specially; a chunk deleted or repeated; a number in the text replaced by an extreme one.
 */
public final class Fuzz {
  private static final byte[] SPECIAL = {
    0, (byte) 0xff, 0x7f, (byte) 0x80, '9', '-', '"', ',', '{', '[', ':', '.', ' ', '\n', 'e'
  };
  private static final String[] NUMBERS = {
    "0", "-1", "2147483647", "-2147483648", "99999999999", "1e308", "1.5", "NaN", "1e-320"
  };

  private Fuzz() {}

  /** Reads one damaged copy; may throw. */
  @FunctionalInterface
  public interface Reader {
    void read(byte[] bytes) throws Exception;
  }

  /** What a run did: cases, how many read, how many were refused with a message. */
  public record Report(String name, int cases, int read, int refused) {
    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "fuzz %s: %d cases, %d read, %d refused with a message",
          name,
          cases,
          read,
          refused);
    }
  }

  /**
   * Runs {@code cases} damaged copies of {@code valid} through {@code reader}; prints and returns
   * the counts.
   *
   * @param allowed the exception kinds that are clean refusals
   * @throws AssertionError at the first case that ends otherwise, naming it
   */
  public static Report run(
      String name,
      byte[] valid,
      int cases,
      long seed,
      List<Class<? extends Throwable>> allowed,
      Reader reader) {
    int read = 0;
    int refused = 0;
    for (int i = 0; i < cases; i++) {
      SplittableRandom random = new SplittableRandom(seed * 1_000_003L + i);
      StringBuilder how = new StringBuilder();
      byte[] damaged = damage(valid, random, how);
      try {
        reader.read(damaged);
        read++;
      } catch (Throwable t) {
        boolean clean =
            allowed.stream().anyMatch(k -> k.isInstance(t))
                && t.getMessage() != null
                && !t.getMessage().isBlank();
        if (!clean) {
          StringWriter trace = new StringWriter();
          t.printStackTrace(new PrintWriter(trace));
          throw new AssertionError(
              "fuzz "
                  + name
                  + ", case "
                  + i
                  + " (seed "
                  + seed
                  + ", "
                  + how
                  + "): "
                  + t
                  + " is not a clean refusal ("
                  + allowed.stream().map(Class::getSimpleName).toList()
                  + " with a message)\n"
                  + trace);
        }
        refused++;
      }
    }
    Report report = new Report(name, cases, read, refused);
    System.out.println(report);
    return report;
  }

  /** A damaged copy of {@code valid}, the damage described in {@code how}. */
  static byte[] damage(byte[] valid, SplittableRandom random, StringBuilder how) {
    byte[] b = valid.clone();
    int kind = random.nextInt(6);
    switch (kind) {
      case 0 -> {
        int length = random.nextInt(Math.max(1, b.length));
        how.append("truncated to ").append(length);
        return Arrays.copyOf(b, length);
      }
      case 1 -> {
        int flips = 1 + random.nextInt(8);
        for (int f = 0; f < flips; f++) {
          int at = random.nextInt(b.length);
          int bit = random.nextInt(8);
          b[at] ^= (byte) (1 << bit);
          how.append("bit ").append(bit).append(" of byte ").append(at).append(' ');
        }
        return b;
      }
      case 2 -> {
        int changes = 1 + random.nextInt(4);
        for (int c = 0; c < changes; c++) {
          int at = random.nextInt(b.length);
          b[at] =
              random.nextBoolean()
                  ? SPECIAL[random.nextInt(SPECIAL.length)]
                  : (byte) random.nextInt(256);
          how.append("byte ").append(at).append(" set to ").append(b[at] & 0xff).append(' ');
        }
        return b;
      }
      case 3 -> {
        int from = random.nextInt(b.length);
        int length = 1 + random.nextInt(Math.min(64, b.length - from));
        how.append("deleted ").append(length).append(" bytes at ").append(from);
        byte[] out = new byte[b.length - length];
        System.arraycopy(b, 0, out, 0, from);
        System.arraycopy(b, from + length, out, from, b.length - from - length);
        return out;
      }
      case 4 -> {
        int from = random.nextInt(b.length);
        int length = 1 + random.nextInt(Math.min(64, b.length - from));
        how.append("repeated ").append(length).append(" bytes at ").append(from);
        byte[] out = new byte[b.length + length];
        System.arraycopy(b, 0, out, 0, from + length);
        System.arraycopy(b, from, out, from + length, b.length - from);
        return out;
      }
      default -> {
        // A run of digits replaced by an extreme number (text formats: sizes, counts, values).
        int start = random.nextInt(b.length);
        while (start < b.length && !Character.isDigit(b[start])) {
          start++;
        }
        if (start == b.length) {
          how.append("no number to replace");
          return b;
        }
        int end = start;
        while (end < b.length && Character.isDigit(b[end])) {
          end++;
        }
        String number = NUMBERS[random.nextInt(NUMBERS.length)];
        how.append("number at ").append(start).append(" replaced by ").append(number);
        byte[] replacement = number.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] out = new byte[b.length - (end - start) + replacement.length];
        System.arraycopy(b, 0, out, 0, start);
        System.arraycopy(replacement, 0, out, start, replacement.length);
        System.arraycopy(b, end, out, start + replacement.length, b.length - end);
        return out;
      }
    }
  }
}
