/* Recording audit lines from the engine. */
#ifndef MCP_AUDIT_INT_H
#define MCP_AUDIT_INT_H

#include <cjson/cJSON.h>

#include "mcp/audit.h"

struct mcp_call;
struct mcp_server;
struct mcp__audit;

/* Appends one line. `args` (borrowed) is digested, never written. Failures to write are
 * reported on stderr; they do not fail the call. */
void mcp__audit_record(struct mcp_server *srv, const struct mcp_call *call, const char *kind,
                       const char *target, const cJSON *args, const char *outcome,
                       double duration_ms);

void mcp__audit_free(struct mcp__audit *audit);

#endif
