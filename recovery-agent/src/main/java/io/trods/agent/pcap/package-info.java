/**
 * Pcap files in and out: {@link io.trods.agent.pcap.PcapReader} reads a capture (libpcap through
 * pcap4j) into IPv4 packets, {@link io.trods.agent.pcap.PcapWriter} writes the classic format, and
 * {@link io.trods.agent.pcap.PacketDump} is the agent's opt-in debug dump of queued packets. An I/O
 * adapter only: packets leave it as byte arrays for the {@link io.trods.agent.packet} views, and no
 * pcap4j type reaches the engine or the packet logic.
 */
package io.trods.agent.pcap;
