/* The methods that run a handler: tools/call, prompts/get, resources/read and
 * completion/complete, with argument validation before the handler and, in the stateless
 * revision, the multi-round-trip (input_required) protocol around it. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc_int.h"
#include "audit_int.h"
#include "json_int.h"
#include "request_int.h"
#include "schema_int.h"
#include "state_int.h"
#include "tasks_int.h"

#include "banned.h"

#define RESOURCE_TTL_MS 0L /* resources may change at any time: no caching by default */
#define MAX_COMPLETIONS 100

/* --- The multi-round-trip protocol (2026-07-28). */

/* Restores the answers of earlier rounds from requestState, adding this retry's responses
 * to the questions the state says were asked; anything else the client sent is ignored. */
static int restore_answers(struct mcp__request *req, const char *binding)
{
    const cJSON *state = mcp__json_get(req->params, "requestState");
    if (!state)
        return 0;
    if (!cJSON_IsString(state))
        return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS,
                                 "Invalid params: \"requestState\" must be a string");
    cJSON *answers = NULL, *pending = NULL;
    int rc = mcp__state_open(req->srv, state->valuestring, binding, mcp_call_principal(&req->call),
                             &answers, &pending);
    if (rc == MCP_ENOMEM)
        return rc;
    if (rc)
        return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS,
                                 "Invalid params: requestState is invalid, expired, or belongs to "
                                 "another request; retry the original request without it");
    const cJSON *responses = mcp__json_obj(req->params, "inputResponses");
    const cJSON *key;
    cJSON_ArrayForEach (key, pending) {
        const cJSON *answer =
            cJSON_IsString(key) ? mcp__json_get(responses, key->valuestring) : NULL;
        if (answer && !mcp__json_get(answers, key->valuestring) &&
            !mcp__json_add_copy(answers, key->valuestring, answer))
            rc = MCP_ENOMEM;
    }
    cJSON_Delete(pending);
    if (rc) {
        cJSON_Delete(answers);
        return rc;
    }
    req->call.answers = answers;
    return 0;
}

/* Turns the asks a handler made into an input_required result. */
static int input_required(struct mcp__request *req, const char *binding)
{
    struct mcp_call *call = &req->call;
    cJSON *pending = cJSON_CreateArray();
    cJSON *answers = call->answers ? call->answers : cJSON_CreateObject();
    call->answers = answers;
    const cJSON *q;
    bool ok = pending && answers;
    cJSON_ArrayForEach (q, call->input_requests) {
        if (ok)
            ok = mcp__json_add_take(pending, NULL, cJSON_CreateString(q->string));
    }
    char *state = NULL;
    int rc =
        ok ? mcp__state_seal(req->srv, binding, mcp_call_principal(call), answers, pending, &state)
           : MCP_ENOMEM;
    cJSON_Delete(pending);
    if (rc)
        return rc;
    cJSON *r = cJSON_CreateObject();
    ok = r && cJSON_AddItemToObject(r, "inputRequests", call->input_requests);
    if (ok)
        call->input_requests = NULL; /* now owned by r */
    ok = ok && cJSON_AddStringToObject(r, "resultType", "input_required") &&
         cJSON_AddStringToObject(r, "requestState", state);
    mcp__free(state);
    if (!ok) {
        cJSON_Delete(r);
        return MCP_ENOMEM;
    }
    req->result = r;
    return 0;
}

/* The part shared by every handler-running method: state in, handler, input_required out.
 * Returns the handler's code, or 1 when the request is already answered. */
typedef int (*invoke_fn)(struct mcp__request *req, const struct mcp__entry *e, const cJSON *args,
                         const char *target);

