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

  /**
   * {@code coalescer} as Spark's {@code CoalescedRDD} accepts it: Scala 2.12's Spark asks for a
   * {@code scala.Serializable}, which a Java class cannot name when built for 2.13 (there it is
   * {@code java.io.Serializable}), so on 2.12 a serializable proxy implements both.
   */
  static org.apache.spark.rdd.PartitionCoalescer coalescer(
      org.apache.spark.rdd.PartitionCoalescer coalescer) {
    Class<?> scalaSerializable;
    try {
      scalaSerializable = Class.forName("scala.Serializable");
    } catch (ClassNotFoundException e) {
      return coalescer; // Scala 2.13: java.io.Serializable is enough
    }
    if (scalaSerializable.isInstance(coalescer)) {
      return coalescer;
    }
    return (org.apache.spark.rdd.PartitionCoalescer)
        java.lang.reflect.Proxy.newProxyInstance(
            ScalaCollections.class.getClassLoader(),
            new Class<?>[] {org.apache.spark.rdd.PartitionCoalescer.class, scalaSerializable},
            new Forward(coalescer));
  }

  /** Calls on the proxy go to the coalescer itself (which is serializable). */
  private record Forward(Object target)
      implements java.lang.reflect.InvocationHandler, java.io.Serializable {
    @Override
    public Object invoke(Object proxy, java.lang.reflect.Method method, Object[] args)
        throws Throwable {
      try {
        return method.invoke(target, args);
      } catch (java.lang.reflect.InvocationTargetException e) {
        throw e.getCause();
      }
    }
  }

  /** A Java iterator as a Scala one (what a Spark task returns). */
  public static <T> scala.collection.Iterator<T> asScala(Iterator<T> it) {
    return JavaConverters.asScalaIterator(it);
  }
}
