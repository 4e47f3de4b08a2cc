/* The fixture's tools for the 2026-07-28 requirement set: multi-round-trip input
 * (input_required), capabilities, request-scoped logging and progress, list changes. Every
 * ask goes through libmcp, so the same tools also work in legacy sessions, where the asks
 * are server-to-client requests. The input keys are the ones the suite looks for. */
#include <stdio.h>
#include <string.h>

#include "fixture.h"

#define NO_ARGS "\"inputSchema\":{\"type\":\"object\",\"properties\":{}}"

static cJSON *form(const char *message, const char *field, const char *type)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"message\":\"%s\",\"requestedSchema\":{\"type\":\"object\",\"properties\":{"
             "\"%s\":{\"type\":\"%s\"}},\"required\":[\"%s\"]}}",
             message, field, type, field);
    return cJSON_Parse(json);
}

static cJSON *sample_params(const char *prompt, int max_tokens)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"messages\":[{\"role\":\"user\",\"content\":{\"type\":\"text\",\"text\":\"%s\"}}],"
             "\"maxTokens\":%d}",
             prompt, max_tokens);
    return cJSON_Parse(json);
}

static const char *sampled_text(const cJSON *reply)
{
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(reply, "content");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(content, "text");
    return cJSON_IsString(text) ? text->valuestring : NULL;
}

static int missing_capability(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    int rc = mcp_call_need_capability(call, "sampling");
    return rc ? rc : mcp_call_text(call, "Success");
}

/* Echoes the arguments that the client also mirrored into Mcp-Param-* headers. */
static int custom_headers(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)ud;
    const char *region = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(args, "region"));
    const cJSON *priority = cJSON_GetObjectItemCaseSensitive(args, "priority");
    return mcp_call_text(call, "region=%s priority=%d", region ? region : "",
                         priority ? priority->valueint : 0);
}

static int ask_elicitation(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    const cJSON *answer;
    int rc = mcp_call_ask_named(call, "user_name", "elicitation/create",
                                form("What is your name?", "name", "string"), &answer);
    return rc ? rc : mcp_call_text(call, "Hello, %s!", fixture_answer_text(answer, "name"));
}

static int ask_sampling(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    const cJSON *reply;
    int rc = mcp_call_ask_named(call, "sample_request", "sampling/createMessage",
                                sample_params("What is the capital of France?", 100), &reply);
    const char *text = rc ? NULL : sampled_text(reply);
    return rc ? rc : mcp_call_text(call, "Sampling result: %s", text ? text : "no response");
}

static int roots_count(const cJSON *reply)
{
    return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(reply, "roots"));
}

static int ask_roots(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    const cJSON *reply;
    int rc = mcp_call_ask_named(call, "roots_request", "roots/list", cJSON_CreateObject(), &reply);
    return rc ? rc : mcp_call_text(call, "Found %d root(s)", roots_count(reply));
}

/* The state of these rounds lives in libmcp's sealed requestState: the tool only asks. */
static int ask_confirm(struct mcp_call *call, const char *done)
{
    const cJSON *answer;
    int rc = mcp_call_ask_named(call, "confirm", "elicitation/create",
                                form("Please confirm", "ok", "boolean"), &answer);
    return rc ? rc : mcp_call_text(call, "%s", done);
}

static int request_state(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    return ask_confirm(call, "state-ok: requestState validated");
}

static int tampered_state(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    return ask_confirm(call, "integrity-ok: state verified");
}

static int multiple_inputs(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    const cJSON *name = NULL, *greeting = NULL, *roots = NULL;
    /* All three are asked before returning, so they travel in one input_required result. */
    int rc1 = mcp_call_ask_named(call, "user_name", "elicitation/create",
                                 form("What is your name?", "name", "string"), &name);
    int rc2 = mcp_call_ask_named(call, "greeting", "sampling/createMessage",
                                 sample_params("Generate a greeting", 50), &greeting);
    int rc3 = mcp_call_ask_named(call, "client_roots", "roots/list", cJSON_CreateObject(), &roots);
    if (rc1 || rc2 || rc3)
        return rc1 ? rc1 : rc2 ? rc2 : rc3;
    const char *text = sampled_text(greeting);
    return mcp_call_text(call, "Name: %s; Greeting: %s; Roots: %d",
                         fixture_answer_text(name, "name"), text ? text : "Hello there!",
                         roots_count(roots));
}

static int multi_round(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    const cJSON *name, *color;
    int rc = mcp_call_ask_named(call, "step1", "elicitation/create",
                                form("Step 1: What is your name?", "name", "string"), &name);
    if (!rc)
        rc = mcp_call_ask_named(call, "step2", "elicitation/create",
                                form("Step 2: What is your favorite color?", "color", "string"),
                                &color);
    return rc ? rc
              : mcp_call_text(call, "Multi-round complete for %s who likes %s",
                              fixture_answer_text(name, "name"),
                              fixture_answer_text(color, "color"));
}

