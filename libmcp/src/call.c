#include "call_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc_int.h"
#include "base64_int.h"
#include "buf_int.h"
#include "clock_int.h"
#include "json_int.h"
#include "tasks_int.h"

#include "banned.h"

/* Largest text a printf-style helper builds: past it the text is cut, not refused. */
#define MAX_FORMATTED (1u << 20)

static const char *const level_names[] = {
    "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency",
};

/* --- Content blocks. */

static cJSON *block(const char *type)
{
    cJSON *b = cJSON_CreateObject();
    if (b && !cJSON_AddStringToObject(b, "type", type)) {
        cJSON_Delete(b);
        return NULL;
    }
    return b;
}

static bool add_str(cJSON *obj, const char *key, const char *value)
{
    return !value || cJSON_AddStringToObject(obj, key, value);
}

static bool add_b64(cJSON *obj, const char *key, const void *data, size_t len)
{
    char *b64 = mcp__base64_encode(data, len, false);
    bool ok = b64 && cJSON_AddStringToObject(obj, key, b64);
    mcp__free(b64);
    return ok;
}

cJSON *mcp_content_text(const char *text)
{
    cJSON *b = block("text");
    if (b && !add_str(b, "text", text ? text : "")) {
        cJSON_Delete(b);
        return NULL;
    }
    return b;
}

static cJSON *media(const char *type, const void *data, size_t len, const char *mime_type)
{
    cJSON *b = block(type);
    if (b && (!add_b64(b, "data", data, len) || !add_str(b, "mimeType", mime_type))) {
        cJSON_Delete(b);
        return NULL;
    }
    return b;
}

cJSON *mcp_content_image(const void *data, size_t len, const char *mime_type)
{
    return media("image", data, len, mime_type);
}

cJSON *mcp_content_audio(const void *data, size_t len, const char *mime_type)
{
    return media("audio", data, len, mime_type);
}