static int run(struct mcp__request *req, enum mcp__call_kind kind, const struct mcp__entry *e,
               const cJSON *args, const char *target, invoke_fn invoke)
{
    /* The digest that binds requestState to this request costs a canonical print and a
     * SHA-256 of the arguments: made only when a requestState comes in or goes out. */
    char binding[65] = "";
    req->call.kind = kind;
    req->call.name = e ? e->name : target;
    if (req->modern && mcp__json_get(req->params, "requestState")) {
        int rc = mcp__state_binding(req->method, target, args, binding);
        if (!rc)
            rc = restore_answers(req, binding);
        if (rc || req->error_code)
            return rc ? rc : 1;
    }
    req->call.entry = e;
    int rc = invoke(req, e, args, target);
    /* A task waits for the answers (tasks/update) and runs the handler again with them. */
    while (req->call.task && rc == MCP_EINPUT && req->call.input_requests && !req->call.rpc_error) {
        rc = mcp__task_await_input(&req->call);
        if (!rc)
            rc = mcp__call_restart(&req->call);
        if (!rc)
            rc = invoke(req, e, args, target);
    }
    if (req->call.rpc_error) {
        mcp__request_fail(req, req->call.rpc_error, "%s",
                          req->call.rpc_message ? req->call.rpc_message : "Internal error");
        return 1;
    }
    if (req->modern && !req->call.task && req->call.input_requests) {
        int irc = binding[0] ? 0 : mcp__state_binding(req->method, target, args, binding);
        if (!irc)
            irc = input_required(req, binding);
        return irc ? irc : 1;
    }
    return rc;
}

/* --- Content for older revisions. */

/* Replaces content blocks an older revision cannot carry by text that says what they were. */
static int downgrade(cJSON *items, const struct mcp__rev *rev)
{
    cJSON *b;
    cJSON_ArrayForEach (b, items) {
        const char *type = mcp__json_str(b, "type");
        const char *replacement = NULL;
        char text[512];
        if (!type)
            continue;
        if (strcmp(type, "audio") == 0 && !mcp__rev_has(rev, MCP__F_TOOL_ANNOTATIONS)) {
            snprintf(text, sizeof text, "[audio content (%s) not representable in revision %s]",
                     mcp__json_str(b, "mimeType") ? mcp__json_str(b, "mimeType") : "audio",
                     rev->version);
            replacement = text;
        } else if (strcmp(type, "resource_link") == 0 && !mcp__rev_has(rev, MCP__F_STRUCTURED)) {
            snprintf(text, sizeof text, "Resource: %s", mcp__json_str(b, "uri"));
            replacement = text;
        }
        if (replacement) {
            cJSON *t = mcp_content_text(replacement);
            if (!t || !cJSON_ReplaceItemViaPointer(items, b, t)) {
                cJSON_Delete(t);
                return MCP_ENOMEM;
            }
            b = t;
        }
    }
    return 0;
}

/* --- tools/call. */

/* Asks the person before a tool the profile marks "ask"; the answer is part of the same
 * round trips as the handler's own asks, so it works in both eras. */
static int consent(struct mcp__request *req, const struct mcp__entry *e, const cJSON *args)
{
    struct mcp_call *call = &req->call;
    const char *title = mcp__json_str(e->def, "title");
    char *shown = mcp__json_print(args);
    char question[1024];
    snprintf(question, sizeof question, "Allow \"%s\" to run with %.800s?", title ? title : e->name,
             shown ? shown : "these arguments");
    mcp__free(shown);
    int rc = mcp_call_confirm(call, question);
    const char *profile = req->srv->policy ? req->srv->policy->name : "";
    if (rc == MCP_EACCES)
        return mcp_call_error(call, "The person declined %s; nothing was done.", e->name);
    if (rc == MCP_ENOTSUP)
        return mcp_call_error(call,
                              "%s needs the person's approval under profile '%s', and this client "
                              "cannot ask (it declared no elicitation support); nothing was done.",
                              e->name, profile);
    return rc;
}

static int invoke_tool(struct mcp__request *req, const struct mcp__entry *e, const cJSON *args,
                       const char *target)
{
    (void)target;
    if (e->grant == MCP__ASK) {
        int rc = consent(req, e, args);
        if (rc)
            return rc;
    }
    return e->fn.tool(&req->call, args, e->ud);
}

/* Checks structuredContent against the tool's outputSchema: a mismatch is a bug in the
 * server, reported to the agent rather than passed on as if it were valid. */
static void check_structured(struct mcp_call *call, const struct mcp__entry *e)
{
    char msg[512];
    if (!call->structured || !e->output_schema)
        return;
    if (mcp__schema_validate_compiled(e->output_compiled, call->structured, msg, sizeof msg)) {
        cJSON_Delete(call->structured);
        call->structured = NULL;
        cJSON_Delete(call->items);
        call->items = cJSON_CreateArray();
        mcp_call_error(
            call, "Internal error: the tool's result does not match its outputSchema: %s", msg);
    }
}

