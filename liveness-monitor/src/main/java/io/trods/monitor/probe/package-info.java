/**
 * Probing the web servers: a raw HTTP/1.1 GET or a TCP connect over a fresh socket per probe, each
 * with its own deadline, run in one loop per endpoint. Every monitor instance probes, leader or not,
 * so that a follower taking over decides on fresh results.
 */
package io.trods.monitor.probe;
