#!/usr/bin/env python3
"""Writes the token-pattern task of conf/token-pattern.yaml: sequences of token ids, labelled by a pattern.

Each example is 20 token ids drawn uniformly from 0..29; its label is 1 when token 3 is directly followed by
token 7 somewhere in the sequence, else 0 (half of each). Both tokens occur in every positive and in about
60% of the negatives (apart, or 7 before 3), so a model must learn their order and adjacency, not their
presence (which alone gives about 0.7 accuracy). Deterministic: the same files on every
run (Python's random with fixed seeds).

    python3 conf/token-pattern.py DIR    # DIR/train.csv (10,000 rows) and DIR/test.csv (2,000 rows)

Each CSV has a header (t0, ..., t19, label) and one example per line.
"""
import os
import random
import sys

LENGTH = 20
TOKENS = 30
PATTERN = (3, 7)


def has_pattern(seq):
    return any(seq[i] == PATTERN[0] and seq[i + 1] == PATTERN[1] for i in range(LENGTH - 1))


def example(rng, label):
    while True:
        seq = [rng.randrange(TOKENS) for _ in range(LENGTH)]
        if label == 1:
            at = rng.randrange(LENGTH - 1)
            seq[at], seq[at + 1] = PATTERN
        elif rng.random() < 0.5:
            # Both tokens, apart or in the other order: presence alone does not tell the label.
            a, b = rng.sample(range(LENGTH), 2)
            seq[a], seq[b] = PATTERN
        if has_pattern(seq) == (label == 1):
            return seq


def write(path, count, seed):
    rng = random.Random(seed)
    with open(path, "w") as f:
        f.write(",".join("t%d" % t for t in range(LENGTH)) + ",label\n")
        for i in range(count):
            label = i % 2
            f.write(",".join(map(str, example(rng, label))) + ",%d\n" % label)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: python3 conf/token-pattern.py DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    write(os.path.join(out, "train.csv"), 10000, 1)
    write(os.path.join(out, "test.csv"), 2000, 2)
    print("wrote %s and %s" % (os.path.join(out, "train.csv"), os.path.join(out, "test.csv")))


if __name__ == "__main__":
    main()
