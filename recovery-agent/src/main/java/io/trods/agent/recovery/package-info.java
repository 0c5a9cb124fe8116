/**
 * Recovery on a surviving server: a failed server's client reaches us, its connection is recreated
 * from the saved record (TCP_REPAIR) and the rest of the object is streamed into it from the local
 * web server, checked against the original validator first.
 */
package io.trods.agent.recovery;
