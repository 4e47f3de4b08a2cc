/* The stdio transport: newline-delimited JSON-RPC on two descriptors. The thread that reads
 * routes answers and cancellations at once and serves each request it reads itself, while a
 * second thread stands by to take the input over when a request runs long, so a running call
 * can still be cancelled or get its answer. Without a stand-by, requests go to a worker pool.
 * Writes are serialised so every message leaves as one whole line; answers to requests that
 * arrived together leave together (see `hold`). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "alloc_int.h"
#include "buf_int.h"
#include "clock_int.h"
#include "engine_int.h"
#include "json_int.h"
#include "pool_int.h"

#include "banned.h"

#define MAX_WORKERS 64
#define READ_CHUNK 65536
/* How long calls in flight may go on after the client closed its end. */
#define DRAIN_MS 5000
/* How often the stand-by looks at the reader: a request that is still being served at two
 * looks in a row (5 to 10 ms) has the input taken over, so a cancellation or the answer to an
 * ask is read while it runs. */
#define TAKEOVER_MS 5
/* Looks without a request before the stand-by stops looking and sleeps until woken: 1 s. */
#define IDLE_LOOKS 200
/* How much output may wait for the requests read with it (see `hold`) before it leaves. Few
 * answers at a time keep the client busy while the next ones are made; many make the two
 * sides take turns. calls/s at a window of 16 by the answers per write: 1: 250k, 2: 310k,
 * 4: 350k, 8: 320k, unlimited: 210k. */
#define HELD_ANSWERS 4
#define HELD_MAX 65536

/* The reading side's state; it belongs to whichever thread holds the input. */
struct input {
    char *chunk;          /* the last read */
    size_t pos, len;      /* what of it is handled */
    struct mcp__buf line; /* the line being assembled */
    bool skipping;        /* the rest of a line over the size limit */
};

struct stdio_transport {
    struct mcp__sink sink; /* first: the engine hands us back our sink */
    struct mcp_server *srv;
    struct mcp__peer *peer;
    struct mcp__pool *pool;
    int in_fd, out_fd, stop_fd;
    int rc; /* why reading stopped early */
    pthread_mutex_t write_lock;
    /* While the reader serves a request with more read behind it, answers wait in `held`
     * and leave a few at a time (HELD_ANSWERS), and at the latest when the reader is about to
     * wait for input (after a take-over, the stand-by is the reader): a client that pipelines
     * gets several answers per read, at a fraction of the system calls and wake-ups on both
     * sides. Written under write_lock, and only by the thread holding the input, which may
     * therefore read it without the lock. */
    atomic_bool hold;
    struct mcp__buf held;
    unsigned held_count; /* messages in `held` */
    /* Requests read and not yet answered. Counted without a lock; count_lock only pairs the
     * last answer's broadcast with the wait for it (wait_idle). */
    atomic_uint in_flight;
    pthread_mutex_t count_lock;
    pthread_cond_t count_zero;

    /* Two threads share the input: one reads and serves what it reads, the other stands by
     * (serve(), stand_by()). The reader's side of this costs no lock and no clock: `busy`
     * goes up by one when it begins serving a request under watch (odd: the input may be
     * taken) and by one more when the request ends, and whoever moves it from odd to even,
     * the reader at the end or the stand-by taking over, does so by a compare-and-swap
     * from the exact value, so exactly one of them does. The stand-by takes the input when
     * it sees the same odd value at two looks a full period apart. */
    pthread_mutex_t role_lock;
    pthread_cond_t role_cond;   /* CLOCK_MONOTONIC */
    atomic_bool standing_by;    /* a thread stands by */
    atomic_bool standby_asleep; /* ... without a timer: the reader wakes it (under role_lock) */
    atomic_ulong busy;
    atomic_bool finished; /* the input ended: both threads leave */
    struct input in;
};

struct job {
    struct stdio_transport *t;
    cJSON *msg;
    bool batch;
};

