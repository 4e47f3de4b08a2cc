/* The fixture's tools for the tasks extension (io.modelcontextprotocol/tasks, SEP-2663): a
 * sync tool, and tools that declare execution.taskSupport and call mcp_call_start_task()
 * where they move from asking to working. Without the extension the optional ones run
 * synchronously; 2026-07-28 requests are refused the required ones (-32021) before they run,
 * while legacy sessions, which have no tasks, run them as ordinary calls. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fixture.h"

static const char *str_arg(const cJSON *args, const char *name, const char *fallback)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(args, name));
    return s ? s : fallback;
}

/* Sleeps `ms` in short steps; MCP_ECANCELED as soon as the call is cancelled. */
static int work(struct mcp_call *call, long ms)
{
    for (long done = 0; done < ms; done += 50) {
        if (mcp_call_cancelled(call))
            return MCP_ECANCELED;
        nanosleep(&(struct timespec){.tv_nsec = 50 * 1000000L}, NULL);
    }
    return mcp_call_cancelled(call) ? MCP_ECANCELED : 0;
}

/* A task when the client can have one; otherwise the call simply goes on. */
static int start_task(struct mcp_call *call)
{
    int rc = mcp_call_start_task(call);
    return rc == MCP_ENOTSUP ? 0 : rc;
}

static int greet(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)ud;
    return mcp_call_text(call, "Hello, %s!", str_arg(args, "name", "World"));
}

static int slow_compute(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)ud;
    const cJSON *seconds = cJSON_GetObjectItemCaseSensitive(args, "seconds");
    double s = cJSON_IsNumber(seconds) ? seconds->valuedouble : 0;
    const char *label = str_arg(args, "label", "job");
    /* Nothing to wait for: the immediate result, no task. */
    int rc = s > 0 ? start_task(call) : 0;
    if (!rc)
        rc = work(call, (long)(s * 1000));
    return rc ? rc : mcp_call_text(call, "Computed %s after %g second(s)", label, s);
}

/* The two failing jobs fail as tasks, which is what the suite checks. A legacy session has no
 * tasks and runs them as ordinary calls (2026-07-28 clients without the extension neither
 * see nor may call them): there they only say so, since the interop runs expect every tool
 * they list to succeed. */
static int no_task_note(struct mcp_call *call)
{
    return mcp_call_text(call,
                         "%s fails only as a task (io.modelcontextprotocol/tasks); this "
                         "session has no tasks, so nothing was run.",
                         mcp_call_name(call));
}

static int failing_job(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    int rc = mcp_call_start_task(call);
    if (rc == MCP_ENOTSUP)
        return no_task_note(call);
    if (!rc)
        rc = work(call, 1000);
    return rc ? rc
              : mcp_call_error(call, "The job failed: its input is unusable. Nothing was "
                                     "changed; fix the input and run it again.");
}

static int protocol_error_job(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    int rc = mcp_call_start_task(call);
    if (rc == MCP_ENOTSUP)
        return no_task_note(call);
    if (!rc)
        rc = work(call, 200);
    return rc ? rc : mcp_call_protocol_error(call, -32603, "Internal error: the job crashed");
}

/* Form elicitation params; `message` may hold anything (it is the client's filename). */
static cJSON *form(const char *message, const char *field, const char *type)
{
    char json[256];
    snprintf(json, sizeof json,
             "{\"mode\":\"form\",\"requestedSchema\":{\"type\":\"object\",\"properties\":{"
             "\"%s\":{\"type\":\"%s\"}},\"required\":[\"%s\"]}}",
             field, type, field);
    cJSON *params = cJSON_Parse(json);
    if (params && !cJSON_AddStringToObject(params, "message", message)) {
        cJSON_Delete(params);
        return NULL;
    }
    return params;
}

static bool accepted(const cJSON *answer, const char *field)
{
    const char *action = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(answer, "action"));
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(answer, "content");
    return action && strcmp(action, "accept") == 0 &&
           cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(content, field));
}

