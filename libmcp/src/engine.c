/* JSON-RPC framing, era selection and dispatch, and the lifecycle methods. */
#include "engine_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc_int.h"
#include "call_int.h"
#include "json_int.h"
#include "request_int.h"
#include "tasks_int.h"

#include "banned.h"

/* Deeper JSON than this is refused before parsing: no MCP message needs it, and every
 * recursive walk over a message stays bounded. */
#define MAX_DEPTH 128

#define META_VERSION "io.modelcontextprotocol/protocolVersion"
#define META_CAPS "io.modelcontextprotocol/clientCapabilities"
#define META_LOG_LEVEL "io.modelcontextprotocol/logLevel"
#define META_SERVER_INFO "io.modelcontextprotocol/serverInfo"

static const char *const level_names[] = {
    "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency",
};

static int level_from_name(const char *name)
{
    for (int i = 0; name && i < (int)(sizeof level_names / sizeof *level_names); i++)
        if (strcmp(level_names[i], name) == 0)
            return i;
    return -1;
}

/* --- Building messages. */

char *mcp__engine_error(const cJSON *id, int code, const char *message, const cJSON *data)
{
    cJSON *msg = cJSON_CreateObject();
    cJSON *err = msg ? cJSON_CreateObject() : NULL;
    char *text = NULL;
    if (!err || !cJSON_AddStringToObject(msg, "jsonrpc", "2.0") ||
        !mcp__json_add_take(msg, "id", id ? cJSON_Duplicate(id, true) : cJSON_CreateNull()) ||
        !cJSON_AddNumberToObject(err, "code", code) ||
        !cJSON_AddStringToObject(err, "message", message) ||
        (data && !mcp__json_add_copy(err, "data", data))) {
        cJSON_Delete(err);
        goto done;
    }
    if (mcp__json_add_take(msg, "error", err))
        text = mcp__json_print(msg);
done:
    cJSON_Delete(msg);
    return text;
}

cJSON *mcp__engine_message(const cJSON *id, const char *method, cJSON *params)
{
    cJSON *msg = cJSON_CreateObject();
    if (!msg || (params && !cJSON_AddItemToObject(msg, "params", params))) {
        cJSON_Delete(params);
        cJSON_Delete(msg);
        return NULL;
    }
    if (!cJSON_AddStringToObject(msg, "jsonrpc", "2.0") ||
        (id && !mcp__json_add_copy(msg, "id", id)) ||
        !cJSON_AddStringToObject(msg, "method", method)) {
        cJSON_Delete(msg);
        return NULL;
    }
    return msg;
}

int mcp__sink_send_json(struct mcp__sink *sink, cJSON *msg)
{
    char *text = msg ? mcp__json_print(msg) : NULL;
    cJSON_Delete(msg);
    if (!text)
        return MCP_ENOMEM;
    int rc = sink->send(sink, text, strlen(text), false, 0);
    mcp__free(text);
    return rc;
}

int mcp__request_fail(struct mcp__request *req, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(req->error_message, sizeof req->error_message, fmt, ap);
    va_end(ap);
    req->error_code = code;
    cJSON_Delete(req->result);
    req->result = NULL;
    return code;
}

int mcp__request_cacheable(struct mcp__request *req, cJSON *result, long ttl_ms)
{
    if (!req->modern)
        return 0;
    /* Results that depend on who asks, or on what the client declared, must not be kept by
     * shared caches. */
    bool private = req->per_client || (req->call.origin && req->call.origin->principal);
    const char *scope = private ? "private" : "public";
    if (!cJSON_AddNumberToObject(result, "ttlMs", (double)ttl_ms) ||
        !cJSON_AddStringToObject(result, "cacheScope", scope))
        return MCP_ENOMEM;
    return 0;
}

