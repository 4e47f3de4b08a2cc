#include <string.h>

#include "alloc_int.h"
#include "http_int.h"
#include "random_int.h"

#include "banned.h"

/* Finished streams kept per session for resumption; older ones are dropped. */
#define KEPT_STREAMS 16

void mcp__sessions_init(struct mcp__sessions *ss, size_t max, unsigned ttl_seconds)
{
    pthread_mutex_init(&ss->lock, NULL);
    ss->list = NULL;
    ss->count = 0;
    ss->max = max;
    ss->ttl_seconds = ttl_seconds;
}

static void session_free(struct mcp__session *s)
{
    for (struct mcp__stream *st = s->streams, *next; st; st = next) {
        next = st->next;
        mcp__stream_unref(st);
    }
    mcp__stream_unref(s->listening);
    mcp__peer_unref(s->peer);
    mcp__free(s->owner);
    mcp__free(s);
}

/* With ss->lock held: takes the session out of the list and ends its peer. */
static void detach(struct mcp__sessions *ss, struct mcp__session *s)
{
    for (struct mcp__session **p = &ss->list; *p; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            ss->count--;
            break;
        }
    }
    s->ended = true;
    mcp__peer_close(s->peer, true);
    if (s->listening)
        mcp__stream_close(s->listening);
}

void mcp__sessions_release(struct mcp__sessions *ss)
{
    pthread_mutex_lock(&ss->lock);
    while (ss->list) {
        struct mcp__session *s = ss->list;
        detach(ss, s);
        if (--s->refs == 0)
            session_free(s);
    }
    pthread_mutex_unlock(&ss->lock);
    pthread_mutex_destroy(&ss->lock);
}

/* With ss->lock held: ends sessions idle past the TTL, and when still full the longest idle
 * one that has nothing in flight. */
static void sweep(struct mcp__sessions *ss, time_t now)
{
    struct mcp__session *oldest = NULL;
    for (struct mcp__session *s = ss->list, *next; s; s = next) {
        next = s->next;
        bool idle = s->refs == 1;
        if (idle && now - s->last_used > (time_t)ss->ttl_seconds) {
            detach(ss, s);
            session_free(s);
        } else if (idle && (!oldest || s->last_used < oldest->last_used)) {
            oldest = s;
        }
    }
    if (ss->count >= ss->max && oldest) {
        detach(ss, oldest);
        session_free(oldest);
    }
}

int mcp__session_create(struct mcp__sessions *ss, struct mcp_server *srv, const char *principal,
                        struct mcp__session **out)
{
    struct mcp__session *s = mcp__calloc(1, sizeof(*s));
    unsigned char raw[32];
    if (!s)
        return MCP_ENOMEM;
    if (principal && !(s->owner = mcp__strdup(principal))) {
        mcp__free(s);
        return MCP_ENOMEM;
    }
    if (mcp__random(raw, sizeof raw)) {
        mcp__free(s->owner);
        mcp__free(s);
        return MCP_EIO;
    }
    for (size_t i = 0; i < sizeof raw; i++) {
        s->id[2 * i] = "0123456789abcdef"[raw[i] >> 4];
        s->id[2 * i + 1] = "0123456789abcdef"[raw[i] & 15];
    }
    if (!(s->peer = mcp__peer_new(srv, NULL))) {
        mcp__free(s->owner);
        mcp__free(s);
        return MCP_ENOMEM;
    }
    s->refs = 2; /* the list's and the caller's */
    s->last_used = time(NULL);
    pthread_mutex_lock(&ss->lock);
    sweep(ss, s->last_used);
    int rc = ss->count < ss->max ? 0 : MCP_EAGAIN;
    if (!rc) {
        s->next = ss->list;
        ss->list = s;
        ss->count++;
    }
    pthread_mutex_unlock(&ss->lock);
    if (rc) {
        mcp__peer_unref(s->peer);
        mcp__free(s->owner);
        mcp__free(s);
        return rc;
    }
    *out = s;
    return 0;
}

static bool same_owner(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

struct mcp__session *mcp__session_find(struct mcp__sessions *ss, const char *id,
                                       const char *principal)
{
    pthread_mutex_lock(&ss->lock);
    time_t now = time(NULL);
    struct mcp__session *found = NULL;
    for (struct mcp__session *s = ss->list; s && !found; s = s->next) {
        if (strcmp(s->id, id) == 0 && now - s->last_used <= (time_t)ss->ttl_seconds &&
            same_owner(s->owner, principal)) {
            found = s;
            s->refs++;
            s->last_used = now;
        }
    }
    pthread_mutex_unlock(&ss->lock);
    return found;
}

void mcp__session_unref(struct mcp__sessions *ss, struct mcp__session *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&ss->lock);
    unsigned refs = --s->refs;
    s->last_used = time(NULL);
    pthread_mutex_unlock(&ss->lock);
    if (!refs)
        session_free(s);
}

void mcp__session_end(struct mcp__sessions *ss, struct mcp__session *s)
{
    pthread_mutex_lock(&ss->lock);
    if (!s->ended) {
        detach(ss, s);
        s->refs--; /* the list's reference */
    }
    pthread_mutex_unlock(&ss->lock);
}

struct mcp__stream *mcp__session_stream(struct mcp__sessions *ss, struct mcp__session *s)
{
    pthread_mutex_lock(&ss->lock);
    struct mcp__stream *st = mcp__stream_new(++s->next_stream);
    if (st) {
        mcp__stream_ref(st); /* the session's */
        st->next = s->streams;
        s->streams = st;
        /* Keep a bounded history: drop the oldest beyond the limit. */
        unsigned n = 0;
        for (struct mcp__stream **p = &s->streams; *p; p = &(*p)->next) {
            if (++n > KEPT_STREAMS) {
                struct mcp__stream *old = *p;
                *p = NULL;
                while (old) {
                    struct mcp__stream *next = old->next;
                    mcp__stream_unref(old);
                    old = next;
                }
                break;
            }
        }
    }
    pthread_mutex_unlock(&ss->lock);
    return st;
}

struct mcp__stream *mcp__session_find_stream(struct mcp__sessions *ss, struct mcp__session *s,
                                             unsigned id)
{
    pthread_mutex_lock(&ss->lock);
    struct mcp__stream *found = NULL;
    for (struct mcp__stream *st = s->streams; st && !found; st = st->next) {
        if (st->id == id) {
            found = st;
            mcp__stream_ref(st);
        }
    }
    pthread_mutex_unlock(&ss->lock);
    return found;
}
