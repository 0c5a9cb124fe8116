package io.trods.agent.http;

/** RFC 9110 token characters and safe printing of untrusted text. */
final class Tokens {

    private Tokens() {
    }

    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Untrusted text for a log line: bounded, control characters escaped. */
    static String printable(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length() && out.length() < 80; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7F) {
                out.append(String.format("\\x%02x", (int) c & 0xFF));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** A non-negative decimal that fits a long, or -1. */
    static long parseLength(String s) {
        if (s == null || s.isEmpty() || s.length() > 18) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return -1;
            }
        }
        return Long.parseLong(s);
    }
}
