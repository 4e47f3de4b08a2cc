/* The Streamable HTTP transport on libmicrohttpd: one endpoint for POST, GET and DELETE;
 * legacy sessions (Mcp-Session-Id) and the stateless 2026-07-28 revision side by side;
 * Host/Origin checks against DNS rebinding; bearer-token authentication and the RFC 9728
 * metadata; size, connection and time limits. Requests run on the worker pool; each
 * connection thread streams its request's events. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mhd_int.h"

#include "alloc_int.h"
#include "auth_int.h"
#include "base64_int.h"
#include "buf_int.h"
#include "clock_int.h"
#include "http_int.h"
#include "json_int.h"
#include "mcp/http.h"
#include "pool_int.h"
#include "rev_int.h"
#include "transport_int.h"

#include "banned.h"

#define META_VERSION "io.modelcontextprotocol/protocolVersion"

struct http {
    struct mcp_server *srv;
    struct mcp_http_options opt;
    struct mcp__pool *pool;
    struct mcp__sessions sessions;
    struct mcp__auth *auth; /* NULL: authentication off */
};

/* What one HTTP request accumulates before it is answered. */
struct request {
    struct mcp__buf body;
    bool too_big;
    /* Authentication, decided from the headers before any body is kept. */
    int auth_rc;                 /* 0, or why the request is refused (mcp__auth_check) */
    const char *auth_why;        /* static text for the client */
    struct mcp__identity *ident; /* the token's identity (a reference), or NULL */
};

struct job {
    struct mcp__peer *peer;
    cJSON *msg;
    struct mcp__stream *stream;
    struct mcp__identity *ident; /* a reference, or NULL: the engine sees no origin */
    bool batch;
};

static void run_job(void *arg)
{
    struct job *j = arg;
    const struct mcp__origin *origin = j->ident ? &j->ident->origin : NULL;
    if (j->batch)
        mcp__engine_batch(j->peer, j->msg, &j->stream->sink, origin);
    else
        mcp__engine_request(j->peer, j->msg, &j->stream->sink, origin);
    mcp__stream_unref(j->stream);
    mcp__peer_unref(j->peer);
    mcp__identity_unref(j->ident);
    mcp__free(j);
}

/* --- Responses. */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             const char *body, const char *session)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        body ? strlen(body) : 0, (void *)(uintptr_t)(body ? body : ""), MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    if (type)
        MHD_add_response_header(r, "Content-Type", type);
    if (session)
        MHD_add_response_header(r, "Mcp-Session-Id", session);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* A JSON-RPC error as the body of an HTTP error. */
static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned status, const cJSON *id,
                                   int code, const char *message)
{
    char *body = mcp__engine_error(id, code, message, NULL);
    enum MHD_Result ret = reply(c, status, "application/json", body, NULL);
    mcp__free(body);
    return ret;
}

/* 401 or 403 with the challenge that tells the client where to get a (better) token. `scope`
 * is one this request needs beyond the required ones; `why` says what is wrong with the token.
 * Neither the token nor anything derived from it is echoed or logged. */
static enum MHD_Result reply_auth(struct http *h, struct MHD_Connection *c,
                                  enum mcp__challenge kind, const char *scope, const char *why)
{
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    char *challenge = mcp__auth_challenge(h->auth, host, kind, scope, why);
    char message[256];
    if (kind == MCP__CHALLENGE_MISSING)
        snprintf(message, sizeof message,
                 "Unauthorized: send \"Authorization: Bearer TOKEN\"; the WWW-Authenticate header "
                 "links the metadata that says where to get one");
    else if (kind == MCP__CHALLENGE_INVALID)
        snprintf(message, sizeof message, "Unauthorized: %s; get a new token",
                 why ? why : "the access token is not accepted");
    else
        snprintf(message, sizeof message,
                 "Forbidden: the access token lacks scope %s; ask for a token with it",
                 scope ? scope : "this request needs");
    char *body = mcp__engine_error(NULL, MCP__RPC_INVALID_REQUEST, message, NULL);
    struct MHD_Response *r =
        challenge && body
            ? MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY)
            : NULL;
    enum MHD_Result ret = MHD_NO;
    if (r && MHD_add_response_header(r, "Content-Type", "application/json") == MHD_YES &&
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, challenge) == MHD_YES)
        ret = MHD_queue_response(
            c, kind == MCP__CHALLENGE_SCOPE ? MHD_HTTP_FORBIDDEN : MHD_HTTP_UNAUTHORIZED, r);
    if (r)
        MHD_destroy_response(r);
    mcp__free(body);
    mcp__free(challenge);
    return ret;
}

