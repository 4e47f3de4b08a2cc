/* Unit tests of the tasks extension: the store (ids, principal binding, expiry, the caps,
 * cancellation) and the engine paths (CreateTaskResult, tasks/get, tasks/update with partial
 * answers, tasks/cancel, input_required round trips before a task, failures, bad input, and
 * every allocation failing in turn). */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc_int.h"
#include "engine_int.h"
#include "json_int.h"
#include "mcp/mcp.h"
#include "server_int.h"
#include "tasks_int.h"
#include "harness.h"
#include "test.h"

#define V "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\""
#define CAPS "\"io.modelcontextprotocol/clientCapabilities\":"
/* A 2026-07-28 client that declared the extension, and one that did not. */
#define EXT                                                                                        \
    "\"_meta\":{" V "," CAPS "{\"elicitation\":{},\"extensions\":{\"" MCP__TASKS_EXT "\":{}}}}"
#define NOEXT "\"_meta\":{" V "," CAPS "{\"elicitation\":{}}}"

/* tasks/get, tasks/update or tasks/cancel (with an empty inputResponses) of a task. */
#define BY_ID                                                                                      \
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":{\"taskId\":\"%s\","               \
    "\"inputResponses\":{}," EXT "}}"
#define CANCEL                                                                                     \
    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tasks/cancel\",\"params\":{\"taskId\":\"%s\"," EXT \
    "}}"
#define UPDATE                                                                                     \
    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tasks/update\",\"params\":{\"taskId\":\"%s\","     \
    "\"inputResponses\":%s," EXT "}}"

static void sleep_ms(long ms)
{
    nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L}, NULL);
}

/* --- Tools. */

static int start(struct mcp_call *call)
{
    int rc = mcp_call_start_task(call);
    return rc == MCP_ENOTSUP ? 0 : rc;
}

static int sync_tool(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    CHECK_INT(mcp_call_start_task(call), MCP_ENOTSUP); /* no taskSupport declared */
    return mcp_call_text(call, "sync");
}

static int slow(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)ud;
    const cJSON *ms = mcp__json_get(args, "ms");
    long total = cJSON_IsNumber(ms) ? (long)ms->valuedouble : 5000;
    int rc = start(call);
    for (long t = 0; !rc && t < total; t += 5) {
        if (mcp_call_cancelled(call))
            return MCP_ECANCELED;
        sleep_ms(5);
    }
    return rc ? rc : mcp_call_text(call, "slept %ld", total);
}

static int quick(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    int rc = start(call);
    return rc ? rc : mcp_call_text(call, "quick");
}

static int ask(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    const cJSON *answer = NULL;
    int rc = start(call);
    if (!rc)
        rc = mcp_call_ask_named(call, "ok", "elicitation/create",
                                mcp__json_parse_str("{\"message\":\"ok?\",\"requestedSchema\":{"
                                                    "\"type\":\"object\"}}"),
                                &answer);
    return rc ? rc : mcp_call_text(call, "action=%s", mcp__json_str(answer, "action"));
}

static int two(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    const cJSON *a = NULL, *b = NULL;
    int rc = start(call);
    if (rc)
        return rc;
    const char *q = "{\"message\":\"?\",\"requestedSchema\":{\"type\":\"object\"}}";
    int ra = mcp_call_ask_named(call, "a", "elicitation/create", mcp__json_parse_str(q), &a);
    int rb = mcp_call_ask_named(call, "b", "elicitation/create", mcp__json_parse_str(q), &b);
    if (ra || rb)
        return ra ? ra : rb;
    return mcp_call_text(call, "a=%s b=%s", mcp__json_str(a, "action"), mcp__json_str(b, "action"));
}

static int crash(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    int rc = start(call);
    return rc ? rc : mcp_call_protocol_error(call, -32603, "Internal error: boom");
}

static int fails(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    int rc = start(call);
    return rc ? rc : mcp_call_error(call, "bad input; try another");
}

/* Asks with input_required round trips, then becomes a task. */
static int mrtr(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    const cJSON *answer = NULL;
    int rc = mcp_call_ask_named(call, "who", "elicitation/create",
                                mcp__json_parse_str("{\"message\":\"who?\",\"requestedSchema\":{"
                                                    "\"type\":\"object\"}}"),
                                &answer);
    if (!rc)
        rc = start(call);
    return rc ? rc
              : mcp_call_text(call, "hi %s",
                              mcp__json_str(mcp__json_obj(answer, "content"), "name"));
}

