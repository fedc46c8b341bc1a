package org.sparkdp.jobs;

import java.security.PublicKey;
import org.sparkdp.io.Keys;
import org.sparkdp.io.Manifest;

/**
 * {@code bin/sparkdp verify --model DIR [--public-key STEM.pub]}: one line per file of the model
 * and one for the signature, then a verdict; exit code 0 only when every file matches the signed
 * manifest, none is added or missing, and the signature is valid for the key given (or, without
 * one, for the key the manifest names, which proves integrity but not whose the model is).
 */
public final class VerifyJob {
  private VerifyJob() {}

  public static void main(String[] args) {
    JobRunner.main("verify", args, VerifyJob::run);
  }

  static int run(String[] args) throws Exception {
    Cli cli = Cli.parse(Cli.verify(), args);
    if (cli == null) {
      return 0;
    }
    String dir = cli.require("--model");
    PublicKey given =
        cli.has("--public-key")
            ? Keys.readPublic(cli.get("--public-key"), "--public-key " + cli.get("--public-key"))
            : null;
    Manifest.Report report = Manifest.verify(dir, JobRunner.hadoopConf(), given);
    report.findings().forEach(f -> System.out.println(f.line()));
    long problems = report.findings().stream().filter(f -> !f.ok()).count();
    if (report.ok()) {
      System.out.println(
          "verified: "
              + dir
              + " is as signed by "
              + (given != null
                  ? "the key given (" + Keys.keyId(given) + ")"
                  : report.signer() + " (no --public-key: whose key that is was not checked)"));
      return 0;
    }
    System.out.println(
        "FAILED: "
            + dir
            + (report.signed()
                ? ": " + problems + (problems == 1 ? " finding" : " findings") + " above"
                : " is not signed"));
    return 1;
  }
}