/* The HTTP status for a JSON-RPC response with error `code` (0: a result); 2026-07-28
 * names several. */
static unsigned status_for(int code, bool modern)
{
    if (!modern)
        return MHD_HTTP_OK;
    if (code == MCP__RPC_METHOD_NOT_FOUND)
        return MHD_HTTP_NOT_FOUND;
    if (code == MCP__RPC_HEADER_MISMATCH || code == MCP__RPC_MISSING_CAPABILITY ||
        code == MCP__RPC_UNSUPPORTED_VERSION || code == MCP__RPC_INVALID_REQUEST ||
        code == MCP__RPC_PARSE_ERROR)
        return MHD_HTTP_BAD_REQUEST;
    return MHD_HTTP_OK;
}

/* Runs a request and answers with JSON when its first event is its response, otherwise with
 * an SSE stream of its events. A 2026-07-28 request whose response is its only message runs
 * right here on the connection's thread, which would only wait for it otherwise; any other
 * runs on the pool, so its events can leave while it runs. The job takes its own reference
 * to `ident`. */
static enum MHD_Result dispatch(struct http *h, struct MHD_Connection *c, struct mcp__peer *peer,
                                cJSON *msg, bool batch, struct mcp__stream *stream,
                                struct mcp__identity *ident, const char *session, bool modern,
                                bool prime)
{
    struct job *j = mcp__malloc(sizeof(*j));
    if (!j) {
        cJSON_Delete(msg);
        return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, MCP__RPC_INTERNAL_ERROR,
                           "Internal error: out of memory");
    }
    mcp__peer_ref(peer);
    mcp__stream_ref(stream);
    if (ident)
        mcp__identity_ref(ident);
    *j = (struct job){.peer = peer, .msg = msg, .stream = stream, .ident = ident, .batch = batch};
    if (modern && !batch && !mcp__engine_may_stream(msg)) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        stream->fd = info ? info->connect_fd : -1;
        /* The first look comes LOOK_MS in: a quick call never looks (see check_closed). */
        atomic_store(&stream->looked_ms, mcp__monotonic_ms());
        run_job(j);
        stream->fd = -1;
    } else if (mcp__pool_submit(h->pool, run_job, j)) {
        mcp__identity_unref(ident);
        mcp__stream_unref(stream);
        mcp__peer_unref(peer);
        cJSON_Delete(msg);
        mcp__free(j);
        return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, MCP__RPC_INTERNAL_ERROR,
                           "Internal error: server overloaded, try again");
    }
    const struct mcp__event *first = mcp__stream_first(stream);
    if (first && first->final && !stream->interrupted) {
        if (!first->json)
            return reply(c, MHD_HTTP_ACCEPTED, NULL, NULL, session);
        struct MHD_Response *r =
            MHD_create_response_from_buffer(first->len, first->json, MHD_RESPMEM_MUST_COPY);
        if (!r)
            return MHD_NO;
        MHD_add_response_header(r, "Content-Type", "application/json");
        if (session)
            MHD_add_response_header(r, "Mcp-Session-Id", session);
        enum MHD_Result ret = MHD_queue_response(c, status_for(first->error, modern), r);
        MHD_destroy_response(r);
        return ret;
    }
    struct MHD_Response *r = mcp__stream_sse_response(stream, 0, prime);
    if (!r)
        return MHD_NO;
    if (session)
        MHD_add_response_header(r, "Mcp-Session-Id", session);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* --- Checks. */

