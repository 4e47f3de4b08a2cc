/* The fixture's resources, resource template, prompts and completions. */
#include <stdio.h>
#include <string.h>

#include "fixture.h"

static int static_text(struct mcp_call *call, const char *uri, const cJSON *vars, void *ud)
{
    (void)vars;
    (void)ud;
    return mcp_call_contents_text(call, uri, "text/plain",
                                  "This is the content of the static text resource.");
}

static int static_binary(struct mcp_call *call, const char *uri, const cJSON *vars, void *ud)
{
    (void)vars;
    (void)ud;
    return mcp_call_contents_blob(call, uri, "image/png", fixture_png, fixture_png_len);
}

static int watched(struct mcp_call *call, const char *uri, const cJSON *vars, void *ud)
{
    (void)vars;
    (void)ud;
    return mcp_call_contents_text(call, uri, "text/plain", "Watched resource content");
}

static int stateless_text(struct mcp_call *call, const char *uri, const cJSON *vars, void *ud)
{
    (void)vars;
    (void)ud;
    return mcp_call_contents_text(call, uri, "text/plain",
                                  "Static text content from the stateless draft path.");
}

static int template_data(struct mcp_call *call, const char *uri, const cJSON *vars, void *ud)
{
    (void)ud;
    const char *id = cJSON_GetObjectItemCaseSensitive(vars, "id")->valuestring;
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "id", id);
    cJSON_AddTrueToObject(data, "templateTest");
    char text[256];
    snprintf(text, sizeof text, "Data for ID: %s", id);
    cJSON_AddStringToObject(data, "data", text);
    char *json = cJSON_PrintUnformatted(data);
    cJSON_Delete(data);
    int rc = json ? mcp_call_contents_text(call, uri, "application/json", json) : MCP_ENOMEM;
    cJSON_free(json);
    return rc;
}

static const struct {
    const char *json;
    mcp_resource_fn fn;
} resources[] = {
    {"{\"uri\":\"test://static-text\",\"name\":\"static-text\",\"title\":\"Static Text "
     "Resource\",\"description\":\"A static text resource for testing\",\"mimeType\":"
     "\"text/plain\"}",
     static_text},
    {"{\"uri\":\"test://static-binary\",\"name\":\"static-binary\",\"title\":\"Static Binary "
     "Resource\",\"description\":\"A static binary resource (image) for testing\","
     "\"mimeType\":\"image/png\"}",
     static_binary},
    {"{\"uri\":\"test://watched-resource\",\"name\":\"watched-resource\",\"title\":\"Watched "
     "Resource\",\"description\":\"A resource clients can subscribe to\",\"mimeType\":"
     "\"text/plain\"}",
     watched},
    {"{\"uri\":\"test://stateless-static-text\",\"name\":\"Stateless Static Text\","
     "\"description\":\"A static text resource served on the draft path\",\"mimeType\":"
     "\"text/plain\"}",
     stateless_text},
};

static const char *arg(const cJSON *args, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static int simple_prompt(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    return mcp_call_message(call, "user", mcp_content_text("This is a simple prompt for testing."));
}

static int prompt_with_arguments(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)ud;
    char text[1024];
    snprintf(text, sizeof text, "Prompt with arguments: arg1='%s', arg2='%s'", arg(args, "arg1"),
             arg(args, "arg2"));
    return mcp_call_message(call, "user", mcp_content_text(text));
}

static int prompt_with_resource(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)ud;
    int rc = mcp_call_message(call, "user",
                              mcp_content_resource_text(arg(args, "resourceUri"), "text/plain",
                                                        "Embedded resource content for testing."));
    return rc ? rc
              : mcp_call_message(call, "user",
                                 mcp_content_text("Please process the embedded resource above."));
}

static int prompt_with_image(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    int rc = mcp_call_message(call, "user",
                              mcp_content_image(fixture_png, fixture_png_len, "image/png"));
    return rc ? rc
              : mcp_call_message(call, "user", mcp_content_text("Please analyze the image above."));
}

static int prompt_needing_input(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    const cJSON *answer;
    cJSON *params = cJSON_Parse("{\"message\":\"What context should the prompt use?\","
                                "\"requestedSchema\":{\"type\":\"object\",\"properties\":{"
                                "\"context\":{\"type\":\"string\"}},\"required\":[\"context\"]}}");
    int rc = mcp_call_ask_named(call, "user_context", "elicitation/create", params, &answer);
    if (rc)
        return rc;
    char text[1024];
    snprintf(text, sizeof text, "Prompt with context: %s", fixture_answer_text(answer, "context"));
    return mcp_call_message(call, "user", mcp_content_text(text));
}

static const struct {
    const char *json;
    mcp_prompt_fn fn;
} prompts[] = {
    {"{\"name\":\"test_simple_prompt\",\"title\":\"Simple Test Prompt\",\"description\":\"A "
     "simple prompt without arguments\"}",
     simple_prompt},
    {"{\"name\":\"test_prompt_with_arguments\",\"title\":\"Prompt With Arguments\","
     "\"description\":\"A prompt with required arguments\",\"arguments\":[{\"name\":\"arg1\","
     "\"description\":\"First test argument\",\"required\":true},{\"name\":\"arg2\","
     "\"description\":\"Second test argument\",\"required\":true}]}",
     prompt_with_arguments},
    {"{\"name\":\"test_prompt_with_embedded_resource\",\"title\":\"Prompt With Embedded "
     "Resource\",\"description\":\"A prompt that includes an embedded resource\","
     "\"arguments\":[{\"name\":\"resourceUri\",\"description\":\"URI of the resource to "
     "embed\",\"required\":true}]}",
     prompt_with_resource},
    {"{\"name\":\"test_prompt_with_image\",\"title\":\"Prompt With Image\",\"description\":\"A "
     "prompt that includes image content\"}",
     prompt_with_image},
    {"{\"name\":\"test_input_required_result_prompt\",\"description\":\"MRTR: prompt that "
     "requires elicitation input\"}",
     prompt_needing_input},
};

/* Offers the values of a small vocabulary that start with what was typed. */
static int complete(struct mcp_call *call, const cJSON *ref, const char *argument,
                    const char *value, const cJSON *context, void *ud)
{
    (void)ref;
    (void)argument;
    (void)context;
    (void)ud;
    static const char *const words[] = {"alpha", "beta", "gamma", "paris", "python"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        if (strncmp(words[i], value, strlen(value)) == 0) {
            int rc = mcp_call_completion(call, words[i]);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int fixture_add_resources(struct mcp_server *srv)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof resources / sizeof *resources; i++)
        rc = mcp_server_add_resource(srv, resources[i].json, resources[i].fn, NULL);
    if (!rc)
        rc = mcp_server_add_resource_template(
            srv,
            "{\"uriTemplate\":\"test://template/{id}/data\",\"name\":\"template\",\"title\":"
            "\"Resource Template\",\"description\":\"A resource template with parameter "
            "substitution\",\"mimeType\":\"application/json\"}",
            template_data, NULL);
    return rc;
}

int fixture_add_prompts(struct mcp_server *srv)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof prompts / sizeof *prompts; i++)
        rc = mcp_server_add_prompt(srv, prompts[i].json, prompts[i].fn, NULL);
    return rc ? rc : mcp_server_set_completion(srv, complete, NULL);
}
