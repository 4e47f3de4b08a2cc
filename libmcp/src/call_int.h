/* The call context's insides: what a running handler builds, and how it asks. */
#ifndef MCP_CALL_INT_H
#define MCP_CALL_INT_H

#include <stdatomic.h>
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "engine_int.h"
#include "mcp/call.h"

enum mcp__call_kind {
    MCP__CALL_TOOL,
    MCP__CALL_PROMPT,
    MCP__CALL_RESOURCE,
    MCP__CALL_COMPLETE,
    MCP__CALL_OTHER, /* requests that run no handler but can be cancelled */
};

struct mcp__request;
struct mcp__task;

struct mcp_call {
    enum mcp__call_kind kind;
    struct mcp__request *req;       /* the request being served, or NULL */
    const struct mcp__entry *entry; /* the tool, prompt or resource, or NULL */
    struct mcp__peer *peer;
    struct mcp__sink *sink;
    const struct mcp__origin *origin;
    const struct mcp__rev *rev;
    const cJSON *id;          /* request id, borrowed from the request */
    const cJSON *meta;        /* request _meta, or NULL */
    const cJSON *client_caps; /* legacy: the session's; modern: the request's */
    int log_level;            /* lowest level sent, or -1 for none */
    const cJSON *progress_token;
    double last_progress;
    bool sent_progress;
    const char *name;
    struct mcp__inflight *slot; /* its record in the peer: cancellation lands there */

    /* What the handler built. */
    cJSON *items;      /* tool content, prompt messages, resource contents or completions */
    cJSON *structured; /* structuredContent, or NULL */
    bool is_error;
    const char *missing_capability; /* set when the handler needs one the client lacks */
    int rpc_error;                  /* mcp_call_protocol_error(): the JSON-RPC error code */
    char *rpc_message;              /* and its message (owned) */

    /* Running as a task (mcp_call_start_task): a reference, and the response went out. */
    struct mcp__task *task;

    /* Asking. */
    unsigned ask_seq;      /* asks are keyed q1, q2, ... in the order a handler makes them */
    cJSON *answers;        /* modern: key -> client result, from requestState and the retry */
    cJSON *input_requests; /* modern: key -> {method, params} still to be answered */
    cJSON *replies;        /* legacy: the client's results, kept until the call ends */
};

/* Prepares a call for a request; `items` starts as an empty array. */
int mcp__call_init(struct mcp_call *call, enum mcp__call_kind kind, struct mcp__peer *peer,
                   struct mcp__sink *sink, const struct mcp__origin *origin,
                   const struct mcp__rev *rev, const cJSON *request);
void mcp__call_release(struct mcp_call *call);

/* Empties what the handler built, for running it again with more answers. */
int mcp__call_restart(struct mcp_call *call);

/* True when the call is in the stateless revision. */
static inline bool mcp__call_modern(const struct mcp_call *call)
{
    return mcp__rev_has(call->rev, MCP__F_MODERN);
}

/* Sends a notification with `params` (taken) on the call's sink. */
int mcp__call_notify(struct mcp_call *call, const char *method, cJSON *params);

#endif
