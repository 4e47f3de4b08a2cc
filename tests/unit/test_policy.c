/* Profiles enforced by the server: blocked tools neither listed nor callable, "ask" tools run
 * only with the person's consent (legacy elicitation and 2026-07-28 input_required), limits,
 * data scopes, and broken profiles refused with one clear error. */
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "mcp/mcp.h"

static const char manifest[] =
    "{\"name\":\"drive\",\"tools\":["
    "{\"name\":\"read\",\"description\":\"d\",\"scope\":\"drive.read\","
    "\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"write\",\"title\":\"Write\",\"description\":\"d\",\"scope\":\"drive.write\","
    "\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"delete\",\"description\":\"d\",\"scope\":\"drive.delete\","
    "\"inputSchema\":{\"type\":\"object\"}}]}";

static int runs;

static int handler(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    runs++;
    const cJSON *roots = mcp_call_profile_data(call, "roots");
    return mcp_call_text(call, "ran with %d roots", cJSON_GetArraySize(roots));
}

static const struct mcp_tool_binding bindings[] = {
    {"read", handler, NULL},
    {"write", handler, NULL},
    {"delete", handler, NULL},
};

static char profile_path[] = "/tmp/mcp-profile-XXXXXX";

static void write_profile(const char *text)
{
    FILE *f = fopen(profile_path, "w");
    fputs(text, f);
    fclose(f);
}

static struct mcp_server *server_with(const char *profile)
{
    struct mcp_server *srv = mcp_server_new("drive", "1");
    CHECK_INT(mcp_server_add_manifest_tools(srv, manifest, bindings, 3), 0);
    write_profile(profile);
    CHECK_INT(mcp_server_load_profile(srv, profile_path), 0);
    return srv;
}

#define COWORK                                                                                     \
    "{\"name\":\"cowork\",\"connectors\":{\"drive\":{\"default\":\"blocked\","                     \
    "\"scopes\":{\"drive.read\":\"allow\",\"drive.write\":\"ask\"},"                               \
    "\"data\":{\"roots\":[\"/srv/a\",\"/srv/b\"]}%s}}}"

static void test_bad_profiles(void)
{
    const char *bad[] = {
        "not json",
        "[]",
        "{\"connectors\":{}}",
        "{\"name\":\"x\"}",
        "{\"name\":\"x\",\"connectors\":{\"drive\":{\"scopes\":{\"drive.fly\":\"allow\"}}}}",
        "{\"name\":\"x\",\"connectors\":{\"drive\":{\"tools\":{\"fly\":\"allow\"}}}}",
        "{\"name\":\"x\",\"connectors\":{\"drive\":{\"tools\":{\"read\":\"sure\"}}}}",
        "{\"name\":\"x\",\"connectors\":{\"drive\":{\"tools\":{\"read\":true}}}}",
        "{\"name\":\"x\",\"connectors\":{\"drive\":{\"default\":\"everything\"}}}",
        "{\"name\":\"x\",\"connectors\":{\"drive\":{\"limits\":{\"calls_per_minute\":-1}}}}",
        "{\"name\":\"x\",\"connectors\":{\"drive\":{\"limits\":{\"calls_per_minute\":\"9\"}}}}",
        "{\"name\":\"x\",\"connectors\":{\"drive\":{\"data\":[]}}}",
        "{\"name\":\"x\",\"connectors\":{\"drive\":7}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct mcp_server *srv = mcp_server_new("drive", "1");
        mcp_server_add_manifest_tools(srv, manifest, bindings, 3);
        write_profile(bad[i]);
        CHECK_INT(mcp_server_load_profile(srv, profile_path), MCP_EINVAL);
        mcp_server_free(srv);
    }
    struct mcp_server *srv = mcp_server_new("drive", "1");
    CHECK_INT(mcp_server_load_profile(srv, "/nonexistent/profile.json"), MCP_EINVAL);
    mcp_server_free(srv);

    /* A manifest and its handlers must agree. */
    srv = mcp_server_new("drive", "1");
    CHECK_INT(mcp_server_add_manifest_tools(srv, manifest, bindings, 2), MCP_EINVAL);
    static const struct mcp_tool_binding extra[] = {{"read", handler, NULL},
                                                    {"write", handler, NULL},
                                                    {"delete", handler, NULL},
                                                    {"share", handler, NULL}};
    CHECK_INT(mcp_server_add_manifest_tools(srv, manifest, extra, 4), MCP_EINVAL);
    CHECK_INT(mcp_server_add_manifest_tools(srv, manifest, bindings, 3), 0);
    mcp_server_free(srv);
}

static bool listed(cJSON *r, const char *name, bool *asks)
{
    const cJSON *t;
    cJSON_ArrayForEach (t, mcp__json_arr(mcp__json_obj(r, "result"), "tools")) {
        if (strcmp(mcp__json_str(t, "name"), name) == 0) {
            *asks = mcp__json_bool(mcp__json_obj(t, "_meta"), "anthropic/requiresUserInteraction",
                                   false);
            CHECK(mcp__json_get(t, "scope") == NULL); /* manifest-only member */
            return true;
        }
    }
    return false;
}

static const char *first_text(const cJSON *r)
{
    return mcp__json_str(
        cJSON_GetArrayItem(mcp__json_arr(mcp__json_obj(r, "result"), "content"), 0), "text");
}

static cJSON *call_tool(struct mcp__peer *peer, const char *name)
{
    char line[256];
    snprintf(
        line, sizeof line,
        "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"%s\"}}",
        name);
    return roundtrip(peer, line);
}

