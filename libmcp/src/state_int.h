/* requestState for the 2026-07-28 multi-round-trip pattern. The state travels through the
 * client, so it is attacker-controlled input: it is sealed with HMAC-SHA256 under the
 * server's key and bound to the request (method, target, arguments), the principal and an
 * expiry, so it cannot be forged, replayed on another request or user, or kept forever.
 * It is signed, not encrypted: it carries only what the client itself sent. */
#ifndef MCP_STATE_INT_H
#define MCP_STATE_INT_H

#include <cjson/cJSON.h>

#include "server_int.h"

#define MCP__STATE_TTL_MS (10 * 60 * 1000)

/* Computes the binding of a request: hex SHA-256 over its method, target name and the
 * canonical form of its arguments (NULL → none). */
int mcp__state_binding(const char *method, const char *name, const cJSON *args, char out[65]);

/* Seals `answers` (client results gathered so far, key -> result) and `pending` (array of
 * the keys asked in this round) into a new requestState string (owned, mcp__free). */
int mcp__state_seal(struct mcp_server *srv, const char *binding, const char *principal,
                    const cJSON *answers, const cJSON *pending, char **out);

/* Verifies and opens a requestState. On success *answers (owned) and *pending (owned) are
 * what was sealed. MCP_ESTATE when the seal, the binding, the principal or the expiry does
 * not hold. */
int mcp__state_open(struct mcp_server *srv, const char *state, const char *binding,
                    const char *principal, cJSON **answers, cJSON **pending);

#endif
