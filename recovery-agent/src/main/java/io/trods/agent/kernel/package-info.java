/**
 * Kernel adapters behind narrow Java interfaces: TCP_REPAIR to recreate a client's connection on this
 * host ({@link io.trods.agent.kernel.TcpRepair}), the queues and the log group that bring packets
 * to the agent ({@link io.trods.agent.kernel.NfQueueSocket}) and the rules that feed them, a TCP
 * client socket the packet thread polls with its queue ({@link io.trods.agent.kernel.TcpClientSocket}),
 * and network namespaces for tests and tools ({@link io.trods.agent.kernel.NetNamespace}).
 *
 * <p>Native calls go through JNA direct mapping of libc. Whether the kernel lets us use them is
 * checked once ({@link io.trods.agent.kernel.TcpRepair#isAvailable()}), so callers can fail open;
 * every failed call becomes a {@link io.trods.agent.kernel.KernelCallException} naming the operation
 * and its errno. Linux only, LP64 (x86_64, aarch64).
 */
package io.trods.agent.kernel;
