/* The server under test: one `echo` tool on libmcp, the same tool the SDK peers in
 * bench/peers/ expose. Serves stdio by default, Streamable HTTP with --http HOST:PORT.
 *
 * When the client asks for progress (the SSE measures do), the tool reports one step before
 * its result, so the answer has to be a stream: every server under test does the same. */
#include <cjson/cJSON.h>
#include <mcp/mcp.h>

static const char echo_tool[] =
    "{\"name\":\"echo\",\"description\":\"Returns the text it is given.\","
    "\"inputSchema\":{\"type\":\"object\",\"required\":[\"text\"],"
    "\"properties\":{\"text\":{\"type\":\"string\"}}}}";

static int echo(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)ud;
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(args, "text"); /* validated already */
    mcp_call_progress(call, 1, 1, NULL); /* a no-op unless the client asked */
    return mcp_call_add_content(call, mcp_content_text(text->valuestring));
}

int main(int argc, char **argv)
{
    struct mcp_server *srv = mcp_server_new("echo", "1.0.0");
    if (srv && mcp_server_add_tool(srv, echo_tool, echo, NULL) != 0)
        return 1;
    return mcp_main(srv, argc, argv);
}