static int capabilities(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    const cJSON *reply;
    int rc = 0, asked = 0;
    char received[64] = "";
    /* Only what the client declared is asked for. */
    if (mcp_call_client_can(call, "elicitation")) {
        int r = mcp_call_ask_named(call, "elicit_input", "elicitation/create",
                                   form("Elicitation input", "value", "string"), &reply);
        rc = rc ? rc : r;
        asked++;
        if (!r)
            snprintf(received, sizeof received, "elicit_input");
    }
    if (mcp_call_client_can(call, "sampling")) {
        int r = mcp_call_ask_named(call, "sample_input", "sampling/createMessage",
                                   sample_params("Sample request", 50), &reply);
        rc = rc ? rc : r;
        asked++;
        if (!r)
            snprintf(received + strlen(received), sizeof received - strlen(received), "%s%s",
                     *received ? "," : "", "sample_input");
    }
    if (rc)
        return rc;
    if (!asked)
        return mcp_call_text(call, "No supported capabilities declared");
    return mcp_call_text(call, "capabilities-ok: received %s", received);
}

static int streaming(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    mcp_call_progress(call, 50, 100, NULL);
    return mcp_call_text(call, "Streaming complete");
}

static int logging(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    /* Sent only when the request asked for a log level: libmcp decides. */
    mcp_call_log(call, MCP_LOG_INFO, "fixture", "Diagnostic trace logging activated");
    return mcp_call_text(call, "Logging evaluated");
}

static int trigger_change(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    mcp_server_notify_list_changed(ud, strstr(mcp_call_name(call), "prompt") ? "prompts" : "tools");
    return mcp_call_text(call, "Mutation triggered");
}

static const struct {
    const char *json;
    mcp_tool_fn fn;
} tools[] = {
    {"{\"name\":\"test_missing_capability\",\"description\":\"Test tool requiring "
     "sampling\"," NO_ARGS "}",
     missing_capability},
    {"{\"name\":\"test_input_required_result_elicitation\",\"description\":\"MRTR: returns "
     "InputRequiredResult with elicitation request\"," NO_ARGS "}",
     ask_elicitation},
    {"{\"name\":\"test_input_required_result_sampling\",\"description\":\"MRTR: returns "
     "InputRequiredResult with sampling request\"," NO_ARGS "}",
     ask_sampling},
    {"{\"name\":\"test_input_required_result_list_roots\",\"description\":\"MRTR: returns "
     "InputRequiredResult with roots/list request\"," NO_ARGS "}",
     ask_roots},
    {"{\"name\":\"test_input_required_result_request_state\",\"description\":\"MRTR: returns "
     "InputRequiredResult with requestState\"," NO_ARGS "}",
     request_state},
    {"{\"name\":\"test_input_required_result_multiple_inputs\",\"description\":\"MRTR: returns "
     "InputRequiredResult with multiple input requests\"," NO_ARGS "}",
     multiple_inputs},
    {"{\"name\":\"test_input_required_result_multi_round\",\"description\":\"MRTR: multi-round "
     "InputRequiredResult workflow\"," NO_ARGS "}",
     multi_round},
    {"{\"name\":\"test_input_required_result_tampered_state\",\"description\":\"MRTR: "
     "HMAC-signed requestState integrity test\"," NO_ARGS "}",
     tampered_state},
    {"{\"name\":\"test_input_required_result_capabilities\",\"description\":\"MRTR: respects "
     "client capabilities in inputRequests\"," NO_ARGS "}",
     capabilities},
    {"{\"name\":\"test_streaming_elicitation\",\"description\":\"Diagnostic tool validating "
     "response progress streams\"," NO_ARGS "}",
     streaming},
    {"{\"name\":\"test_logging_tool\",\"description\":\"Diagnostic logging validator "
     "tool\"," NO_ARGS "}",
     logging},
    {"{\"name\":\"test_custom_headers\",\"description\":\"Arguments mirrored into "
     "Mcp-Param-Region and Mcp-Param-Priority headers\",\"inputSchema\":{\"type\":\"object\","
     "\"properties\":{\"region\":{\"type\":\"string\",\"x-mcp-header\":\"Region\"},"
     "\"priority\":{\"type\":\"integer\",\"x-mcp-header\":\"Priority\"}},"
     "\"required\":[\"region\"]}}",
     custom_headers},
    {"{\"name\":\"test_trigger_tool_change\",\"description\":\"Sends "
     "notifications/tools/list_changed to listening clients\"," NO_ARGS "}",
     trigger_change},
    {"{\"name\":\"test_trigger_prompt_change\",\"description\":\"Sends "
     "notifications/prompts/list_changed to listening clients\"," NO_ARGS "}",
     trigger_change},
};

int fixture_add_input_tools(struct mcp_server *srv)
{
    for (size_t i = 0; i < sizeof tools / sizeof *tools; i++) {
        int rc = mcp_server_add_tool(srv, tools[i].json, tools[i].fn, srv);
        if (rc)
            return rc;
    }
    return 0;
}
