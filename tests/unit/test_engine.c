/* Unit tests of the engine driven directly, without a transport: results shaped per
 * revision, content blocks, the legacy ask answered from another thread, cancellation, and
 * every allocation failing in turn. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc_int.h"
#include "engine_int.h"
#include "json_int.h"
#include "mcp/mcp.h"
#include "harness.h"
#include "test.h"

static int rich(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    static const unsigned char png[] = {0x89, 'P', 'N', 'G'};
    int rc = mcp_call_text(call, "n=%d", 3);
    if (!rc)
        rc = mcp_call_add_content(call, mcp_content_image(png, sizeof png, "image/png"));
    if (!rc)
        rc = mcp_call_add_content(call, mcp_content_audio(png, sizeof png, "audio/wav"));
    if (!rc)
        rc = mcp_call_add_content(call, mcp_content_resource_link("file:///a", "a", NULL));
    if (!rc)
        rc = mcp_call_structured(call, mcp__json_parse_str("{\"n\":3}"));
    return rc;
}

static int asking(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    const cJSON *answer = NULL;
    int rc = mcp_call_elicit(call, "name?", "{\"type\":\"object\"}", &answer);
    if (rc)
        return rc;
    return mcp_call_text(call, "action=%s", mcp__json_str(answer, "action"));
}

static int waiting(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    for (int i = 0; i < 1000; i++) {
        if (mcp_call_cancelled(call))
            return MCP_ECANCELED;
        nanosleep(&(struct timespec){.tv_nsec = 2000000}, NULL);
    }
    return mcp_call_text(call, "not cancelled");
}

static struct mcp_server *make_server(void)
{
    struct mcp_server *srv = mcp_server_new("unit", "1.2.3");
    CHECK(srv != NULL);
    CHECK_INT(mcp_server_add_tool(srv,
                                  "{\"name\":\"rich\",\"title\":\"Rich\",\"description\":\"d\","
                                  "\"inputSchema\":{\"type\":\"object\"},\"outputSchema\":{"
                                  "\"type\":\"object\",\"properties\":{\"n\":{\"type\":"
                                  "\"integer\"}},\"required\":[\"n\"]},\"annotations\":{"
                                  "\"readOnlyHint\":true},\"icons\":[]}",
                                  rich, NULL),
              0);
    CHECK_INT(mcp_server_add_tool(srv,
                                  "{\"name\":\"asking\",\"description\":\"d\",\"inputSchema\":{"
                                  "\"type\":\"object\"}}",
                                  asking, NULL),
              0);
    CHECK_INT(mcp_server_add_tool(srv,
                                  "{\"name\":\"waiting\",\"description\":\"d\",\"inputSchema\":{"
                                  "\"type\":\"object\"}}",
                                  waiting, NULL),
              0);
    /* Bad definitions are refused. */
    CHECK_INT(mcp_server_add_tool(srv,
                                  "{\"name\":\"rich\",\"description\":\"d\","
                                  "\"inputSchema\":{\"type\":\"object\"}}",
                                  rich, NULL),
              MCP_EEXIST);
    CHECK_INT(mcp_server_add_tool(srv,
                                  "{\"name\":\"bad name\",\"description\":\"d\","
                                  "\"inputSchema\":{\"type\":\"object\"}}",
                                  rich, NULL),
              MCP_EINVAL);
    CHECK_INT(mcp_server_add_tool(srv,
                                  "{\"name\":\"x\",\"description\":\"d\","
                                  "\"inputSchema\":{\"type\":\"string\"}}",
                                  rich, NULL),
              MCP_EINVAL);
    CHECK_INT(mcp_server_add_tool(srv, "{not json", rich, NULL), MCP_EINVAL);
    return srv;
}

