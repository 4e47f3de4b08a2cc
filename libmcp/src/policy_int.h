/* Surface profiles enforced by the server itself: which tools are allowed, need the person's
 * consent, or are blocked; data scopes handed to the connector; rate and size limits. A host
 * that misconfigures itself cannot widen what the profile grants. */
#ifndef MCP_POLICY_INT_H
#define MCP_POLICY_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

struct mcp__entry;
struct mcp__origin;
struct mcp_server;

enum mcp__grant {
    MCP__ALLOW = 0,
    MCP__ASK,
    MCP__BLOCKED,
};

struct mcp__policy {
    char *name;                /* the profile's name, for messages and the audit log */
    cJSON *data;               /* data scopes for this connector (owned), or NULL */
    unsigned calls_per_minute; /* 0: unlimited */
    size_t max_result_bytes;   /* 0: unlimited */
    pthread_mutex_t lock;      /* guards the rate window */
    time_t window_start;
    unsigned window_calls;
};

/* Loads the profile at `path` for connector `connector` and applies it to srv's tools.
 * Any error (unreadable file, wrong types, unknown tool or scope, unknown grant) is printed
 * to stderr as one sentence and returns MCP_EINVAL: the server must then not start. */
int mcp__policy_load(struct mcp_server *srv, const char *path);

void mcp__policy_free(struct mcp__policy *policy);

/* True when the tool may be listed and called by this request: enabled, not blocked by the
 * profile, and, when the transport authenticated OAuth scopes, its scope granted. */
bool mcp__tool_visible(const struct mcp__entry *e, const struct mcp__origin *origin);

/* Counts a call against the profile's rate limit: 0, or the seconds to wait. */
unsigned mcp__policy_admit(struct mcp__policy *policy);

#endif
