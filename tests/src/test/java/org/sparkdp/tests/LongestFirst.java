package org.sparkdp.tests;

import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.ClassOrdererContext;

/**
 * The order in which the integration test classes are handed to JUnit's two threads: the longest
 * first. One thread takes classes from the front of the list and the other from its end (JUnit
 * forks them in order and the forking thread joins them in reverse), so the long classes start at
 * once and the short ones fill the gaps, and the run ends with short classes on both threads.
 * Without an order JUnit takes the classes as the build finds them on disk, and a long class that
 * starts last can add minutes. The durations are those of a run on 2 cores, alone; classes not
 * named keep their order after the named ones.
 */
public final class LongestFirst implements ClassOrderer {
  /** Longest first (seconds alone, roughly): channel 230, README 215, PySpark 125, ... */
  static final List<String> LONGEST =
      List.of(
          "ChannelIT",
          "ReadmeExamplesIT",
          "PySparkIT",
          "TableSourcesIT",
          "FaultsIT",
          "YarnIT",
          "SparkSubmitIT",
          "BadInputIT",
          "NotebookIT",
          "ProvenanceIT",
          "KerasReferenceIT",
          "HdfsIT",
          "SingleFileOutputsIT",
          "FitCallbacksMetricsIT",
          "ConnectIT",
          "PartitioningIT");

  @Override
  public void orderClasses(ClassOrdererContext context) {
    context
        .getClassDescriptors()
        .sort(
            Comparator.comparingInt(
                d -> {
                  int i = LONGEST.indexOf(d.getTestClass().getSimpleName());
                  return i < 0 ? LONGEST.size() : i;
                }));
  }
}
