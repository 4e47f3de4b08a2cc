#include "engine_int.h"

#include <string.h>

#include "alloc_int.h"
#include "call_int.h"
#include "json_int.h"
#include "listen_int.h"

#include "banned.h"

struct mcp__peer *mcp__peer_new(struct mcp_server *srv, struct mcp__sink *notify)
{
    struct mcp__peer *peer = mcp__calloc(1, sizeof(*peer));
    if (!peer)
        return NULL;
    peer->srv = srv;
    peer->refs = 1;
    peer->notify = notify;
    peer->log_level = MCP_LOG_INFO;
    pthread_mutex_init(&peer->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&peer->cond, &attr);
    pthread_condattr_destroy(&attr);

    pthread_mutex_lock(&srv->peers_lock);
    peer->next = srv->peers;
    srv->peers = peer;
    pthread_mutex_unlock(&srv->peers_lock);
    return peer;
}

void mcp__peer_ref(struct mcp__peer *peer)
{
    pthread_mutex_lock(&peer->lock);
    peer->refs++;
    pthread_mutex_unlock(&peer->lock);
}

void mcp__peer_unref(struct mcp__peer *peer)
{
    if (!peer)
        return;
    pthread_mutex_lock(&peer->lock);
    unsigned refs = --peer->refs;
    pthread_mutex_unlock(&peer->lock);
    if (refs)
        return;

    struct mcp_server *srv = peer->srv;
    pthread_mutex_lock(&srv->peers_lock);
    for (struct mcp__peer **p = &srv->peers; *p; p = &(*p)->next) {
        if (*p == peer) {
            *p = peer->next;
            break;
        }
    }
    pthread_mutex_unlock(&srv->peers_lock);
    for (struct mcp__inflight *s = peer->inflight, *next; s; s = next) {
        next = s->next;
        cJSON_Delete(s->id);
        mcp__free(s);
    }
    cJSON_Delete(peer->client_caps);
    cJSON_Delete(peer->client_info);
    cJSON_Delete(peer->subscriptions);
    pthread_cond_destroy(&peer->cond);
    pthread_mutex_destroy(&peer->lock);
    mcp__free(peer);
}

void mcp__peer_cancel_all(struct mcp__peer *peer)
{
    pthread_mutex_lock(&peer->lock);
    for (struct mcp__inflight *s = peer->inflight; s; s = s->next)
        atomic_store(&s->cancelled, true);
    mcp__listeners_end(peer);
    pthread_cond_broadcast(&peer->cond);
    pthread_mutex_unlock(&peer->lock);
}

void mcp__peer_close(struct mcp__peer *peer, bool cancel)
{
    if (cancel)
        mcp__peer_cancel_all(peer);
    pthread_mutex_lock(&peer->lock);
    peer->closed = true;
    peer->notify = NULL;
    pthread_cond_broadcast(&peer->cond);
    pthread_mutex_unlock(&peer->lock);
}

static struct mcp__inflight *find_inflight(struct mcp__peer *peer, const cJSON *id)
{
    for (struct mcp__inflight *s = peer->inflight; s; s = s->next)
        if (cJSON_IsString(s->id) == cJSON_IsString(id) && mcp__json_equal(s->id, id))
            return s;
    return NULL;
}

static struct mcp__inflight *add_inflight(struct mcp__peer *peer, const cJSON *id)
{
    struct mcp__inflight *s = mcp__calloc(1, sizeof(*s));
    if (!s || !(s->id = cJSON_Duplicate(id, true))) {
        mcp__free(s);
        return NULL;
    }
    atomic_init(&s->cancelled, false);
    s->next = peer->inflight;
    peer->inflight = s;
    return s;
}

int mcp__peer_reserve(struct mcp__peer *peer, const cJSON *id)
{
    pthread_mutex_lock(&peer->lock);
    int rc = find_inflight(peer, id) ? MCP_EEXIST : add_inflight(peer, id) ? 0 : MCP_ENOMEM;
    pthread_mutex_unlock(&peer->lock);
    return rc;
}

struct mcp__inflight *mcp__peer_claim(struct mcp__peer *peer, const cJSON *id, bool *dup)
{
    pthread_mutex_lock(&peer->lock);
    struct mcp__inflight *s = find_inflight(peer, id);
    *dup = s && s->claimed;
    if (*dup)
        s = NULL;
    else if (!s)
        s = add_inflight(peer, id);
    if (s)
        s->claimed = true;
    pthread_mutex_unlock(&peer->lock);
    return s;
}

void mcp__peer_release(struct mcp__peer *peer, struct mcp__inflight *slot)
{
    if (!slot)
        return;
    pthread_mutex_lock(&peer->lock);
    for (struct mcp__inflight **p = &peer->inflight; *p; p = &(*p)->next) {
        if (*p == slot) {
            *p = slot->next;
            break;
        }
    }
    pthread_mutex_unlock(&peer->lock);
    cJSON_Delete(slot->id);
    mcp__free(slot);
}

static bool subscribed(const struct mcp__peer *peer, const char *uri)
{
    const cJSON *s;
    cJSON_ArrayForEach (s, peer->subscriptions) {
        if (cJSON_IsString(s) && strcmp(s->valuestring, uri) == 0)
            return true;
    }
    return false;
}

/* Sends a notification to a legacy session when it has a stream for it. */
static void notify_legacy(struct mcp__peer *peer, const char *method, const char *uri)
{
    if (!peer->rev || !peer->notify || peer->closed)
        return;
    if (uri && !subscribed(peer, uri))
        return;
    cJSON *params = cJSON_CreateObject();
    if (params && uri && !cJSON_AddStringToObject(params, "uri", uri)) {
        cJSON_Delete(params);
        return;
    }
    mcp__sink_send_json(peer->notify, mcp__engine_message(NULL, method, params));
}

void mcp__server_broadcast(struct mcp_server *srv, const char *method, const char *uri)
{
    pthread_mutex_lock(&srv->peers_lock);
    for (struct mcp__peer *peer = srv->peers; peer; peer = peer->next) {
        pthread_mutex_lock(&peer->lock);
        notify_legacy(peer, method, uri);
        mcp__listeners_notify(peer, method, uri);
        pthread_mutex_unlock(&peer->lock);
    }
    pthread_mutex_unlock(&srv->peers_lock);
}
