/* The fixture's tools for the 2025-11-25 requirement set (and every legacy revision). */
#include <stdio.h>
#include <time.h>

#include "fixture.h"

#define NO_ARGS "\"inputSchema\":{\"type\":\"object\",\"properties\":{}}"

static void pause_ms(long ms)
{
    nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L}, NULL);
}

static int simple_text(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    return mcp_call_text(call, "This is a simple text response for testing.");
}

static int image_content(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    return mcp_call_add_content(call, mcp_content_image(fixture_png, fixture_png_len, "image/png"));
}

static int audio_content(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    return mcp_call_add_content(call, mcp_content_audio(fixture_wav, fixture_wav_len, "audio/wav"));
}

static int embedded_resource(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    return mcp_call_add_content(call,
                                mcp_content_resource_text("test://embedded-resource", "text/plain",
                                                          "This is an embedded resource content."));
}

static int multiple_content(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    int rc = mcp_call_text(call, "Multiple content types test:");
    if (!rc)
        rc = mcp_call_add_content(call,
                                  mcp_content_image(fixture_png, fixture_png_len, "image/png"));
    if (!rc)
        rc = mcp_call_add_content(
            call, mcp_content_resource_text("test://mixed-content-resource", "application/json",
                                            "{\"test\":\"data\",\"value\":123}"));
    return rc;
}

static int with_logging(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    static const char *const steps[] = {"Tool execution started", "Tool processing data",
                                        "Tool execution completed"};
    for (int i = 0; i < 3; i++) {
        mcp_call_log(call, MCP_LOG_INFO, "fixture", "%s", steps[i]);
        pause_ms(i < 2 ? 50 : 0);
    }
    return mcp_call_text(call, "Tool with logging executed successfully");
}

static int with_progress(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    for (int step = 0; step <= 100; step += 50) {
        char message[64];
        snprintf(message, sizeof message, "Completed step %d of 100", step);
        mcp_call_progress(call, step, 100, message);
        pause_ms(step < 100 ? 50 : 0);
    }
    const cJSON *token = cJSON_GetObjectItemCaseSensitive(mcp_call_meta(call), "progressToken");
    if (cJSON_IsString(token))
        return mcp_call_text(call, "%s", token->valuestring);
    return mcp_call_text(call, "%g", cJSON_IsNumber(token) ? token->valuedouble : 0);
}

static int error_handling(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    return mcp_call_error(call, "This tool intentionally returns an error for testing");
}

static int reconnection(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    mcp_call_close_stream(call); /* the client must resume with Last-Event-ID */
    pause_ms(100);
    return mcp_call_text(call, "Reconnection test completed successfully. If you received "
                               "this, the client properly reconnected after stream closure.");
}

static int sampling(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)ud;
    const cJSON *reply = NULL;
    const char *prompt = cJSON_GetObjectItemCaseSensitive(args, "prompt")->valuestring;
    int rc = mcp_call_sample(call, prompt, 100, &reply);
    if (rc)
        return rc;
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(reply, "content");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(content, "text");
    return mcp_call_text(call, "LLM response: %s",
                         cJSON_IsString(text) ? text->valuestring : "No response");
}

/* Asks with `schema` and reports what came back, the way the suite reads it. */
static int elicit_and_report(struct mcp_call *call, const char *prefix, const char *message,
                             const char *schema)
{
    const cJSON *answer = NULL;
    int rc = mcp_call_elicit(call, message, schema, &answer);
    if (rc)
        return rc;
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(answer, "action");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(answer, "content");
    char *shown = content ? cJSON_PrintUnformatted(content) : NULL;
    rc = mcp_call_text(call, "%s: action=%s, content=%s", prefix,
                       cJSON_IsString(action) ? action->valuestring : "unknown",
                       shown ? shown : "{}");
    cJSON_free(shown);
    return rc;
}

static int elicitation(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)ud;
    return elicit_and_report(
        call, "User response", cJSON_GetObjectItemCaseSensitive(args, "message")->valuestring,
        "{\"type\":\"object\",\"properties\":{\"response\":{\"type\":\"string\","
        "\"description\":\"User's response\"}},\"required\":[\"response\"]}");
}

