/**
 * Pure packet logic of the data plane: views of IPv4 TCP segments over the kernel's buffers, TCP
 * options, sequence arithmetic and checksum-preserving rewrites. No I/O, no allocation per packet;
 * the kernel adapters hand buffers in, these classes read and rewrite them in place.
 */
package io.trods.agent.packet;
