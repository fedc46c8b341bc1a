/**
 * The driver channel's transport: the driver's {@link org.sparkdp.driver.channel.StepServer}, the
 * training tasks' {@link org.sparkdp.driver.channel.StepClient}, and the messages between them; and
 * the executor allreduce's ring ({@link org.sparkdp.driver.channel.Ring} on the driver, {@link
 * org.sparkdp.driver.channel.RingNode} in the tasks), which passes the parameters and sums from
 * task to task. Both are a {@link org.sparkdp.driver.channel.StepPath}, the one interface of every
 * way a step reaches the executors. It moves parameters out and sums back; what the tasks compute
 * is the engine's business.
 */
package org.sparkdp.driver.channel;