static cJSON *implementation(const struct mcp_server *srv, const struct mcp__rev *rev)
{
    cJSON *info = cJSON_CreateObject();
    if (!info || !cJSON_AddStringToObject(info, "name", srv->name) ||
        !cJSON_AddStringToObject(info, "version", srv->version) ||
        (srv->title && mcp__rev_has(rev, MCP__F_STRUCTURED) &&
         !cJSON_AddStringToObject(info, "title", srv->title)) ||
        (srv->website_url && mcp__rev_has(rev, MCP__F_ICONS) &&
         !cJSON_AddStringToObject(info, "websiteUrl", srv->website_url))) {
        cJSON_Delete(info);
        return NULL;
    }
    return info;
}

cJSON *mcp__server_capabilities(const struct mcp_server *srv, const struct mcp__rev *rev)
{
    cJSON *caps = cJSON_CreateObject();
    cJSON *c;
    if (!caps)
        return NULL;
    bool ok = mcp__json_add_obj(caps, "logging") != NULL;
    if (ok && srv->complete && mcp__rev_has(rev, MCP__F_TOOL_ANNOTATIONS))
        ok = mcp__json_add_obj(caps, "completions") != NULL;
    if (ok && srv->prompts.len)
        ok = (c = mcp__json_add_obj(caps, "prompts")) && cJSON_AddTrueToObject(c, "listChanged");
    if (ok && (srv->resources.len || srv->templates.len))
        ok = (c = mcp__json_add_obj(caps, "resources")) && cJSON_AddTrueToObject(c, "subscribe") &&
             cJSON_AddTrueToObject(c, "listChanged");
    if (ok && srv->tools.len)
        ok = (c = mcp__json_add_obj(caps, "tools")) && cJSON_AddTrueToObject(c, "listChanged");
    /* Extensions exist only in the stateless revision; tasks when a tool can become one. */
    if (ok && srv->task_tools && mcp__rev_has(rev, MCP__F_MODERN))
        ok = (c = mcp__json_add_obj(caps, "extensions")) && mcp__json_add_obj(c, MCP__TASKS_EXT);
    if (!ok) {
        cJSON_Delete(caps);
        return NULL;
    }
    return caps;
}

/* --- Parsing and classifying. */

/* Opening brackets in JSON text, strings included, counted past `limit` at most: a bound on
 * the nesting depth that memchr finds faster than nesting_depth walks. */
static int openers(const char *s, size_t len, int limit)
{
    int n = 0;
    for (const char *c = "{["; *c && n <= limit; c++)
        for (const char *p = s, *end = s + len;
             n <= limit && (p = memchr(p, *c, (size_t)(end - p))); p++)
            n++;
    return n;
}

/* Nesting depth of JSON text, counting brackets outside strings; stops past `limit`. */
static int nesting_depth(const char *s, size_t len, int limit)
{
    int depth = 0, max = 0;
    bool in_string = false;
    for (size_t i = 0; i < len && max <= limit; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max)
                max = depth;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return max;
}

cJSON *mcp__engine_parse_text(const struct mcp_server *srv, const char *text, size_t len, int *code,
                              char *why, size_t whylen, cJSON **id)
{
    *code = MCP__RPC_PARSE_ERROR;
    *id = NULL;
    if (len > srv->max_message) {
        *code = MCP__RPC_INVALID_REQUEST;
        snprintf(why, whylen, "Invalid Request: message larger than %zu bytes", srv->max_message);
        return NULL;
    }
    if (!mcp__utf8_valid(text, len)) {
        snprintf(why, whylen, "Parse error: invalid UTF-8");
        return NULL;
    }
    if (openers(text, len, MAX_DEPTH) > MAX_DEPTH &&
        nesting_depth(text, len, MAX_DEPTH) > MAX_DEPTH) {
        snprintf(why, whylen, "Parse error: JSON nested deeper than %d levels", MAX_DEPTH);
        return NULL;
    }
    cJSON *v = mcp__json_parse(text, len);
    if (!v && mcp__json_bad_escapes(text, len)) {
        /* Valid JSON we cannot represent: answer the request by its id, or the client waits. */
        *code = MCP__RPC_INVALID_REQUEST;
        *id = mcp__json_recover_id(text, len);
        snprintf(why, whylen,
                 "Invalid Request: strings must not hold \\u0000 or unpaired surrogates");
    } else if (!v) {
        snprintf(why, whylen, "Parse error: malformed JSON");
    }
    return v;
}

