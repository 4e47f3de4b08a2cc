/* The stdio transport: newline-delimited JSON-RPC on two descriptors. One thread reads and
 * routes (answers to asks and cancellations are handled at once, so a running call can be
 * cancelled or get its answer); requests run on a worker pool; writes are serialised so
 * every message leaves as one whole line. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "alloc_int.h"
#include "buf_int.h"
#include "engine_int.h"
#include "json_int.h"
#include "pool_int.h"

#include "banned.h"

#define MAX_WORKERS 64
#define READ_CHUNK 65536
/* How long calls in flight may go on after the client closed its end. */
#define DRAIN_MS 5000

struct stdio_transport {
    struct mcp__sink sink; /* first: the engine hands us back our sink */
    struct mcp_server *srv;
    struct mcp__peer *peer;
    struct mcp__pool *pool;
    int out_fd;
    pthread_mutex_t write_lock;
    pthread_mutex_t count_lock;
    pthread_cond_t count_zero;
    unsigned in_flight;
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

static int stdio_send(struct mcp__sink *sink, const char *json, size_t len, bool final)
{
    struct stdio_transport *t = (struct stdio_transport *)sink;
    (void) final;
    if (!json)
        return 0;
    if (atomic_load(&sink->closed))
        return MCP_ECLOSED;
    char nl = '\n';
    /* writev does not write through iov_base; the cast only drops const for its type. */
    struct iovec iov[2] = {{(void *)(uintptr_t)json, len}, {&nl, 1}};
    pthread_mutex_lock(&t->write_lock);
    int rc = write_all(t->out_fd, iov, 2);
    pthread_mutex_unlock(&t->write_lock);
    if (rc)
        atomic_store(&sink->closed, true);
    return rc;
}

static void run_job(void *arg)
{
    struct job *j = arg;
    struct stdio_transport *t = j->t;
    if (j->batch)
        mcp__engine_batch(t->peer, j->msg, &t->sink, NULL);
    else
        mcp__engine_request(t->peer, j->msg, &t->sink, NULL);
    mcp__free(j);
    pthread_mutex_lock(&t->count_lock);
    if (--t->in_flight == 0)
        pthread_cond_broadcast(&t->count_zero);
    pthread_mutex_unlock(&t->count_lock);
}

static void submit(struct stdio_transport *t, cJSON *msg, bool batch)
{
    /* initialize runs before the next line is read: a client that sends requests right
     * behind it, without waiting, must find the session already set up. */
    const char *method = batch ? NULL : mcp__json_str(msg, "method");
    if (method && strcmp(method, "initialize") == 0) {
        mcp__engine_request(t->peer, msg, &t->sink, NULL);
        return;
    }
    struct job *j = mcp__malloc(sizeof(*j));
    if (j) {
        *j = (struct job){.t = t, .msg = msg, .batch = batch};
        pthread_mutex_lock(&t->count_lock);
        t->in_flight++;
        pthread_mutex_unlock(&t->count_lock);
        if (mcp__pool_submit(t->pool, run_job, j) == 0)
            return;
        pthread_mutex_lock(&t->count_lock);
        t->in_flight--;
        pthread_mutex_unlock(&t->count_lock);
        mcp__free(j);
    }
    bool dup;
    if (!batch)
        mcp__peer_release(t->peer, mcp__peer_claim(t->peer, mcp__json_get(msg, "id"), &dup));
    char *reply = mcp__engine_error(mcp__json_get(msg, "id"), MCP__RPC_INTERNAL_ERROR,
                                    "Internal error: server overloaded, try again", NULL);
    if (reply)
        stdio_send(&t->sink, reply, strlen(reply), true);
    mcp__free(reply);
    cJSON_Delete(msg);
}

/* Handles one line from the client. */
static void handle_line(struct stdio_transport *t, const char *line, size_t len)
{
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    if (!len)
        return; /* blank lines are not messages */
    cJSON *msg = NULL;
    char *reply = NULL;
    switch (mcp__engine_parse(t->peer, line, len, &msg, &reply)) {
    case MCP__MSG_REQUEST:
        submit(t, msg, false);
        break;
    case MCP__MSG_BATCH:
        submit(t, msg, true);
        break;
    case MCP__MSG_NOTIFICATION:
        mcp__engine_notification(t->peer, msg);
        cJSON_Delete(msg);
        break;
    case MCP__MSG_RESPONSE:
        mcp__engine_response(t->peer, msg);
        break;
    case MCP__MSG_INVALID:
        break;
    }
    if (reply)
        stdio_send(&t->sink, reply, strlen(reply), true);
    mcp__free(reply);
}

static void reply_too_large(struct stdio_transport *t)
{
    char why[96];
    snprintf(why, sizeof why, "Invalid Request: message larger than %zu bytes",
             t->srv->max_message);
    char *reply = mcp__engine_error(NULL, MCP__RPC_INVALID_REQUEST, why, NULL);
    if (reply)
        stdio_send(&t->sink, reply, strlen(reply), true);
    mcp__free(reply);
}

/* Reads lines until end of input or a stop request. A line longer than the limit is
 * answered with an error and skipped without being kept in memory. */
static int read_loop(struct stdio_transport *t, int in_fd, int stop_fd)
{
    struct mcp__buf line;
    mcp__buf_init(&line, t->srv->max_message);
    char *chunk = mcp__malloc(READ_CHUNK);
    bool skipping = false;
    int rc = chunk ? 0 : MCP_ENOMEM;
    while (!rc && !atomic_load(&t->srv->stopping)) {
        struct pollfd fds[2] = {{in_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            rc = MCP_EIO;
            break;
        }
        if (fds[1].revents)
            break;
        ssize_t n = read(in_fd, chunk, READ_CHUNK);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            break; /* end of input: the client is gone */
        const char *p = chunk, *end = chunk + n;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t piece = (size_t)((nl ? nl : end) - p);
            if (!skipping && mcp__buf_add(&line, p, piece) == MCP_E2BIG) {
                skipping = true;
                reply_too_large(t);
            }
            if (nl) {
                if (!skipping)
                    handle_line(t, line.data ? line.data : "", line.len);
                skipping = false;
                mcp__buf_reset(&line);
            }
            p += piece + (nl ? 1 : 0);
        }
    }
    mcp__free(chunk);
    mcp__buf_release(&line);
    return rc;
}

/* Waits until no request is in flight or `ms` passed. */
static void wait_idle(struct stdio_transport *t, unsigned ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += ms / 1000;
    pthread_mutex_lock(&t->count_lock);
    while (t->in_flight && pthread_cond_timedwait(&t->count_zero, &t->count_lock, &deadline) == 0)
        ;
    pthread_mutex_unlock(&t->count_lock);
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

    struct stdio_transport t = {.sink.send = stdio_send, .srv = srv, .out_fd = out_fd};
    atomic_init(&t.sink.closed, false);
    pthread_mutex_init(&t.write_lock, NULL);
    pthread_mutex_init(&t.count_lock, NULL);
    pthread_cond_init(&t.count_zero, NULL);
    t.peer = mcp__peer_new(srv, &t.sink);
    t.pool = mcp__pool_new(MAX_WORKERS);
    int rc = t.peer && t.pool ? 0 : MCP_ENOMEM;

    if (!rc)
        rc = read_loop(&t, in_fd, pipefd[0]);
    if (t.peer) {
        /* Stopped: cancel at once. End of input: let calls finish for a while, but asks
         * can no longer be answered. */
        if (!atomic_load(&srv->stopping)) {
            mcp__peer_close(t.peer, false);
            wait_idle(&t, DRAIN_MS);
        }
        mcp__peer_close(t.peer, true);
    }
    mcp__pool_free(t.pool);
    mcp__peer_unref(t.peer);
    atomic_store(&srv->stop_fd, -1);
    close(pipefd[0]);
    close(pipefd[1]);
    pthread_cond_destroy(&t.count_zero);
    pthread_mutex_destroy(&t.count_lock);
    pthread_mutex_destroy(&t.write_lock);
    return rc;
}
