package org.sparkdp.driver.channel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sparkdp.ops.Totals;

/**
 * A step in phases through a real {@link StepServer} and three {@link StepClient}s, plain and
 * sealed: each task hands over its partial of each phase and goes on with the total, which is the
 * partials added in group order (the doubles are chosen so that another order gives other bits),
 * the same on every task and in the step's {@link Sums#phases()}; then the replies come as in a
 * step without phases. A task that sends a partial of the wrong width fails the step, naming its
 * group.
 */
class PhasesTest {
  private static final int PARAMETERS = 4;
  private static final int[] WIDTHS = {3, 2};
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    threads.shutdownNow();
  }

  /** Task {@code g}'s partial of phase {@code p}: in another order their sum has other bits. */
  private static double[] partial(int g, int p) {
    double[] values = {1e16, 1.0, -1e16};
    double[] partial = new double[WIDTHS[p]];
    for (int i = 0; i < partial.length; i++) {
      partial[i] = values[g] * (i + 1) + p;
    }
    return partial;
  }

  private static double[] inGroupOrder(int p) {
    double[] total = new double[WIDTHS[p]];
    for (int g = 0; g < 3; g++) {
      double[] part = partial(g, p);
      for (int i = 0; i < total.length; i++) {
        total[i] += part[i];
      }
    }
    return total;
  }

  /** A task that steps once through both phases; returns the totals it got. */
  private Future<List<double[]>> task(StepServer server, int group, int width) {
    return threads.submit(
        () -> {
          try (StepClient client =
              StepClient.connect(
                  "127.0.0.1", server.port(), server.key(), group, 1, PARAMETERS, 10_000, 10_000)) {
            client.next();
            List<double[]> totals = new ArrayList<>();
            for (int p = 0; p < WIDTHS.length; p++) {
              double[] partial = partial(group, p);
              totals.add(
                  client.exchange(
                      p, width == 0 ? partial : java.util.Arrays.copyOf(partial, width)));
            }
            Totals t = new Totals();
            t.count = 1;
            client.replyStep(0, t, new float[] {group, 0, 0, 1});
            client.next(); // END
            return totals;
          }
        });
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void everyTaskGoesOnWithThePartialsAddedInGroupOrder(boolean sealed) throws Exception {
    try (StepServer server =
        new StepServer("127.0.0.1", "127.0.0.1", 10_000, PARAMETERS, WIDTHS, sealed)) {
      List<Future<List<double[]>>> tasks = new ArrayList<>();
      for (int g = 0; g < 3; g++) {
        tasks.add(task(server, g, 0));
      }
      assertEquals(3, server.awaitTasks(3, 1, 10_000, () -> null, connected -> false));
      Sums sums = server.step(0, 0, new float[PARAMETERS]);
      server.end();
      assertArrayEquals(new float[] {3, 0, 0, 3}, sums.gradient());
      assertEquals(3, sums.totals().count);
      for (int p = 0; p < WIDTHS.length; p++) {
        assertArrayEquals(inGroupOrder(p), sums.phases()[p], "phase " + p + " on the driver");
        for (int g = 0; g < 3; g++) {
          assertArrayEquals(
              inGroupOrder(p),
              tasks.get(g).get(10, TimeUnit.SECONDS).get(p),
              "phase " + p + " on task " + g);
        }
      }
      // Another order of the same additions gives other bits: the test can tell.
      assertTrue(((1e16 + 1.0) + -1e16) != ((1e16 + -1e16) + 1.0));
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aPartialOfTheWrongWidthFailsTheStepNamingTheGroup(boolean sealed) throws Exception {
    try (StepServer server =
        new StepServer("127.0.0.1", "127.0.0.1", 10_000, PARAMETERS, WIDTHS, sealed)) {
      task(server, 0, 0);
      task(server, 1, 1);
      assertEquals(2, server.awaitTasks(2, 1, 10_000, () -> null, connected -> false));
      ChannelException e =
          assertThrows(ChannelException.class, () -> server.step(0, 0, new float[PARAMETERS]));
      assertTrue(e.getMessage().contains("lost the task of group 1"), e.getMessage());
      assertTrue(e.getMessage().contains("expected 3 sums, the peer sent 1"), e.getMessage());
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aModelWithoutPhasesStepsInOneExchange(boolean sealed) throws IOException, Exception {
    try (StepServer server =
        new StepServer("127.0.0.1", "127.0.0.1", 10_000, PARAMETERS, new int[0], sealed)) {
      Future<Integer> task =
          threads.submit(
              () -> {
                try (StepClient client =
                    StepClient.connect(
                        "127.0.0.1",
                        server.port(),
                        server.key(),
                        0,
                        1,
                        PARAMETERS,
                        10_000,
                        10_000)) {
                  int commands = 0;
                  while (client.next().kind() != StepClient.Kind.END) {
                    commands++;
                    Totals t = new Totals();
                    t.count = 1;
                    client.replyStep(0, t, new float[PARAMETERS]);
                  }
                  return commands;
                }
              });
      assertEquals(1, server.awaitTasks(1, 1, 10_000, () -> null, connected -> false));
      Sums sums = server.step(0, 0, new float[PARAMETERS]);
      server.end();
      assertEquals(0, sums.phases().length);
      assertEquals(1, task.get(10, TimeUnit.SECONDS), "one command, one reply");
    }
  }
}
