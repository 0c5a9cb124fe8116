/**
 * The control channel to a qemu guest that runs the kernel balancer (the lab's IPVS director on a
 * machine whose own kernel has no IPVS): {@link io.trods.lbplugin.ipvs.channel.GuestChannelRunner}
 * is a {@link io.trods.lbplugin.driver.CommandRunner} over the guest's virtio-serial port (a unix
 * socket on the host), speaking the line protocol of {@link io.trods.lbplugin.ipvs.channel.ChannelProtocol};
 * {@link io.trods.lbplugin.ipvs.channel.ShellWords} turns an argv into the shell line it carries.
 * The guest side is {@code lab/ipvs/guest-init.sh}.
 */
package io.trods.lbplugin.ipvs.channel;