static int write_all(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return MCP_ECLOSED;
        }
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

/* Writes what is held, then `json` and its newline when given. Under write_lock. */
static int flush_locked(struct stdio_transport *t, const char *json, size_t len)
{
    char nl = '\n';
    /* writev does not write through iov_base; the cast only drops const for its type. */
    struct iovec iov[3] = {{t->held.data, t->held.len}, {(void *)(uintptr_t)json, len}, {&nl, 1}};
    int first = t->held.len ? 0 : 1, last = json ? 3 : 1;
    int rc = first < last ? write_all(t->out_fd, iov + first, last - first) : 0;
    mcp__buf_reset(&t->held);
    t->held_count = 0;
    if (rc)
        atomic_store(&t->sink.closed, true);
    return rc;
}

/* Every message is a line, whatever it is. Only answers are held (see `hold`): an ask or a
 * progress notification leaves at once, and what was held before it leaves with it. */
static int stdio_send(struct mcp__sink *sink, const char *json, size_t len, bool final, int error)
{
    struct stdio_transport *t = (struct stdio_transport *)sink;
    (void)error;
    if (!json)
        return 0;
    if (atomic_load(&sink->closed))
        return MCP_ECLOSED;
    pthread_mutex_lock(&t->write_lock);
    int rc;
    if (atomic_load_explicit(&t->hold, memory_order_relaxed) && final &&
        t->held_count + 1 < HELD_ANSWERS && t->held.len + len < HELD_MAX &&
        mcp__buf_add(&t->held, json, len) == 0) {
        if (mcp__buf_add(&t->held, "\n", 1) == 0) {
            t->held_count++;
            rc = 0;
        } else {
            rc = flush_locked(t, "", 0); /* what is held, and the newline that did not fit */
        }
    } else {
        rc = flush_locked(t, json, len);
    }
    pthread_mutex_unlock(&t->write_lock);
    return rc;
}

/* Sets whether messages wait (see `hold`); releasing sends what waited. Called by the thread
 * holding the input. Nothing is held while `hold` is false, so only a change needs the lock. */
static void hold_output(struct stdio_transport *t, bool hold)
{
    if (atomic_load_explicit(&t->hold, memory_order_relaxed) == hold)
        return;
    pthread_mutex_lock(&t->write_lock);
    atomic_store_explicit(&t->hold, hold, memory_order_relaxed);
    if (!hold && t->held.len)
        flush_locked(t, NULL, 0);
    pthread_mutex_unlock(&t->write_lock);
}

/* Whether another whole line has been read behind the request at hand. */
static bool more_read(const struct input *in)
{
    return in->pos < in->len && memchr(in->chunk + in->pos, '\n', in->len - in->pos);
}

/* Requests are counted from when they are read until answered, so the end of input can wait
 * for them, those still queued for the pool included. */
static void count_request(struct stdio_transport *t)
{
    atomic_fetch_add(&t->in_flight, 1);
}

static void uncount_request(struct stdio_transport *t)
{
    if (atomic_fetch_sub(&t->in_flight, 1) != 1)
        return;
    /* The waiter checks the count and waits under the lock, so it cannot miss this. */
    pthread_mutex_lock(&t->count_lock);
    pthread_cond_broadcast(&t->count_zero);
    pthread_mutex_unlock(&t->count_lock);
}

/* Serves a counted request. */
static void serve_counted(struct stdio_transport *t, cJSON *msg, bool batch)
{
    if (batch)
        mcp__engine_batch(t->peer, msg, &t->sink, NULL);
    else
        mcp__engine_request(t->peer, msg, &t->sink, NULL);
    uncount_request(t);
}

static void run_job(void *arg)
{
    struct job *j = arg;
    serve_counted(j->t, j->msg, j->batch);
    mcp__free(j);
}

/* Hands a counted request to the pool; answers it with an error when the pool cannot take
 * it. */