static int elicitation_defaults(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    return elicit_and_report(
        call, "Elicitation completed", "Please review and update the form fields with defaults",
        "{\"type\":\"object\",\"properties\":{"
        "\"name\":{\"type\":\"string\",\"description\":\"User name\",\"default\":\"John Doe\"},"
        "\"age\":{\"type\":\"integer\",\"description\":\"User age\",\"default\":30},"
        "\"score\":{\"type\":\"number\",\"description\":\"User score\",\"default\":95.5},"
        "\"status\":{\"type\":\"string\",\"description\":\"User status\",\"enum\":[\"active\","
        "\"inactive\",\"pending\"],\"default\":\"active\"},"
        "\"verified\":{\"type\":\"boolean\",\"description\":\"Verification status\","
        "\"default\":true}},\"required\":[]}");
}

static int elicitation_enums(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    return elicit_and_report(
        call, "Elicitation completed", "Please select options from the enum fields",
        "{\"type\":\"object\",\"properties\":{"
        "\"untitledSingle\":{\"type\":\"string\",\"description\":\"Select one option\","
        "\"enum\":[\"option1\",\"option2\",\"option3\"]},"
        "\"titledSingle\":{\"type\":\"string\",\"description\":\"Select one option with titles\","
        "\"oneOf\":[{\"const\":\"value1\",\"title\":\"First Option\"},{\"const\":\"value2\","
        "\"title\":\"Second Option\"},{\"const\":\"value3\",\"title\":\"Third Option\"}]},"
        "\"legacyEnum\":{\"type\":\"string\",\"description\":\"Select one option (legacy)\","
        "\"enum\":[\"opt1\",\"opt2\",\"opt3\"],\"enumNames\":[\"Option One\",\"Option Two\","
        "\"Option Three\"]},"
        "\"untitledMulti\":{\"type\":\"array\",\"description\":\"Select multiple options\","
        "\"minItems\":1,\"maxItems\":3,\"items\":{\"type\":\"string\",\"enum\":[\"option1\","
        "\"option2\",\"option3\"]}},"
        "\"titledMulti\":{\"type\":\"array\",\"description\":\"Select multiple options with "
        "titles\",\"minItems\":1,\"maxItems\":3,\"items\":{\"anyOf\":[{\"const\":\"value1\","
        "\"title\":\"First Choice\"},{\"const\":\"value2\",\"title\":\"Second Choice\"},"
        "{\"const\":\"value3\",\"title\":\"Third Choice\"}]}}},\"required\":[]}");
}

static int json_schema_tool(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)ud;
    char *shown = cJSON_PrintUnformatted(args);
    int rc = mcp_call_text(call, "JSON Schema 2020-12 tool called with: %s", shown ? shown : "{}");
    cJSON_free(shown);
    return rc;
}

/* Waits in small steps so cancellation is seen within 10 ms; the interop tests use it. */
static int slow(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)ud;
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(args, "ms");
    long total = cJSON_IsNumber(ms) ? (long)ms->valuedouble : 0;
    for (long t = 0; t < total; t += 10) {
        if (mcp_call_cancelled(call))
            return MCP_ECANCELED;
        if (t % 100 == 0)
            mcp_call_progress(call, (double)t, (double)total, NULL);
        pause_ms(10);
    }
    return mcp_call_text(call, "done");
}

