/* The Streamable HTTP transport's parts: streams (what one request sends back, as JSON or
 * SSE, replayable for resumption) and sessions (legacy revisions). */
#ifndef MCP_HTTP_INT_H
#define MCP_HTTP_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "engine_int.h"

struct MHD_Response;

/* --- Streams. */

struct mcp__event {
    char *json; /* one JSON-RPC message, or NULL for the final marker of a silent request */
    size_t len;
    unsigned seq;
    bool final;
    int error; /* of the final event: its JSON-RPC error code, 0 for a result */
    struct mcp__event *next;
};

/* The sink of one request: the engine appends events; HTTP responses read them. The events
 * are kept until the stream is freed, so a client that lost the connection can resume
 * (legacy revisions, Last-Event-ID). */
struct mcp__stream {
    struct mcp__sink sink; /* first: the engine hands us back our sink */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct mcp__event *head, *tail;
    unsigned next_seq;
    unsigned id;          /* within the session, for event ids "<id>-<seq>" */
    bool done;            /* the final event is queued */
    bool interrupted;     /* the handler asked to end the current HTTP response */
    bool cancel_on_close; /* 2026-07-28: a response that goes away cancels the request */
    /* The connection's socket while the request runs on the connection's own thread, which
     * then looks for a client that hung up (MHD cannot tell it while we hold the thread);
     * -1 otherwise. */
    int fd;
    atomic_llong looked_ms; /* when it last looked (CLOCK_MONOTONIC, ms) */
    unsigned readers;       /* HTTP responses currently reading */
    unsigned refs;
    struct mcp__stream *next; /* in the session's list */
};

struct mcp__stream *mcp__stream_new(unsigned id);
void mcp__stream_ref(struct mcp__stream *s);
void mcp__stream_unref(struct mcp__stream *s);
/* Ends the stream: nothing more is sent and its reader stops at once. */
void mcp__stream_close(struct mcp__stream *s);

/* Waits for the first event; returns it (borrowed) once one is queued. */
const struct mcp__event *mcp__stream_first(struct mcp__stream *s);

/* An SSE response reading the stream from after event `after_seq` (0: from the start). With
 * `prime`, it begins with an event that carries only an id and a retry hint, so the client
 * can resume from the very start. A stream already complete leaves as one body of known
 * length. NULL on ENOMEM. */
struct MHD_Response *mcp__stream_sse_response(struct mcp__stream *s, unsigned after_seq,
                                              bool prime);

/* A header value in plain visible ASCII or the "=?base64?...?=" form, decoded (owned), or
 * NULL when it holds control characters, NUL or invalid UTF-8. */
char *mcp__http_header_decode(const char *v);

/* 2026-07-28 custom headers: checks every Mcp-Param-* header the tool's inputSchema declares
 * (x-mcp-header) against the arguments. Returns NULL, or `why` filled. */
struct MHD_Connection;
const char *mcp__http_check_params(struct mcp_server *srv, struct MHD_Connection *c,
                                   const cJSON *params, char *why, size_t whylen);

/* --- Sessions (legacy revisions). */

struct mcp__session {
    char id[65];
    struct mcp__peer *peer;
    time_t last_used;
    unsigned refs;
    bool ended;  /* DELETE or expiry: later use is 404 */
    char *owner; /* the principal that created it (owned), or NULL without authentication */
    unsigned next_stream;
    struct mcp__stream *streams;   /* recent streams, for resumption */
    struct mcp__stream *listening; /* the standalone GET stream, or NULL */
    struct mcp__session *next;
};

struct mcp__sessions {
    pthread_mutex_t lock;
    struct mcp__session *list;
    size_t count;
    size_t max;
    unsigned ttl_seconds;
};

void mcp__sessions_init(struct mcp__sessions *ss, size_t max, unsigned ttl_seconds);
/* Ends every session (server shutdown). */
void mcp__sessions_release(struct mcp__sessions *ss);
/* Creates a session for `srv` owned by `principal` (borrowed, copied; NULL without
 * authentication); the caller holds one reference. MCP_EAGAIN when the cap is reached and no
 * session is idle enough to evict. */
int mcp__session_create(struct mcp__sessions *ss, struct mcp_server *srv, const char *principal,
                        struct mcp__session **out);
/* Finds a live session of `principal` (NULL without authentication) and takes a reference,
 * or NULL: another principal's session id is as good as none, so a leaked id is useless. */
struct mcp__session *mcp__session_find(struct mcp__sessions *ss, const char *id,
                                       const char *principal);
void mcp__session_unref(struct mcp__sessions *ss, struct mcp__session *s);
/* Ends a session now (DELETE). */
void mcp__session_end(struct mcp__sessions *ss, struct mcp__session *s);
/* Registers a new stream in the session (kept for resumption); returns it with a reference
 * for the caller. */
struct mcp__stream *mcp__session_stream(struct mcp__sessions *ss, struct mcp__session *s);
/* Finds a stream of the session by id, with a reference, or NULL. */
struct mcp__stream *mcp__session_find_stream(struct mcp__sessions *ss, struct mcp__session *s,
                                             unsigned id);

#endif
