/**
 * {@code bin/sparkdp bench}: one table of sparkdp's figures beside its peers' (the bare kernel, the
 * sync and local strategies, Spark MLlib's multilayer perceptron, PyTorch when installed), measured
 * side by side in one run, with ratios.
 */
package org.sparkdp.bench;
