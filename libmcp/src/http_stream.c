#define _GNU_SOURCE /* POLLRDHUP */
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mhd_int.h"

#include "alloc_int.h"
#include "buf_int.h"
#include "clock_int.h"
#include "http_int.h"

#include "banned.h"

/* A quiet stream sends a comment this often, so idle proxies keep it and a client that went
 * away is noticed (the write fails and the request is cancelled). */
#define KEEPALIVE_SECONDS 5
#define RETRY_MS 500
/* The most an SSE response holds in memory at once. */
#define SSE_BUF_MAX (64u << 20)

static int stream_send(struct mcp__sink *sink, const char *json, size_t len, bool final, int error)
{
    struct mcp__stream *s = (struct mcp__stream *)sink;
    struct mcp__event *e = mcp__calloc(1, sizeof(*e));
    if (!e || (json && !(e->json = mcp__strndup(json, len)))) {
        mcp__free(e);
        e = NULL;
        if (!final)
            return MCP_ENOMEM;
        /* Still mark the end below, or the response would wait forever. */
    }
    pthread_mutex_lock(&s->lock);
    if (e) {
        e->len = json ? len : 0;
        e->final = final;
        e->error = final ? error : 0;
        e->seq = ++s->next_seq;
        if (s->tail)
            s->tail->next = e;
        else
            s->head = e;
        s->tail = e;
    }
    if (final)
        s->done = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    return atomic_load(&sink->closed) ? MCP_ECLOSED : 0;
}

static void stream_interrupt(struct mcp__sink *sink)
{
    struct mcp__stream *s = (struct mcp__stream *)sink;
    pthread_mutex_lock(&s->lock);
    s->interrupted = true; /* consumed by the reader that ends because of it */
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

/* How often a request served on its connection's thread looks for a client that hung up. */
#define LOOK_MS 20

static void stream_check_closed(struct mcp__sink *sink)
{
    struct mcp__stream *s = (struct mcp__stream *)sink;
    if (s->fd < 0 || atomic_load(&sink->closed))
        return;
    long long now = mcp__monotonic_ms();
    if (now - atomic_load(&s->looked_ms) < LOOK_MS)
        return;
    atomic_store(&s->looked_ms, now);
    /* A client that closed its end has gone: 2026-07-28 cancels a request that way. One that
     * only half-closed after its request and still reads looks the same from here, and
     * loses a call that runs longer than LOOK_MS; a quicker one is answered, since it never
     * gets here. */
    struct pollfd p = {.fd = s->fd, .events = POLLRDHUP};
    if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
        atomic_store(&sink->closed, true);
}

void mcp__stream_close(struct mcp__stream *s)
{
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->sink.closed, true);
    pthread_cond_broadcast(&s->cond); /* a reader waiting for events ends now */
    pthread_mutex_unlock(&s->lock);
}

struct mcp__stream *mcp__stream_new(unsigned id)
{
    struct mcp__stream *s = mcp__calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->sink.send = stream_send;
    s->sink.interrupt = stream_interrupt;
    s->sink.check_closed = stream_check_closed;
    atomic_init(&s->sink.closed, false);
    s->fd = -1;
    atomic_init(&s->looked_ms, 0);
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &attr);
    pthread_condattr_destroy(&attr);
    s->id = id;
    s->refs = 1;
    return s;
}

void mcp__stream_ref(struct mcp__stream *s)
{
    pthread_mutex_lock(&s->lock);
    s->refs++;
    pthread_mutex_unlock(&s->lock);
}

void mcp__stream_unref(struct mcp__stream *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    unsigned refs = --s->refs;
    pthread_mutex_unlock(&s->lock);
    if (refs)
        return;
    for (struct mcp__event *e = s->head, *next; e; e = next) {
        next = e->next;
        mcp__free(e->json);
        mcp__free(e);
    }
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    mcp__free(s);
}

const struct mcp__event *mcp__stream_first(struct mcp__stream *s)
{
    pthread_mutex_lock(&s->lock);
    while (!s->head && !s->done && !s->interrupted)
        pthread_cond_wait(&s->cond, &s->lock);
    const struct mcp__event *e = s->head;
    pthread_mutex_unlock(&s->lock);
    return e;
}

/* One SSE response's position in a stream. */
struct reader {
    struct mcp__stream *s;
    unsigned after;      /* last event sequence sent */
    struct mcp__buf out; /* formatted bytes not yet handed to MHD */
    size_t sent;         /* of out */
    bool prime;
    bool finished; /* the final event is formatted */
};

