package io.trods.lbplugin.source;

/**
 * A source's health.
 *
 * @param connection ZooKeeper's connection state ({@code CONNECTED}, {@code SUSPENDED}, ...) or the
 *     file's ({@code READABLE}, {@code MISSING}, ...)
 * @param failStatic the source is unreachable: the last applied table stays as it is
 * @param invalidDocuments documents rejected so far; {@code lastInvalidReason} says why the last was
 * @param lastSeenVersion the newest valid version read (0: none yet)
 */
public record SourceStatus(String kind, String connection, boolean connected, boolean failStatic,
        long invalidDocuments, String lastInvalidReason, long lastSeenVersion) {}
