/* One request being served: what the method handlers of the engine share. */
#ifndef MCP_REQUEST_INT_H
#define MCP_REQUEST_INT_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "call_int.h"
#include "engine_int.h"

struct mcp__request {
    struct mcp__peer *peer;
    struct mcp_server *srv;
    const cJSON *msg; /* the whole request */
    const cJSON *id;
    const char *method;
    const cJSON *params; /* {} when absent */
    const struct mcp__rev *rev;
    bool modern;
    struct mcp_call call; /* registered for cancellation and duplicate-id detection */

    /* The outcome: a result object (owned), or an error. */
    cJSON *result;
    int error_code; /* 0 when result is set */
    char error_message[512];
    cJSON *error_data; /* owned, may be NULL */
    bool silent;       /* send nothing (cancelled, or the response went out already) */
    bool answered;     /* the response went out before the method returned (tasks) */
    bool per_client;   /* the result depends on what the client declared: not for shared caches */
};

/* Records a JSON-RPC error as the request's outcome. Returns the code. */
int mcp__request_fail(struct mcp__request *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sends the request's outcome now, as its final message, while the method goes on (a task's
 * CreateTaskResult); the engine then sends nothing more for it. Returns 0, MCP_ENOMEM (nothing
 * was sent; req->result is still the caller's), or the sink's MCP_ECLOSED. */
int mcp__request_respond(struct mcp__request *req);

/* Adds ttlMs and cacheScope to a cacheable result in the stateless revision. */
int mcp__request_cacheable(struct mcp__request *req, cJSON *result, long ttl_ms);

/* Method handlers: each sets req->result or records an error. */
int mcp__method_tools_list(struct mcp__request *req);
int mcp__method_resources_list(struct mcp__request *req);
int mcp__method_templates_list(struct mcp__request *req);
int mcp__method_prompts_list(struct mcp__request *req);
int mcp__method_tools_call(struct mcp__request *req);
int mcp__method_prompts_get(struct mcp__request *req);
int mcp__method_resources_read(struct mcp__request *req);
int mcp__method_complete(struct mcp__request *req);
int mcp__method_listen(struct mcp__request *req);

/* Capabilities this server offers (new object, owned) for the request's revision. */
cJSON *mcp__server_capabilities(const struct mcp_server *srv, const struct mcp__rev *rev);

#endif
