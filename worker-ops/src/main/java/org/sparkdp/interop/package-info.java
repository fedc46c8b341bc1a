/**
 * Models in and out of sparkdp, as bytes and without Spark: Keras' model JSON (Keras 2 and 3 forms)
 * and Keras 3's {@code .keras} files read into a {@link org.sparkdp.ops.ModelSpec} with its compile
 * config and weights ({@link org.sparkdp.interop.KerasJson}, {@link
 * org.sparkdp.interop.KerasArchive}), {@code .keras} files written in the layout Keras 3 loads, and
 * ONNX graphs ({@link org.sparkdp.interop.OnnxExport}). Every reader treats its file as untrusted:
 * sizes, names, dtypes and shapes are checked before anything is allocated, and a problem is an
 * {@link java.io.IOException} that names the file and what is wrong.
 */
package org.sparkdp.interop;