static void test_shapes(struct mcp_server *srv)
{
    const char *list = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";
    const char *call = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{"
                       "\"name\":\"rich\"}}";
    /* Newest legacy revision: everything. */
    struct mcp__peer *peer = legacy_peer(srv, "2025-11-25");
    cJSON *r = roundtrip(peer, list);
    const cJSON *tool = cJSON_GetArrayItem(mcp__json_arr(mcp__json_obj(r, "result"), "tools"), 0);
    CHECK_STR(mcp__json_str(tool, "title"), "Rich");
    CHECK(mcp__json_get(tool, "outputSchema") && mcp__json_get(tool, "icons"));
    cJSON_Delete(r);
    r = roundtrip(peer, call);
    const cJSON *res = mcp__json_obj(r, "result");
    const cJSON *content = mcp__json_arr(res, "content");
    CHECK_INT(cJSON_GetArraySize(content), 4);
    CHECK_STR(mcp__json_str(cJSON_GetArrayItem(content, 1), "data"), "iVBORw==");
    CHECK_STR(mcp__json_str(cJSON_GetArrayItem(content, 3), "type"), "resource_link");
    CHECK(cJSON_IsNumber(mcp__json_get(mcp__json_obj(res, "structuredContent"), "n")));
    CHECK(mcp__json_get(res, "resultType") == NULL); /* legacy results have none */
    cJSON_Delete(r);
    mcp__peer_unref(peer);

    /* 2024-11-05: no title, outputSchema or annotations; audio and links become text. */
    peer = legacy_peer(srv, "2024-11-05");
    r = roundtrip(peer, list);
    tool = cJSON_GetArrayItem(mcp__json_arr(mcp__json_obj(r, "result"), "tools"), 0);
    CHECK(!mcp__json_get(tool, "title") && !mcp__json_get(tool, "outputSchema") &&
          !mcp__json_get(tool, "annotations") && !mcp__json_get(tool, "icons"));
    CHECK_STR(mcp__json_str(tool, "name"), "rich");
    cJSON_Delete(r);
    r = roundtrip(peer, call);
    res = mcp__json_obj(r, "result");
    content = mcp__json_arr(res, "content");
    CHECK_STR(mcp__json_str(cJSON_GetArrayItem(content, 2), "type"), "text");
    CHECK_STR(mcp__json_str(cJSON_GetArrayItem(content, 3), "type"), "text");
    CHECK(mcp__json_get(res, "structuredContent") == NULL);
    cJSON_Delete(r);
    mcp__peer_unref(peer);
}

static void test_legacy_ask(struct mcp_server *srv)
{
    struct mcp__peer *peer = legacy_peer(srv, "2025-06-18");
    struct memsink m;
    mem_init(&m);
    struct answerer a = {&m, peer, "decline"};
    pthread_t t;
    pthread_create(&t, NULL, answer, &a);
    const char *line = "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{"
                       "\"name\":\"asking\"}}";
    cJSON *msg = NULL;
    char *reply = NULL;
    CHECK_INT(mcp__engine_parse(peer, line, strlen(line), &msg, &reply), MCP__MSG_REQUEST);
    mcp__engine_request(peer, msg, &m.sink, NULL);
    pthread_join(t, NULL);
    const cJSON *final = mem_wait(&m, 2);
    const cJSON *text =
        cJSON_GetArrayItem(mcp__json_arr(mcp__json_obj(final, "result"), "content"), 0);
    CHECK_STR(mcp__json_str(text, "text"), "action=decline");
    mem_release(&m);
    mcp__peer_unref(peer);
}

static void *cancel_soon(void *arg)
{
    struct mcp__peer *peer = arg;
    nanosleep(&(struct timespec){.tv_nsec = 50000000}, NULL);
    const char *line = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{"
                       "\"requestId\":\"w\"}}";
    cJSON *msg = NULL;
    char *reply = NULL;
    /* Checked by the main thread after the join: the check counters are not atomic. */
    static enum mcp__msg_kind kind;
    kind = mcp__engine_parse(peer, line, strlen(line), &msg, &reply);
    mcp__engine_notification(peer, msg);
    cJSON_Delete(msg);
    return &kind;
}

static void test_cancel(struct mcp_server *srv)
{
    struct mcp__peer *peer = legacy_peer(srv, "2025-11-25");
    struct memsink m;
    mem_init(&m);
    pthread_t t;
    pthread_create(&t, NULL, cancel_soon, peer);
    const char *line = "{\"jsonrpc\":\"2.0\",\"id\":\"w\",\"method\":\"tools/call\",\"params\":{"
                       "\"name\":\"waiting\"}}";
    cJSON *msg = NULL;
    char *reply = NULL;
    CHECK_INT(mcp__engine_parse(peer, line, strlen(line), &msg, &reply), MCP__MSG_REQUEST);
    mcp__engine_request(peer, msg, &m.sink, NULL);
    void *kind = NULL;
    pthread_join(t, &kind);
    CHECK(kind && *(enum mcp__msg_kind *)kind == MCP__MSG_NOTIFICATION);
    CHECK(m.final);
    CHECK_INT(cJSON_GetArraySize(m.messages), 0); /* nothing is sent for a cancelled call */
    mem_release(&m);
    mcp__peer_unref(peer);
}

/* Every allocation of a call fails in turn: each run ends in an answer or nothing, never a
 * crash or a leak (ASan/LSan check the latter). */
static void test_alloc_failures(struct mcp_server *srv)
{
    const char *lines[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"rich\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"asking\","
        "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
        "\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":{}}}}}",
    };
    int runs = 0;
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        for (long n = 1; n < 400; n++) {
            struct mcp__peer *peer = legacy_peer(srv, "2025-11-25");
            mcp__alloc_fail_at(n);
            cJSON *r = roundtrip(peer, lines[i]);
            mcp__alloc_fail_at(0);
            cJSON_Delete(r);
            mcp__peer_unref(peer);
            runs++;
        }
    }
    CHECK(runs == 1197);
}

