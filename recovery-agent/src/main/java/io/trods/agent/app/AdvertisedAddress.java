package io.trods.agent.app;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;

/** The address the balancer and the monitor reach this web server at. */
final class AdvertisedAddress {

    private AdvertisedAddress() {}

    /** {@code configured} if set, else the first non-loopback IPv4 address of an interface that is up. */
    static String resolve(String configured) {
        if (!configured.isEmpty()) {
            return configured;
        }
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nic.isUp() || nic.isLoopback()) {
                    continue;
                }
                for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                    if (address instanceof Inet4Address && !address.isLoopbackAddress()) {
                        return address.getHostAddress();
                    }
                }
            }
        } catch (SocketException e) {
            throw new IllegalStateException("cannot list network interfaces: set trods.agent.control.advertised-address", e);
        }
        throw new IllegalStateException("no non-loopback IPv4 address: set trods.agent.control.advertised-address");
    }
}
