package org.sparkdp.jobs;

import java.util.function.UnaryOperator;

/**
 * A job command run inside the test JVM, on the Spark session already there, with the exit code and
 * error line that {@link JobRunner#main} would give it: for tests of many inputs that each fail
 * early, where a JVM and a Spark per input would cost seconds each (the launched runs of the same
 * tests show that the line is printed alone, without a stack trace).
 */
public final class InProcess {
  /** The exit code, and the error line ({@code null} when the command succeeded). */
  public record Outcome(int exitCode, String errorLine) {
    /** This outcome with {@code edit} applied to the error line. */
    public Outcome mapLine(UnaryOperator<String> edit) {
      return errorLine == null ? this : new Outcome(exitCode, edit.apply(errorLine));
    }
  }

  private InProcess() {}

  /** Runs {@code train}, {@code evaluate} or {@code predict} with the job's own arguments. */
  public static Outcome run(String command, String... args) {
    JobRunner.Job job =
        switch (command) {
          case "train" -> TrainJob::run;
          case "evaluate" -> EvaluateJob::run;
          case "predict" -> PredictJob::run;
          default -> throw new IllegalArgumentException("not a Spark job command: " + command);
        };
    try {
      return new Outcome(job.run(args), null);
    } catch (Throwable t) {
      return new Outcome(JobRunner.exitCode(t), JobRunner.errorLine(command, t));
    }
  }
}
