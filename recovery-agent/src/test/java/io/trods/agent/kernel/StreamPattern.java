package io.trods.agent.kernel;

import java.io.IOException;
import java.io.InputStream;

/**
 * A byte stream for the kernel tests' transfers, defined by offset: what was sent at any offset
 * can be recomputed where it arrives, so a stream resumed or rewritten at the wrong place fails.
 */
final class StreamPattern {

    private StreamPattern() {
    }

    /** The stream's byte at {@code offset}; not periodic, so no other offset's bytes can match. */
    static byte at(long offset) {
        return (byte) ((offset * 0x9E3779B97F4A7C15L) >>> 56);
    }

    /** The stream's bytes from {@code from}. */
    static byte[] bytes(long from, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = at(from + i);
        }
        return b;
    }

    /** Reads {@code count} bytes that must be the stream's from {@code from}; returns the offset reached. */
    static long verify(InputStream in, long from, long count) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long pos = from;
        while (pos < from + count) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, from + count - pos));
            if (n < 0) {
                throw new AssertionError("end of stream at offset " + pos);
            }
            for (int i = 0; i < n; i++) {
                if (buf[i] != at(pos + i)) {
                    throw new AssertionError("wrong byte at stream offset " + (pos + i));
                }
            }
            pos += n;
        }
        return pos;
    }
}
