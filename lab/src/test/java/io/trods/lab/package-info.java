/**
 * End-to-end tests of the lab (tagged {@code lab}: root, network namespaces, the real kernel, stock
 * nginx, Redis and ZooKeeper), driven only through {@code ./trods lab}. Run by {@code ./trods test}.
 */
package io.trods.lab;
