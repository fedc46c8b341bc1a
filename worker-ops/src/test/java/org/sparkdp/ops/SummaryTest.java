package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** {@code summary()} in Keras 3's shape, with Keras' counts for the Fashion-MNIST model. */
class SummaryTest {
  @Test
  void theFashionMnistModelWithDropoutHasKerasTable() {
    ModelSpec spec =
        ModelSpec.of(
            Dense.of(64, "relu").withInputDim(784),
            Dropout.of(0.2),
            Dense.of(64, "relu"),
            Dropout.of(0.2),
            Dense.of(10, "softmax"));
    assertEquals(
        String.join(
            "\n",
            "Model: \"sequential\"",
            "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓",
            "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃",
            "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩",
            "│ dense (Dense)                   │ (None, 64)             │        50,240 │",
            "├─────────────────────────────────┼────────────────────────┼───────────────┤",
            "│ dropout (Dropout)               │ (None, 64)             │             0 │",
            "├─────────────────────────────────┼────────────────────────┼───────────────┤",
            "│ dense_1 (Dense)                 │ (None, 64)             │         4,160 │",
            "├─────────────────────────────────┼────────────────────────┼───────────────┤",
            "│ dropout_1 (Dropout)             │ (None, 64)             │             0 │",
            "├─────────────────────────────────┼────────────────────────┼───────────────┤",
            "│ dense_2 (Dense)                 │ (None, 10)             │           650 │",
            "└─────────────────────────────────┴────────────────────────┴───────────────┘",
            " Total params: 55,050 (215.04 KB)",
            " Trainable params: 55,050 (215.04 KB)",
            " Non-trainable params: 0 (0.00 B)",
            ""),
        spec.summary("sequential"));
  }

  @Test
  void anAsciiConsoleGetsTheSameTableInAscii() {
    ModelSpec spec = ModelSpec.of(Dense.of(3, "softmax").withInputDim(2));
    assertEquals(
        String.join(
            "\n",
            "Model: \"m\"",
            "+=================================+========================+===============+",
            "| Layer (type)                    | Output Shape           |       Param # |",
            "+=================================+========================+===============+",
            "| dense (Dense)                   | (None, 3)              |             9 |",
            "+---------------------------------+------------------------+---------------+",
            " Total params: 9 (36.00 B)",
            " Trainable params: 9 (36.00 B)",
            " Non-trainable params: 0 (0.00 B)",
            ""),
        spec.summary("m", false));
  }

  @Test
  void sizesAreKerasReadableMemorySize() {
    assertEquals("0.00 B", ModelSpec.readableSize(0));
    assertEquals("1000.00 B", ModelSpec.readableSize(1000));
    assertEquals("1.00 KB", ModelSpec.readableSize(1024));
    assertEquals("3.50 MB", ModelSpec.readableSize(3.5 * 1024 * 1024));
  }
}
