package io.trods.lbplugin.driver;

import java.io.IOException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one way every driver reads, and when told to, sets a kernel setting it needs. */
public final class SettingChecks {

    private static final Logger log = LoggerFactory.getLogger(SettingChecks.class);

    /** Makes an absent setting appear (loads its module); may do nothing. */
    @FunctionalInterface
    public interface LoadModule {
        void load() throws IOException;
    }

    private SettingChecks() {}

    /**
     * Reads {@code name}; when {@code manage}, first loads its module if it is absent, then sets a
     * wrong value. Never throws: a setting that cannot be read or set is a failed check.
     *
     * @param absent what an absent setting means, appended to {@code why}
     */
    public static SettingCheck check(Sysctl sysctls, String name, String expected, String why, boolean manage,
            LoadModule loadModule, String absent) {
        try {
            Optional<String> actual = sysctls.read(name);
            if (manage && actual.isEmpty()) {
                loadModule.load();
                actual = sysctls.read(name);
            }
            if (manage && actual.isPresent() && !actual.get().equals(expected)) {
                sysctls.write(name, expected);
                log.info("set {}={} (was {})", name, expected, actual.get());
                actual = sysctls.read(name);
            }
            String value = actual.orElse("absent");
            return SettingCheck.of(name, expected, value, actual.isPresent() ? why : why + " (" + absent + ")");
        } catch (IOException | RuntimeException e) {
            return new SettingCheck(name, expected, "unreadable", false, name + " could not be read or set: " + e.getMessage());
        }
    }
}
