/**
 * Privacy accounting for DP-SGD (issue 19): the Renyi differential privacy (RDP) of the
 * Poisson-subsampled Gaussian mechanism (Mironov, Talwar and Zhang 2019) over a standard set of
 * orders ({@link org.sparkdp.ops.privacy.Rdp}), its conversion to {@code (epsilon, delta)}, the
 * noise multiplier a target epsilon needs, and the account of a run ({@link
 * org.sparkdp.ops.privacy.PrivacyAccount}), immutable and saved in checkpoints so a resumed fit
 * continues it. The numbers agree with Opacus' {@code RDPAccountant} and TensorFlow Privacy's
 * {@code rdp_accountant} (see the tests).
 */
package org.sparkdp.ops.privacy;
