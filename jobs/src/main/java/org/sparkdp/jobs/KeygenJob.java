package org.sparkdp.jobs;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.security.KeyPair;
import org.sparkdp.io.Keys;
import org.sparkdp.ops.ConfigException;

/**
 * {@code bin/sparkdp keygen --out STEM}: an owner's Ed25519 key pair, {@code STEM.key} (PKCS#8 PEM,
 * readable by its owner only) and {@code STEM.pub} (X.509 PEM). Existing files are never replaced
 * without {@code --overwrite}.
 */
public final class KeygenJob {
  private KeygenJob() {}

  public static void main(String[] args) {
    JobRunner.main("keygen", args, KeygenJob::run);
  }

  static int run(String[] args) throws Exception {
    Cli cli = Cli.parse(Cli.keygen(), args);
    if (cli == null) {
      return 0;
    }
    String stem = cli.require("--out");
    Path privateFile = Path.of(stem + ".key");
    Path publicFile = Path.of(stem + ".pub");
    Path dir = privateFile.getParent() == null ? Path.of(".") : privateFile.getParent();
    if (!java.nio.file.Files.isDirectory(dir)) {
      throw new ConfigException(
          "--out "
              + stem
              + ": the directory "
              + dir
              + (java.nio.file.Files.exists(dir) ? " is not a directory" : " does not exist"));
    }
    KeyPair pair = Keys.generate();
    try {
      Keys.write(pair, privateFile, publicFile, cli.flag("--overwrite"));
    } catch (FileAlreadyExistsException e) {
      throw new ConfigException("--out " + stem + ": " + e.getMessage());
    }
    System.out.println(
        "Wrote "
            + privateFile
            + " (the private key: keep it, it signs and watermarks your models) and "
            + publicFile
            + " (the public key: give it to whoever verifies them); key id "
            + Keys.keyId(pair.getPublic()));
    return 0;
  }
}
