/**
 * The driver channel's transport: the driver's {@link org.sparkdp.driver.channel.StepServer}, the
 * training tasks' {@link org.sparkdp.driver.channel.StepClient}, and the messages between them. It
 * moves parameters out and sums back; what the tasks compute is the engine's business.
 */
package org.sparkdp.driver.channel;
