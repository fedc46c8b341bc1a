package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.sparkdp.ops.Phases;

/**
 * {@link SharedPhases}: the threads of a task go through each phase together, their partials added
 * in range order into one exchange of the task, and a thread that fails ends the others' wait.
 */
class SharedPhasesTest {
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    threads.shutdownNow();
  }

  @Test
  void everyThreadGoesOnWithTheTaskTotalOfItsPartialsInRangeOrder() throws Exception {
    List<double[]> sent = new ArrayList<>();
    Phases outer =
        (phase, partial) -> {
          sent.add(partial.clone());
          return new double[] {partial[0] * 10, phase};
        };
    SharedPhases shared = new SharedPhases(outer, 3);
    double[] values = {1e16, 1.0, -1e16}; // another order gives other bits
    List<Future<List<double[]>>> parts = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      Phases own = shared.of(t);
      double value = values[t];
      parts.add(
          threads.submit(
              () ->
                  List.of(
                      own.exchange(0, new double[] {value}), own.exchange(1, new double[] {1}))));
    }
    for (Future<List<double[]>> part : parts) {
      List<double[]> totals = part.get(10, TimeUnit.SECONDS);
      assertArrayEquals(new double[] {0, 0}, totals.get(0)); // ((1e16 + 1) - 1e16) * 10
      assertArrayEquals(new double[] {30, 1}, totals.get(1));
    }
    assertEquals(2, sent.size(), "one exchange of the task per phase");
  }

  @Test
  void aThreadThatFailsEndsTheOthersWait() {
    SharedPhases shared = new SharedPhases((phase, partial) -> partial, 2);
    Future<double[]> waiting = threads.submit(() -> shared.of(0).exchange(0, new double[] {1}));
    shared.fail(new IllegalStateException("thread 1 failed"));
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("thread 1 failed"), e.getCause().toString());
  }
}
