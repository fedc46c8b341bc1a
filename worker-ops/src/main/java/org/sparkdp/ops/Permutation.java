package org.sparkdp.ops;

import java.io.Serializable;

/**
 * A keyed pseudo-random bijection of {@code [0, n)}: a four-round Feistel network on the smallest
 * even number of bits that covers {@code n}, with cycle walking to stay inside {@code [0, n)}. Any
 * element's image is computed on its own, in O(1) expected time, with no table, so every partition
 * of a dataset can find each of its examples' positions in an epoch's shuffled order without global
 * state.
 */
public final class Permutation implements Serializable {
  private static final int ROUNDS = 4;
  private final long n;
  private final int halfBits;
  private final long halfMask;
  private final long[] roundKeys = new long[ROUNDS];

  public Permutation(long n, long key) {
    if (n <= 0) {
      throw new IllegalArgumentException("a permutation needs n > 0, got " + n);
    }
    this.n = n;
    int bits = Math.max(2, 64 - Long.numberOfLeadingZeros(n - 1));
    this.halfBits = (bits + 1) / 2;
    this.halfMask = (1L << halfBits) - 1;
    for (int r = 0; r < ROUNDS; r++) {
      roundKeys[r] = Seeds.mix(key, r);
    }
  }

  /** The image of {@code i} in {@code [0, n)}. */
  public long apply(long i) {
    if (i < 0 || i >= n) {
      throw new IndexOutOfBoundsException(i + " is outside [0, " + n + ")");
    }
    long x = i;
    do {
      x = feistel(x);
    } while (x >= n);
    return x;
  }

  private long feistel(long x) {
    long left = x >>> halfBits;
    long right = x & halfMask;
    for (long roundKey : roundKeys) {
      long next = left ^ (Seeds.mix64(right ^ roundKey) & halfMask);
      left = right;
      right = next;
    }
    return (left << halfBits) | right;
  }
}