enum mcp__msg_kind mcp__engine_parse(struct mcp__peer *peer, const char *text, size_t len,
                                     cJSON **msg, char **reply)
{
    *msg = NULL;
    *reply = NULL;
    char why[128];
    int code;
    cJSON *id;
    cJSON *v = mcp__engine_parse_text(peer->srv, text, len, &code, why, sizeof why, &id);
    if (!v) {
        *reply = mcp__engine_error(id, code, why, NULL);
        cJSON_Delete(id);
        return MCP__MSG_INVALID;
    }
    enum mcp__msg_kind kind = mcp__engine_classify(peer, v, reply);
    if (kind == MCP__MSG_REQUEST) {
        int rc = mcp__peer_reserve(peer, mcp__json_get(v, "id"));
        if (rc) {
            kind = MCP__MSG_INVALID;
            *reply = mcp__engine_error(mcp__json_get(v, "id"),
                                       rc == MCP_EEXIST ? MCP__RPC_INVALID_REQUEST
                                                        : MCP__RPC_INTERNAL_ERROR,
                                       rc == MCP_EEXIST ? "Invalid Request: a request with "
                                                          "this id is already in flight"
                                                        : "Internal error: out of memory",
                                       NULL);
        }
    }
    if (kind == MCP__MSG_INVALID)
        cJSON_Delete(v);
    else
        *msg = v;
    return kind;
}

static bool valid_id(const cJSON *id)
{
    return cJSON_IsString(id) || cJSON_IsNumber(id);
}

enum mcp__msg_kind mcp__engine_classify(struct mcp__peer *peer, const cJSON *msg, char **reply)
{
    *reply = NULL;
    if (cJSON_IsArray(msg)) {
        pthread_mutex_lock(&peer->lock);
        const struct mcp__rev *rev = peer->rev;
        pthread_mutex_unlock(&peer->lock);
        if (!cJSON_GetArraySize(msg)) {
            *reply = mcp__engine_error(NULL, MCP__RPC_INVALID_REQUEST,
                                       "Invalid Request: empty batch", NULL);
            return MCP__MSG_INVALID;
        }
        if (!mcp__rev_has(rev, MCP__F_BATCH)) {
            char why[160];
            snprintf(why, sizeof why,
                     "Invalid Request: JSON-RPC batches are not part of protocol revision %s",
                     rev ? rev->version : "in use before initialize");
            *reply = mcp__engine_error(NULL, MCP__RPC_INVALID_REQUEST, why, NULL);
            return MCP__MSG_INVALID;
        }
        return MCP__MSG_BATCH;
    }
    /* The envelope in one pass over the members (the first of a repeated name counts, as
     * in mcp__json_get): every message is classified. */
    const cJSON *id = NULL, *method = NULL, *params = NULL, *jsonrpc = NULL;
    for (const cJSON *m = cJSON_IsObject(msg) ? msg->child : NULL; m; m = m->next) {
        const char *name = m->string ? m->string : "";
        const cJSON **slot = NULL;
        switch (name[0]) {
        case 'i':
            slot = strcmp(name, "id") == 0 ? &id : NULL;
            break;
        case 'm':
            slot = strcmp(name, "method") == 0 ? &method : NULL;
            break;
        case 'p':
            slot = strcmp(name, "params") == 0 ? &params : NULL;
            break;
        case 'j':
            slot = strcmp(name, "jsonrpc") == 0 ? &jsonrpc : NULL;
            break;
        }
        if (slot && !*slot)
            *slot = m;
    }
    const cJSON *reply_id = valid_id(id) ? id : NULL;
    const char *why = NULL;
    if (!cJSON_IsObject(msg))
        why = "Invalid Request: a message must be a JSON object";
    else if (!cJSON_IsString(jsonrpc) || strcmp(jsonrpc->valuestring, "2.0") != 0)
        why = "Invalid Request: \"jsonrpc\" must be \"2.0\"";
    else if (id && !valid_id(id))
        why = cJSON_IsNull(id) ? "Invalid Request: \"id\" must not be null"
                               : "Invalid Request: \"id\" must be a string or a number";
    else if (method && !cJSON_IsString(method))
        why = "Invalid Request: \"method\" must be a string";
    else if (method && params && !cJSON_IsObject(params))
        why = "Invalid Request: \"params\" must be an object";
    if (why) {
        /* A response is owed only for what looks like a request. */
        if (!method && !id && cJSON_IsObject(msg) && !mcp__json_get(msg, "result") &&
            !mcp__json_get(msg, "error"))
            return MCP__MSG_INVALID;
        *reply = mcp__engine_error(reply_id, MCP__RPC_INVALID_REQUEST, why, NULL);
        return MCP__MSG_INVALID;
    }
    if (method)
        return id ? MCP__MSG_REQUEST : MCP__MSG_NOTIFICATION;
    if (id && (mcp__json_get(msg, "result") || mcp__json_get(msg, "error")))
        return MCP__MSG_RESPONSE;
    *reply = mcp__engine_error(reply_id, MCP__RPC_INVALID_REQUEST,
                               "Invalid Request: neither a request nor a response", NULL);
    return MCP__MSG_INVALID;
}