static bool host_allowed(const struct http *h, const char *value)
{
    if (!value)
        return false;
    char host[256];
    snprintf(host, sizeof host, "%s", value);
    /* Strip the port: "[::1]:8080", "localhost:8080", "127.0.0.1". */
    char *end = host[0] == '[' ? strchr(host, ']') : strrchr(host, ':');
    if (host[0] == '[' && end)
        end[1] = '\0';
    else if (end)
        *end = '\0';
    for (size_t i = 0; i < h->opt.nallowed_hosts; i++)
        if (strcasecmp(h->opt.allowed_hosts[i], host) == 0)
            return true;
    return false;
}

static bool origin_allowed(const struct http *h, const char *origin)
{
    if (!origin)
        return true; /* not a browser */
    const char *p = strstr(origin, "://");
    return p && host_allowed(h, p + 3);
}

static bool accepts(const char *accept, const char *type)
{
    return !accept || strstr(accept, type) || strstr(accept, "*/*");
}

/* Whether header value `h` is `want`, ignoring the optional whitespace around field values. */
static bool header_is(const char *h, const char *want)
{
    if (!h || !want)
        return false;
    h += strspn(h, " \t");
    size_t n = strlen(want);
    return strncmp(h, want, n) == 0 && h[n + strspn(h + n, " \t")] == '\0';
}

/* The 2026-07-28 rule: headers mirror the body, and must match it. Returns NULL or why. */
static const char *check_headers(struct http *h, struct MHD_Connection *c, const cJSON *msg,
                                 char *why, size_t whylen)
{
    const char *method = mcp__json_str(msg, "method");
    const cJSON *params = mcp__json_obj(msg, "params");
    const char *hv = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "MCP-Protocol-Version");
    const char *bv = mcp__json_str(mcp__json_obj(params, "_meta"), META_VERSION);
    if (!header_is(hv, bv)) {
        snprintf(why, whylen,
                 "Header mismatch: MCP-Protocol-Version '%s' does not match body "
                 "'%s'",
                 hv ? hv : "(missing)", bv ? bv : "(missing)");
        return why;
    }
    const char *hm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Mcp-Method");
    if (!header_is(hm, method)) {
        snprintf(why, whylen, "Header mismatch: Mcp-Method '%s' does not match body '%s'",
                 hm ? hm : "(missing)", method ? method : "(none)");
        return why;
    }
    const char *target = NULL;
    if (strcmp(method, "tools/call") == 0 || strcmp(method, "prompts/get") == 0)
        target = mcp__json_str(params, "name");
    else if (strcmp(method, "resources/read") == 0)
        target = mcp__json_str(params, "uri");
    else if (strcmp(method, "tasks/get") == 0 || strcmp(method, "tasks/update") == 0 ||
             strcmp(method, "tasks/cancel") == 0)
        target = mcp__json_str(params, "taskId"); /* routes a task to the replica holding it */
    if (target) {
        const char *hn = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Mcp-Name");
        char *name = hn ? mcp__http_header_decode(hn) : NULL;
        bool ok = name && strcmp(name, target) == 0;
        mcp__free(name);
        if (!ok) {
            snprintf(why, whylen, "Header mismatch: Mcp-Name '%s' does not match body '%s'",
                     hn ? hn : "(missing)", target);
            return why;
        }
    }
    if (strcmp(method, "tools/call") == 0)
        return mcp__http_check_params(h->srv, c, params, why, whylen);
    return NULL;
}

/* For a tools/call of a tool whose scope the token lacks: that scope. Answered with 403 so
 * the client can ask for it (step-up), rather than with a tool error it cannot act on. */
static const char *tool_scope_missing(const struct http *h, const struct mcp__identity *ident,
                                      const cJSON *msg)
{
    if (!ident || !cJSON_IsObject(msg))
        return NULL;
    const char *method = mcp__json_str(msg, "method");
    if (!method || strcmp(method, "tools/call") != 0)
        return NULL;
    const char *name = mcp__json_str(mcp__json_obj(msg, "params"), "name");
    const struct mcp__entry *e = name ? mcp__table_find(&h->srv->tools, name) : NULL;
    return e && e->scope && !mcp__identity_has_scope(ident, e->scope) ? e->scope : NULL;
}

