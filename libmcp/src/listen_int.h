/* subscriptions/listen (2026-07-28): long-lived streams of change notifications. */
#ifndef MCP_LISTEN_INT_H
#define MCP_LISTEN_INT_H

#include "engine_int.h"

/* With peer->lock held: sends `method` to every listener of the peer that asked for it. */
void mcp__listeners_notify(struct mcp__peer *peer, const char *method, const char *uri);

/* With peer->lock held: ends every listener of the peer (server shutdown or close). */
void mcp__listeners_end(struct mcp__peer *peer);

#endif
