package org.sparkdp.io;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * JSON in one canonical form, so that a signature over it can be checked by anyone who rebuilds the
 * same value: the JSON Canonicalization Scheme of RFC 8785. Object keys are sorted by their UTF-16
 * code units; there is no whitespace; strings escape only {@code "}, {@code \}, and the control
 * characters (as {@code \b \t \n \f \r}, else as a backslash, {@code u} and four lowercase hex
 * digits), everything else is written as UTF-8; numbers are written as ECMAScript writes a double
 * (the shortest digits that read back to the same double: {@code 4.5}, {@code 1e+30}, {@code
 * 0.002}). NaN and the infinities, which JSON does not have, are refused. One choice differs from
 * RFC 8785, which reads every number as a double: an integer beyond 2^53 (a 64-bit seed) is written
 * with all its digits, where a double would round it; up to 2^53 the two agree.
 */
public final class CanonicalJson {
  private static final long MAX_SAFE_INTEGER = 1L << 53;

  private CanonicalJson() {}

  /** The canonical UTF-8 bytes of {@code value}. */
  public static byte[] bytes(JsonNode value) {
    StringBuilder out = new StringBuilder();
    write(value, out);
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void write(JsonNode node, StringBuilder out) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      out.append("null");
    } else if (node.isBoolean()) {
      out.append(node.booleanValue());
    } else if (node.isTextual()) {
      string(node.textValue(), out);
    } else if (node.isIntegralNumber()) {
      // Beyond 2^53 (a seed, say), exact: a double would round it.
      java.math.BigInteger v = node.bigIntegerValue();
      out.append(
          v.abs().compareTo(java.math.BigInteger.valueOf(MAX_SAFE_INTEGER)) <= 0
              ? number(v.longValue())
              : v.toString());
    } else if (node.isNumber()) {
      out.append(number(node.doubleValue()));
    } else if (node.isArray()) {
      out.append('[');
      for (int i = 0; i < node.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        write(node.get(i), out);
      }
      out.append(']');
    } else if (node.isObject()) {
      List<String> keys = new ArrayList<>();
      node.fieldNames().forEachRemaining(keys::add);
      // String.compareTo compares UTF-16 code units, as RFC 8785 sorts.
      Collections.sort(keys);
      out.append('{');
      for (int i = 0; i < keys.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        string(keys.get(i), out);
        out.append(':');
        write(node.get(keys.get(i)), out);
      }
      out.append('}');
    } else {
      throw new IllegalArgumentException("no canonical JSON for a " + node.getNodeType());
    }
  }

  private static void string(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\t' -> out.append("\\t");
        case '\n' -> out.append("\\n");
        case '\f' -> out.append("\\f");
        case '\r' -> out.append("\\r");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /**
   * {@code v} as ECMAScript's {@code Number.prototype.toString} writes it (ECMA-262, 7.1.12.1): the
   * shortest decimal digits {@code s} (k of them) that read back to {@code v}, with the decimal
   * exponent {@code n} such that {@code v = s * 10^(n - k)}.
   */
  static String number(double v) {
    if (!Double.isFinite(v)) {
      throw new IllegalArgumentException("canonical JSON has no " + v);
    }
    if (v == 0) {
      return "0"; // and -0
    }
    if (v < 0) {
      return "-" + number(-v);
    }
    BigDecimal exact = new BigDecimal(v);
    BigDecimal shortest = null;
    for (int precision = 1; precision <= 17; precision++) {
      BigDecimal rounded = exact.round(new MathContext(precision, RoundingMode.HALF_EVEN));
      if (rounded.doubleValue() == v) {
        shortest = rounded;
        break;
      }
    }
    String digits = shortest.unscaledValue().toString();
    int trailing = 0;
    while (trailing < digits.length() - 1 && digits.charAt(digits.length() - 1 - trailing) == '0') {
      trailing++;
    }
    String s = digits.substring(0, digits.length() - trailing);
    int k = s.length();
    int n = digits.length() - shortest.scale(); // v = digits * 10^-scale
    if (k <= n && n <= 21) {
      return s + "0".repeat(n - k);
    }
    if (0 < n && n <= 21) {
      return s.substring(0, n) + "." + s.substring(n);
    }
    if (-6 < n && n <= 0) {
      return "0." + "0".repeat(-n) + s;
    }
    int e = n - 1;
    String exponent = (e < 0 ? "e-" : "e+") + Math.abs(e);
    return k == 1 ? s + exponent : s.charAt(0) + "." + s.substring(1) + exponent;
  }
}
