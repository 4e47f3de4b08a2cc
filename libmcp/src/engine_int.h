/* The protocol engine: transport-agnostic. A transport reads messages, hands them to the
 * engine with a sink that carries what the engine sends back, and owns nothing else of the
 * protocol. */
#ifndef MCP_ENGINE_INT_H
#define MCP_ENGINE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "rev_int.h"
#include "server_int.h"

/* Where the messages of one request go: its notifications, its server->client requests and
 * finally its response. Implemented by each transport. */
struct mcp__sink {
    /* Sends one JSON-RPC message (`json` NUL-terminated, `len` bytes). `final` marks the
     * response that completes the request; `error` is then its JSON-RPC error code (0 for a
     * result), so a transport can choose an HTTP status without reading the message, and 0
     * with any other message. Returns 0 or MCP_ECLOSED. */
    int (*send)(struct mcp__sink *sink, const char *json, size_t len, bool final, int error);
    /* Set by the transport when the other end went away: the request is cancelled. */
    atomic_bool closed;
    /* Optional: ends the stream early while the request goes on (resumable transports). */
    void (*interrupt)(struct mcp__sink *sink);
    /* Optional: looks whether the other end went away and sets `closed` if so, for a
     * transport that cannot learn it otherwise while the request runs on its own thread.
     * Called by every cancellation check: must be cheap. */
    void (*check_closed)(struct mcp__sink *sink);
};

/* Who sent a request, as the transport established it. */
struct mcp__origin {
    const char *principal;     /* authenticated subject, or NULL */
    const char *const *scopes; /* granted OAuth scopes, or NULL when not authenticated */
    size_t nscopes;
    const char *header_version; /* HTTP MCP-Protocol-Version, or NULL */
};

struct mcp__ask;
struct mcp_call;

/* A request in flight, recorded when it is read so that duplicates are refused and a
 * cancellation that arrives before a worker picks the request up is not lost. */
struct mcp__inflight {
    cJSON *id; /* owned copy */
    atomic_bool cancelled;
    bool claimed; /* a worker is serving it */
    struct mcp__inflight *next;
};
struct mcp__listener;

/* One client connection (stdio) or session (HTTP). Reference-counted: the transport holds
 * one reference, each request in flight another. */
struct mcp__peer {
    struct mcp_server *srv;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* signalled when an ask is answered or the peer closes */
    unsigned refs;

    /* Legacy session state, set by initialize. */
    const struct mcp__rev *rev;
    cJSON *client_caps;
    cJSON *client_info;
    int log_level;        /* enum mcp_log_level; messages below it are dropped */
    cJSON *subscriptions; /* array of resource URIs */

    struct mcp__ask *asks; /* server->client requests awaiting an answer */
    long next_ask_id;
    struct mcp__inflight *inflight;  /* requests read and not yet answered */
    struct mcp__listener *listeners; /* open subscriptions/listen streams */
    struct mcp__sink *notify;        /* for messages not tied to a request; may be NULL */
    bool closed;

    struct mcp__peer *next; /* in srv->peers */
};

/* Creates a peer with one reference. `notify` (borrowed, must outlive the peer or be
 * detached with mcp__peer_close) may be NULL. */
struct mcp__peer *mcp__peer_new(struct mcp_server *srv, struct mcp__sink *notify);
void mcp__peer_ref(struct mcp__peer *peer);
void mcp__peer_unref(struct mcp__peer *peer);
/* Ends the peer: waiting asks fail with MCP_ECLOSED, the notify sink is detached, and with
 * `cancel` the calls in flight are cancelled and subscriptions end. Idempotent. */
void mcp__peer_close(struct mcp__peer *peer, bool cancel);
/* Records request `id` (borrowed) as in flight: MCP_EEXIST when it already is. */
int mcp__peer_reserve(struct mcp__peer *peer, const cJSON *id);
/* Takes the record of `id` for serving; reserves it when no record exists (batches).
 * NULL with *dup set when another request with that id is being served. */
struct mcp__inflight *mcp__peer_claim(struct mcp__peer *peer, const cJSON *id, bool *dup);
/* Forgets a request once answered. */
void mcp__peer_release(struct mcp__peer *peer, struct mcp__inflight *slot);
/* Cancels every call in flight (server shutdown). */
void mcp__peer_cancel_all(struct mcp__peer *peer);

