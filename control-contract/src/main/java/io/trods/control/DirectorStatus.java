package io.trods.control;

/**
 * What one lb-plugin last applied to its director's kernel: the version of the desired state, when,
 * with which driver, and the last error (empty when the last sync succeeded).
 */
public record DirectorStatus(String directorId, String driver, long appliedVersion, long appliedAtMillis,
        String error) {

    public DirectorStatus {
        ZkLayout.checkId(directorId);
        driver = driver == null ? "" : driver;
        error = error == null ? "" : error;
    }
}