static const struct {
    const char *json;
    mcp_tool_fn fn;
} tools[] = {
    {"{\"name\":\"test_simple_text\",\"description\":\"Tests simple text content "
     "response\"," NO_ARGS "}",
     simple_text},
    {"{\"name\":\"test_image_content\",\"description\":\"Tests image content response\"," NO_ARGS
     "}",
     image_content},
    {"{\"name\":\"test_audio_content\",\"description\":\"Tests audio content response\"," NO_ARGS
     "}",
     audio_content},
    {"{\"name\":\"test_embedded_resource\",\"description\":\"Tests embedded resource content "
     "response\"," NO_ARGS "}",
     embedded_resource},
    {"{\"name\":\"test_multiple_content_types\",\"description\":\"Tests response with multiple "
     "content types (text, image, resource)\"," NO_ARGS "}",
     multiple_content},
    {"{\"name\":\"test_tool_with_logging\",\"description\":\"Tests tool that emits log messages "
     "during execution\"," NO_ARGS "}",
     with_logging},
    {"{\"name\":\"test_tool_with_progress\",\"description\":\"Tests tool that reports progress "
     "notifications\"," NO_ARGS "}",
     with_progress},
    {"{\"name\":\"test_error_handling\",\"description\":\"Tests error response handling\"," NO_ARGS
     "}",
     error_handling},
    {"{\"name\":\"test_reconnection\",\"description\":\"Tests SSE stream disconnection and "
     "client reconnection (SEP-1699): the server closes the stream mid-call and the result "
     "arrives after the client resumes.\"," NO_ARGS "}",
     reconnection},
    {"{\"name\":\"test_sampling\",\"description\":\"Tests server-initiated sampling (LLM "
     "completion request)\",\"inputSchema\":{\"type\":\"object\",\"properties\":{\"prompt\":{"
     "\"type\":\"string\",\"description\":\"The prompt to send to the LLM\"}},\"required\":["
     "\"prompt\"]}}",
     sampling},
    {"{\"name\":\"test_elicitation\",\"description\":\"Tests server-initiated elicitation (user "
     "input request)\",\"inputSchema\":{\"type\":\"object\",\"properties\":{\"message\":{"
     "\"type\":\"string\",\"description\":\"The message to show the user\"}},\"required\":["
     "\"message\"]}}",
     elicitation},
    {"{\"name\":\"test_elicitation_sep1034_defaults\",\"description\":\"Tests elicitation with "
     "default values per SEP-1034\"," NO_ARGS "}",
     elicitation_defaults},
    {"{\"name\":\"test_elicitation_sep1330_enums\",\"description\":\"Tests elicitation with "
     "enum schema improvements per SEP-1330\"," NO_ARGS "}",
     elicitation_enums},
    {"{\"name\":\"json_schema_2020_12_tool\",\"description\":\"Tool with JSON Schema 2020-12 "
     "features for conformance testing (SEP-1613, SEP-2106)\",\"inputSchema\":{\"$schema\":"
     "\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\",\"$defs\":{"
     "\"address\":{\"$anchor\":\"addressDef\",\"type\":\"object\",\"properties\":{\"street\":"
     "{\"type\":\"string\"},\"city\":{\"type\":\"string\"}}}},\"properties\":{\"name\":{"
     "\"type\":\"string\"},\"address\":{\"$ref\":\"#/$defs/address\"},\"contactMethod\":{"
     "\"type\":\"string\",\"enum\":[\"phone\",\"email\"]},\"phone\":{\"type\":\"string\"},"
     "\"email\":{\"type\":\"string\"}},\"allOf\":[{\"anyOf\":[{\"required\":[\"phone\"]},"
     "{\"required\":[\"email\"]}]}],\"if\":{\"properties\":{\"contactMethod\":{\"const\":"
     "\"phone\"}},\"required\":[\"contactMethod\"]},\"then\":{\"required\":[\"phone\"]},"
     "\"else\":{\"required\":[\"email\"]},\"additionalProperties\":false}}",
     json_schema_tool},
    {"{\"name\":\"test_slow\",\"description\":\"Waits the given milliseconds, reporting "
     "progress and stopping when cancelled; returns \\\"done\\\".\",\"inputSchema\":{\"type\":"
     "\"object\",\"properties\":{\"ms\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":"
     "600000}},\"required\":[\"ms\"]},\"annotations\":{\"readOnlyHint\":true}}",
     slow},
};

int fixture_add_tools(struct mcp_server *srv)
{
    for (size_t i = 0; i < sizeof tools / sizeof *tools; i++) {
        int rc = mcp_server_add_tool(srv, tools[i].json, tools[i].fn, NULL);
        if (rc)
            return rc;
    }
    return 0;
}
