package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PermutationTest {

  @ParameterizedTest(name = "n = {0}")
  @ValueSource(longs = {1, 2, 3, 5, 8, 17, 100, 1000, 4097, 60000})
  void everyElementHasExactlyOneImage(long n) {
    Permutation p = new Permutation(n, 42);
    BitSet seen = new BitSet();
    for (long i = 0; i < n; i++) {
      long image = p.apply(i);
      assertTrue(image >= 0 && image < n, "image " + image + " outside [0, " + n + ")");
      assertTrue(!seen.get((int) image), "image " + image + " hit twice");
      seen.set((int) image);
    }
    assertEquals(n, seen.cardinality());
  }

  @Test
  void differentKeysGiveDifferentOrdersAndTheSameKeyTheSame() {
    long n = 1000;
    Permutation a = new Permutation(n, 1);
    Permutation b = new Permutation(n, 2);
    int same = 0;
    for (long i = 0; i < n; i++) {
      same += a.apply(i) == b.apply(i) ? 1 : 0;
      assertEquals(a.apply(i), new Permutation(n, 1).apply(i));
    }
    assertTrue(same < 20, same + " fixed agreements out of 1000 is not a shuffle");
    assertNotEquals(0, a.apply(0) + a.apply(1) + a.apply(2) - 3, "not the identity");
  }

  @Test
  void positionsAreSpreadAcrossTheRange() {
    // The first tenth of the ids should land in every tenth of the positions, roughly evenly.
    long n = 10000;
    Permutation p = new Permutation(n, 7);
    int[] buckets = new int[10];
    for (long i = 0; i < n / 10; i++) {
      buckets[(int) (p.apply(i) * 10 / n)]++;
    }
    for (int b : buckets) {
      assertTrue(b > 60 && b < 140, "bucket count " + b);
    }
  }
}