/* A handler needs a client capability the request did not declare: 2026-07-28 has an error
 * for it (-32021, naming the capability); older revisions get a tool error saying so. */
static int missing_capability(struct mcp__request *req, const char *name)
{
    const char *cap = req->call.missing_capability;
    if (!req->modern)
        return mcp_call_error(&req->call,
                              "%s needs the client to support %s, and this client did not "
                              "declare it.",
                              name, cap);
    mcp__request_fail(req, MCP__RPC_MISSING_CAPABILITY, "Missing required client capability: %s",
                      cap);
    cJSON *data = cJSON_CreateObject();
    cJSON *caps = data ? mcp__json_add_obj(data, "requiredCapabilities") : NULL;
    if (!caps || !mcp__json_add_obj(caps, cap)) {
        cJSON_Delete(data);
        return MCP_ENOMEM;
    }
    req->error_data = data;
    return 0;
}

/* Enforces the profile's result size limit: an oversized result becomes an error that says
 * how to ask for less, rather than a silently cut one. Takes `r`. */
static int limit_result(struct mcp__request *req, const struct mcp__entry *e, cJSON *r)
{
    /* Error results are short sentences of ours or the tool's: only data is limited. */
    size_t max = req->srv->policy && !req->call.is_error ? req->srv->policy->max_result_bytes : 0;
    size_t size = 0;
    if (max && !mcp__json_printed_length(r, &size))
        size = 0; /* unprintable: the answer fails on its own when printed */
    if (max && size > max) {
        cJSON_Delete(r);
        cJSON *blocks = cJSON_CreateArray();
        char msg[256];
        snprintf(msg, sizeof msg,
                 "The result of %s (%zu bytes) is over the %zu bytes profile '%s' allows; ask "
                 "for less, e.g. a smaller range or page.",
                 e->name, size, max, req->srv->policy->name);
        r = cJSON_CreateObject();
        if (!blocks || !mcp__json_add_take(blocks, NULL, mcp_content_text(msg)) || !r ||
            !cJSON_AddItemToObject(r, "content", blocks)) {
            cJSON_Delete(blocks);
            cJSON_Delete(r);
            return MCP_ENOMEM;
        }
        if (!cJSON_AddTrueToObject(r, "isError")) {
            cJSON_Delete(r);
            return MCP_ENOMEM;
        }
    }
    req->result = r;
    return 0;
}

static int tool_result(struct mcp__request *req, const struct mcp__entry *e, int rc)
{
    struct mcp_call *call = &req->call;
    if (rc == MCP_ECANCELED || mcp_call_cancelled(call)) {
        req->silent = true;
        return 0;
    }
    if (rc == MCP_ENOTSUP && call->missing_capability && !call->is_error &&
        missing_capability(req, e->name) != MCP_EINVAL)
        return 0; /* answered with the 2026-07-28 error */
    if (rc && !call->is_error)
        mcp_call_error(call, "%s failed: %s", e->name, mcp_strerror(rc));
    check_structured(call, e);
    bool structured = call->structured && mcp__rev_has(req->rev, MCP__F_STRUCTURED);
    cJSON *raw = NULL, *r = NULL;
    if (call->structured && !cJSON_GetArraySize(call->items)) {
        /* Clients that do not read structuredContent still get the data as text. That text
         * is the JSON of structuredContent, so the answer carries it a second time as a raw
         * node instead of printing the tree again. The node refers to the text block's
         * string rather than copying it (a page of results is hundreds of kilobytes): both
         * end up in the result, and go with it. */
        char *text = mcp__json_print(call->structured);
        cJSON *block = text ? mcp_content_text(text) : NULL;
        mcp__free(text);
        int arc = mcp_call_add_content(call, block);
        if (!arc && structured) {
            const cJSON *copy = cJSON_GetObjectItemCaseSensitive(block, "text");
            if ((raw = cJSON_CreateStringReference(copy->valuestring)))
                raw->type = cJSON_Raw | cJSON_IsReference;
            else
                arc = MCP_ENOMEM;
        }
        if (arc)
            return arc;
    }
    if (downgrade(call->items, req->rev) || !(r = cJSON_CreateObject()) ||
        !cJSON_AddItemToObject(r, "content", call->items))
        goto free_result;
    call->items = NULL; /* now owned by r */
    if (structured) {
        if (!cJSON_AddItemToObject(r, "structuredContent", raw ? raw : call->structured))
            goto free_result;
        if (!raw)
            call->structured = NULL; /* now owned by r */
        raw = NULL;
    }
    cJSON_Delete(call->structured); /* printed already, or not for this revision */
    call->structured = NULL;
    if (call->is_error && !cJSON_AddTrueToObject(r, "isError"))
        goto free_result;
    return limit_result(req, e, r);

free_result:
    cJSON_Delete(r);
    cJSON_Delete(raw);
    return MCP_ENOMEM;
}