static void submit(struct stdio_transport *t, cJSON *msg, bool batch)
{
    struct job *j = mcp__malloc(sizeof(*j));
    if (j) {
        *j = (struct job){.t = t, .msg = msg, .batch = batch};
        if (mcp__pool_submit(t->pool, run_job, j) == 0)
            return;
        mcp__free(j);
    }
    uncount_request(t);
    bool dup;
    if (!batch)
        mcp__peer_release(t->peer, mcp__peer_claim(t->peer, mcp__json_get(msg, "id"), &dup));
    char *reply = mcp__engine_error(mcp__json_get(msg, "id"), MCP__RPC_INTERNAL_ERROR,
                                    "Internal error: server overloaded, try again", NULL);
    if (reply)
        stdio_send(&t->sink, reply, strlen(reply), true, 0);
    mcp__free(reply);
    cJSON_Delete(msg);
}

/* Handles one line from the client: notifications, answers and bad lines at once. Returns a
 * request or batch to serve (owned), or NULL. */
static cJSON *handle_line(struct stdio_transport *t, const char *line, size_t len, bool *batch)
{
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    if (!len)
        return NULL; /* blank lines are not messages */
    cJSON *msg = NULL;
    char *reply = NULL;
    *batch = false;
    switch (mcp__engine_parse(t->peer, line, len, &msg, &reply)) {
    case MCP__MSG_BATCH:
        *batch = true;
        /* fall through */
    case MCP__MSG_REQUEST:
        break;
    case MCP__MSG_NOTIFICATION:
        mcp__engine_notification(t->peer, msg);
        cJSON_Delete(msg);
        msg = NULL;
        break;
    case MCP__MSG_RESPONSE:
        mcp__engine_response(t->peer, msg);
        msg = NULL;
        break;
    case MCP__MSG_INVALID:
        break;
    }
    if (reply)
        stdio_send(&t->sink, reply, strlen(reply), true, 0);
    mcp__free(reply);
    return msg;
}

static void reply_too_large(struct stdio_transport *t)
{
    char why[96];
    snprintf(why, sizeof why, "Invalid Request: message larger than %zu bytes",
             t->srv->max_message);
    char *reply = mcp__engine_error(NULL, MCP__RPC_INVALID_REQUEST, why, NULL);
    if (reply)
        stdio_send(&t->sink, reply, strlen(reply), true, 0);
    mcp__free(reply);
}

/* Reads until a request is complete and returns it (owned), or NULL at the end of input, on a
 * stop request or a read error (t->rc). A line longer than the limit is answered with an
 * error and skipped without being kept in memory. */
