/* libFuzzer target: any bytes as one incoming message line, through parsing, classification
 * and, for requests, the whole engine with a server that has a tool, a prompt and a
 * resource. Build and run with `make fuzz`. */
#include <stdint.h>
#include <string.h>

#include "alloc_int.h"
#include "engine_int.h"
#include "json_int.h"
#include "mcp/mcp.h"

static int echo(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)ud;
    const char *text = mcp__json_str(args, "text");
    return mcp_call_text(call, "%s", text ? text : "");
}

static int prompt(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    return mcp_call_message(call, "user", mcp_content_text("hi"));
}

static int resource(struct mcp_call *call, const char *uri, const cJSON *vars, void *ud)
{
    (void)vars;
    (void)ud;
    return mcp_call_contents_text(call, uri, "text/plain", "x");
}

static int discard(struct mcp__sink *sink, const char *json, size_t len, bool final)
{
    (void)sink;
    (void)json;
    (void)len;
    (void) final;
    return 0;
}

static struct mcp_server *server(void)
{
    static struct mcp_server *srv;
    if (srv)
        return srv;
    srv = mcp_server_new("fuzz", "1");
    mcp_server_add_tool(srv,
                        "{\"name\":\"echo\",\"description\":\"d\",\"inputSchema\":{\"type\":"
                        "\"object\",\"properties\":{\"text\":{\"type\":\"string\",\"maxLength\":"
                        "64,\"pattern\":\"^[a-z]*$\"}},\"additionalProperties\":false}}",
                        echo, NULL);
    mcp_server_add_prompt(srv, "{\"name\":\"p\",\"arguments\":[{\"name\":\"a\"}]}", prompt, NULL);
    mcp_server_add_resource_template(srv, "{\"uriTemplate\":\"t://{a}/{+b}\",\"name\":\"t\"}",
                                     resource, NULL);
    return srv;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mcp__sink sink = {.send = discard};
    atomic_init(&sink.closed, false);
    struct mcp__peer *peer = mcp__peer_new(server(), &sink);
    cJSON *msg = NULL;
    char *reply = NULL;
    /* Half the inputs run in an initialized 2025-03-26 session, so batches are reached. */
    if (size && data[0] & 1)
        peer->rev = mcp__rev_find("2025-03-26");
    switch (mcp__engine_parse(peer, (const char *)data, size, &msg, &reply)) {
    case MCP__MSG_REQUEST:
        mcp__engine_request(peer, msg, &sink, NULL);
        break;
    case MCP__MSG_BATCH:
        mcp__engine_batch(peer, msg, &sink, NULL);
        break;
    case MCP__MSG_NOTIFICATION:
        mcp__engine_notification(peer, msg);
        cJSON_Delete(msg);
        break;
    case MCP__MSG_RESPONSE:
        mcp__engine_response(peer, msg);
        break;
    case MCP__MSG_INVALID:
        break;
    }
    mcp__free(reply);
    mcp__peer_close(peer, true);
    mcp__peer_unref(peer);
    return 0;
}
