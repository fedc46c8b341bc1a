package org.sparkdp;

/**
 * What the last {@code fit} cost, for benchmarks and cost models.
 *
 * @param path how steps reached the executors: {@code "driver channel"}, {@code "executor
 *     allreduce"}, {@code "a Spark job per step"} or {@code "local rounds"}
 * @param steps steps taken (for {@code local}: synchronisations)
 * @param computeSeconds task compute time over all steps (the slowest task of each)
 * @param startSeconds time spent starting the driver channel's tasks: until they had all connected
 *     (and, for the executor allreduce, had formed their ring), and their loading of their
 *     partitions in their first exchange (without its compute)
 */
public record FitStats(String path, long steps, double computeSeconds, double startSeconds) {}
