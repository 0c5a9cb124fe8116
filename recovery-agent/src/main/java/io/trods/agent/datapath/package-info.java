/**
 * The data path's thread: kernel queues in, verdicts out, decisions by the engine and the
 * recoverer. The only place where the adapters and the pure logic meet per packet.
 */
package io.trods.agent.datapath;
