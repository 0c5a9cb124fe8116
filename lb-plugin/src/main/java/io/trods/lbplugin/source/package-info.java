/**
 * Where desired states come from: {@link io.trods.lbplugin.source.ZooKeeperSource} (the monitor
 * leader's znode, watched through Curator, fail-static while ZooKeeper is away) and
 * {@link io.trods.lbplugin.source.FileSource} (a polled JSON file for a single director). Both
 * validate each document, count and explain the invalid ones, and hand valid newer ones on.
 */
package io.trods.lbplugin.source;
