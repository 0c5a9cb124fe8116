package io.trods.lbplugin.driver;

import java.io.IOException;
import java.util.Optional;

/** Kernel settings by name ({@code net.ipv4.ip_forward}): through /proc/sys, or the sysctl tool. */
public interface Sysctl {

    /** The value, or empty when the setting does not exist (its module is not loaded). */
    Optional<String> read(String name) throws IOException;

    void write(String name, String value) throws IOException;
}