/* --- Notifications from the client. */

static void cancel_request(struct mcp__peer *peer, const cJSON *id)
{
    if (!valid_id(id))
        return;
    pthread_mutex_lock(&peer->lock);
    for (struct mcp__inflight *s = peer->inflight; s; s = s->next) {
        if (cJSON_IsString(s->id) == cJSON_IsString(id) && mcp__json_equal(s->id, id))
            atomic_store(&s->cancelled, true);
    }
    pthread_cond_broadcast(&peer->cond);
    pthread_mutex_unlock(&peer->lock);
}

void mcp__engine_notification(struct mcp__peer *peer, const cJSON *msg)
{
    const char *method = mcp__json_str(msg, "method");
    const cJSON *params = mcp__json_obj(msg, "params");
    if (strcmp(method, "notifications/cancelled") == 0)
        cancel_request(peer, mcp__json_get(params, "requestId"));
    /* notifications/initialized, roots/list_changed and unknown ones need nothing from us. */
}

/* --- Lifecycle methods. */

static int method_initialize(struct mcp__request *req)
{
    const char *asked = mcp__json_str(req->params, "protocolVersion");
    if (!asked)
        return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS,
                                 "Invalid params: \"protocolVersion\" must be a string");
    const struct mcp__rev *rev = mcp__rev_find(asked);
    if (!rev || mcp__rev_has(rev, MCP__F_MODERN))
        rev = mcp__rev_latest_legacy(); /* offer ours; the client decides whether to go on */

    cJSON *caps = cJSON_Duplicate(mcp__json_obj(req->params, "capabilities"), true);
    cJSON *info = cJSON_Duplicate(mcp__json_obj(req->params, "clientInfo"), true);
    if (!caps)
        caps = cJSON_CreateObject();
    pthread_mutex_lock(&req->peer->lock);
    bool again = req->peer->rev != NULL;
    if (!again && caps) {
        req->peer->rev = rev;
        req->peer->client_caps = caps;
        req->peer->client_info = info;
        caps = info = NULL;
    }
    pthread_mutex_unlock(&req->peer->lock);
    cJSON_Delete(caps);
    cJSON_Delete(info);
    if (again)
        return mcp__request_fail(req, MCP__RPC_INVALID_REQUEST,
                                 "Invalid Request: this session is already initialized");

    struct mcp_server *srv = req->srv;
    cJSON *r = cJSON_CreateObject();
    if (!r || !cJSON_AddStringToObject(r, "protocolVersion", rev->version) ||
        !mcp__json_add_take(r, "capabilities", mcp__server_capabilities(srv, rev)) ||
        !mcp__json_add_take(r, "serverInfo", implementation(srv, rev)) ||
        (srv->instructions && !cJSON_AddStringToObject(r, "instructions", srv->instructions))) {
        cJSON_Delete(r);
        return MCP_ENOMEM;
    }
    req->result = r;
    return 0;
}