static void test_cowork(void)
{
    char profile[512];
    snprintf(profile, sizeof profile, COWORK, "");
    struct mcp_server *srv = server_with(profile);
    struct mcp__peer *peer = legacy_peer(srv, "2025-11-25");
    cJSON *r = roundtrip(peer, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
    bool asks = true;
    CHECK(listed(r, "read", &asks) && !asks);
    CHECK(listed(r, "write", &asks) && asks);
    CHECK(!listed(r, "delete", &asks));
    cJSON_Delete(r);

    /* Blocked: refused even when called by name. */
    runs = 0;
    r = call_tool(peer, "delete");
    CHECK(cJSON_IsNumber(mcp__json_get(mcp__json_obj(r, "error"), "code")));
    CHECK_INT(mcp__json_get(mcp__json_obj(r, "error"), "code")->valueint, -32602);
    CHECK_INT(runs, 0);
    cJSON_Delete(r);

    /* Allowed: runs, and sees the data scope. */
    r = call_tool(peer, "read");
    CHECK_STR(first_text(r), "ran with 2 roots");
    cJSON_Delete(r);

    /* Ask: the person accepts, then declines. */
    const char *actions[] = {"accept", "decline"};
    for (int i = 0; i < 2; i++) {
        runs = 0;
        struct memsink m;
        mem_init(&m);
        struct answerer a = {&m, peer, actions[i]};
        pthread_t t;
        pthread_create(&t, NULL, answer, &a);
        const char *line = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{"
                           "\"name\":\"write\"}}";
        cJSON *msg = NULL;
        char *reply = NULL;
        CHECK_INT(mcp__engine_parse(peer, line, strlen(line), &msg, &reply), MCP__MSG_REQUEST);
        mcp__engine_request(peer, msg, &m.sink, NULL);
        pthread_join(t, NULL);
        const cJSON *final = mem_wait(&m, 2);
        CHECK_INT(runs, i == 0 ? 1 : 0);
        CHECK(mcp__json_bool(mcp__json_obj(final, "result"), "isError", false) == (i == 1));
        mem_release(&m);
    }
    mcp__peer_unref(peer);

    /* A client that cannot ask: refused with a message saying why. */
    peer = mcp__peer_new(srv, NULL);
    cJSON_Delete(roundtrip(peer, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\","
                                 "\"params\":{\"protocolVersion\":\"2025-06-18\","
                                 "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\","
                                 "\"version\":\"1\"}}}"));
    runs = 0;
    r = call_tool(peer, "write");
    CHECK(strstr(first_text(r), "cannot ask") != NULL);
    CHECK_INT(runs, 0);
    cJSON_Delete(r);
    mcp__peer_unref(peer);

    /* 2026-07-28: consent through input_required, then the retry runs the tool. */
    peer = mcp__peer_new(srv, NULL);
    const char *meta = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
                       "\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":{}}}";
    char line[1024];
    snprintf(line, sizeof line,
             "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":"
             "\"write\",%s}}",
             meta);
    runs = 0;
    r = roundtrip(peer, line);
    const cJSON *res = mcp__json_obj(r, "result");
    CHECK_STR(mcp__json_str(res, "resultType"), "input_required");
    CHECK(mcp__json_obj(mcp__json_obj(res, "inputRequests"), "q1") != NULL);
    const char *state = mcp__json_str(res, "requestState");
    char retry[4096];
    snprintf(retry, sizeof retry,
             "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":"
             "\"write\",\"requestState\":\"%s\",\"inputResponses\":{\"q1\":{\"action\":"
             "\"accept\",\"content\":{\"approve\":true}}},%s}}",
             state ? state : "", meta);
    cJSON_Delete(r);
    CHECK_INT(runs, 0);
    r = roundtrip(peer, retry);
    CHECK_STR(first_text(r), "ran with 2 roots");
    CHECK_INT(runs, 1);
    cJSON_Delete(r);
    mcp__peer_unref(peer);
    mcp_server_free(srv);
}

static void test_limits(void)
{
    char profile[512];
    snprintf(profile, sizeof profile, COWORK,
             ",\"limits\":{\"calls_per_minute\":2,\"max_result_bytes\":40}");
    struct mcp_server *srv = server_with(profile);
    struct mcp__peer *peer = legacy_peer(srv, "2025-11-25");
    cJSON *r = call_tool(peer, "read");
    CHECK(strstr(first_text(r), "over the 40 bytes") != NULL);
    cJSON_Delete(r);
    r = call_tool(peer, "read");
    cJSON_Delete(r);
    r = call_tool(peer, "read");
    CHECK(strstr(first_text(r), "Rate limit") != NULL);
    CHECK(mcp__json_bool(mcp__json_obj(r, "result"), "isError", false));
    cJSON_Delete(r);
    mcp__peer_unref(peer);
    mcp_server_free(srv);

    /* A profile that does not name the connector grants nothing. */
    srv = server_with("{\"name\":\"empty\",\"connectors\":{}}");
    peer = legacy_peer(srv, "2025-11-25");
    r = roundtrip(peer, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
    CHECK_INT(cJSON_GetArraySize(mcp__json_arr(mcp__json_obj(r, "result"), "tools")), 0);
    cJSON_Delete(r);
    mcp__peer_unref(peer);
    mcp_server_free(srv);
}

int main(void)
{
    int fd = mkstemp(profile_path);
    close(fd);
    test_bad_profiles();
    test_cowork();
    test_limits();
    unlink(profile_path);
    return test_report();
}
