package io.trods.control;

import java.util.regex.Pattern;

/** Checks shared by the documents' constructors, so a decoded document is valid or rejected whole. */
final class Validation {

    private static final Pattern IPV4 =
            Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");

    private Validation() {}

    static void ipv4(String address, String what) {
        if (address == null || !IPV4.matcher(address).matches()) {
            throw new IllegalArgumentException(what + " must be an IPv4 address, got '" + address + "'");
        }
    }

    static void port(int port, String what) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(what + " must be 1..65535, got " + port);
        }
    }

    static void endpoint(String endpoint, String what) {
        int colon = endpoint == null ? -1 : endpoint.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException(what + " must be address:port, got '" + endpoint + "'");
        }
        ipv4(endpoint.substring(0, colon), what);
        try {
            port(Integer.parseInt(endpoint.substring(colon + 1)), what);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be address:port, got '" + endpoint + "'");
        }
    }
}
