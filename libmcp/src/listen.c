#include "listen_int.h"

#include <stddef.h>
#include <string.h>
#include <time.h>

#include "alloc_int.h"
#include "clock_int.h"
#include "json_int.h"
#include "request_int.h"

#include "banned.h"

#define META_SUBSCRIPTION "io.modelcontextprotocol/subscriptionId"

struct mcp__listener {
    const cJSON *id;        /* the subscriptions/listen request id (borrowed) */
    struct mcp__sink *sink; /* the request's stream */
    cJSON *accepted;        /* the filter we honour, as acknowledged (owned) */
    bool ended;             /* the server ended it */
    struct mcp__listener *next;
};

/* Sends a notification tagged with the subscription id. */
static int send_tagged(struct mcp__listener *l, const char *method, cJSON *params)
{
    cJSON *meta = params ? mcp__json_add_obj(params, "_meta") : NULL;
    if (!meta || !mcp__json_add_copy(meta, META_SUBSCRIPTION, l->id)) {
        cJSON_Delete(params);
        return MCP_ENOMEM;
    }
    return mcp__sink_send_json(l->sink, mcp__engine_message(NULL, method, params));
}

static bool wants(const struct mcp__listener *l, const char *method, const char *uri)
{
    if (strcmp(method, "notifications/tools/list_changed") == 0)
        return mcp__json_bool(l->accepted, "toolsListChanged", false);
    if (strcmp(method, "notifications/prompts/list_changed") == 0)
        return mcp__json_bool(l->accepted, "promptsListChanged", false);
    if (strcmp(method, "notifications/resources/list_changed") == 0)
        return mcp__json_bool(l->accepted, "resourcesListChanged", false);
    const cJSON *u;
    cJSON_ArrayForEach (u, mcp__json_arr(l->accepted, "resourceSubscriptions")) {
        if (uri && cJSON_IsString(u) && strcmp(u->valuestring, uri) == 0)
            return true;
    }
    return false;
}

void mcp__listeners_notify(struct mcp__peer *peer, const char *method, const char *uri)
{
    for (struct mcp__listener *l = peer->listeners; l; l = l->next) {
        if (l->ended || !wants(l, method, uri))
            continue;
        cJSON *params = cJSON_CreateObject();
        if (params && uri && !cJSON_AddStringToObject(params, "uri", uri)) {
            cJSON_Delete(params);
            continue;
        }
        send_tagged(l, method, params);
    }
}

void mcp__listeners_end(struct mcp__peer *peer)
{
    for (struct mcp__listener *l = peer->listeners; l; l = l->next)
        l->ended = true;
}

/* The part of the requested filter this server can honour. */
static cJSON *accept_filter(const struct mcp_server *srv, const cJSON *asked)
{
    static const struct {
        const char *key;
        size_t offset;
    } lists[] = {
        {"toolsListChanged", offsetof(struct mcp_server, tools)},
        {"promptsListChanged", offsetof(struct mcp_server, prompts)},
        {"resourcesListChanged", offsetof(struct mcp_server, resources)},
    };
    cJSON *f = cJSON_CreateObject();
    for (size_t i = 0; f && i < sizeof lists / sizeof *lists; i++) {
        if (mcp__json_bool(asked, lists[i].key, false) && !cJSON_AddTrueToObject(f, lists[i].key)) {
            cJSON_Delete(f);
            return NULL;
        }
    }
    const cJSON *uris = mcp__json_arr(asked, "resourceSubscriptions");
    bool has_resources = srv->resources.len || srv->templates.len;
    if (f && uris && has_resources && !mcp__json_add_copy(f, "resourceSubscriptions", uris)) {
        cJSON_Delete(f);
        return NULL;
    }
    return f;
}

int mcp__method_listen(struct mcp__request *req)
{
    const cJSON *asked = mcp__json_get(req->params, "notifications");
    if (asked && !cJSON_IsObject(asked))
        return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS,
                                 "Invalid params: \"notifications\" must be an object");
    struct mcp__peer *peer = req->peer;
    struct mcp__listener l = {.id = req->id, .sink = req->call.sink};
    if (!(l.accepted = accept_filter(req->srv, asked)))
        return MCP_ENOMEM;

    pthread_mutex_lock(&peer->lock);
    /* Acknowledge before anything can be broadcast to this listener. */
    cJSON *ack = cJSON_CreateObject();
    int rc = ack && mcp__json_add_copy(ack, "notifications", l.accepted)
                 ? send_tagged(&l, "notifications/subscriptions/acknowledged", ack)
                 : (cJSON_Delete(ack), MCP_ENOMEM);
    if (!rc) {
        l.next = peer->listeners;
        peer->listeners = &l;
    }
    while (!rc && !l.ended && !peer->closed && !mcp_call_cancelled(&req->call) &&
           !atomic_load(&req->srv->stopping)) {
        /* Cancellation by a closed stream does not signal us. */
        struct timespec t = mcp__deadline_after(200);
        pthread_cond_timedwait(&peer->cond, &peer->lock, &t);
    }
    for (struct mcp__listener **p = &peer->listeners; *p; p = &(*p)->next) {
        if (*p == &l) {
            *p = l.next;
            break;
        }
    }
    pthread_mutex_unlock(&peer->lock);
    cJSON_Delete(l.accepted);
    if (rc)
        return rc;
    /* Ended by the server: a result says so gracefully. Ended by the client: nothing. */
    cJSON *r = cJSON_CreateObject();
    cJSON *meta = r ? mcp__json_add_obj(r, "_meta") : NULL;
    if (!meta || !mcp__json_add_copy(meta, META_SUBSCRIPTION, req->id)) {
        cJSON_Delete(r);
        return MCP_ENOMEM;
    }
    req->result = r;
    return 0;
}
