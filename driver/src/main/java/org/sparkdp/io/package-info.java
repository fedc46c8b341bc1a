/**
 * Files on any Hadoop file system ({@code file:}, {@code hdfs:}, {@code s3a:}): whole-file reads
 * with a size limit and atomic writes ({@link org.sparkdp.io.HadoopFiles}), a run's outputs
 * committed together or not at all ({@link org.sparkdp.io.OutputSet}), model directories ({@link
 * org.sparkdp.io.ModelStore}), Keras and ONNX files ({@link org.sparkdp.io.ModelExchange}) and what
 * a model records about how it was made ({@link org.sparkdp.io.Provenance}).
 */
package org.sparkdp.io;
