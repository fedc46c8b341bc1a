package org.sparkdp.jobs;

import java.security.PrivateKey;
import org.sparkdp.io.Keys;
import org.sparkdp.io.Manifest;

/**
 * {@code bin/sparkdp sign --model DIR --key STEM.key}: signs a model directory as it is (see {@link
 * Manifest#signDirectory}): a manifest of every file's SHA-256 and the provenance, and its
 * signature, committed with the files as one set.
 */
public final class SignJob {
  private SignJob() {}

  public static void main(String[] args) {
    JobRunner.main("sign", args, SignJob::run);
  }

  static int run(String[] args) throws Exception {
    Cli cli = Cli.parse(Cli.sign(), args);
    if (cli == null) {
      return 0;
    }
    String dir = cli.require("--model");
    String keyFile = cli.require("--key");
    PrivateKey key = Keys.readPrivate(keyFile, "--key " + keyFile);
    String keyId =
        Manifest.signDirectory(dir, JobRunner.hadoopConf(), key, cli.flag("--overwrite"));
    System.out.println("Signed " + dir + " with key " + keyId + " (manifest.json, manifest.sig)");
    return 0;
  }
}