/* Whether the request may go on; otherwise queues the 401/403 (or 503) in *ret. */
static bool authorized(struct http *h, struct MHD_Connection *c, const struct request *req,
                       enum MHD_Result *ret)
{
    if (!h->auth)
        return true;
    if (req->auth_rc == MCP_ENOMEM) {
        *ret = reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, MCP__RPC_INTERNAL_ERROR,
                           "Internal error: out of memory");
        return false;
    }
    if (req->auth_rc) {
        *ret = reply_auth(
            h, c, req->auth_rc == MCP_ENOENT ? MCP__CHALLENGE_MISSING : MCP__CHALLENGE_INVALID,
            NULL, req->auth_why);
        return false;
    }
    if (mcp__auth_missing_scope(h->auth, req->ident)) {
        *ret = reply_auth(h, c, MCP__CHALLENGE_SCOPE, NULL, NULL);
        return false;
    }
    return true;
}

/* RFC 9728: where clients learn which authorization server issues tokens for us. */
static enum MHD_Result metadata(struct http *h, struct MHD_Connection *c, const char *method)
{
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, MCP__RPC_INVALID_REQUEST,
                           "Method Not Allowed: the metadata is read with GET");
    char *doc =
        mcp__auth_metadata(h->auth, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host"));
    if (!doc)
        return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, MCP__RPC_INTERNAL_ERROR,
                           "Internal error: out of memory");
    enum MHD_Result ret = reply(c, MHD_HTTP_OK, "application/json", doc, NULL);
    mcp__free(doc);
    return ret;
}

/* --- Methods. */

/* Answers a parsed message (taken) that the transport refuses, echoing its id when it has
 * one so the client can tell which request failed. */
static enum MHD_Result refuse(struct MHD_Connection *c, unsigned status, cJSON *msg, int code,
                              const char *why)
{
    enum MHD_Result r = reply_error(c, status, mcp__json_get(msg, "id"), code, why);
    cJSON_Delete(msg);
    return r;
}

/* The authenticated principal a session belongs to, or NULL without authentication. */
static const char *principal_of(const struct request *req)
{
    return req->ident ? req->ident->principal : NULL;
}

static bool is_modern(struct MHD_Connection *c, const cJSON *msg)
{
    const char *hv = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "MCP-Protocol-Version");
    const struct mcp__rev *rev = mcp__rev_find(hv);
    if (mcp__rev_has(rev, MCP__F_MODERN))
        return true;
    const cJSON *v =
        mcp__json_get(mcp__json_obj(mcp__json_obj(msg, "params"), "_meta"), META_VERSION);
    return v != NULL && !MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Mcp-Session-Id");
}

static enum MHD_Result post_modern(struct http *h, struct MHD_Connection *c, cJSON *msg,
                                   struct mcp__identity *ident)
{
    char why[512];
    const cJSON *id = mcp__json_get(msg, "id");
    /* An incomplete _meta is -32602, unless it asks for a version we do not serve: then the
     * engine's UnsupportedProtocolVersion, which lists the ones we do, helps the client more. */
    const cJSON *params = mcp__json_obj(msg, "params");
    const char *asked = mcp__json_str(mcp__json_obj(params, "_meta"), META_VERSION);
    const char *problem = mcp__engine_meta_problem(params);
    if (asked && !mcp__rev_has(mcp__rev_find(asked), MCP__F_MODERN))
        problem = NULL;
    if (problem && id)
        return refuse(c, MHD_HTTP_BAD_REQUEST, msg, MCP__RPC_INVALID_PARAMS, problem);
    if (check_headers(h, c, msg, why, sizeof why))
        return refuse(c, MHD_HTTP_BAD_REQUEST, msg, MCP__RPC_HEADER_MISMATCH, why);
    struct mcp__peer *peer = mcp__peer_new(h->srv, NULL);
    char *err = NULL;
    enum mcp__msg_kind kind = peer ? mcp__engine_classify(peer, msg, &err) : MCP__MSG_INVALID;
    enum MHD_Result ret;
    if (kind == MCP__MSG_REQUEST) {
        struct mcp__stream *s = mcp__stream_new(1);
        if (s)
            s->cancel_on_close = true;
        ret = s ? dispatch(h, c, peer, msg, false, s, ident, NULL, true, false) : MHD_NO;
        if (!s)
            cJSON_Delete(msg);
        /* This response is the request's only stream: when it goes, the request is done. */
        mcp__stream_unref(s);
    } else if (kind == MCP__MSG_NOTIFICATION) {
        cJSON_Delete(msg);
        ret = reply(c, MHD_HTTP_ACCEPTED, NULL, NULL, NULL);
    } else {
        cJSON_Delete(msg);
        ret = err ? reply(c, MHD_HTTP_BAD_REQUEST, "application/json", err, NULL)
                  : reply(c, MHD_HTTP_BAD_REQUEST, NULL, NULL, NULL);
    }
    mcp__free(err);
    mcp__peer_unref(peer);
    return ret;
}

