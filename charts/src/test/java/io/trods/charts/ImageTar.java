package io.trods.charts;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * A docker-archive image tar (what {@code jib:buildTar} writes: manifest.json, the config, gzipped
 * layers), read with GNU tar: Java has no tar reader, and tar as root keeps owners, modes and links.
 */
record ImageTar(Path dir, JsonNode manifest, JsonNode config) {

    /** Extracts the image's files (all, or only manifest and config) into dir. */
    static ImageTar open(Path tar, Path dir, boolean withLayers) throws IOException, InterruptedException {
        if (!Files.isRegularFile(tar)) {
            throw new AssertionError(tar + " is missing: build the images first (./trods images, or mvn -Plab verify)");
        }
        Files.createDirectories(dir);
        List<String> extract = new ArrayList<>(List.of("tar", "-xf", tar.toString(), "-C", dir.toString()));
        if (!withLayers) {
            extract.add("manifest.json");
        }
        run(extract);
        ObjectMapper json = new ObjectMapper();
        JsonNode manifest = json.readTree(dir.resolve("manifest.json").toFile()).get(0);
        String config = manifest.get("Config").asString();
        if (!withLayers) {
            run(List.of("tar", "-xf", tar.toString(), "-C", dir.toString(), config));
        }
        return new ImageTar(dir, manifest, json.readTree(dir.resolve(config).toFile()));
    }

    String repoTag() {
        return manifest.get("RepoTags").get(0).asString();
    }

    /** The image's runtime settings (Entrypoint, Env, User, ExposedPorts, Labels). */
    JsonNode runtime() {
        return config.get("config");
    }

    /** The layer files, bottom (the base) first. */
    List<Path> layers() {
        List<Path> layers = new ArrayList<>();
        manifest.get("Layers").forEach(l -> layers.add(dir.resolve(l.asString())));
        return layers;
    }

    /** Runs a command, fails with its output unless it exits 0, and returns its output. */
    static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed: " + new String(out, StandardCharsets.UTF_8));
        }
        return new String(out, StandardCharsets.UTF_8);
    }
}
