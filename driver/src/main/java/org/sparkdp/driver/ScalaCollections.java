package org.sparkdp.driver;

import java.util.Iterator;
import java.util.List;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/**
 * The one place where sparkdp's Java meets Scala's collections, on every Scala that Spark lines are
 * built with: Scala 2.12 has no {@code scala.jdk.javaapi.CollectionConverters}, and {@code
 * JavaConverters}, which 2.12 and 2.13 both have, is deprecated in 2.13.
 */
@SuppressWarnings("deprecation")
public final class ScalaCollections {
  private ScalaCollections() {}

  /** A Scala sequence (an array column's value) as a Java list. */
  public static <T> List<T> asJava(Seq<T> seq) {
    return JavaConverters.seqAsJavaList(seq);
  }

  /** A Scala iterator (a partition's rows) as a Java iterator. */
  public static <T> Iterator<T> asJava(scala.collection.Iterator<T> it) {
    return JavaConverters.asJavaIterator(it);
  }

  /** A Java iterator as a Scala one (what a Spark task returns). */
  public static <T> scala.collection.Iterator<T> asScala(Iterator<T> it) {
    return JavaConverters.asScalaIterator(it);
  }
}
