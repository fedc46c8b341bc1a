package org.sparkdp.jobs;

import java.io.Closeable;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;

/**
 * A byte range of one text file, read line by line with a limit on a line's length. A split owns
 * the lines that start in it: the lines starting at or before {@code end}, except a first line that
 * began in the split before (as Hadoop's {@code LineRecordReader} splits files). A compressed file
 * is one split. Lines are counted from 1 within their split; the splits of a file, in order, number
 * its lines.
 *
 * @param path the file
 * @param start the first byte of the range
 * @param end the last byte a line may start at ({@code Long.MAX_VALUE}: to the end of the file)
 * @param fileStart whether the range starts the file (its first line is the file's first)
 */
record TextSplit(String path, long start, long end, boolean fileStart) implements Serializable {

  /**
   * The files a path names: the file itself, or a directory's files (not {@code _} or {@code .}).
   */
  static List<FileStatus> files(String path, Configuration conf) throws IOException {
    Path p = new Path(path);
    FileSystem fs = p.getFileSystem(conf);
    FileStatus status;
    try {
      status = fs.getFileStatus(p);
    } catch (FileNotFoundException e) {
      throw new FileNotFoundException(path + ": no such file or directory");
    }
    if (!status.isDirectory()) {
      return List.of(status);
    }
    List<FileStatus> files = new ArrayList<>();
    for (FileStatus s : fs.listStatus(p)) {
      String name = s.getPath().getName();
      if (s.isFile() && !name.startsWith("_") && !name.startsWith(".")) {
        files.add(s);
      }
    }
    files.sort((a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
    return files;
  }

  /**
   * Splits of about {@code splitBytes} covering {@code files} in order; a compressed file is one
   * split.
   */
  static List<TextSplit> of(List<FileStatus> files, long splitBytes, Configuration conf) {
    CompressionCodecFactory codecs = new CompressionCodecFactory(conf);
    List<TextSplit> splits = new ArrayList<>();
    for (FileStatus f : files) {
      String path = f.getPath().toString();
      if (codecs.getCodec(f.getPath()) != null || f.getLen() <= splitBytes) {
        splits.add(new TextSplit(path, 0, Long.MAX_VALUE, true));
        continue;
      }
      for (long start = 0; start < f.getLen(); start += splitBytes) {
        long end = Math.min(start + splitBytes, f.getLen());
        splits.add(
            new TextSplit(path, start, end == f.getLen() ? Long.MAX_VALUE : end, start == 0));
      }
    }
    return splits;
  }

  /** The file's name, for messages. */
  String fileName() {
    return new Path(path).getName();
  }

  /** Opens the split; lines of more than {@code maxLineBytes} are read but not kept. */
  Cursor open(Configuration conf, int maxLineBytes) throws IOException {
    Path p = new Path(path);
    FileSystem fs = p.getFileSystem(conf);
    CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(p);
    FSDataInputStream raw = fs.open(p);
    if (codec != null) {
      return new Cursor(codec.createInputStream(raw), 0, end, maxLineBytes);
    }
    raw.seek(start);
    Cursor cursor = new Cursor(raw, start, end, maxLineBytes);
    if (start > 0) {
      cursor.skipLine(); // it began in the split before, which reads it
    }
    return cursor;
  }

  /** The lines of one split. */
  static final class Cursor implements Closeable {
    private final InputStream in;
    private final long end;
    private final int maxLineBytes;
    private final byte[] buffer = new byte[1 << 16];
    private int bufferPosition;
    private int bufferLength;
    private long position;
    private byte[] line = new byte[256];
    private int lineLength;
    private long lineBytes;
    private long number;

    private Cursor(InputStream in, long start, long end, int maxLineBytes) {
      this.in = in;
      this.position = start;
      this.end = end;
      this.maxLineBytes = maxLineBytes;
    }

    /** Moves to the next line of the split; {@code false} at its end. */
    boolean next() throws IOException {
      if (position > end || !readLine(true)) {
        return false;
      }
      number++;
      return true;
    }

    /** The line's number within the split, from 1. */
    long number() {
      return number;
    }

    /** Whether the line is longer than the limit (and so not kept). */
    boolean tooLong() {
      return lineBytes > maxLineBytes;
    }

    /** The line, without its end of line; a file's byte order mark is dropped. */
    String text() {
      String text = new String(line, 0, lineLength, StandardCharsets.UTF_8);
      return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    private void skipLine() throws IOException {
      readLine(false);
    }

    /** Reads through the next {@code \n} or the end; {@code false} if nothing was left. */
    private boolean readLine(boolean keep) throws IOException {
      lineLength = 0;
      lineBytes = 0;
      boolean any = false;
      while (true) {
        if (bufferPosition == bufferLength) {
          bufferLength = in.read(buffer);
          bufferPosition = 0;
          if (bufferLength <= 0) {
            bufferLength = 0;
            break;
          }
        }
        any = true;
        int from = bufferPosition;
        int newline = -1;
        for (int i = from; i < bufferLength; i++) {
          if (buffer[i] == '\n') {
            newline = i;
            break;
          }
        }
        int stop = newline >= 0 ? newline : bufferLength;
        if (keep) {
          keep(from, stop);
        }
        lineBytes += stop - from;
        position += (newline >= 0 ? newline + 1 : bufferLength) - from;
        bufferPosition = newline >= 0 ? newline + 1 : bufferLength;
        if (newline >= 0) {
          break;
        }
      }
      if (lineLength > 0 && line[lineLength - 1] == '\r') {
        lineLength--;
      }
      return any;
    }

    private void keep(int from, int stop) {
      int n = (int) Math.min(stop - from, Math.max(0, maxLineBytes - lineBytes));
      if (lineLength + n > line.length) {
        line = java.util.Arrays.copyOf(line, Math.max(lineLength + n, 2 * line.length));
      }
      System.arraycopy(buffer, from, line, lineLength, n);
      lineLength += n;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
