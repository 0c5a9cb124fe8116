/**
 * Flows and their recovery records: the key every server agrees on, the record saved once per
 * response, its stored form, and the narrow store interface behind which Redis sits.
 */
package io.trods.agent.flow;