static int method_ping(struct mcp__request *req)
{
    req->result = cJSON_CreateObject();
    return req->result ? 0 : MCP_ENOMEM;
}

static int method_discover(struct mcp__request *req)
{
    cJSON *r = cJSON_CreateObject();
    cJSON *versions = r ? cJSON_AddArrayToObject(r, "supportedVersions") : NULL;
    bool ok = versions != NULL;
    for (const struct mcp__rev *v = mcp__rev_all(); ok && v->version; v++)
        ok = mcp__json_add_take(versions, NULL, cJSON_CreateString(v->version));
    if (!ok ||
        !mcp__json_add_take(r, "capabilities", mcp__server_capabilities(req->srv, req->rev)) ||
        (req->srv->instructions &&
         !cJSON_AddStringToObject(r, "instructions", req->srv->instructions)) ||
        mcp__request_cacheable(req, r, 3600 * 1000L)) {
        cJSON_Delete(r);
        return MCP_ENOMEM;
    }
    req->result = r;
    return 0;
}

static int method_set_level(struct mcp__request *req)
{
    int level = level_from_name(mcp__json_str(req->params, "level"));
    if (level < 0)
        return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS,
                                 "Invalid params: \"level\" must be one of debug, info, notice, "
                                 "warning, error, critical, alert, emergency");
    pthread_mutex_lock(&req->peer->lock);
    req->peer->log_level = level;
    pthread_mutex_unlock(&req->peer->lock);
    return method_ping(req);
}

static int method_subscribe(struct mcp__request *req, bool on)
{
    const char *uri = mcp__json_str(req->params, "uri");
    if (!uri)
        return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS,
                                 "Invalid params: \"uri\" must be a string");
    struct mcp__peer *peer = req->peer;
    int rc = 0;
    pthread_mutex_lock(&peer->lock);
    if (!peer->subscriptions && !(peer->subscriptions = cJSON_CreateArray()))
        rc = MCP_ENOMEM;
    int found = -1, i = 0;
    const cJSON *s;
    cJSON_ArrayForEach (s, peer->subscriptions) {
        if (strcmp(s->valuestring, uri) == 0)
            found = i;
        i++;
    }
    if (!rc && on && found < 0 &&
        !mcp__json_add_take(peer->subscriptions, NULL, cJSON_CreateString(uri)))
        rc = MCP_ENOMEM;
    if (!rc && !on && found >= 0)
        cJSON_DeleteItemFromArray(peer->subscriptions, found);
    pthread_mutex_unlock(&peer->lock);
    return rc ? rc : method_ping(req);
}

static int method_resources_subscribe(struct mcp__request *req)
{
    return method_subscribe(req, true);
}

static int method_resources_unsubscribe(struct mcp__request *req)
{
    return method_subscribe(req, false);
}

/* --- Dispatch. */

enum {
    LEGACY = 1u << 0,     /* exists in the initialize-based revisions */
    MODERN = 1u << 1,     /* exists in the stateless revision */
    NO_SESSION = 1u << 2, /* may come before initialize */
    STREAMS = 1u << 3,    /* sends messages for as long as it runs */
};

static const struct method {
    const char *name;
    int (*fn)(struct mcp__request *req);
    unsigned flags;
} methods[] = {
    {"initialize", method_initialize, LEGACY | NO_SESSION},
    {"ping", method_ping, LEGACY | NO_SESSION},
    {"server/discover", method_discover, MODERN | NO_SESSION},
    {"tools/list", mcp__method_tools_list, LEGACY | MODERN},
    {"tools/call", mcp__method_tools_call, LEGACY | MODERN},
    {"resources/list", mcp__method_resources_list, LEGACY | MODERN},
    {"resources/templates/list", mcp__method_templates_list, LEGACY | MODERN},
    {"resources/read", mcp__method_resources_read, LEGACY | MODERN},
    {"resources/subscribe", method_resources_subscribe, LEGACY},
    {"resources/unsubscribe", method_resources_unsubscribe, LEGACY},
    {"prompts/list", mcp__method_prompts_list, LEGACY | MODERN},
    {"prompts/get", mcp__method_prompts_get, LEGACY | MODERN},
    {"completion/complete", mcp__method_complete, LEGACY | MODERN},
    {"logging/setLevel", method_set_level, LEGACY},
    {"subscriptions/listen", mcp__method_listen, MODERN | STREAMS},
    {"tasks/get", mcp__method_tasks_get, MODERN},
    {"tasks/update", mcp__method_tasks_update, MODERN},
    {"tasks/cancel", mcp__method_tasks_cancel, MODERN},
};

