/**
 * Cross-module tests: the launcher and jobs as users run them, in separate processes on real Spark.
 */
package org.sparkdp.tests;
