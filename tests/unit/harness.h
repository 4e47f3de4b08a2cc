/* Drives the engine without a transport: a sink that keeps what it is sent, and helpers to
 * run one request line or open a legacy session. For the unit tests. */
#ifndef MCP_TEST_HARNESS_H
#define MCP_TEST_HARNESS_H

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc_int.h"
#include "engine_int.h"
#include "json_int.h"
#include "test.h"

/* A sink that keeps every message it is given. */
struct memsink {
    struct mcp__sink sink;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    cJSON *messages;
    bool final;
    int error; /* of the final message */
};

static inline int mem_send(struct mcp__sink *sink, const char *json, size_t len, bool final,
                           int error)
{
    struct memsink *m = (struct memsink *)sink;
    if (final)
        m->error = error;
    pthread_mutex_lock(&m->lock);
    cJSON *msg = json ? mcp__json_parse(json, len) : NULL;
    if (msg && !cJSON_AddItemToArray(m->messages, msg))
        cJSON_Delete(msg); /* the array itself failed to allocate */
    m->final = m->final || final;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
    return 0;
}

static inline void mem_init(struct memsink *m)
{
    memset(m, 0, sizeof(*m)); /* the sink's optional hooks stay NULL */
    m->sink.send = mem_send;
    atomic_init(&m->sink.closed, false);
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->cond, NULL);
    m->messages = cJSON_CreateArray();
    m->final = false;
}

static inline void mem_release(struct memsink *m)
{
    cJSON_Delete(m->messages);
    pthread_cond_destroy(&m->cond);
    pthread_mutex_destroy(&m->lock);
}

/* Waits until `n` messages arrived; returns the nth (1-based), borrowed. */
static inline const cJSON *mem_wait(struct memsink *m, int n)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&m->lock);
    while (cJSON_GetArraySize(m->messages) < n &&
           pthread_cond_timedwait(&m->cond, &m->lock, &deadline) == 0)
        ;
    const cJSON *msg = cJSON_GetArrayItem(m->messages, n - 1);
    pthread_mutex_unlock(&m->lock);
    return msg;
}

/* Sends one request line and returns the final message (owned) or NULL. */
static inline cJSON *roundtrip(struct mcp__peer *peer, const char *line)
{
    struct memsink m;
    mem_init(&m);
    cJSON *msg = NULL;
    char *reply = NULL;
    cJSON *out = NULL;
    enum mcp__msg_kind kind = mcp__engine_parse(peer, line, strlen(line), &msg, &reply);
    if (kind == MCP__MSG_REQUEST) {
        mcp__engine_request(peer, msg, &m.sink, NULL);
        out = cJSON_DetachItemFromArray(m.messages, cJSON_GetArraySize(m.messages) - 1);
    } else if (reply) {
        out = mcp__json_parse_str(reply);
    }
    mcp__free(reply);
    mem_release(&m);
    return out;
}

static inline struct mcp__peer *legacy_peer(struct mcp_server *srv, const char *version)
{
    struct mcp__peer *peer = mcp__peer_new(srv, NULL);
    char line[512];
    snprintf(line, sizeof line,
             "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
             "\"protocolVersion\":\"%s\",\"capabilities\":{\"elicitation\":{}},"
             "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}",
             version);
    cJSON *r = roundtrip(peer, line);
    CHECK_STR(mcp__json_str(mcp__json_obj(r, "result"), "protocolVersion"), version);
    cJSON_Delete(r);
    return peer;
}

struct answerer {
    struct memsink *m;
    struct mcp__peer *peer;
    const char *action;
};

/* Plays the client: waits for the elicitation request and answers it with `action`. */
static inline void *answer(void *arg)
{
    struct answerer *a = arg;
    const cJSON *ask = mem_wait(a->m, 1);
    CHECK_STR(mcp__json_str(ask, "method"), "elicitation/create");
    char line[256];
    snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"result\":{\"action\":\"%s\"}}",
             mcp__json_get(ask, "id") ? mcp__json_get(ask, "id")->valueint : -1, a->action);
    cJSON *msg = NULL;
    char *reply = NULL;
    CHECK_INT(mcp__engine_parse(a->peer, line, strlen(line), &msg, &reply), MCP__MSG_RESPONSE);
    mcp__engine_response(a->peer, msg);
    return NULL;
}

#endif