static const struct method *find_method(const char *name)
{
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
        if (strcmp(methods[i].name, name) == 0)
            return &methods[i];
    return NULL;
}

bool mcp__engine_may_stream(const cJSON *msg)
{
    const char *name = mcp__json_str(msg, "method");
    const struct method *m = name ? find_method(name) : NULL;
    const cJSON *meta = mcp__json_obj(mcp__json_obj(msg, "params"), "_meta");
    return (m && (m->flags & STREAMS)) || mcp__json_get(meta, "progressToken") ||
           mcp__json_get(meta, META_LOG_LEVEL) ||
           mcp__caps_have_tasks(mcp__json_obj(meta, META_CAPS));
}

/* Supported versions as the data of an UnsupportedProtocolVersion error. */
static cJSON *unsupported_data(const char *requested)
{
    cJSON *data = cJSON_CreateObject();
    cJSON *list = data ? cJSON_AddArrayToObject(data, "supported") : NULL;
    bool ok = list != NULL;
    for (const struct mcp__rev *v = mcp__rev_all(); ok && v->version; v++)
        ok = mcp__json_add_take(list, NULL, cJSON_CreateString(v->version));
    if (!ok || (requested && !cJSON_AddStringToObject(data, "requested", requested))) {
        cJSON_Delete(data);
        return NULL;
    }
    return data;
}

/* Chooses the era and revision of a request, or records why it cannot be served. */
const char *mcp__engine_meta_problem(const cJSON *params)
{
    const cJSON *meta = mcp__json_obj(params, "_meta");
    if (!meta)
        return "Invalid params: a 2026-07-28 request carries params._meta";
    if (!cJSON_IsString(mcp__json_get(meta, META_VERSION)))
        return "Invalid params: _meta lacks \"" META_VERSION "\"";
    if (!cJSON_IsObject(mcp__json_get(meta, META_CAPS)))
        return "Invalid params: _meta lacks \"" META_CAPS "\" (an object)";
    return NULL;
}

static int select_revision(struct mcp__request *req, const struct method *m)
{
    const cJSON *meta = mcp__json_obj(req->params, "_meta");
    const cJSON *asked = mcp__json_get(meta, META_VERSION);
    pthread_mutex_lock(&req->peer->lock);
    const struct mcp__rev *session = req->peer->rev;
    pthread_mutex_unlock(&req->peer->lock);

    const char *problem;
    if (asked) {
        const struct mcp__rev *rev =
            cJSON_IsString(asked) ? mcp__rev_find(asked->valuestring) : NULL;
        if (rev && mcp__rev_has(rev, MCP__F_MODERN)) {
            if ((problem = mcp__engine_meta_problem(req->params)))
                return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS, "%s", problem);
            req->rev = rev;
            req->modern = true;
            return 0;
        }
        if (!rev || !session) {
            req->error_data = unsupported_data(cJSON_IsString(asked) ? asked->valuestring : NULL);
            return mcp__request_fail(req, MCP__RPC_UNSUPPORTED_VERSION,
                                     "Unsupported protocol version");
        }
    }
    if (session) {
        req->rev = session;
        return 0;
    }
    /* A method only the stateless revision has cannot do without its _meta. */
    if (m && (m->flags & (MODERN | LEGACY)) == MODERN &&
        (problem = mcp__engine_meta_problem(req->params)))
        return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS, "%s", problem);
    if (m && m->flags & NO_SESSION) {
        req->rev = m->flags & MODERN ? mcp__rev_latest() : NULL;
        req->modern = m->flags & MODERN && !(m->flags & LEGACY);
        return 0;
    }
    return mcp__request_fail(req, MCP__RPC_INVALID_REQUEST,
                             "Invalid Request: send initialize first, or use protocol revision "
                             "2026-07-28 with _meta \"%s\" on every request",
                             META_VERSION);
}