#define OPT ",\"execution\":{\"taskSupport\":\"optional\"}}"
#define TOOL(name)                                                                                 \
    "{\"name\":\"" name "\",\"description\":\"d\",\"inputSchema\":{\"type\":\"object\"}"

static struct mcp_server *make_server(void)
{
    struct mcp_server *srv = mcp_server_new("unit", "1");
    CHECK_INT(mcp_server_add_tool(srv, TOOL("sync") "}", sync_tool, NULL), 0);
    CHECK_INT(mcp_server_add_tool(srv, TOOL("slow") OPT, slow, NULL), 0);
    CHECK_INT(mcp_server_add_tool(srv, TOOL("quick") OPT, quick, NULL), 0);
    CHECK_INT(mcp_server_add_tool(srv, TOOL("ask") OPT, ask, NULL), 0);
    CHECK_INT(mcp_server_add_tool(srv, TOOL("two") OPT, two, NULL), 0);
    CHECK_INT(mcp_server_add_tool(srv, TOOL("crash") OPT, crash, NULL), 0);
    CHECK_INT(mcp_server_add_tool(srv, TOOL("fails") OPT, fails, NULL), 0);
    CHECK_INT(mcp_server_add_tool(srv, TOOL("mrtr") OPT, mrtr, NULL), 0);
    CHECK_INT(mcp_server_add_tool(
                  srv, TOOL("needs") ",\"execution\":{\"taskSupport\":\"required\"}}", quick, NULL),
              0);
    /* execution must be an object, taskSupport one of the three words. */
    CHECK_INT(mcp_server_add_tool(srv, TOOL("bad1") ",\"execution\":true}", quick, NULL),
              MCP_EINVAL);
    CHECK_INT(mcp_server_add_tool(srv, TOOL("bad2") ",\"execution\":{\"taskSupport\":\"always\"}}",
                                  quick, NULL),
              MCP_EINVAL);
    CHECK_INT(
        mcp_server_add_tool(srv, TOOL("bad3") ",\"execution\":{\"taskSupport\":1}}", quick, NULL),
        MCP_EINVAL);
    return srv;
}

/* --- Driving the engine as the stateless HTTP transport does: a new peer per request. */