/* A ResourceContents object: uri, mimeType and text or blob. */
static cJSON *resource_contents(const char *uri, const char *mime_type, const char *text,
                                const void *data, size_t len)
{
    cJSON *r = cJSON_CreateObject();
    if (!r || !add_str(r, "uri", uri) || !add_str(r, "mimeType", mime_type) ||
        !(text ? add_str(r, "text", text) : add_b64(r, "blob", data, len))) {
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}

static cJSON *embedded(cJSON *contents)
{
    cJSON *b = contents ? block("resource") : NULL;
    if (!b || !mcp__json_add_take(b, "resource", contents)) {
        if (!b)
            cJSON_Delete(contents);
        cJSON_Delete(b);
        return NULL;
    }
    return b;
}

cJSON *mcp_content_resource_text(const char *uri, const char *mime_type, const char *text)
{
    return embedded(resource_contents(uri, mime_type, text ? text : "", NULL, 0));
}

cJSON *mcp_content_resource_blob(const char *uri, const char *mime_type, const void *data,
                                 size_t len)
{
    return embedded(resource_contents(uri, mime_type, NULL, data, len));
}

cJSON *mcp_content_resource_link(const char *uri, const char *name, const char *mime_type)
{
    cJSON *b = block("resource_link");
    if (b && (!add_str(b, "uri", uri) || !add_str(b, "name", name ? name : uri) ||
              !add_str(b, "mimeType", mime_type))) {
        cJSON_Delete(b);
        return NULL;
    }
    return b;
}

/* --- Building results. */

int mcp_call_add_content(struct mcp_call *call, cJSON *content)
{
    if (!content)
        return MCP_ENOMEM;
    return mcp__json_add_take(call->items, NULL, content) ? 0 : MCP_ENOMEM;
}

static char *vformat(const char *fmt, va_list ap)
{
    struct mcp__buf b;
    mcp__buf_init(&b, MAX_FORMATTED);
    if (mcp__buf_vaddf(&b, fmt, ap)) {
        mcp__buf_release(&b);
        return NULL;
    }
    return mcp__buf_take(&b);
}

int mcp_call_text(struct mcp_call *call, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = vformat(fmt, ap);
    va_end(ap);
    if (!text)
        return MCP_ENOMEM;
    int rc = mcp_call_add_content(call, mcp_content_text(text));
    mcp__free(text);
    return rc;
}

int mcp_call_structured(struct mcp_call *call, cJSON *value)
{
    if (!value)
        return MCP_ENOMEM;
    cJSON_Delete(call->structured);
    call->structured = value;
    return 0;
}

int mcp_call_error(struct mcp_call *call, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = vformat(fmt, ap);
    va_end(ap);
    call->is_error = true;
    if (text)
        mcp_call_add_content(call, mcp_content_text(text));
    mcp__free(text);
    return MCP_EINVAL;
}

int mcp_call_protocol_error(struct mcp_call *call, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = vformat(fmt, ap);
    va_end(ap);
    mcp__free(call->rpc_message);
    call->rpc_message = text; /* NULL on ENOMEM: the code alone still goes out */
    call->rpc_error = code ? code : MCP__RPC_INTERNAL_ERROR;
    return MCP_EINVAL;
}

int mcp_call_message(struct mcp_call *call, const char *role, cJSON *content)
{
    cJSON *m = content ? cJSON_CreateObject() : NULL;
    if (!m || !add_str(m, "role", role) || !mcp__json_add_take(m, "content", content)) {
        if (!m)
            cJSON_Delete(content);
        cJSON_Delete(m);
        return MCP_ENOMEM;
    }
    return mcp__json_add_take(call->items, NULL, m) ? 0 : MCP_ENOMEM;
}

int mcp_call_contents_text(struct mcp_call *call, const char *uri, const char *mime_type,
                           const char *text)
{
    cJSON *c = resource_contents(uri, mime_type, text ? text : "", NULL, 0);
    return mcp__json_add_take(call->items, NULL, c) ? 0 : MCP_ENOMEM;
}

int mcp_call_contents_blob(struct mcp_call *call, const char *uri, const char *mime_type,
                           const void *data, size_t len)
{
    cJSON *c = resource_contents(uri, mime_type, NULL, data, len);
    return mcp__json_add_take(call->items, NULL, c) ? 0 : MCP_ENOMEM;
}

int mcp_call_completion(struct mcp_call *call, const char *value)
{
    return mcp__json_add_take(call->items, NULL, cJSON_CreateString(value)) ? 0 : MCP_ENOMEM;
}

/* --- While running. */

int mcp__call_notify(struct mcp_call *call, const char *method, cJSON *params)
{
    return mcp__sink_send_json(call->sink, mcp__engine_message(NULL, method, params));
}

int mcp_call_progress(struct mcp_call *call, double progress, double total, const char *message)
{
    if (!call->progress_token)
        return 0;
    if (call->sent_progress && progress <= call->last_progress)
        return 0; /* the protocol requires progress to increase */
    cJSON *p = cJSON_CreateObject();
    if (!p || !mcp__json_add_copy(p, "progressToken", call->progress_token) ||
        !cJSON_AddNumberToObject(p, "progress", progress) ||
        (total > 0 && !cJSON_AddNumberToObject(p, "total", total)) ||
        (message && mcp__rev_has(call->rev, MCP__F_TOOL_ANNOTATIONS) &&
         !cJSON_AddStringToObject(p, "message", message))) {
        cJSON_Delete(p);
        return MCP_ENOMEM;
    }
    call->sent_progress = true;
    call->last_progress = progress;
    return mcp__call_notify(call, "notifications/progress", p);
}

bool mcp_call_cancelled(const struct mcp_call *call)
{
    if (call->task && mcp__task_cancelled(call->task))
        return true;
    if (call->sink->check_closed)
        call->sink->check_closed(call->sink);
    return (call->slot && atomic_load(&call->slot->cancelled)) || atomic_load(&call->sink->closed);
}

int mcp_call_log(struct mcp_call *call, enum mcp_log_level level, const char *logger,
                 const char *fmt, ...)
{
    if (call->log_level < 0 || (int)level < call->log_level || level > MCP_LOG_EMERGENCY)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    char *text = vformat(fmt, ap);
    va_end(ap);
    cJSON *p = cJSON_CreateObject();
    int rc = MCP_ENOMEM;
    if (text && p && cJSON_AddStringToObject(p, "level", level_names[level]) &&
        add_str(p, "logger", logger) && cJSON_AddStringToObject(p, "data", text)) {
        rc = mcp__call_notify(call, "notifications/message", p);
        p = NULL;
    }
    cJSON_Delete(p);
    mcp__free(text);
    return rc;
}

/* --- Asking. */

struct mcp__ask {
    long id;
    cJSON *response; /* the whole response message once answered (owned) */
    bool done;
    struct mcp__ask *next;
};

/* The capability names libmcp knows, as static strings that outlive any request. */
static const char *capability_name(const char *name)
{
    static const char *const known[] = {"elicitation", "sampling", "roots"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strcmp(known[i], name) == 0)
            return known[i];
    return "unknown";
}

static const char *capability_for(const char *method)
{
    if (strcmp(method, "elicitation/create") == 0)
        return "elicitation";
    if (strcmp(method, "sampling/createMessage") == 0)
        return "sampling";
    if (strcmp(method, "roots/list") == 0)
        return "roots";
    return NULL;
}

void mcp__engine_response(struct mcp__peer *peer, cJSON *msg)
{
    const cJSON *id = mcp__json_get(msg, "id");
    pthread_mutex_lock(&peer->lock);
    for (struct mcp__ask *a = peer->asks; a; a = a->next) {
        if (cJSON_IsNumber(id) && !a->done && id->valuedouble == (double)a->id) {
            a->response = msg;
            a->done = true;
            msg = NULL;
            pthread_cond_broadcast(&peer->cond);
            break;
        }
    }
    pthread_mutex_unlock(&peer->lock);
    cJSON_Delete(msg); /* an answer nobody waits for (late, or unknown id) is dropped */
}

/* Legacy: sends the request on the call's stream and waits for the client's answer. */
static int ask_blocking(struct mcp_call *call, const char *method, cJSON *params,
                        const cJSON **result)
{
    struct mcp__peer *peer = call->peer;
    struct mcp__ask ask = {0};
    int rc = MCP_ENOMEM;

    pthread_mutex_lock(&peer->lock);
    ask.id = ++peer->next_ask_id;
    pthread_mutex_unlock(&peer->lock);
    cJSON id = {.type = cJSON_Number, .valueint = (int)ask.id, .valuedouble = (double)ask.id};
    cJSON *msg = mcp__engine_message(&id, method, params);
    if (!msg)
        goto free_msg;
    char *text = mcp__json_print(msg);
    if (!text)
        goto free_msg;

    /* Registered before sending, so an answer racing the send is not lost. */
    pthread_mutex_lock(&peer->lock);
    ask.next = peer->asks;
    peer->asks = &ask;
    pthread_mutex_unlock(&peer->lock);

    rc = call->sink->send(call->sink, text, strlen(text), false, 0);
    mcp__free(text);

    struct timespec deadline = mcp__deadline_after(peer->srv->ask_timeout_ms);
    pthread_mutex_lock(&peer->lock);
    while (!rc && !ask.done) {
        if (peer->closed) {
            rc = MCP_ECLOSED;
        } else if (mcp_call_cancelled(call)) {
            rc = MCP_ECANCELED;
        } else {
            /* Wake up now and then: cancellation by a closed sink does not signal us. */
            struct timespec step = mcp__deadline_after(200);
            bool last = step.tv_sec > deadline.tv_sec ||
                        (step.tv_sec == deadline.tv_sec && step.tv_nsec >= deadline.tv_nsec);
            int w = pthread_cond_timedwait(&peer->cond, &peer->lock, last ? &deadline : &step);
            if (w && last && !ask.done)
                rc = MCP_ETIMEDOUT;
        }
    }
    for (struct mcp__ask **p = &peer->asks; *p; p = &(*p)->next) {
        if (*p == &ask) {
            *p = ask.next;
            break;
        }
    }
    pthread_mutex_unlock(&peer->lock);

    if (!rc) {
        const cJSON *res = mcp__json_obj(ask.response, "result");
        if (!res) {
            rc = MCP_EPEER;
        } else if (!mcp__json_add_take(call->replies, NULL, ask.response)) {
            ask.response = NULL;
            rc = MCP_ENOMEM;
        } else {
            ask.response = NULL; /* now owned by call->replies */
            *result = res;
        }
    }
    cJSON_Delete(ask.response);
free_msg:
    cJSON_Delete(msg);
    return rc;
}

/* Modern: the answer is in the retry, or the ask joins the input_required result. */
static int ask_stateless(struct mcp_call *call, const char *key, const char *method, cJSON *params,
                         const cJSON **result)
{
    const cJSON *answer = mcp__json_get(call->answers, key);
    if (answer) {
        cJSON_Delete(params);
        *result = answer;
        return 0;
    }
    cJSON *req = cJSON_CreateObject();
    if (!req) {
        cJSON_Delete(params);
        return MCP_ENOMEM;
    }
    if (!mcp__json_add_take(req, "params", params) ||
        !cJSON_AddStringToObject(req, "method", method)) {
        cJSON_Delete(req);
        return MCP_ENOMEM;
    }
    if (!call->input_requests && !(call->input_requests = cJSON_CreateObject())) {
        cJSON_Delete(req);
        return MCP_ENOMEM;
    }
    return mcp__json_add_take(call->input_requests, key, req) ? MCP_EINPUT : MCP_ENOMEM;
}

int mcp_call_need_capability(struct mcp_call *call, const char *name)
{
    if (mcp_call_client_can(call, name))
        return 0;
    call->missing_capability = capability_name(name);
    return MCP_ENOTSUP;
}

void mcp_call_close_stream(struct mcp_call *call)
{
    /* 2026-07-28 has no stream resumption: closing would lose the response for good. */
    if (mcp__call_modern(call))
        return;
    if (call->sink && call->sink->interrupt)
        call->sink->interrupt(call->sink);
}

int mcp_call_ask_named(struct mcp_call *call, const char *key, const char *method, cJSON *params,
                       const cJSON **result)
{
    if (!params)
        return MCP_ENOMEM;
    const char *cap = capability_for(method);
    bool answered = mcp__call_modern(call) && mcp__json_get(call->answers, key);
    if (cap && !answered && mcp_call_need_capability(call, cap)) {
        cJSON_Delete(params);
        return MCP_ENOTSUP;
    }
    if (mcp__call_modern(call))
        return ask_stateless(call, key, method, params, result);
    if (call->kind == MCP__CALL_OTHER || !call->sink) {
        cJSON_Delete(params);
        return MCP_ENOTSUP;
    }
    return ask_blocking(call, method, params, result);
}

int mcp_call_ask(struct mcp_call *call, const char *method, cJSON *params, const cJSON **result)
{
    char key[24];
    snprintf(key, sizeof key, "q%u", ++call->ask_seq);
    return mcp_call_ask_named(call, key, method, params, result);
}

int mcp_call_elicit(struct mcp_call *call, const char *message, const char *schema_json,
                    const cJSON **result)
{
    cJSON *schema = mcp__json_parse_str(schema_json);
    if (!schema)
        return MCP_EINVAL;
    cJSON *params = cJSON_CreateObject();
    if (!params || !mcp__json_add_take(params, "requestedSchema", schema)) {
        if (!params)
            cJSON_Delete(schema);
        cJSON_Delete(params);
        return MCP_ENOMEM;
    }
    if (!cJSON_AddStringToObject(params, "message", message) ||
        (mcp__rev_has(call->rev, MCP__F_ICONS) &&
         !cJSON_AddStringToObject(params, "mode", "form"))) {
        cJSON_Delete(params);
        return MCP_ENOMEM;
    }
    return mcp_call_ask(call, "elicitation/create", params, result);
}

int mcp_call_sample(struct mcp_call *call, const char *prompt, int max_tokens, const cJSON **result)
{
    cJSON *params = cJSON_CreateObject();
    cJSON *messages = params ? cJSON_AddArrayToObject(params, "messages") : NULL;
    cJSON *msg = messages ? cJSON_CreateObject() : NULL;
    if (!msg || !cJSON_AddStringToObject(msg, "role", "user") ||
        !mcp__json_add_take(msg, "content", mcp_content_text(prompt))) {
        cJSON_Delete(msg);
        cJSON_Delete(params);
        return MCP_ENOMEM;
    }
    if (!mcp__json_add_take(messages, NULL, msg) ||
        !cJSON_AddNumberToObject(params, "maxTokens", max_tokens)) {
        cJSON_Delete(params);
        return MCP_ENOMEM;
    }
    return mcp_call_ask(call, "sampling/createMessage", params, result);
}

int mcp_call_confirm(struct mcp_call *call, const char *message)
{
    const cJSON *answer = NULL;
    int rc = mcp_call_elicit(call, message,
                             "{\"type\":\"object\",\"properties\":{\"approve\":{\"type\":"
                             "\"boolean\",\"title\":\"Approve\",\"default\":false}}}",
                             &answer);
    if (rc)
        return rc;
    const char *action = mcp__json_str(answer, "action");
    const cJSON *content = mcp__json_obj(answer, "content");
    if (action && strcmp(action, "accept") == 0 && mcp__json_bool(content, "approve", true))
        return 0;
    return MCP_EACCES;
}

/* --- About the request. */

const char *mcp_call_protocol_version(const struct mcp_call *call)
{
    return call->rev ? call->rev->version : mcp__rev_latest_legacy()->version;
}

bool mcp_call_client_can(const struct mcp_call *call, const char *name)
{
    return mcp__json_get(call->client_caps, name) != NULL;
}

const char *mcp_call_name(const struct mcp_call *call)
{
    return call->name;
}

const char *mcp_call_principal(const struct mcp_call *call)
{
    return call->origin ? call->origin->principal : NULL;
}

const cJSON *mcp_call_profile_data(const struct mcp_call *call, const char *key)
{
    const struct mcp__policy *p = call->peer->srv->policy;
    return p ? mcp__json_get(p->data, key) : NULL;
}

const cJSON *mcp_call_meta(const struct mcp_call *call)
{
    return call->meta;
}

/* --- Life cycle. */

int mcp__call_init(struct mcp_call *call, enum mcp__call_kind kind, struct mcp__peer *peer,
                   struct mcp__sink *sink, const struct mcp__origin *origin,
                   const struct mcp__rev *rev, const cJSON *request)
{
    memset(call, 0, sizeof(*call));
    call->kind = kind;
    call->peer = peer;
    call->sink = sink;
    call->origin = origin;
    call->rev = rev;
    call->id = mcp__json_get(request, "id");
    const cJSON *params = mcp__json_obj(request, "params");
    call->meta = mcp__json_obj(params, "_meta");
    call->progress_token = mcp__json_get(call->meta, "progressToken");
    if (call->progress_token && !cJSON_IsString(call->progress_token) &&
        !cJSON_IsNumber(call->progress_token))
        call->progress_token = NULL;
    call->log_level = -1;
    call->items = cJSON_CreateArray();
    call->replies = cJSON_CreateArray();
    return call->items && call->replies ? 0 : MCP_ENOMEM;
}

int mcp__call_restart(struct mcp_call *call)
{
    cJSON *items = cJSON_CreateArray();
    if (!items)
        return MCP_ENOMEM;
    cJSON_Delete(call->items);
    cJSON_Delete(call->structured);
    cJSON_Delete(call->input_requests);
    call->items = items;
    call->structured = call->input_requests = NULL;
    call->is_error = false;
    call->missing_capability = NULL;
    call->ask_seq = 0;
    return 0;
}

void mcp__call_release(struct mcp_call *call)
{
    if (call->task) /* the engine finishes tasks; this only keeps a bug from leaking one */
        mcp__tasks_end(call->peer->srv->tasks, call->task, NULL, NULL);
    call->task = NULL;
    mcp__free(call->rpc_message);
    call->rpc_message = NULL;
    cJSON_Delete(call->items);
    cJSON_Delete(call->structured);
    cJSON_Delete(call->answers);
    cJSON_Delete(call->input_requests);
    cJSON_Delete(call->replies);
    call->items = call->structured = call->answers = call->input_requests = NULL;
    call->replies = NULL;
}
