/**
 * Publication of what this director applied: {@link io.trods.lbplugin.status.DirectorStatusPublisher}
 * keeps an ephemeral {@link io.trods.control.DirectorStatus} znode up to date after every sync.
 */
package io.trods.lbplugin.status;
