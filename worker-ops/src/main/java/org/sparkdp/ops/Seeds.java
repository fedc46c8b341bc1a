package org.sparkdp.ops;

/** Derives independent seeds from one base seed and stable ids, never from time or thread order. */
public final class Seeds {
  private Seeds() {}

  /** SplitMix64's finaliser: a bijective mix of 64 bits. */
  public static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** A seed for the stream named by {@code ids} under {@code base}. */
  public static long mix(long base, long... ids) {
    long h = mix64(base + 0x9e3779b97f4a7c15L);
    for (long id : ids) {
      h = mix64(h ^ mix64(id + 0x9e3779b97f4a7c15L));
    }
    return h;
  }
}
