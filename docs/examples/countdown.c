/* A complete MCP server with one tool, on libmcp: build with
 *   cc countdown.c $(pkg-config --cflags --libs mcp) -o countdown */
#include <cjson/cJSON.h>
#include <mcp/mcp.h>
#include <time.h>

static const char countdown_tool[] =
    "{\"name\":\"countdown\",\"title\":\"Countdown\","
    "\"description\":\"Counts down from n, one step a second, after the user agrees.\","
    "\"inputSchema\":{\"type\":\"object\",\"required\":[\"n\"],"
    "\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":60}}},"
    "\"annotations\":{\"readOnlyHint\":true,\"openWorldHint\":false}}";

static int countdown(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)ud;
    int n = cJSON_GetObjectItemCaseSensitive(args, "n")->valueint; /* validated already */
    int rc = mcp_call_confirm(call, "Start the countdown?");       /* legacy or 2026-07-28 alike */
    if (rc == MCP_EACCES)
        return mcp_call_error(call, "The user declined; nothing was counted.");
    if (rc)
        return rc; /* MCP_EINPUT: libmcp asks the client and runs us again with the answer */
    for (int i = n; i > 0; i--) {
        if (mcp_call_cancelled(call))
            return MCP_ECANCELED;
        mcp_call_progress(call, n - i, n, NULL);
        mcp_call_log(call, MCP_LOG_DEBUG, "countdown", "%d", i);
        nanosleep(&(struct timespec){.tv_sec = 1}, NULL);
    }
    return mcp_call_text(call, "Lift-off after %d seconds.", n);
}

int main(int argc, char **argv)
{
    struct mcp_server *srv = mcp_server_new("countdown", "1.0.0");
    if (srv && mcp_server_add_tool(srv, countdown_tool, countdown, NULL) != 0)
        return 1;
    return mcp_main(srv, argc, argv); /* --stdio, --http HOST:PORT, --help ... */
}