/* Adds what every result carries in the stateless revision. */
static int finish_modern_result(struct mcp__request *req)
{
    cJSON *r = req->result;
    if (!mcp__json_get(r, "resultType") && !cJSON_AddStringToObject(r, "resultType", "complete"))
        return MCP_ENOMEM;
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(r, "_meta");
    if (meta && !cJSON_IsObject(meta))
        return MCP_EINVAL;
    if (!meta && !(meta = mcp__json_add_obj(r, "_meta")))
        return MCP_ENOMEM;
    if (!mcp__json_get(meta, META_SERVER_INFO) &&
        !mcp__json_add_take(meta, META_SERVER_INFO, implementation(req->srv, req->rev)))
        return MCP_ENOMEM;
    return 0;
}

/* The error code of the response response_text makes, 0 for a result. */
static int response_error(const struct mcp__request *req)
{
    if (req->error_code)
        return req->error_code;
    return req->result ? 0 : MCP__RPC_INTERNAL_ERROR;
}

static char *response_text(struct mcp__request *req)
{
    if (req->error_code || !req->result)
        return mcp__engine_error(
            req->id, req->error_code ? req->error_code : MCP__RPC_INTERNAL_ERROR,
            req->error_code ? req->error_message : "Internal error: out of memory",
            req->error_data);
    char *text = mcp__json_print_result(req->id, req->result);
    cJSON_Delete(req->result);
    req->result = NULL;
    return text;
}

int mcp__request_respond(struct mcp__request *req)
{
    if (req->modern && finish_modern_result(req))
        return MCP_ENOMEM;
    struct mcp__sink *sink = req->call.sink;
    int code = response_error(req);
    char *text = response_text(req);
    if (!text)
        return MCP_ENOMEM;
    int rc = sink->send(sink, text, strlen(text), true, code);
    mcp__free(text);
    req->answered = true;
    return rc;
}

/* Serves one request into `req`: the outcome is left in req for the caller to send. */
static void serve(struct mcp__request *req, const struct mcp__origin *origin,
                  struct mcp__sink *sink, struct mcp__inflight *slot)
{
    const struct method *m = find_method(req->method);
    if (select_revision(req, m))
        return;
    if (!m || !(m->flags & (req->modern ? MODERN : LEGACY))) {
        mcp__request_fail(req, MCP__RPC_METHOD_NOT_FOUND, "Method not found: %s%s", req->method,
                          m ? (req->modern ? " (not part of protocol revision 2026-07-28)"
                                           : " (needs protocol revision 2026-07-28)")
                            : "");
        return;
    }
    if (mcp__call_init(&req->call, MCP__CALL_OTHER, req->peer, sink, origin, req->rev, req->msg)) {
        mcp__call_release(&req->call);
        mcp__request_fail(req, MCP__RPC_INTERNAL_ERROR, "Internal error: out of memory");
        return;
    }
    const cJSON *meta = req->call.meta;
    if (req->modern) {
        req->call.client_caps = mcp__json_obj(meta, META_CAPS);
        req->call.log_level = level_from_name(mcp__json_str(meta, META_LOG_LEVEL));
    } else {
        pthread_mutex_lock(&req->peer->lock);
        req->call.client_caps = req->peer->client_caps;
        req->call.log_level = req->peer->log_level;
        pthread_mutex_unlock(&req->peer->lock);
    }
    req->call.slot = slot;
    req->call.req = req;
    int rc = m->fn(req);
    if (rc && !req->error_code && !req->result)
        mcp__request_fail(req, MCP__RPC_INTERNAL_ERROR, "Internal error: %s", mcp_strerror(rc));
    if (mcp_call_cancelled(&req->call))
        req->silent = true; /* the client no longer wants the answer */
    if (req->result && req->modern && finish_modern_result(req))
        mcp__request_fail(req, MCP__RPC_INTERNAL_ERROR, "Internal error: out of memory");
    mcp__call_release(&req->call);
}