static cJSON *next_request(struct stdio_transport *t, bool *batch)
{
    struct input *in = &t->in;
    for (;;) {
        while (in->pos < in->len) {
            const char *p = in->chunk + in->pos, *end = in->chunk + in->len;
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t piece = (size_t)((nl ? nl : end) - p);
            if (!in->skipping && mcp__buf_add(&in->line, p, piece) == MCP_E2BIG) {
                in->skipping = true;
                reply_too_large(t);
            }
            in->pos += piece + (nl ? 1 : 0);
            if (!nl)
                break;
            cJSON *msg = in->skipping ? NULL
                                      : handle_line(t, in->line.data ? in->line.data : "",
                                                    in->line.len, batch);
            in->skipping = false;
            mcp__buf_reset(&in->line);
            if (msg)
                return msg;
        }
        if (atomic_load(&t->srv->stopping))
            return NULL;
        hold_output(t, false); /* about to wait: what the client waits for leaves first */
        struct pollfd fds[2] = {{t->in_fd, POLLIN, 0}, {t->stop_fd, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            t->rc = MCP_EIO;
            return NULL;
        }
        if (fds[1].revents)
            return NULL;
        ssize_t n = read(t->in_fd, in->chunk, READ_CHUNK);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return NULL; /* end of input: the client is gone */
        in->pos = 0;
        in->len = (size_t)n;
    }
}

/* Waits until no request is in flight or `ms` passed. */
static void wait_idle(struct stdio_transport *t, unsigned ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += ms / 1000;
    pthread_mutex_lock(&t->count_lock);
    while (atomic_load(&t->in_flight) &&
           pthread_cond_timedwait(&t->count_zero, &t->count_lock, &deadline) == 0)
        ;
    pthread_mutex_unlock(&t->count_lock);
}

/* The input ended or the server is stopping: run by the thread that read it, while the other
 * may still be serving a request. */
static void end_input(struct stdio_transport *t)
{
    hold_output(t, false); /* answers held when a stop cut the reading short leave first */
    /* Stopped: cancel at once. End of input: let calls finish for a while, but asks can no
     * longer be answered. */
    if (!atomic_load(&t->srv->stopping)) {
        mcp__peer_close(t->peer, false);
        wait_idle(t, DRAIN_MS);
    }
    mcp__peer_close(t->peer, true);
    pthread_mutex_lock(&t->role_lock);
    atomic_store(&t->finished, true);
    pthread_cond_broadcast(&t->role_cond);
    pthread_mutex_unlock(&t->role_lock);
}

/* The stand-by's duty: returns true once it has taken the input over from a reader busy with
 * the same request at two looks a full period apart, false when serving is over. While
 * requests come it looks every TAKEOVER_MS instead of being woken for each; after IDLE_LOOKS
 * without one it sleeps until the reader wakes it. */
static bool stand_by(struct stdio_transport *t)
{
    bool took = false, seen_valid = false; /* seen: `busy` a full period ago */
    unsigned long seen = 0;
    unsigned quiet = 0;
    pthread_mutex_lock(&t->role_lock);
    atomic_store(&t->standing_by, true);
    while (!atomic_load(&t->finished)) {
        unsigned long now = atomic_load(&t->busy);
        bool same = seen_valid && now == seen;
        quiet = same && !(now & 1) ? quiet + 1 : 0;
        seen = now;
        /* If the reader ends that request meanwhile, busy has moved on and this fails. */
        if (same && (now & 1) && atomic_compare_exchange_strong(&t->busy, &now, now + 1)) {
            took = true;
            break;
        }
        if (quiet < IDLE_LOOKS) {
            struct timespec ts = mcp__deadline_after(TAKEOVER_MS);
            /* Woken early (the reader's signal, a spurious wake-up), this look is no period
             * after the next one: start over. */
            seen_valid = pthread_cond_timedwait(&t->role_cond, &t->role_lock, &ts) == ETIMEDOUT;
            continue;
        }
        /* The reader makes busy odd, then looks whether we sleep; we say we sleep, then look
         * whether busy is odd: one of the two sees the other (both sequentially consistent),
         * and the reader signals under role_lock, which we hold until we wait. */
        atomic_store(&t->standby_asleep, true);
        if (!(atomic_load(&t->busy) & 1))
            pthread_cond_wait(&t->role_cond, &t->role_lock);
        atomic_store(&t->standby_asleep, false);
        quiet = 0;
        seen_valid = false;
    }
    atomic_store(&t->standing_by, false);
    pthread_mutex_unlock(&t->role_lock);
    return took;
}

/* What both threads run. The reader serves each request it reads itself, which costs no
 * hand-off between threads, as long as the other thread stands by to take the input over
 * should the request run long (the input must stay read: cancellations, answers to asks,
 * more requests). Without a stand-by, requests go to the pool. */
static void serve(struct stdio_transport *t, bool reading)
{
    for (;;) {
        if (!reading && !stand_by(t))
            return;
        reading = true;
        bool batch;
        cJSON *msg = next_request(t, &batch);
        if (!msg) {
            end_input(t);
            return;
        }
        /* initialize is served before the next line is read in any case: a client that
         * sends requests right behind it, without waiting, must find the session set up. */
        const char *method = batch ? NULL : mcp__json_str(msg, "method");
        bool initialize = method && strcmp(method, "initialize") == 0;
        count_request(t);
        hold_output(t, more_read(&t->in));
        if (initialize) {
            serve_counted(t, msg, batch); /* the input stays with this thread meanwhile */
            continue;
        }
        /* Nobody else stops standing by while we hold the input: the stand-by leaves only by
         * taking it from us or once we ended it. */
        if (!atomic_load(&t->standing_by)) {
            submit(t, msg, batch);
            continue;
        }
        /* Even while we hold the input: only we make it odd, only an odd value is taken. */
        unsigned long serving = atomic_load(&t->busy) + 1;
        atomic_store(&t->busy, serving);
        if (atomic_load(&t->standby_asleep)) {
            pthread_mutex_lock(&t->role_lock);
            pthread_cond_signal(&t->role_cond);
            pthread_mutex_unlock(&t->role_lock);
        }
        serve_counted(t, msg, batch);
        /* Fails when the stand-by took the input over meanwhile. */
        reading = atomic_compare_exchange_strong(&t->busy, &serving, serving + 1);
        if (atomic_load(&t->finished))
            return;
    }
}

static void *second_thread(void *arg)
{
    serve(arg, false);
    return NULL;
}

int mcp_server_serve_stdio(struct mcp_server *srv, int in_fd, int out_fd)
{
    int pipefd[2];
    if (pipe(pipefd))
        return MCP_EIO;
    /* A client that goes away must not kill us with SIGPIPE: writes fail instead. */
    signal(SIGPIPE, SIG_IGN);
    mcp__server_freeze(srv);
    atomic_store(&srv->stop_fd, pipefd[1]);

    struct stdio_transport t = {.sink.send = stdio_send,
                                .srv = srv,
                                .in_fd = in_fd,
                                .out_fd = out_fd,
                                .stop_fd = pipefd[0]};
    atomic_init(&t.sink.closed, false);
    atomic_init(&t.hold, false);
    atomic_init(&t.in_flight, 0);
    atomic_init(&t.standing_by, false);
    atomic_init(&t.standby_asleep, false);
    atomic_init(&t.busy, 0);
    atomic_init(&t.finished, false);
    pthread_mutex_init(&t.write_lock, NULL);
    pthread_mutex_init(&t.count_lock, NULL);
    pthread_cond_init(&t.count_zero, NULL);
    pthread_mutex_init(&t.role_lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&t.role_cond, &attr);
    pthread_condattr_destroy(&attr);
    mcp__buf_init(&t.in.line, srv->max_message);
    mcp__buf_init(&t.held, HELD_MAX);
    t.in.chunk = mcp__malloc(READ_CHUNK);
    t.peer = mcp__peer_new(srv, &t.sink);
    t.pool = mcp__pool_new(MAX_WORKERS);
    int rc = t.peer && t.pool && t.in.chunk ? 0 : MCP_ENOMEM;

    pthread_t second;
    bool two = !rc && pthread_create(&second, NULL, second_thread, &t) == 0;
    if (!rc)
        serve(&t, true); /* returns once the input ended and the other thread knows */
    if (two)
        pthread_join(second, NULL);
    if (!rc)
        rc = t.rc;
    mcp__pool_free(t.pool);
    mcp__peer_unref(t.peer);
    atomic_store(&srv->stop_fd, -1);
    close(pipefd[0]);
    close(pipefd[1]);
    mcp__free(t.in.chunk);
    mcp__buf_release(&t.in.line);
    mcp__buf_release(&t.held);
    pthread_cond_destroy(&t.role_cond);
    pthread_mutex_destroy(&t.role_lock);
    pthread_cond_destroy(&t.count_zero);
    pthread_mutex_destroy(&t.count_lock);
    pthread_mutex_destroy(&t.write_lock);
    return rc;
}
