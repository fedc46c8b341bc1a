package org.sparkdp.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class IdxTest {
  /** An IDX image file of {@code count} 2x3 images whose pixel values are their index mod 256. */
  static byte[] imageFile(int count) {
    ByteBuffer b = ByteBuffer.allocate(16 + count * 6);
    b.putInt(0x803).putInt(count).putInt(2).putInt(3);
    for (int i = 0; i < count * 6; i++) {
      b.put((byte) i);
    }
    return b.array();
  }

  static byte[] labelFile(byte... labels) {
    return ByteBuffer.allocate(8 + labels.length)
        .putInt(0x801)
        .putInt(labels.length)
        .put(labels)
        .array();
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  @Test
  void plainAndGzippedFilesRead() throws IOException {
    for (byte[] file : new byte[][] {imageFile(4), gzip(imageFile(4))}) {
      Idx.Images images = Idx.images(file, "x");
      assertEquals(4, images.count());
      assertEquals(6, images.dim());
      assertEquals((byte) 23, images.pixels()[23]);
    }
    assertArrayEquals(
        new byte[] {3, 1, 4}, Idx.labels(gzip(labelFile((byte) 3, (byte) 1, (byte) 4)), "y"));
  }

  @Test
  void wrongMagicNumberIsNamed() {
    IOException e =
        assertThrows(IOException.class, () -> Idx.images(labelFile((byte) 1), "labels.idx"));
    assertTrue(
        e.getMessage().startsWith("labels.idx: not an IDX image file (magic number 0x00000801"),
        e.getMessage());
  }

  @Test
  void truncatedBodyIsNamed() {
    byte[] file = Arrays.copyOf(imageFile(4), 16 + 20);
    IOException e = assertThrows(IOException.class, () -> Idx.images(file, "images.idx"));
    assertEquals(
        "images.idx: the header announces 4 images of 2x3 (24 bytes) but 20 bytes follow (truncated file?)",
        e.getMessage());
  }

  @Test
  void corruptGzipIsNamed() throws IOException {
    byte[] file = gzip(imageFile(50));
    byte[] corrupt = Arrays.copyOf(file, file.length / 2);
    IOException e = assertThrows(IOException.class, () -> Idx.images(corrupt, "images.gz"));
    assertTrue(e.getMessage().startsWith("images.gz: corrupt gzip data"), e.getMessage());
  }

  @Test
  void aHeaderClaimingMoreThanTheLimitIsRefusedBeforeReading() throws IOException {
    // 10^9 images of 28x28 announced by a 9.6 MB gzip of zeros.
    ByteBuffer header = ByteBuffer.allocate(16).putInt(0x803).putInt(1_000_000_000);
    header.putInt(28).putInt(28);
    byte[] file = gzip(Arrays.copyOf(header.array(), 10_000_000));
    IOException e =
        assertThrows(
            IOException.class,
            () -> Idx.images(new java.io.ByteArrayInputStream(file), "big.gz", 1L << 30));
    assertEquals(
        "big.gz: the header announces 1000000000 images of 28x28 (784000000000 bytes), more than"
            + " the 1073741824 bytes sparkdp reads from one IDX file",
        e.getMessage());
  }

  @Test
  void theDecompressedLengthIsCheckedAsItIsRead() throws IOException {
    // A true header of 4 images, then 50 MB of zeros: refused once the limit is passed.
    byte[] bomb = gzip(Arrays.copyOf(imageFile(4), 50_000_000));
    assertTrue(bomb.length < 100_000, "compresses to " + bomb.length);
    IOException e =
        assertThrows(
            IOException.class,
            () -> Idx.images(new java.io.ByteArrayInputStream(bomb), "bomb.gz", 1000));
    assertEquals(
        "bomb.gz: the header announces 4 images of 2x3 (24 bytes) but more than 1000 bytes follow",
        e.getMessage());
    // A header within the limit over a short body: refused by the bytes that are there.
    ByteBuffer header = ByteBuffer.allocate(26).putInt(0x803).putInt(1_000_000).putInt(28);
    header.putInt(28);
    IOException truncated =
        assertThrows(
            IOException.class,
            () -> Idx.images(new java.io.ByteArrayInputStream(header.array()), "x", 1L << 30));
    assertEquals(
        "x: the header announces 1000000 images of 28x28 (784000000 bytes) but 10 bytes follow"
            + " (truncated file?)",
        truncated.getMessage());
  }

  @Test
  void negativeSizesAreNamed() {
    byte[] file = ByteBuffer.allocate(16).putInt(0x803).putInt(-5).putInt(2).putInt(3).array();
    IOException e = assertThrows(IOException.class, () -> Idx.images(file, "neg.idx"));
    assertEquals(
        "neg.idx: the header announces -5 images of 2x3, not a valid size", e.getMessage());
  }
}
