package org.sparkdp.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link CanonicalJson} against the examples of RFC 8785 (as ECMAScript prints them). */
class CanonicalJsonTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static String canonical(String json) throws Exception {
    return new String(CanonicalJson.bytes(JSON.readTree(json)), StandardCharsets.UTF_8);
  }

  @Test
  void theRfcsSampleIsWrittenAsTheRfcWritesIt() throws Exception {
    // RFC 8785, 3.2.2 and 3.2.3.
    String input =
        "{\n  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n"
            + "  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
            + "  \"literals\": [null, true, false]\n}";
    assertEquals(
        "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
            + "\"string\":\"\u20ac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}",
        canonical(input));
  }

  @Test
  void keysAreSortedByTheirUtf16CodeUnits() throws Exception {
    // RFC 8785, 3.2.3: the emoji (a surrogate pair, 0xd83d...) sorts before U+FB33.
    String input =
        "{\"\\u20ac\": \"Euro Sign\", \"\\r\": \"Carriage Return\", \"\\ufb33\": \"Hebrew\","
            + " \"1\": \"One\", \"\\ud83d\\ude00\": \"Emoji\", \"\\u0080\": \"Control\","
            + " \"\\u00f6\": \"o Diaeresis\"}";
    JsonNode sorted = JSON.readTree(canonical(input));
    StringBuilder order = new StringBuilder();
    sorted.fields().forEachRemaining(e -> order.append(e.getValue().asText()).append(';'));
    assertEquals(
        "Carriage Return;One;Control;o Diaeresis;Euro Sign;Emoji;Hebrew;", order.toString());
  }

  @Test
  void numbersAreWrittenAsEcmaScriptWritesThem() {
    // RFC 8785, appendix B: IEEE 754 bits and ECMAScript's text.
    String[][] cases = {
      {"0000000000000000", "0"},
      {"8000000000000000", "0"},
      {"0000000000000001", "5e-324"},
      {"8000000000000001", "-5e-324"},
      {"7fefffffffffffff", "1.7976931348623157e+308"},
      {"ffefffffffffffff", "-1.7976931348623157e+308"},
      {"4340000000000000", "9007199254740992"},
      {"c340000000000000", "-9007199254740992"},
      {"4430000000000000", "295147905179352830000"},
      {"44b52d02c7e14af5", "9.999999999999997e+22"},
      {"44b52d02c7e14af6", "1e+23"},
      {"44b52d02c7e14af7", "1.0000000000000001e+23"},
      {"444b1ae4d6e2ef4e", "999999999999999700000"},
      {"444b1ae4d6e2ef4f", "999999999999999900000"},
      {"444b1ae4d6e2ef50", "1e+21"},
      {"3eb0c6f7a0b5ed8c", "9.999999999999997e-7"},
      {"3eb0c6f7a0b5ed8d", "0.000001"},
      {"41b3de4355555553", "333333333.3333332"},
      {"41b3de4355555554", "333333333.33333325"},
      {"41b3de4355555555", "333333333.3333333"},
      {"41b3de4355555556", "333333333.3333334"},
      {"41b3de4355555557", "333333333.33333343"},
      {"becbf647612f3696", "-0.0000033333333333333333"},
      {"43143ff3c1cb0959", "1424953923781206.2"},
    };
    for (String[] c : cases) {
      double v = Double.longBitsToDouble(Long.parseUnsignedLong(c[0], 16));
      assertEquals(c[1], CanonicalJson.number(v), c[0]);
    }
  }

  @Test
  void everyNumberReadsBackAndNoShorterDigitsWould() {
    SplittableRandom random = new SplittableRandom(8785);
    for (int i = 0; i < 20000; i++) {
      double v = Double.longBitsToDouble(random.nextLong());
      if (!Double.isFinite(v)) {
        continue;
      }
      String text = CanonicalJson.number(v);
      assertEquals(v == 0 ? 0.0 : v, Double.parseDouble(text), text);
      BigDecimal digits = new BigDecimal(text).stripTrailingZeros();
      if (digits.precision() > 1) {
        BigDecimal shorter = new BigDecimal(v).round(new MathContext(digits.precision() - 1));
        assertTrue(shorter.doubleValue() != v, text + " is not the shortest");
      }
    }
  }

  @Test
  void nanAndInfinitiesAreRefusedAndLargeIntegersKeptExact() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    assertThrows(
        IllegalArgumentException.class, () -> CanonicalJson.bytes(f.numberNode(Double.NaN)));
    assertThrows(
        IllegalArgumentException.class,
        () -> CanonicalJson.bytes(f.numberNode(Double.POSITIVE_INFINITY)));
    assertEquals("9007199254740992", new String(CanonicalJson.bytes(f.numberNode(1L << 53))));
    assertEquals(
        "9007199254740993",
        new String(CanonicalJson.bytes(f.numberNode((1L << 53) + 1))),
        "beyond 2^53 an integer keeps its digits");
    assertEquals(
        "-9223372036854775808", new String(CanonicalJson.bytes(f.numberNode(Long.MIN_VALUE))));
    assertEquals("100", new String(CanonicalJson.bytes(f.numberNode(100.0))), "as ECMAScript");
  }
}