static enum MHD_Result post_legacy(struct http *h, struct MHD_Connection *c, cJSON *msg,
                                   struct mcp__session *session, struct mcp__identity *ident)
{
    struct mcp__peer *peer = session->peer;
    char *err = NULL;
    enum mcp__msg_kind kind = mcp__engine_classify(peer, msg, &err);
    if (kind == MCP__MSG_REQUEST && mcp__peer_reserve(peer, mcp__json_get(msg, "id"))) {
        kind = MCP__MSG_INVALID;
        err =
            mcp__engine_error(mcp__json_get(msg, "id"), MCP__RPC_INVALID_REQUEST,
                              "Invalid Request: a request with this id is already in flight", NULL);
    }
    enum MHD_Result ret;
    switch (kind) {
    case MCP__MSG_REQUEST:
    case MCP__MSG_BATCH: {
        struct mcp__stream *s = mcp__session_stream(&h->sessions, session);
        if (!s) {
            cJSON_Delete(msg);
            return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, MCP__RPC_INTERNAL_ERROR,
                               "Internal error: out of memory");
        }
        pthread_mutex_lock(&peer->lock);
        bool prime = mcp__rev_has(peer->rev, MCP__F_ICONS); /* resumable streams: 2025-11-25 */
        pthread_mutex_unlock(&peer->lock);
        ret =
            dispatch(h, c, peer, msg, kind == MCP__MSG_BATCH, s, ident, session->id, false, prime);
        mcp__stream_unref(s);
        return ret;
    }
    case MCP__MSG_NOTIFICATION:
        mcp__engine_notification(peer, msg);
        cJSON_Delete(msg);
        return reply(c, MHD_HTTP_ACCEPTED, NULL, NULL, NULL);
    case MCP__MSG_RESPONSE:
        mcp__engine_response(peer, msg);
        return reply(c, MHD_HTTP_ACCEPTED, NULL, NULL, NULL);
    case MCP__MSG_INVALID:
        break;
    }
    cJSON_Delete(msg);
    ret = reply(c, MHD_HTTP_BAD_REQUEST, err ? "application/json" : NULL, err, NULL);
    mcp__free(err);
    return ret;
}