enum mcp__msg_kind {
    MCP__MSG_INVALID, /* *reply holds the error response to send */
    MCP__MSG_REQUEST,
    MCP__MSG_NOTIFICATION,
    MCP__MSG_RESPONSE,
    MCP__MSG_BATCH, /* *reply may hold an error when batches are not allowed */
};

/* Checks and parses one message's text as every transport must: size, UTF-8, nesting depth,
 * JSON. Returns the value, or NULL with the JSON-RPC error code, the message, and the id to
 * answer with (owned, NULL when none could be read). */
cJSON *mcp__engine_parse_text(const struct mcp_server *srv, const char *text, size_t len, int *code,
                              char *why, size_t whylen, cJSON **id);

/* Parses and classifies one incoming message. On success *msg is the parsed message
 * (owned); a request is recorded as in flight (a duplicate id is MCP__MSG_INVALID). On
 * MCP__MSG_INVALID, *reply is the JSON-RPC error to send (owned, may be NULL when nothing must be
 * sent). */
enum mcp__msg_kind mcp__engine_parse(struct mcp__peer *peer, const char *text, size_t len,
                                     cJSON **msg, char **reply);

/* Classifies an already parsed message (borrowed); *reply as above. */
enum mcp__msg_kind mcp__engine_classify(struct mcp__peer *peer, const cJSON *msg, char **reply);

/* Routes the client's answer (taken) to the call waiting for it. Cheap: call it from the
 * reading thread. */
void mcp__engine_response(struct mcp__peer *peer, cJSON *msg);

/* Handles a notification (borrowed): cancellation, initialized, ... Cheap. */
void mcp__engine_notification(struct mcp__peer *peer, const cJSON *msg);

/* For a 2026-07-28 request (borrowed): true when serving it may send the client something
 * it must see before the response: a stream by nature (subscriptions/listen), progress it
 * asked for, log messages at a level it set, or a task's id (the handler goes on after
 * answering). Only such requests need a thread of their own; any other can be served on the
 * thread that read it, since its response is its only message. */
bool mcp__engine_may_stream(const cJSON *msg);

/* Serves one request (taken): runs its handler and sends what it produces through `sink`,
 * the response last. Blocks while the handler runs: call it from a worker thread. */
void mcp__engine_request(struct mcp__peer *peer, cJSON *msg, struct mcp__sink *sink,
                         const struct mcp__origin *origin);

/* Serves a JSON-RPC batch (taken) in order and sends the responses as one array. */
void mcp__engine_batch(struct mcp__peer *peer, cJSON *batch, struct mcp__sink *sink,
                       const struct mcp__origin *origin);

/* Builds a request (id not NULL) or notification message with `params` (taken, freed on
 * failure, may be NULL). NULL on ENOMEM. */
/* A 2026-07-28 request names its revision and the client's capabilities in params._meta.
 * Returns NULL when they are there, otherwise the -32602 message saying what is missing. */
const char *mcp__engine_meta_problem(const cJSON *params);

cJSON *mcp__engine_message(const cJSON *id, const char *method, cJSON *params);

/* Prints `msg` (taken; NULL means ENOMEM) and sends it through `sink`, before the response. */
int mcp__sink_send_json(struct mcp__sink *sink, cJSON *msg);

/* Builds a JSON-RPC error response (owned string) for `id` (borrowed; NULL → null). */
char *mcp__engine_error(const cJSON *id, int code, const char *message, const cJSON *data);

/* JSON-RPC and MCP error codes. */
enum {
    MCP__RPC_PARSE_ERROR = -32700,
    MCP__RPC_INVALID_REQUEST = -32600,
    MCP__RPC_METHOD_NOT_FOUND = -32601,
    MCP__RPC_INVALID_PARAMS = -32602,
    MCP__RPC_INTERNAL_ERROR = -32603,
    MCP__RPC_RESOURCE_NOT_FOUND = -32002, /* legacy revisions */
    MCP__RPC_HEADER_MISMATCH = -32020,
    MCP__RPC_MISSING_CAPABILITY = -32021,
    MCP__RPC_UNSUPPORTED_VERSION = -32022,
};

#endif
