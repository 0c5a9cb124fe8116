/**
 * Codecs of the kernel's netlink protocols that the agent speaks (nfnetlink_queue for the queues,
 * nfnetlink_log for the copies of logged handshakes, nf_tables set elements for the fast path): messages written into and parsed out of reusable byte
 * arrays. They never touch a socket; the kernel adapters do.
 */
package io.trods.agent.netlink;