static void request_init(struct mcp__request *req, struct mcp__peer *peer, const cJSON *msg)
{
    static const cJSON empty = {.type = cJSON_Object};
    memset(req, 0, sizeof(*req));
    req->peer = peer;
    req->srv = peer->srv;
    req->msg = msg;
    req->id = mcp__json_get(msg, "id");
    req->method = mcp__json_str(msg, "method");
    req->params = mcp__json_obj(msg, "params");
    if (!req->params)
        req->params = &empty;
}

static void request_release(struct mcp__request *req)
{
    cJSON_Delete(req->result);
    cJSON_Delete(req->error_data);
}

void mcp__engine_request(struct mcp__peer *peer, cJSON *msg, struct mcp__sink *sink,
                         const struct mcp__origin *origin)
{
    struct mcp__request req;
    request_init(&req, peer, msg);
    bool dup = false;
    struct mcp__inflight *slot = mcp__peer_claim(peer, req.id, &dup);
    if (slot)
        serve(&req, origin, sink, slot);
    else if (dup)
        mcp__request_fail(&req, MCP__RPC_INVALID_REQUEST,
                          "Invalid Request: a request with this id is already in flight");
    else
        mcp__request_fail(&req, MCP__RPC_INTERNAL_ERROR, "Internal error: out of memory");
    if (!req.answered) {
        int code = response_error(&req);
        char *text = req.silent ? NULL : response_text(&req);
        sink->send(sink, text, text ? strlen(text) : 0, true, code);
        mcp__free(text);
    }
    mcp__peer_release(peer, slot);
    request_release(&req);
    cJSON_Delete(msg);
}

/* Collects the responses of a batch while passing everything else through. */
struct batch_sink {
    struct mcp__sink sink;
    struct mcp__sink *out;
    cJSON *responses;
};

static int batch_send(struct mcp__sink *sink, const char *json, size_t len, bool final, int error)
{
    struct batch_sink *b = (struct batch_sink *)sink;
    (void)error; /* each response in the array says how it went */
    if (!final)
        return b->out->send(b->out, json, len, false, 0);
    if (!json)
        return 0;
    cJSON *v = mcp__json_parse(json, len);
    return v && mcp__json_add_take(b->responses, NULL, v) ? 0 : MCP_ENOMEM;
}

void mcp__engine_batch(struct mcp__peer *peer, cJSON *batch, struct mcp__sink *sink,
                       const struct mcp__origin *origin)
{
    struct batch_sink b = {.sink.send = batch_send, .out = sink};
    atomic_init(&b.sink.closed, false);
    b.responses = cJSON_CreateArray();
    cJSON *item;
    while (b.responses && (item = cJSON_DetachItemFromArray(batch, 0))) {
        char *reply = NULL;
        atomic_store(&b.sink.closed, atomic_load(&sink->closed));
        switch (mcp__engine_classify(peer, item, &reply)) {
        case MCP__MSG_REQUEST:
            mcp__engine_request(peer, item, &b.sink, origin);
            item = NULL;
            break;
        case MCP__MSG_NOTIFICATION:
            mcp__engine_notification(peer, item);
            break;
        case MCP__MSG_RESPONSE:
            mcp__engine_response(peer, item);
            item = NULL;
            break;
        case MCP__MSG_BATCH: /* a batch inside a batch is not a request */
            reply = mcp__engine_error(NULL, MCP__RPC_INVALID_REQUEST,
                                      "Invalid Request: nested batch", NULL);
            break;
        case MCP__MSG_INVALID:
            break;
        }
        if (reply)
            batch_send(&b.sink, reply, strlen(reply), true, 0);
        mcp__free(reply);
        cJSON_Delete(item);
    }
    char *text = cJSON_GetArraySize(b.responses) ? mcp__json_print(b.responses) : NULL;
    sink->send(sink, text, text ? strlen(text) : 0, true, 0); /* each response says how it went */
    mcp__free(text);
    cJSON_Delete(b.responses);
    cJSON_Delete(batch);
}