/* What the HTTP transport relies on to serve a 2026-07-28 request on the thread that read it,
 * and to choose its status without reading the response. */
static void test_streaming_and_codes(struct mcp_server *srv)
{
#define MODERN_META "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\""
    static const struct {
        const char *line;
        bool streams;
    } cases[] = {
        {"{\"method\":\"tools/call\",\"params\":{\"name\":\"x\",\"_meta\":{" MODERN_META "}}}",
         false},
        {"{\"method\":\"tools/list\"}", false},
        {"{\"method\":\"subscriptions/listen\",\"params\":{}}", true},
        {"{\"method\":\"tools/call\",\"params\":{\"_meta\":{\"progressToken\":1}}}", true},
        {"{\"method\":\"tools/call\",\"params\":{\"_meta\":{"
         "\"io.modelcontextprotocol/logLevel\":\"info\"}}}",
         true},
        {"{\"method\":\"tools/call\",\"params\":{\"_meta\":{"
         "\"io.modelcontextprotocol/clientCapabilities\":{\"extensions\":{"
         "\"io.modelcontextprotocol/tasks\":{}}}}}}",
         true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cJSON *msg = mcp__json_parse_str(cases[i].line);
        CHECK(msg && mcp__engine_may_stream(msg) == cases[i].streams);
        cJSON_Delete(msg);
    }
#undef MODERN_META

    struct mcp__peer *peer = legacy_peer(srv, "2025-11-25");
    static const struct {
        const char *line;
        int code;
    } answers[] = {
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", 0},
        {"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"no/such\"}", MCP__RPC_METHOD_NOT_FOUND},
        {"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{}}",
         MCP__RPC_INVALID_PARAMS},
    };
    for (size_t i = 0; i < sizeof answers / sizeof *answers; i++) {
        struct memsink m;
        mem_init(&m);
        m.error = 12345; /* must be overwritten */
        cJSON *msg = mcp__json_parse_str(answers[i].line);
        mcp__engine_request(peer, msg, &m.sink, NULL);
        CHECK_INT(m.error, answers[i].code);
        mem_release(&m);
    }
    mcp__peer_unref(peer);
}

/* Nesting deeper than 128 levels is refused before cJSON recurses into it; brackets inside
 * strings do not count, however many. */
static void test_nesting(struct mcp_server *srv)
{
    char text[1024];
    int code;
    char why[128];
    cJSON *id;
    for (int depth = 127; depth <= 129; depth++) {
        size_t n = 0;
        for (int i = 0; i < depth; i++)
            text[n++] = '[';
        for (int i = 0; i < depth; i++)
            text[n++] = ']';
        cJSON *v = mcp__engine_parse_text(srv, text, n, &code, why, sizeof why, &id);
        CHECK(depth <= 128 ? v != NULL : v == NULL && code == MCP__RPC_PARSE_ERROR);
        cJSON_Delete(v);
        cJSON_Delete(id);
    }
    size_t n = (size_t)snprintf(text, sizeof text, "[\"");
    for (int i = 0; i < 300; i++)
        text[n++] = i % 2 ? '{' : '[';
    n += (size_t)snprintf(text + n, sizeof text - n, "\"]");
    cJSON *v = mcp__engine_parse_text(srv, text, n, &code, why, sizeof why, &id);
    CHECK(v != NULL && cJSON_IsString(cJSON_GetArrayItem(v, 0)));
    cJSON_Delete(v);
}

int main(void)
{
    struct mcp_server *srv = make_server();
    test_nesting(srv);
    test_shapes(srv);
    test_legacy_ask(srv);
    test_cancel(srv);
    test_streaming_and_codes(srv);
    test_alloc_failures(srv);
    mcp_server_free(srv);
    return test_report();
}
