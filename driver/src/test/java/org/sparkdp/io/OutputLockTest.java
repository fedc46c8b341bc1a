package org.sparkdp.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.ModelSpec;

/**
 * An output directory has one owner at a time: a second contender is refused naming the first, a
 * lock whose process is gone or whose heartbeat stopped is taken over by exactly one of many
 * contenders, and a run that lost its lock is told so at its next heartbeat and commits nothing.
 */
class OutputLockTest {
  private static final Configuration CONF = new Configuration();

  /** A lock file as another run would write it. */
  private static void writeLock(Path dir, String host, long pid, Instant heartbeat)
      throws IOException {
    Path file = Files.createDirectories(dir.resolve(".sparkdp")).resolve("lock.json");
    Files.writeString(
        file,
        "{\"format\": \"sparkdp.lock\", \"run\": \"other-run\", \"command\": \"train\", \"host\": \""
            + host
            + "\", \"pid\": "
            + pid
            + ", \"started_at\": \"2026-01-02T03:04:05Z\"}",
        StandardCharsets.UTF_8);
    Files.setLastModifiedTime(file, FileTime.from(heartbeat));
  }

  private static String thisHost() throws IOException {
    return java.net.InetAddress.getLocalHost().getHostName();
  }

  /** The pid of a process that has ended. */
  private static long deadPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    return p.pid();
  }

  @Test
  void aSecondContenderIsRefusedNamingTheHolderAndReleasingLeavesTheDirectoryAsItWas(
      @TempDir Path tmp) throws IOException {
    Path out = tmp.resolve("out");
    try (OutputLock first = OutputLock.acquire(out.toString(), CONF, "train")) {
      assertTrue(Files.exists(out.resolve(".sparkdp/lock.json")));
      OutputLock.BusyException busy =
          assertThrows(
              OutputLock.BusyException.class,
              () -> OutputLock.acquire(out.toString(), CONF, "train"));
      assertEquals(first.runId(), busy.holder().run());
      assertTrue(
          busy.getMessage()
              .startsWith(
                  out
                      + " is being written by another run "
                      + first.runId()
                      + " (train, pid "
                      + ProcessHandle.current().pid()
                      + " on host "
                      + thisHost()
                      + ", since "),
          busy.getMessage());
      first.check();
    }
    assertFalse(Files.exists(out.resolve(".sparkdp")), "the lock and the directory it made");
    assertEquals(List.of(), List.of(out.toFile().list()));
  }

  @Test
  void aLockOfAProcessThatIsGoneFromThisHostIsTakenOverAtOnce(@TempDir Path out) throws Exception {
    writeLock(out, thisHost(), deadPid(), Instant.now());
    try (OutputLock lock = OutputLock.acquire(out.toString(), CONF, "train")) {
      assertEquals(lock.runId(), OutputLock.holder(out.toString(), CONF).run());
    }
  }

  @Test
  void aLockOfAnotherHostIsHeldWhileItsHeartbeatIsFreshAndTakenOverWhenItIsStale(@TempDir Path out)
      throws Exception {
    writeLock(out, "elsewhere.example", 1, Instant.now().minusSeconds(5));
    OutputLock.BusyException busy =
        assertThrows(
            OutputLock.BusyException.class,
            () -> OutputLock.acquire(out.toString(), CONF, "train"));
    assertTrue(busy.getMessage().contains("pid 1 on host elsewhere.example"), busy.getMessage());

    writeLock(out, "elsewhere.example", 1, Instant.now().minus(OutputLock.STALE).minusSeconds(10));
    try (OutputLock lock = OutputLock.acquire(out.toString(), CONF, "train")) {
      assertEquals(lock.runId(), OutputLock.holder(out.toString(), CONF).run());
    }
  }

  @Test
  void ofManyContendersForOneStaleLockExactlyOneWins(@TempDir Path tmp) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (int round = 0; round < 20; round++) {
        Path out = tmp.resolve("out-" + round);
        writeLock(out, thisHost(), deadPid(), Instant.now());
        CountDownLatch start = new CountDownLatch(1);
        List<Future<OutputLock>> tries = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          tries.add(
              pool.submit(
                  () -> {
                    start.await();
                    try {
                      return OutputLock.acquire(out.toString(), CONF, "train");
                    } catch (OutputLock.BusyException e) {
                      return null;
                    }
                  }));
        }
        start.countDown();
        List<OutputLock> winners = new ArrayList<>();
        for (Future<OutputLock> f : tries) {
          if (f.get() != null) {
            winners.add(f.get());
          }
        }
        assertEquals(1, winners.size(), "round " + round + ": one holder");
        assertEquals(winners.get(0).runId(), OutputLock.holder(out.toString(), CONF).run());
        winners.get(0).close();
        try (var files = Files.list(out.resolve(".sparkdp"))) {
          assertEquals(List.of(), files.toList(), "no claims or temporary files left");
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aRunWhoseLockWasTakenOverCommitsNothingAndLeavesTheNewHoldersLock(@TempDir Path out)
      throws Exception {
    OutputLock lock = OutputLock.acquire(out.toString(), CONF, "train");
    java.util.concurrent.atomic.AtomicInteger told =
        new java.util.concurrent.atomic.AtomicInteger();
    lock.onLost(told::incrementAndGet);
    lock.heartbeat();
    assertEquals(0, told.get(), "still its own");
    writeLock(out, "elsewhere.example", 7, Instant.now());
    lock.heartbeat();
    lock.heartbeat();
    assertEquals(1, told.get(), "the heartbeat tells the run, once");
    IOException lost = assertThrows(IOException.class, lock::check);
    assertTrue(lost.getMessage().contains("was taken over by run other-run"), lost.getMessage());
    ModelSpec spec = ModelSpec.of(Dense.of(3, "softmax").withInputDim(2));
    CompileConfig compile =
        new CompileConfig(Adam.defaults(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, List.of());
    assertThrows(
        IOException.class,
        () ->
            ModelStore.save(
                out.toString(),
                CONF,
                spec,
                compile,
                1,
                spec.initialParameters(1),
                null,
                null,
                Map.of()));
    assertFalse(Files.exists(out.resolve("model.json")));
    lock.close();
    assertEquals("other-run", OutputLock.holder(out.toString(), CONF).run());
  }

  @Test
  void aSaveIntoADirectoryThatAnotherRunWritesIsRefusedAndChangesNothing(@TempDir Path out)
      throws Exception {
    writeLock(out, "elsewhere.example", 7, Instant.now());
    ModelSpec spec = ModelSpec.of(Dense.of(3, "softmax").withInputDim(2));
    CompileConfig compile =
        new CompileConfig(Adam.defaults(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, List.of());
    Map<String, String> before = OutputSetTest.snapshot(out);
    assertThrows(
        OutputLock.BusyException.class,
        () ->
            ModelStore.save(
                out.toString(),
                CONF,
                spec,
                compile,
                1,
                spec.initialParameters(1),
                null,
                null,
                Map.of()));
    assertEquals(before, OutputSetTest.snapshot(out));

    Files.delete(out.resolve(".sparkdp/lock.json"));
    ModelStore.save(
        out.toString(), CONF, spec, compile, 1, spec.initialParameters(1), null, null, Map.of());
    assertNotNull(OutputSet.committed(out.toString(), CONF));
    assertEquals(null, OutputLock.holder(out.toString(), CONF), "the set's own lock is released");
  }
}
