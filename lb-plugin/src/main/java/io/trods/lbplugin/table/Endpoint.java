package io.trods.lbplugin.table;

import java.util.Comparator;

/**
 * An IPv4 address and TCP port: a virtual service's key (VIP:port) or a real server's. Ordered
 * numerically so that tables, diffs and rendered rules come out in a stable order.
 */
public record Endpoint(String address, int port) implements Comparable<Endpoint> {

    private static final Comparator<Endpoint> ORDER =
            Comparator.comparingLong((Endpoint e) -> e.addressValue()).thenComparingInt(Endpoint::port);

    public Endpoint {
        addressValue(address); // validates
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
    }

    /** Parses {@code address:port}. */
    public static Endpoint parse(String text) {
        int colon = text == null ? -1 : text.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("expected address:port, got '" + text + "'");
        }
        try {
            return new Endpoint(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected address:port, got '" + text + "'");
        }
    }

    long addressValue() {
        return addressValue(address);
    }

    private static long addressValue(String address) {
        String[] parts = address == null ? new String[0] : address.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("expected an IPv4 address, got '" + address + "'");
        }
        long value = 0;
        for (String part : parts) {
            int octet;
            try {
                octet = Integer.parseInt(part);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected an IPv4 address, got '" + address + "'");
            }
            if (octet < 0 || octet > 255 || part.length() > 3 || part.isEmpty() || part.startsWith("+")) {
                throw new IllegalArgumentException("expected an IPv4 address, got '" + address + "'");
            }
            value = value << 8 | octet;
        }
        return value;
    }

    @Override
    public int compareTo(Endpoint other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return address + ":" + port;
    }
}