/* The task asks; it waits in input_required until tasks/update answers. */
static int confirm_delete(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)ud;
    const char *file = str_arg(args, "filename", "the file");
    int rc = start_task(call);
    const cJSON *answer = NULL;
    char question[256];
    snprintf(question, sizeof question, "Delete %.200s?", file);
    if (!rc)
        rc = mcp_call_ask_named(call, "confirm_delete", "elicitation/create",
                                form(question, "confirm", "boolean"), &answer);
    if (rc)
        return rc;
    if (!accepted(answer, "confirm"))
        return mcp_call_text(call, "Kept %s: the deletion was not confirmed.", file);
    return mcp_call_text(call, "Deleted %s.", file);
}

/* Two questions at once: both are pending together, and may be answered one by one. */
static int multi_input(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    int rc = start_task(call);
    if (rc)
        return rc;
    const cJSON *name = NULL, *ok = NULL;
    int rc1 = mcp_call_ask_named(call, "name", "elicitation/create",
                                 form("What is your name?", "name", "string"), &name);
    int rc2 = mcp_call_ask_named(call, "confirm", "elicitation/create",
                                 form("Go ahead?", "confirm", "boolean"), &ok);
    if (rc1 || rc2)
        return rc1 ? rc1 : rc2;
    return mcp_call_text(call, "Name: %s; confirmed: %s", fixture_answer_text(name, "name"),
                         accepted(ok, "confirm") ? "yes" : "no");
}

/* Asks through input_required round trips first, then becomes a task that uses the answer. */
static int tool_with_task(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    const cJSON *answer;
    int rc = mcp_call_ask_named(call, "user_name", "elicitation/create",
                                form("What is your name?", "name", "string"), &answer);
    if (!rc)
        rc = start_task(call);
    if (!rc)
        rc = work(call, 200);
    return rc ? rc : mcp_call_text(call, "Hello, %s!", fixture_answer_text(answer, "name"));
}

#define NO_ARGS "\"inputSchema\":{\"type\":\"object\",\"properties\":{}}"
#define OPTIONAL ",\"execution\":{\"taskSupport\":\"optional\"}"
#define REQUIRED ",\"execution\":{\"taskSupport\":\"required\"}"

static const struct {
    const char *json;
    mcp_tool_fn fn;
} tools[] = {
    {"{\"name\":\"greet\",\"description\":\"Greets by name, at once (never a task)\","
     "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}}}}",
     greet},
    {"{\"name\":\"slow_compute\",\"description\":\"Waits the given seconds, then answers; a task "
     "when the client supports them\",\"inputSchema\":{\"type\":\"object\",\"properties\":{"
     "\"seconds\":{\"type\":\"number\",\"minimum\":0,\"maximum\":600},\"label\":{\"type\":"
     "\"string\"}}}" OPTIONAL "}",
     slow_compute},
    {"{\"name\":\"failing_job\",\"description\":\"A task that ends in a tool error after about "
     "a second\"," NO_ARGS REQUIRED "}",
     failing_job},
    {"{\"name\":\"protocol_error_job\",\"description\":\"A task that fails with a JSON-RPC "
     "internal error\"," NO_ARGS REQUIRED "}",
     protocol_error_job},
    {"{\"name\":\"confirm_delete\",\"description\":\"A task that asks to confirm a deletion\","
     "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"filename\":{\"type\":\"string\"}}}"
     "" OPTIONAL "}",
     confirm_delete},
    {"{\"name\":\"multi_input\",\"description\":\"A task that asks two questions at "
     "once\"," NO_ARGS OPTIONAL "}",
     multi_input},
    {"{\"name\":\"test_tool_with_task\",\"description\":\"Asks for a name with input_required "
     "round trips, then greets in a task\"," NO_ARGS REQUIRED "}",
     tool_with_task},
};

int fixture_add_task_tools(struct mcp_server *srv)
{
    for (size_t i = 0; i < sizeof tools / sizeof *tools; i++) {
        int rc = mcp_server_add_tool(srv, tools[i].json, tools[i].fn, srv);
        if (rc)
            return rc;
    }
    return 0;
}