static enum MHD_Result post(struct http *h, struct MHD_Connection *c, struct request *req)
{
    if (req->too_big)
        return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, NULL, MCP__RPC_INVALID_REQUEST,
                           "Invalid Request: body too large");
    const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
    if (!accepts(accept, "application/json") && !accepts(accept, "text/event-stream"))
        return reply_error(c, MHD_HTTP_NOT_ACCEPTABLE, NULL, MCP__RPC_INVALID_REQUEST,
                           "Not Acceptable: accept application/json and text/event-stream");
    const char *text = mcp__buf_str(&req->body);
    size_t len = req->body.len;
    char why[128];
    int code;
    cJSON *id;
    cJSON *msg = mcp__engine_parse_text(h->srv, text, len, &code, why, sizeof why, &id);
    if (!msg) {
        enum MHD_Result r = reply_error(c, MHD_HTTP_BAD_REQUEST, id, code, why);
        cJSON_Delete(id);
        return r;
    }
    const char *scope = tool_scope_missing(h, req->ident, msg);
    if (scope) {
        cJSON_Delete(msg);
        return reply_auth(h, c, MCP__CHALLENGE_SCOPE, scope, NULL);
    }
    if (is_modern(c, msg))
        return post_modern(h, c, msg, req->ident);

    const char *hv = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "MCP-Protocol-Version");
    if (hv && !mcp__rev_find(hv))
        return refuse(c, MHD_HTTP_BAD_REQUEST, msg, MCP__RPC_INVALID_REQUEST,
                      "Bad Request: unsupported MCP-Protocol-Version");
    const char *sid = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Mcp-Session-Id");
    struct mcp__session *session = NULL;
    if (sid) {
        session = mcp__session_find(&h->sessions, sid, principal_of(req));
        if (!session)
            return refuse(c, MHD_HTTP_NOT_FOUND, msg, MCP__RPC_INVALID_REQUEST,
                          "Session not found: start a new one with initialize");
    } else {
        const char *method = mcp__json_str(msg, "method");
        if (!method || strcmp(method, "initialize") != 0)
            return refuse(c, MHD_HTTP_BAD_REQUEST, msg, MCP__RPC_INVALID_REQUEST,
                          "Bad Request: Mcp-Session-Id header required (send initialize "
                          "first)");
        if (mcp__session_create(&h->sessions, h->srv, principal_of(req), &session))
            return refuse(c, MHD_HTTP_SERVICE_UNAVAILABLE, msg, MCP__RPC_INTERNAL_ERROR,
                          "Too many sessions: try again later");
    }
    enum MHD_Result ret = post_legacy(h, c, msg, session, req->ident);
    mcp__session_unref(&h->sessions, session);
    return ret;
}

/* GET: the session's standalone stream, or a resumed request stream (Last-Event-ID). */
static enum MHD_Result get(struct http *h, struct MHD_Connection *c, const struct request *req)
{
    const char *sid = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Mcp-Session-Id");
    if (!sid)
        return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, MCP__RPC_INVALID_REQUEST,
                           "Method Not Allowed: GET needs a legacy session");
    const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
    if (!accept || !strstr(accept, "text/event-stream"))
        return reply_error(c, MHD_HTTP_NOT_ACCEPTABLE, NULL, MCP__RPC_INVALID_REQUEST,
                           "Not Acceptable: GET serves text/event-stream");
    struct mcp__session *session = mcp__session_find(&h->sessions, sid, principal_of(req));
    if (!session)
        return reply_error(c, MHD_HTTP_NOT_FOUND, NULL, MCP__RPC_INVALID_REQUEST,
                           "Session not found");
    enum MHD_Result ret;
    const char *last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
    unsigned stream_id = 0, seq = 0;
    struct mcp__stream *s = NULL;
    if (last && sscanf(last, "%u-%u", &stream_id, &seq) == 2)
        s = mcp__session_find_stream(&h->sessions, session, stream_id);
    if (s) {
        struct MHD_Response *r = mcp__stream_sse_response(s, seq, false);
        ret = r ? MHD_queue_response(c, MHD_HTTP_OK, r) : MHD_NO;
        if (r)
            MHD_destroy_response(r);
        mcp__stream_unref(s);
    } else {
        struct mcp__peer *peer = session->peer;
        pthread_mutex_lock(&peer->lock);
        bool busy = peer->notify != NULL;
        if (!busy && (s = mcp__stream_new(0)) != NULL) {
            peer->notify = &s->sink;
            session->listening = s; /* the session's reference */
        }
        pthread_mutex_unlock(&peer->lock);
        if (busy) {
            ret = reply_error(c, MHD_HTTP_CONFLICT, NULL, MCP__RPC_INVALID_REQUEST,
                              "Conflict: this session already has a GET stream");
        } else {
            struct MHD_Response *r = s ? mcp__stream_sse_response(s, 0, false) : NULL;
            ret = r ? MHD_queue_response(c, MHD_HTTP_OK, r) : MHD_NO;
            if (r)
                MHD_destroy_response(r);
        }
    }
    mcp__session_unref(&h->sessions, session);
    return ret;
}

