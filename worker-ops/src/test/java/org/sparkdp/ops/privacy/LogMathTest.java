package org.sparkdp.ops.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * {@code log(erfc(x))} and the log-space sums against mpmath in 60 digits (the literals were made
 * once by {@code worker-ops/src/test/python/privacy_reference.py}).
 */
class LogMathTest {

  @Test
  void logErfcAgreesWithMpmathFromNegativeArgumentsToFarBeyondUnderflow() {
    double[][] reference = {
      {-3, 0.69313613525044681},
      {-0.5, 0.41903914777555958},
      {0, 0.0},
      {0.3, -0.39843005144008529},
      {1.2, -2.4114403551669297},
      {1.25, -2.5626536619221257},
      {3, -10.720363041981113},
      {5, -27.200889545537434},
      {27, -732.86888650789741},
      {300, -90006.276152973059},
    };
    for (double[] r : reference) {
      assertEquals(r[1], LogMath.logErfc(r[0]), 2e-15 * Math.max(1, Math.abs(r[1])), "x=" + r[0]);
    }
  }

  @Test
  void logSumsAndDifferencesAreExactAtTheirEdges() {
    assertEquals(Math.log(5), LogMath.add(Math.log(2), Math.log(3)), 1e-15);
    assertEquals(Math.log(3), LogMath.add(Double.NEGATIVE_INFINITY, Math.log(3)), 0);
    assertEquals(Math.log(1), LogMath.subtract(Math.log(3), Math.log(2)), 1e-15);
    assertEquals(Double.NEGATIVE_INFINITY, LogMath.subtract(1.5, 1.5));
    // exp(2000) - exp(1) overflows in linear space, not in log space
    assertEquals(2000, LogMath.subtract(2000, 1), 0);
    assertEquals(Math.log(Math.expm1(1e-3)), LogMath.subtract(1e-3, 0), 1e-12);
  }
}