static int format_event(struct reader *r, const struct mcp__event *e)
{
    if (!e->json)
        return 0; /* a silent request ends the stream without a message */
    return mcp__buf_addf(&r->out, "id: %u-%u\nevent: message\ndata: %.*s\n\n", r->s->id, e->seq,
                         (int)e->len, e->json);
}

/* Fills r->out with what is next, waiting for it; false when the response is over. */
static bool refill(struct reader *r)
{
    struct mcp__stream *s = r->s;
    mcp__buf_reset(&r->out);
    r->sent = 0;
    /* The priming event leaves together with whatever is queued already. */
    if (r->prime) {
        r->prime = false;
        if (mcp__buf_addf(&r->out, "id: %u-0\nretry: %d\ndata: \n\n", s->id, RETRY_MS))
            return false;
    }
    pthread_mutex_lock(&s->lock);
    for (;;) {
        const struct mcp__event *e = s->head;
        while (e && e->seq <= r->after)
            e = e->next;
        for (; e && !r->finished; e = e->next) {
            if (format_event(r, e))
                break;
            r->after = e->seq;
            r->finished = e->final;
        }
        /* done without a final event: its response could not be kept (out of memory). */
        if (r->out.len || r->finished || s->done)
            break;
        if (s->interrupted || atomic_load(&s->sink.closed)) {
            s->interrupted = false; /* consumed: this response ends because of it */
            break;
        }
        struct timespec t = mcp__deadline_after(KEEPALIVE_SECONDS * 1000);
        if (pthread_cond_timedwait(&s->cond, &s->lock, &t))
            mcp__buf_adds(&r->out, ":\n\n");
    }
    pthread_mutex_unlock(&s->lock);
    return r->out.len > 0;
}

static ssize_t read_events(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct reader *r = cls;
    if (r->sent == r->out.len && !refill(r))
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = r->out.len - r->sent;
    if (n > max)
        n = max;
    memcpy(buf, r->out.data + r->sent, n);
    r->sent += n;
    return (ssize_t)n;
}

static void free_reader(void *cls)
{
    struct reader *r = cls;
    pthread_mutex_lock(&r->s->lock);
    r->s->readers--;
    if (r->s->cancel_on_close && !r->s->done)
        atomic_store(&r->s->sink.closed, true);
    pthread_mutex_unlock(&r->s->lock);
    mcp__buf_release(&r->out);
    mcp__stream_unref(r->s);
    mcp__free(r);
}

static void add_sse_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "Content-Type", "text/event-stream");
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
}

/* A complete stream as one body: no chunked encoding, and it leaves in one write. */
static struct MHD_Response *whole_response(struct mcp__stream *s, unsigned after_seq, bool prime)
{
    struct reader r = {.s = s, .after = after_seq, .prime = prime};
    struct mcp__buf body;
    mcp__buf_init(&r.out, SSE_BUF_MAX);
    mcp__buf_init(&body, SSE_BUF_MAX);
    int rc = 0;
    while (!rc && refill(&r))
        rc = mcp__buf_add(&body, r.out.data, r.out.len);
    struct MHD_Response *resp =
        rc ? NULL
           : MHD_create_response_from_buffer(body.len, (void *)(uintptr_t)mcp__buf_str(&body),
                                             MHD_RESPMEM_MUST_COPY);
    if (resp)
        add_sse_headers(resp);
    mcp__buf_release(&r.out);
    mcp__buf_release(&body);
    return resp;
}

struct MHD_Response *mcp__stream_sse_response(struct mcp__stream *s, unsigned after_seq, bool prime)
{
    pthread_mutex_lock(&s->lock);
    bool done = s->done;
    pthread_mutex_unlock(&s->lock);
    if (done)
        return whole_response(s, after_seq, prime);
    struct reader *r = mcp__calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->s = s;
    r->after = after_seq;
    r->prime = prime;
    mcp__buf_init(&r->out, SSE_BUF_MAX);
    mcp__stream_ref(s);
    pthread_mutex_lock(&s->lock);
    s->readers++;
    pthread_mutex_unlock(&s->lock);
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, read_events, r, free_reader);
    if (!resp) {
        free_reader(r);
        return NULL;
    }
    add_sse_headers(resp);
    return resp;
}