static enum MHD_Result delete (struct http *h, struct MHD_Connection *c,
                               const struct request *req) {
    const char *sid = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Mcp-Session-Id");
    if (!sid) return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, MCP__RPC_INVALID_REQUEST,
                                 "Method Not Allowed: DELETE needs a legacy session");
    struct mcp__session *session = mcp__session_find(&h->sessions, sid, principal_of(req));
    if (!session) return reply_error(c, MHD_HTTP_NOT_FOUND, NULL, MCP__RPC_INVALID_REQUEST,
                                     "Session not found");
    mcp__session_end(&h->sessions, session);
    mcp__session_unref(&h->sessions, session);
    return reply(c, MHD_HTTP_OK, NULL, NULL, NULL);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)version;
    struct http *h = cls;
    struct request *req = *con_cls;
    if (!req) {
        if (!(req = mcp__calloc(1, sizeof(*req))))
            return MHD_NO;
        mcp__buf_init(&req->body, h->opt.max_body);
        *con_cls = req;
        /* Decided now, so a body without a good token is read but never kept. */
        if (h->auth && strcmp(url, h->opt.endpoint) == 0)
            req->auth_rc = mcp__auth_check(
                h->auth, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"),
                time(NULL), &req->ident, &req->auth_why);
        return MHD_YES;
    }
    if (*upload_size) {
        if (!req->too_big && !req->auth_rc && mcp__buf_add(&req->body, upload, *upload_size))
            req->too_big = true; /* keep reading, then answer 413 */
        *upload_size = 0;
        return MHD_YES;
    }
    if (!host_allowed(h, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host")) ||
        !origin_allowed(h, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin")))
        return reply_error(c, MHD_HTTP_FORBIDDEN, NULL, MCP__RPC_INVALID_REQUEST,
                           "Forbidden: Host or Origin not allowed");
    if (h->auth && mcp__auth_is_metadata_path(h->auth, url))
        return metadata(h, c, method);
    if (strcmp(url, h->opt.endpoint) != 0)
        return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", "Not Found\n", NULL);
    enum MHD_Result denied;
    if (!authorized(h, c, req, &denied))
        return denied;
    if (strcmp(method, "POST") == 0)
        return post(h, c, req);
    if (strcmp(method, "GET") == 0)
        return get(h, c, req);
    if (strcmp(method, "DELETE") == 0)
        return delete (h, c, req);
    return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, MCP__RPC_INVALID_REQUEST,
                       "Method Not Allowed");
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode why)
{
    (void)cls;
    (void)c;
    (void)why;
    struct request *req = *con_cls;
    if (req) {
        mcp__buf_release(&req->body);
        mcp__identity_unref(req->ident);
        mcp__free(req);
    }
    *con_cls = NULL;
}

/* --- Serving. */

static const char *const default_hosts[] = {"localhost", "127.0.0.1", "[::1]"};

void mcp_http_options_init(struct mcp_http_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    opt->host = "127.0.0.1";
    opt->port = 8080;
    opt->endpoint = "/mcp";
    opt->allowed_hosts = default_hosts;
    opt->nallowed_hosts = sizeof default_hosts / sizeof *default_hosts;
    opt->max_body = 4u << 20;
    opt->max_sessions = 1000;
    opt->session_ttl_seconds = 600;
    opt->max_connections = 512;
    opt->connection_timeout_seconds = 300;
}

int mcp_server_serve_http(struct mcp_server *srv, const struct mcp_http_options *opt)
{
    if (mcp__mhd_load())
        return MCP_ENOTSUP;
    struct http h = {.srv = srv, .opt = *opt};
    struct sockaddr_in addr4 = {.sin_family = AF_INET, .sin_port = htons(opt->port)};
    struct sockaddr_in6 addr6 = {.sin6_family = AF_INET6, .sin6_port = htons(opt->port)};
    const struct sockaddr *addr;
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
    if (inet_pton(AF_INET, opt->host, &addr4.sin_addr) == 1) {
        addr = (const struct sockaddr *)&addr4;
    } else if (inet_pton(AF_INET6, opt->host, &addr6.sin6_addr) == 1) {
        addr = (const struct sockaddr *)&addr6;
        flags |= MHD_USE_IPv6;
    } else {
        fprintf(stderr, "%s: --http needs a numeric address, not '%s'\n", srv->name, opt->host);
        return MCP_EINVAL;
    }
    /* Tokens are checked against what the tables hold now: load after the tools are added. */
    int rc = mcp__auth_new(opt, srv, &h.auth);
    if (rc)
        return rc;
    int pipefd[2];
    if (pipe(pipefd)) {
        mcp__auth_free(h.auth);
        return MCP_EIO;
    }
    signal(SIGPIPE, SIG_IGN);
    mcp__server_freeze(srv);
    h.pool = mcp__pool_new(256);
    mcp__sessions_init(&h.sessions, opt->max_sessions, opt->session_ttl_seconds);
    /* Per connection, libmicrohttpd's memory holds the request's headers, its read buffer
     * and a 16 KiB SSE block (bodies are ours to keep); it clears it around each request,
     * so a larger limit costs time and resident memory for nothing. Connection threads keep
     * the default stack size: handlers run on them (dispatch), and get what a pool worker
     * has. */
    struct MHD_Daemon *d =
        h.pool ? MHD_start_daemon(
                     flags, opt->port, NULL, NULL, handle, &h, MHD_OPTION_SOCK_ADDR, addr,
                     MHD_OPTION_NOTIFY_COMPLETED, completed, &h, MHD_OPTION_CONNECTION_LIMIT,
                     (unsigned)opt->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
                     (unsigned)opt->connection_timeout_seconds, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                     (size_t)(32 * 1024), MHD_OPTION_END)
               : NULL;
    if (!d) {
        fprintf(stderr, "%s: cannot listen on %s:%u\n", srv->name, opt->host, opt->port);
        rc = MCP_EIO;
    } else {
        fprintf(stderr, "%s: serving MCP at http://%s%s%s:%u%s\n", srv->name,
                addr == (const struct sockaddr *)&addr6 ? "[" : "", opt->host,
                addr == (const struct sockaddr *)&addr6 ? "]" : "", opt->port, opt->endpoint);
        if (h.auth)
            fprintf(stderr,
                    "%s: bearer token required; metadata at /.well-known/"
                    "oauth-protected-resource%s\n",
                    srv->name, opt->endpoint);
        atomic_store(&srv->stop_fd, pipefd[1]);
        char b;
        while (!atomic_load(&srv->stopping) && read(pipefd[0], &b, 1) < 0)
            ;
        atomic_store(&srv->stop_fd, -1);
        /* Cancel what runs, so open streams end, then stop accepting and drain. */
        pthread_mutex_lock(&srv->peers_lock);
        for (struct mcp__peer *p = srv->peers; p; p = p->next)
            mcp__peer_cancel_all(p);
        pthread_mutex_unlock(&srv->peers_lock);
        mcp__sessions_release(&h.sessions);
        MHD_stop_daemon(d);
    }
    mcp__pool_free(h.pool);
    if (!d)
        mcp__sessions_release(&h.sessions);
    mcp__auth_free(h.auth); /* after the daemon and the pool: no request holds it now */
    close(pipefd[0]);
    close(pipefd[1]);
    return rc;
}

int mcp__serve_http_address(struct mcp_server *srv, const char *host_port,
                            const struct mcp_http_options *base)
{
    struct mcp_http_options opt;
    if (base)
        opt = *base;
    else
        mcp_http_options_init(&opt);
    char host[128];
    const char *colon = strrchr(host_port, ':');
    unsigned long port = colon ? strtoul(colon + 1, NULL, 10) : 0;
    size_t n = colon ? (size_t)(colon - host_port) : 0;
    if (!colon || port == 0 || port > 65535 || n == 0 || n >= sizeof host) {
        fprintf(stderr, "%s: --http wants HOST:PORT, e.g. 127.0.0.1:8080\n", srv->name);
        return MCP_EINVAL;
    }
    if (host_port[0] == '[' && n >= 2 && host_port[n - 1] == ']') {
        memcpy(host, host_port + 1, n - 2);
        host[n - 2] = '\0';
    } else {
        memcpy(host, host_port, n);
        host[n] = '\0';
    }
    opt.host = host;
    opt.port = (unsigned short)port;
    return mcp_server_serve_http(srv, &opt);
}