static int call_tool(struct mcp__request *req)
{
    const char *name = mcp__json_str(req->params, "name");
    const cJSON *args = mcp__json_get(req->params, "arguments");
    if (!name)
        return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS,
                                 "Invalid params: \"name\" must be a string");
    if (args && !cJSON_IsObject(args))
        return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS,
                                 "Invalid params: \"arguments\" must be an object");
    const struct mcp__entry *e = mcp__table_find(&req->srv->tools, name);
    if (!e)
        return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS, "Unknown tool: %s", name);
    /* A tool that runs only as a task, for a 2026-07-28 client that cannot have one. Legacy
     * sessions have no tasks: there it is an ordinary (streamed) call. */
    if (e->task_support == MCP__TASK_REQUIRED && req->modern && !mcp__call_has_tasks(&req->call))
        return mcp__tasks_required(req);
    if (!mcp__tool_visible(e, req->call.origin))
        return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS,
                                 "Tool not available: %s is not granted to this client%s%s", name,
                                 req->srv->policy ? " by profile " : "",
                                 req->srv->policy ? req->srv->policy->name : "");
    unsigned wait = mcp__policy_admit(req->srv->policy);
    if (wait) {
        mcp_call_error(&req->call,
                       "Rate limit: profile '%s' allows %u calls per minute; retry in %u seconds.",
                       req->srv->policy->name, req->srv->policy->calls_per_minute, wait);
        return tool_result(req, e, 0);
    }
    cJSON *empty = NULL;
    if (!args && !(args = empty = cJSON_CreateObject()))
        return MCP_ENOMEM;

    char msg[512];
    int rc = mcp__schema_validate_compiled(e->input_compiled, args, msg, sizeof msg);
    if (rc == MCP_EINVAL) {
        mcp_call_error(&req->call, "Invalid arguments for %s: %s", name, msg);
        rc = tool_result(req, e, 0);
    } else if (!rc) {
        rc = run(req, MCP__CALL_TOOL, e, args, name, invoke_tool);
        rc = rc == 1 ? 0 : tool_result(req, e, rc);
    }
    cJSON_Delete(empty);
    return rc;
}

/* --- prompts/get. */

static int invoke_prompt(struct mcp__request *req, const struct mcp__entry *e, const cJSON *args,
                         const char *target)
{
    (void)target;
    return e->fn.prompt(&req->call, args, e->ud);
}

int mcp__method_prompts_get(struct mcp__request *req)
{
    const char *name = mcp__json_str(req->params, "name");
    const cJSON *args = mcp__json_get(req->params, "arguments");
    if (!name)
        return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS,
                                 "Invalid params: \"name\" must be a string");
    const struct mcp__entry *e = mcp__table_find(&req->srv->prompts, name);
    if (!e)
        return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS, "Unknown prompt: %s", name);
    if (args && !cJSON_IsObject(args))
        return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS,
                                 "Invalid params: \"arguments\" must be an object");
    const cJSON *a;
    cJSON_ArrayForEach (a, mcp__json_arr(e->def, "arguments")) {
        const char *an = mcp__json_str(a, "name");
        const cJSON *v = an ? mcp__json_get(args, an) : NULL;
        if (an && mcp__json_bool(a, "required", false) && !cJSON_IsString(v))
            return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS,
                                     "Invalid params: missing required argument '%s'", an);
    }
    cJSON *empty = NULL;
    if (!args && !(args = empty = cJSON_CreateObject()))
        return MCP_ENOMEM;
    int rc = run(req, MCP__CALL_PROMPT, e, args, name, invoke_prompt);
    if (rc == 0) {
        cJSON *r = cJSON_CreateObject();
        const char *desc = mcp__json_str(e->def, "description");
        if (r && downgrade(req->call.items, req->rev) == 0 &&
            (!desc || cJSON_AddStringToObject(r, "description", desc)) &&
            cJSON_AddItemToObject(r, "messages", req->call.items)) {
            req->call.items = NULL;
            req->result = r;
        } else {
            cJSON_Delete(r);
            rc = MCP_ENOMEM;
        }
    } else if (rc != 1 && !req->error_code) {
        mcp__request_fail(req, MCP__RPC_INTERNAL_ERROR, "Prompt %s failed: %s", name,
                          mcp_strerror(rc));
    }
    cJSON_Delete(empty);
    return rc == 1 ? 0 : rc;
}

