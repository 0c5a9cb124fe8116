/**
 * Pure HTTP/1.x logic of the agent: strict parsing of request and response heads, the decision
 * whether a response can be recovered and with which validator, and the Range request of a
 * recovery with the check of its answer. No I/O; the callers hand bytes in.
 */
package io.trods.agent.http;
