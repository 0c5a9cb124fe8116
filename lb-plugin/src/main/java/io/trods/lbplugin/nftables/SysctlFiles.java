package io.trods.lbplugin.nftables;

import io.trods.lbplugin.driver.Sysctl;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Kernel settings through {@code /proc/sys} (the root is injectable for tests). Writing the file
 * is what {@code sysctl -w} does, without a process.
 */
public final class SysctlFiles implements Sysctl {

    private final Path root;

    public SysctlFiles(Path root) {
        this.root = root;
    }

    public static SysctlFiles proc() {
        return new SysctlFiles(Path.of("/proc/sys"));
    }

    @Override
    public Optional<String> read(String name) throws IOException {
        try {
            return Optional.of(Files.readString(path(name), StandardCharsets.US_ASCII).trim());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public void write(String name, String value) throws IOException {
        Files.writeString(path(name), value + "\n", StandardCharsets.US_ASCII);
    }

    private Path path(String name) {
        if (!name.matches("[a-z0-9_]+(\\.[a-z0-9_]+)+")) {
            throw new IllegalArgumentException("not a sysctl name: " + name);
        }
        return root.resolve(name.replace('.', '/'));
    }
}