/* --- resources/read. */

/* Matches `uri` against a template of literal text and {name} or {+name} variables: {name}
 * takes one path segment, {+name} anything. Fills `vars`. */
static bool match_template(const char *tpl, const char *uri, cJSON *vars)
{
    while (*tpl) {
        if (*tpl != '{') {
            if (*tpl++ != *uri++)
                return false;
            continue;
        }
        const char *close = strchr(tpl, '}');
        if (!close)
            return false;
        bool reserved = tpl[1] == '+';
        const char *name = tpl + 1 + reserved;
        size_t name_len = (size_t)(close - name);
        tpl = close + 1;
        /* The variable ends where the next literal character of the template appears. */
        const char *end = uri;
        while (*end && (*tpl ? *end != *tpl : true) && (reserved || *end != '/'))
            end++;
        if (end == uri)
            return false;
        char key[64];
        char *value = mcp__strndup(uri, (size_t)(end - uri));
        if (name_len >= sizeof key || !value) {
            mcp__free(value);
            return false;
        }
        memcpy(key, name, name_len);
        key[name_len] = '\0';
        bool ok = mcp__json_add_take(vars, key, cJSON_CreateString(value));
        mcp__free(value);
        if (!ok)
            return false;
        uri = end;
    }
    return *uri == '\0';
}

static int invoke_resource(struct mcp__request *req, const struct mcp__entry *e, const cJSON *vars,
                           const char *uri)
{
    return e->fn.resource(&req->call, uri, vars, e->ud);
}

static int resource_not_found(struct mcp__request *req, const char *uri)
{
    /* 2026-07-28 moved "not found" to Invalid Params; older revisions use -32002. */
    mcp__request_fail(req, req->modern ? MCP__RPC_INVALID_PARAMS : MCP__RPC_RESOURCE_NOT_FOUND,
                      "Resource not found: %s", uri);
    req->error_data = cJSON_CreateObject();
    if (req->error_data)
        cJSON_AddStringToObject(req->error_data, "uri", uri);
    return 0;
}

static int read_resource(struct mcp__request *req)
{
    const char *uri = mcp__json_str(req->params, "uri");
    if (!uri)
        return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS,
                                 "Invalid params: \"uri\" must be a string");
    cJSON *vars = cJSON_CreateObject();
    if (!vars)
        return MCP_ENOMEM;
    const struct mcp__table *t = &req->srv->templates;
    const struct mcp__entry *e = mcp__table_find(&req->srv->resources, uri);
    for (size_t i = 0; !e && i < t->len; i++) {
        if (atomic_load(&t->items[i].enabled) && match_template(t->items[i].name, uri, vars))
            e = &t->items[i];
        else {
            cJSON_Delete(vars);
            if (!(vars = cJSON_CreateObject()))
                return MCP_ENOMEM;
        }
    }
    int rc = 0;
    if (!e) {
        rc = resource_not_found(req, uri);
    } else {
        rc = run(req, MCP__CALL_RESOURCE, e, vars, uri, invoke_resource);
        if (rc == MCP_ENOENT) {
            rc = resource_not_found(req, uri);
        } else if (rc == 0) {
            cJSON *r = cJSON_CreateObject();
            if (r && cJSON_AddItemToObject(r, "contents", req->call.items)) {
                req->call.items = NULL;
                req->result = r;
                rc = mcp__request_cacheable(req, r, RESOURCE_TTL_MS);
            } else {
                cJSON_Delete(r);
                rc = MCP_ENOMEM;
            }
        } else if (rc != 1 && !req->error_code) {
            mcp__request_fail(req, MCP__RPC_INTERNAL_ERROR, "Reading %s failed: %s", uri,
                              mcp_strerror(rc));
        }
    }
    cJSON_Delete(vars);
    return rc == 1 ? 0 : rc;
}

