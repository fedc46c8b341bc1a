package org.sparkdp.jobs;

/**
 * {@code bin/sparkdp completion}: prints the bash completion script ({@code source <(bin/sparkdp
 * completion)}).
 */
public final class Completion {
  private Completion() {}

  public static void main(String[] args) {
    System.out.print(Cli.completion());
  }
}
