package org.sparkdp.ops.privacy;

/**
 * A run's privacy as {@code (epsilon, delta)}-differential privacy, with the Renyi order {@code
 * order} whose bound gave the smallest epsilon (an order at either end of the set means a wider set
 * could give a tighter bound).
 */
public record PrivacySpent(double epsilon, double delta, double order) {}