/* --- The audit trail of both. */

/* The clock, for a call's duration in the audit log; 0 when there is none to write to. */
static double now_ms(const struct mcp__request *req)
{
    if (!req->srv->audit)
        return 0;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* `target` and `args` are the members of the request's params so named. */
static void audit(struct mcp__request *req, const char *kind, const char *target, const char *args,
                  double started)
{
    if (!req->srv->audit)
        return;
    const char *name = mcp__json_str(req->params, target);
    if (!name)
        return;
    const char *outcome = "ok";
    if (req->silent)
        outcome = "cancelled";
    else if (req->error_code)
        outcome = "refused";
    else if (!req->result)
        outcome = "failed";
    else if (mcp__json_str(req->result, "resultType") &&
             strcmp(mcp__json_str(req->result, "resultType"), "input_required") == 0)
        outcome = "input_required";
    else if (mcp__json_bool(req->result, "isError", false))
        outcome = "tool_error";
    mcp__audit_record(req->srv, &req->call, kind, name,
                      args ? mcp__json_get(req->params, args) : NULL, outcome,
                      now_ms(req) - started);
}

int mcp__method_tools_call(struct mcp__request *req)
{
    double started = now_ms(req);
    int rc = call_tool(req);
    audit(req, "tool", "name", "arguments", started);
    if (req->call.task) { /* the response went out long ago: the outcome is the task's */
        mcp__task_finish(req, rc);
        rc = 0;
    }
    return rc;
}

int mcp__method_resources_read(struct mcp__request *req)
{
    double started = now_ms(req);
    int rc = read_resource(req);
    audit(req, "resource", "uri", NULL, started);
    return rc;
}

/* --- completion/complete. */

int mcp__method_complete(struct mcp__request *req)
{
    const cJSON *ref = mcp__json_obj(req->params, "ref");
    const cJSON *argument = mcp__json_obj(req->params, "argument");
    const char *type = mcp__json_str(ref, "type");
    const char *arg_name = mcp__json_str(argument, "name");
    const char *value = mcp__json_str(argument, "value");
    if (!req->srv->complete)
        return mcp__request_fail(req, MCP__RPC_METHOD_NOT_FOUND,
                                 "Method not found: this server offers no completions");
    if (!type || !arg_name || !value)
        return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS,
                                 "Invalid params: completion needs ref.type, argument.name and "
                                 "argument.value");
    if (strcmp(type, "ref/prompt") == 0) {
        const char *name = mcp__json_str(ref, "name");
        if (!name || !mcp__table_find(&req->srv->prompts, name))
            return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS, "Unknown prompt: %s",
                                     name ? name : "(none)");
    } else if (strcmp(type, "ref/resource") != 0) {
        return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS,
                                 "Invalid params: ref.type must be ref/prompt or ref/resource");
    }
    req->call.kind = MCP__CALL_COMPLETE;
    int rc = req->srv->complete(&req->call, ref, arg_name, value,
                                mcp__json_obj(req->params, "context"), req->srv->complete_ud);
    if (rc)
        return mcp__request_fail(req, MCP__RPC_INTERNAL_ERROR, "Completion failed: %s",
                                 mcp_strerror(rc));
    int total = cJSON_GetArraySize(req->call.items);
    while (cJSON_GetArraySize(req->call.items) > MAX_COMPLETIONS)
        cJSON_DeleteItemFromArray(req->call.items, MAX_COMPLETIONS);
    cJSON *r = cJSON_CreateObject();
    cJSON *c = r ? cJSON_AddObjectToObject(r, "completion") : NULL;
    if (!c || !cJSON_AddItemToObject(c, "values", req->call.items)) {
        cJSON_Delete(r);
        return MCP_ENOMEM;
    }
    req->call.items = NULL;
    if (!cJSON_AddNumberToObject(c, "total", total) ||
        !cJSON_AddBoolToObject(c, "hasMore", total > MAX_COMPLETIONS)) {
        cJSON_Delete(r);
        return MCP_ENOMEM;
    }
    req->result = r;
    return 0;
}