/* Sends one request (printf-style) as `who` and returns the final message (owned). */
static cJSON *rt(struct mcp_server *srv, const struct mcp__origin *who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static cJSON *rt(struct mcp_server *srv, const struct mcp__origin *who, const char *fmt, ...)
{
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    struct mcp__peer *peer = mcp__peer_new(srv, NULL);
    struct memsink m;
    mem_init(&m);
    cJSON *msg = NULL, *out = NULL;
    char *reply = NULL;
    if (mcp__engine_parse(peer, line, strlen(line), &msg, &reply) == MCP__MSG_REQUEST) {
        mcp__engine_request(peer, msg, &m.sink, who);
        out = cJSON_DetachItemFromArray(m.messages, cJSON_GetArraySize(m.messages) - 1);
    }
    mcp__free(reply);
    mem_release(&m);
    mcp__peer_unref(peer);
    return out;
}

static const cJSON *result_of(const cJSON *msg)
{
    return mcp__json_obj(msg, "result");
}

static int error_code(const cJSON *msg)
{
    const cJSON *code = mcp__json_get(mcp__json_obj(msg, "error"), "code");
    return cJSON_IsNumber(code) ? code->valueint : 0;
}

/* A tools/call whose handler goes on in the background after its CreateTaskResult. */
struct bg {
    pthread_t thread;
    struct memsink m;
    struct mcp__peer *peer;
    cJSON *msg;
    const struct mcp__origin *who;
    char id[64]; /* the task id */
};

static void *bg_run(void *arg)
{
    struct bg *b = arg;
    mcp__engine_request(b->peer, b->msg, &b->m.sink, b->who);
    return NULL;
}

/* Starts `tool` with `args` as a task; returns the CreateTaskResult (borrowed). */
static const cJSON *bg_start(struct bg *b, struct mcp_server *srv, const struct mcp__origin *who,
                             const char *tool, const char *args)
{
    char line[1024];
    snprintf(line, sizeof line,
             "{\"jsonrpc\":\"2.0\",\"id\":\"bg\",\"method\":\"tools/call\",\"params\":{\"name\":"
             "\"%s\",\"arguments\":%s," EXT "}}",
             tool, args);
    mem_init(&b->m);
    b->peer = mcp__peer_new(srv, NULL);
    b->who = who;
    char *reply = NULL;
    CHECK_INT(mcp__engine_parse(b->peer, line, strlen(line), &b->msg, &reply), MCP__MSG_REQUEST);
    pthread_create(&b->thread, NULL, bg_run, b);
    const cJSON *r = result_of(mem_wait(&b->m, 1));
    snprintf(b->id, sizeof b->id, "%s",
             mcp__json_str(r, "taskId") ? mcp__json_str(r, "taskId") : "");
    return r;
}

/* Waits for the handler to end: its request got one message only, the CreateTaskResult. */
static void bg_join(struct bg *b)
{
    pthread_join(b->thread, NULL);
    CHECK_INT(cJSON_GetArraySize(b->m.messages), 1);
    mem_release(&b->m);
    mcp__peer_unref(b->peer);
}

static cJSON *get(struct mcp_server *srv, const struct mcp__origin *who, const char *id)
{
    return rt(srv, who,
              "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tasks/get\",\"params\":{\"taskId\":"
              "\"%s\"," EXT "}}",
              id);
}

/* Polls tasks/get until the task has `status` (or 5 s passed); returns the last answer. */
static cJSON *await_status(struct mcp_server *srv, const char *id, const char *status)
{
    cJSON *r = NULL;
    for (int i = 0; i < 500; i++) {
        cJSON_Delete(r);
        r = get(srv, NULL, id);
        const char *s = mcp__json_str(result_of(r), "status");
        if (s && strcmp(s, status) == 0)
            break;
        sleep_ms(10);
    }
    return r;
}

/* --- The store. */

static void test_store(void)
{
    struct mcp__tasks *ts = mcp__tasks_new();
    struct mcp__task *a, *b;
    CHECK_INT(mcp__tasks_create(ts, "alice", &a), 0);
    CHECK_INT(mcp__tasks_create(ts, NULL, &b), 0);
    CHECK(strlen(a->id) >= 32 && strcmp(a->id, b->id) != 0);

    /* Bound to the principal: another one, or none, finds nothing. */
    struct mcp__task *f = mcp__tasks_find(ts, a->id, "alice");
    CHECK(f == a);
    mcp__tasks_put(ts, f);
    CHECK(mcp__tasks_find(ts, a->id, "bob") == NULL);
    CHECK(mcp__tasks_find(ts, a->id, NULL) == NULL);
    CHECK(mcp__tasks_find(ts, b->id, "alice") == NULL);
    CHECK(mcp__tasks_find(ts, "no-such-task", NULL) == NULL);

    cJSON *d = mcp__tasks_describe(ts, a, true);
    CHECK_STR(mcp__json_str(d, "status"), "working");
    CHECK_STR(mcp__json_str(d, "taskId"), a->id);
    CHECK_INT(mcp__json_get(d, "ttlMs")->valuedouble, ts->ttl_ms);
    CHECK(mcp__json_get(d, "pollIntervalMs")->valuedouble > 0);
    const char *created = mcp__json_str(d, "createdAt");
    CHECK(created && strlen(created) == 24 && created[10] == 'T' && created[23] == 'Z');
    CHECK(!mcp__json_get(d, "result") && !mcp__json_get(d, "error"));
    cJSON_Delete(d);

    /* Cancelled at once; what the handler still produces is dropped; cancel is idempotent. */
    mcp__tasks_cancel(ts, a);
    CHECK(mcp__task_cancelled(a));
    mcp__tasks_end(ts, a, mcp__json_parse_str("{\"content\":[]}"), NULL);
    mcp__tasks_cancel(ts, a);
    f = mcp__tasks_find(ts, a->id, "alice");
    d = mcp__tasks_describe(ts, f, true);
    CHECK_STR(mcp__json_str(d, "status"), "cancelled");
    CHECK(!mcp__json_get(d, "result"));
    cJSON_Delete(d);
    mcp__tasks_put(ts, f);

    /* Failed with its error, completed with its result. */
    mcp__tasks_end(ts, b, NULL, mcp__json_parse_str("{\"code\":-32603,\"message\":\"boom\"}"));
    d = mcp__tasks_describe(ts, b, true);
    CHECK_STR(mcp__json_str(d, "status"), "failed");
    CHECK_STR(mcp__json_str(d, "statusMessage"), "boom");
    CHECK_INT(mcp__json_get(mcp__json_obj(d, "error"), "code")->valueint, -32603);
    cJSON_Delete(d);

    /* The caps: max_active running, max_tasks listed (the oldest finished one makes room). */
    ts->max_active = 1;
    ts->max_tasks = 3;
    struct mcp__task *c, *e, *g;
    CHECK_INT(mcp__tasks_create(ts, NULL, &c), 0);
    CHECK_INT(mcp__tasks_create(ts, NULL, &e), MCP_EAGAIN);
    mcp__tasks_end(ts, c, mcp__json_parse_str("{\"content\":[]}"), NULL);
    char first[40];
    snprintf(first, sizeof first, "%s", a->id);
    CHECK_INT(mcp__tasks_create(ts, NULL, &g), 0); /* a, b, c listed: a goes */
    CHECK(mcp__tasks_find(ts, first, "alice") == NULL);
    CHECK_INT(ts->count, 3);
    mcp__tasks_end(ts, g, NULL, NULL);

    /* Expiry: forgotten after ttlMs, and a handler still running is told to stop. */
    ts->max_active = 8;
    ts->ttl_ms = 50;
    struct mcp__task *h;
    CHECK_INT(mcp__tasks_create(ts, NULL, &h), 0);
    char hid[40];
    snprintf(hid, sizeof hid, "%s", h->id);
    f = mcp__tasks_find(ts, hid, NULL);
    CHECK(f == h);
    mcp__tasks_put(ts, f);
    sleep_ms(80);
    mcp__tasks_sweep(ts);
    CHECK(mcp__task_cancelled(h));
    CHECK(mcp__tasks_find(ts, hid, NULL) == NULL);
    CHECK_INT(ts->count, 2); /* c and g: h expired, b made room for h */
    mcp__tasks_end(ts, h, mcp__json_parse_str("{}"), NULL); /* frees it: no leak under ASan */
    CHECK_INT(ts->active, 0);
    mcp__tasks_free(ts);
    mcp__tasks_free(NULL);
}

/* --- The engine. */

static void test_negotiation(struct mcp_server *srv)
{
    cJSON *r =
        rt(srv, NULL,
           "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\",\"params\":{" EXT "}}");
    const cJSON *ext = mcp__json_obj(mcp__json_obj(result_of(r), "capabilities"), "extensions");
    CHECK(mcp__json_obj(ext, MCP__TASKS_EXT) != NULL);
    CHECK(!mcp__json_get(mcp__json_obj(result_of(r), "capabilities"), "tasks"));
    cJSON_Delete(r);

    /* execution is listed in 2026-07-28 only: 2025-11-25's taskSupport means other tasks. */
    r = rt(srv, NULL,
           "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{" EXT "}}");
    const cJSON *slow_def = cJSON_GetArrayItem(mcp__json_arr(result_of(r), "tools"), 1);
    CHECK_STR(mcp__json_str(mcp__json_obj(slow_def, "execution"), "taskSupport"), "optional");
    CHECK_INT(cJSON_GetArraySize(mcp__json_arr(result_of(r), "tools")), 9);
    cJSON_Delete(r);
    r = rt(srv, NULL,
           "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{" NOEXT "}}");
    CHECK_INT(cJSON_GetArraySize(mcp__json_arr(result_of(r), "tools")), 8); /* no "needs" */
    cJSON_Delete(r);
    struct mcp__peer *peer = legacy_peer(srv, "2025-11-25");
    r = roundtrip(peer, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
    slow_def = cJSON_GetArrayItem(mcp__json_arr(result_of(r), "tools"), 1);
    CHECK_STR(mcp__json_str(slow_def, "name"), "slow");
    CHECK(!mcp__json_get(slow_def, "execution"));
    /* A legacy session never gets a task: a tool that runs only as one is an ordinary call
     * there. */
    CHECK_INT(cJSON_GetArraySize(mcp__json_arr(result_of(r), "tools")), 9);
    cJSON_Delete(r);
    r = roundtrip(peer, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{"
                        "\"name\":\"needs\"}}");
    CHECK_STR(mcp__json_str(cJSON_GetArrayItem(mcp__json_arr(result_of(r), "content"), 0), "text"),
              "quick");
    CHECK(!mcp__json_get(result_of(r), "taskId"));
    cJSON_Delete(r);
    r = roundtrip(peer, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tasks/get\",\"params\":{"
                        "\"taskId\":\"x\"}}");
    CHECK_INT(error_code(r), -32601);
    cJSON_Delete(r);
    mcp__peer_unref(peer);

    /* Without the extension: optional tools run synchronously, required ones are refused. */
    r = rt(srv, NULL,
           "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"slow\","
           "\"arguments\":{\"ms\":10}," NOEXT "}}");
    CHECK_STR(mcp__json_str(result_of(r), "resultType"), "complete");
    CHECK(!mcp__json_get(result_of(r), "taskId"));
    cJSON_Delete(r);
    r = rt(srv, NULL,
           "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/"
           "call\",\"params\":{\"name\":\"needs\"," NOEXT "}}");
    CHECK_INT(error_code(r), -32021);
    const cJSON *data = mcp__json_obj(mcp__json_obj(r, "error"), "data");
    CHECK(mcp__json_obj(mcp__json_obj(mcp__json_obj(data, "requiredCapabilities"), "extensions"),
                        MCP__TASKS_EXT) != NULL);
    cJSON_Delete(r);
    /* A tool without taskSupport stays synchronous with it. */
    r = rt(srv, NULL,
           "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"sync\","
           "\"task\":{\"ttl\":1000}," EXT "}}");
    CHECK_STR(mcp__json_str(result_of(r), "resultType"), "complete");
    cJSON_Delete(r);
}

static void test_bad_input(struct mcp_server *srv)
{
    static const char *const lines[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tasks/"
        "get\",\"params\":{\"taskId\":\"nope\"," EXT "}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tasks/get\",\"params\":{\"taskId\":7," EXT "}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tasks/get\",\"params\":{" EXT "}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tasks/"
        "cancel\",\"params\":{\"taskId\":\"nope\"," EXT "}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tasks/cancel\",\"params\":{\"taskId\":null," EXT
        "}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tasks/update\",\"params\":{\"taskId\":\"nope\","
        "\"inputResponses\":{}," EXT "}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tasks/update\",\"params\":{\"taskId\":\"nope\","
        "\"inputResponses\":[]," EXT "}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tasks/"
        "update\",\"params\":{\"taskId\":\"nope\"," EXT "}}",
    };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        cJSON *r = rt(srv, NULL, "%s", lines[i]);
        CHECK_INT(error_code(r), -32602);
        cJSON_Delete(r);
    }
    /* Not negotiated: -32021 before anything else. */
    cJSON *r = rt(srv, NULL,
                  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tasks/update\",\"params\":{"
                  "\"taskId\":\"nope\",\"inputResponses\":5," NOEXT "}}");
    CHECK_INT(error_code(r), -32021);
    cJSON_Delete(r);
    /* The methods 2025-11-25's tasks had and this extension removed. */
    r = rt(srv, NULL,
           "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tasks/"
           "result\",\"params\":{\"taskId\":\"x\"," EXT "}}");
    CHECK_INT(error_code(r), -32601);
    cJSON_Delete(r);
    r = rt(srv, NULL,
           "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tasks/list\",\"params\":{" EXT "}}");
    CHECK_INT(error_code(r), -32601);
    cJSON_Delete(r);
}

static void test_lifecycle(struct mcp_server *srv)
{
    struct bg b;
    const cJSON *created = bg_start(&b, srv, NULL, "slow", "{}");
    CHECK_STR(mcp__json_str(created, "resultType"), "task");
    CHECK_STR(mcp__json_str(created, "status"), "working");
    CHECK(!mcp__json_get(created, "result") && !mcp__json_get(created, "requestState") &&
          !mcp__json_get(created, "task"));
    CHECK(mcp__json_str(created, "createdAt") && mcp__json_str(created, "lastUpdatedAt"));

    cJSON *r = get(srv, NULL, b.id); /* found at once: created before it was announced */
    CHECK_STR(mcp__json_str(result_of(r), "status"), "working");
    CHECK_STR(mcp__json_str(result_of(r), "resultType"), "complete");
    cJSON_Delete(r);

    r = rt(srv, NULL, CANCEL, b.id);
    CHECK_STR(mcp__json_str(result_of(r), "resultType"), "complete");
    CHECK(!mcp__json_get(result_of(r), "taskId") && !mcp__json_get(result_of(r), "status"));
    cJSON_Delete(r);
    bg_join(&b); /* the handler saw the cancellation */
    r = get(srv, NULL, b.id);
    CHECK_STR(mcp__json_str(result_of(r), "status"), "cancelled");
    cJSON_Delete(r);
    r = rt(srv, NULL, CANCEL, b.id); /* idempotent on a finished task */
    CHECK_STR(mcp__json_str(result_of(r), "resultType"), "complete");
    cJSON_Delete(r);

    /* Completed with the result inlined; a tool error is completed too, with isError. */
    bg_start(&b, srv, NULL, "slow", "{\"ms\":20}");
    bg_join(&b);
    r = get(srv, NULL, b.id);
    CHECK_STR(mcp__json_str(result_of(r), "status"), "completed");
    const cJSON *res = mcp__json_obj(result_of(r), "result");
    CHECK_STR(mcp__json_str(cJSON_GetArrayItem(mcp__json_arr(res, "content"), 0), "text"),
              "slept 20");
    CHECK(!mcp__json_get(mcp__json_obj(res, "_meta"), "io.modelcontextprotocol/related-task"));
    cJSON_Delete(r);
    bg_start(&b, srv, NULL, "fails", "{}");
    bg_join(&b);
    r = get(srv, NULL, b.id);
    CHECK_STR(mcp__json_str(result_of(r), "status"), "completed");
    CHECK(mcp__json_bool(mcp__json_obj(result_of(r), "result"), "isError", false));
    cJSON_Delete(r);

    /* A protocol error fails the task, with the JSON-RPC error and no result. */
    bg_start(&b, srv, NULL, "crash", "{}");
    bg_join(&b);
    r = get(srv, NULL, b.id);
    CHECK_STR(mcp__json_str(result_of(r), "status"), "failed");
    CHECK_INT(mcp__json_get(mcp__json_obj(result_of(r), "error"), "code")->valueint, -32603);
    CHECK(!mcp__json_get(result_of(r), "result"));
    cJSON_Delete(r);
}

static void test_input(struct mcp_server *srv)
{
    struct bg b;
    bg_start(&b, srv, NULL, "ask", "{}");
    cJSON *r = await_status(srv, b.id, "input_required");
    const cJSON *reqs = mcp__json_obj(result_of(r), "inputRequests");
    CHECK_STR(mcp__json_str(mcp__json_obj(reqs, "ok"), "method"), "elicitation/create");
    cJSON_Delete(r);
    /* Bad answers are refused; unknown keys are ignored and the task keeps waiting. */
    r = rt(srv, NULL, UPDATE, b.id, "{\"ok\":\"yes\"}");
    CHECK_INT(error_code(r), -32602);
    cJSON_Delete(r);
    r = rt(srv, NULL, UPDATE, b.id, "{\"other\":{\"action\":\"accept\"}}");
    CHECK_STR(mcp__json_str(result_of(r), "resultType"), "complete");
    CHECK(!mcp__json_get(result_of(r), "status"));
    cJSON_Delete(r);
    r = get(srv, NULL, b.id);
    CHECK_STR(mcp__json_str(result_of(r), "status"), "input_required");
    cJSON_Delete(r);
    r = rt(srv, NULL, UPDATE, b.id, "{\"ok\":{\"action\":\"accept\"}}");
    CHECK_STR(mcp__json_str(result_of(r), "resultType"), "complete");
    cJSON_Delete(r);
    bg_join(&b);
    r = get(srv, NULL, b.id);
    CHECK_STR(mcp__json_str(result_of(r), "status"), "completed");
    const cJSON *res = mcp__json_obj(result_of(r), "result");
    CHECK_STR(mcp__json_str(cJSON_GetArrayItem(mcp__json_arr(res, "content"), 0), "text"),
              "action=accept");
    cJSON_Delete(r);

    /* Two questions at once, answered one by one. */
    bg_start(&b, srv, NULL, "two", "{}");
    r = await_status(srv, b.id, "input_required");
    CHECK_INT(cJSON_GetArraySize(mcp__json_obj(result_of(r), "inputRequests")), 2);
    cJSON_Delete(r);
    cJSON_Delete(rt(srv, NULL, UPDATE, b.id, "{\"a\":{\"action\":\"decline\"}}"));
    r = get(srv, NULL, b.id);
    CHECK_STR(mcp__json_str(result_of(r), "status"), "input_required");
    reqs = mcp__json_obj(result_of(r), "inputRequests");
    CHECK(cJSON_GetArraySize(reqs) == 1 && mcp__json_get(reqs, "b") != NULL);
    cJSON_Delete(r);
    cJSON_Delete(rt(srv, NULL, UPDATE, b.id, "{\"b\":{\"action\":\"accept\"}}"));
    bg_join(&b);
    r = get(srv, NULL, b.id);
    res = mcp__json_obj(result_of(r), "result");
    CHECK_STR(mcp__json_str(cJSON_GetArrayItem(mcp__json_arr(res, "content"), 0), "text"),
              "a=decline b=accept");
    cJSON_Delete(r);

    /* Cancelling a task that waits for input ends it. */
    bg_start(&b, srv, NULL, "ask", "{}");
    cJSON_Delete(await_status(srv, b.id, "input_required"));
    cJSON_Delete(rt(srv, NULL,
                    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tasks/cancel\",\"params\":{"
                    "\"taskId\":\"%s\"," EXT "}}",
                    b.id));
    bg_join(&b);
    r = get(srv, NULL, b.id);
    CHECK_STR(mcp__json_str(result_of(r), "status"), "cancelled");
    CHECK(!mcp__json_get(result_of(r), "inputRequests"));
    cJSON_Delete(r);
}

/* input_required round trips first, then the task; its requestState stays out of the task. */
static void test_mrtr_then_task(struct mcp_server *srv)
{
    cJSON *r1 = rt(srv, NULL,
                   "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":"
                   "\"mrtr\"," EXT "}}");
    CHECK_STR(mcp__json_str(result_of(r1), "resultType"), "input_required");
    CHECK(!mcp__json_get(result_of(r1), "taskId"));
    const char *state = mcp__json_str(result_of(r1), "requestState");
    CHECK(state != NULL);
    struct bg b;
    mem_init(&b.m);
    b.peer = mcp__peer_new(srv, NULL);
    b.who = NULL;
    char line[4096];
    snprintf(line, sizeof line,
             "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":"
             "\"mrtr\",\"requestState\":\"%s\",\"inputResponses\":{\"who\":{\"action\":\"accept\","
             "\"content\":{\"name\":\"Alice\"}}}," EXT "}}",
             state ? state : "");
    cJSON_Delete(r1);
    char *reply = NULL;
    CHECK_INT(mcp__engine_parse(b.peer, line, strlen(line), &b.msg, &reply), MCP__MSG_REQUEST);
    pthread_create(&b.thread, NULL, bg_run, &b);
    const cJSON *created = result_of(mem_wait(&b.m, 1));
    CHECK_STR(mcp__json_str(created, "resultType"), "task");
    CHECK(!mcp__json_get(created, "requestState") && !mcp__json_get(created, "inputRequests"));
    char id[64];
    snprintf(id, sizeof id, "%s", mcp__json_str(created, "taskId"));
    bg_join(&b);
    cJSON *r = get(srv, NULL, id);
    const cJSON *res = mcp__json_obj(result_of(r), "result");
    CHECK_STR(mcp__json_str(cJSON_GetArrayItem(mcp__json_arr(res, "content"), 0), "text"),
              "hi Alice");
    cJSON_Delete(r);
}

static void test_principals(struct mcp_server *srv)
{
    struct mcp__origin alice = {.principal = "alice"}, bob = {.principal = "bob"};
    struct bg b;
    bg_start(&b, srv, &alice, "slow", "{}");
    /* Another principal's task id is as good as none, and cannot cancel it. */
    cJSON *r = rt(srv, &bob, BY_ID, "tasks/get", b.id);
    CHECK_INT(error_code(r), -32602);
    cJSON_Delete(r);
    r = rt(srv, NULL, BY_ID, "tasks/get", b.id);
    CHECK_INT(error_code(r), -32602);
    cJSON_Delete(r);
    r = rt(srv, &bob, BY_ID, "tasks/cancel", b.id);
    CHECK_INT(error_code(r), -32602);
    cJSON_Delete(r);
    r = rt(srv, &alice, BY_ID, "tasks/get", b.id);
    CHECK_STR(mcp__json_str(result_of(r), "status"), "working");
    cJSON_Delete(r);
    r = rt(srv, &alice, BY_ID, "tasks/cancel", b.id);
    CHECK_STR(mcp__json_str(result_of(r), "resultType"), "complete");
    cJSON_Delete(r);
    bg_join(&b);
}

static void test_expiry(struct mcp_server *srv)
{
    long ttl = srv->tasks->ttl_ms;
    srv->tasks->ttl_ms = 100;
    struct bg b;
    bg_start(&b, srv, NULL, "slow", "{}");
    CHECK_INT(mcp__json_get(result_of(mem_wait(&b.m, 1)), "ttlMs")->valueint, 100);
    sleep_ms(150);
    cJSON *r = get(srv, NULL, b.id); /* forgotten, and its handler stopped */
    CHECK_INT(error_code(r), -32602);
    cJSON_Delete(r);
    bg_join(&b);
    srv->tasks->ttl_ms = ttl;
}

/* Shutting down cancels a running task through its request. */
static void test_shutdown(struct mcp_server *srv)
{
    struct bg b;
    bg_start(&b, srv, NULL, "ask", "{}");
    cJSON_Delete(await_status(srv, b.id, "input_required"));
    mcp__peer_cancel_all(b.peer);
    bg_join(&b);
    cJSON *r = get(srv, NULL, b.id);
    CHECK_STR(mcp__json_str(result_of(r), "status"), "cancelled");
    cJSON_Delete(r);
}

/* Every allocation fails in turn while a task is made and while it is read, updated and
 * cancelled: an answer or nothing each time, never a crash or a leak. */
static void test_alloc_failures(struct mcp_server *srv)
{
    const char *create = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{"
                         "\"name\":\"quick\"," EXT "}}";
    int runs = 0;
    for (long n = 1; n < 300; n++) {
        struct mcp__peer *peer = mcp__peer_new(srv, NULL);
        mcp__alloc_fail_at(n);
        cJSON *r = roundtrip(peer, create); /* the handler ends before the call returns */
        mcp__alloc_fail_at(0);
        cJSON_Delete(r);
        mcp__peer_unref(peer);
        runs++;
    }
    cJSON *r = rt(srv, NULL, "%s", create);
    char id[64];
    snprintf(id, sizeof id, "%s", mcp__json_str(result_of(r), "taskId"));
    cJSON_Delete(r);
    static const char *const methods[] = {"tasks/get", "tasks/update", "tasks/cancel"};
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
        char line[1024];
        snprintf(line, sizeof line, BY_ID, methods[i], id);
        for (long n = 1; n < 150; n++) {
            struct mcp__peer *peer = mcp__peer_new(srv, NULL);
            mcp__alloc_fail_at(n);
            r = roundtrip(peer, line);
            mcp__alloc_fail_at(0);
            cJSON_Delete(r);
            mcp__peer_unref(peer);
            runs++;
        }
    }
    CHECK_INT(runs, 299 + 3 * 149);
    r = get(srv, NULL, id);
    CHECK_STR(mcp__json_str(result_of(r), "status"), "completed");
    cJSON_Delete(r);
}

int main(void)
{
    test_store();
    struct mcp_server *srv = make_server();
    test_negotiation(srv);
    test_bad_input(srv);
    test_lifecycle(srv);
    test_input(srv);
    test_mrtr_then_task(srv);
    test_principals(srv);
    test_expiry(srv);
    test_shutdown(srv);
    test_alloc_failures(srv);
    mcp_server_free(srv);
    return test_report();
}
