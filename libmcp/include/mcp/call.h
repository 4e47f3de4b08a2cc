/* The call context handed to every tool, prompt, resource and completion handler.
 *
 * A handler builds its result through the call (content, messages, contents, structured
 * content, an error), reports progress, checks for cancellation, logs, and asks the user for
 * input. The same handler serves every protocol revision: libmcp shapes what it built for the
 * revision in use.
 *
 * Asking works in both eras with one call. In a legacy session the ask is sent to the client
 * as a request and the handler blocks until the answer arrives. In the stateless 2026-07-28
 * revision the ask returns MCP_EINPUT at once; the handler returns that code, libmcp answers
 * `input_required` with an integrity-protected requestState, and when the client retries with
 * the answers the handler runs again from the top, and this time the same ask returns the
 * answer. Handlers must therefore do their side effects after their asks.
 *
 * All functions are for the handler's own thread, except mcp_call_cancelled(). Every
 * borrowed pointer a call returns stays valid until the handler returns. */
#ifndef MCP_CALL_H
#define MCP_CALL_H

#include <stdbool.h>
#include <stddef.h>

#include "mcp/error.h"

struct cJSON;
struct mcp_call;

enum mcp_log_level {
    MCP_LOG_DEBUG,
    MCP_LOG_INFO,
    MCP_LOG_NOTICE,
    MCP_LOG_WARNING,
    MCP_LOG_ERROR,
    MCP_LOG_CRITICAL,
    MCP_LOG_ALERT,
    MCP_LOG_EMERGENCY,
};

/* --- Content blocks: each returns a new cJSON object owned by the caller, NULL when out of
 * memory. Strings and bytes are borrowed and copied. */
struct cJSON *mcp_content_text(const char *text);
struct cJSON *mcp_content_image(const void *data, size_t len, const char *mime_type);
struct cJSON *mcp_content_audio(const void *data, size_t len, const char *mime_type);
struct cJSON *mcp_content_resource_text(const char *uri, const char *mime_type, const char *text);
struct cJSON *mcp_content_resource_blob(const char *uri, const char *mime_type, const void *data,
                                        size_t len);
struct cJSON *mcp_content_resource_link(const char *uri, const char *name, const char *mime_type);

/* --- Bytes in arguments. */

/* Decodes `len` bytes of base64 text at `text` (borrowed; need not be NUL-terminated), in
 * the standard or the URL-safe alphabet of RFC 4648, padded or not, into *out (returned
 * owned: free with free(); a NUL follows the bytes for convenience) and their count into
 * *out_len. Returns 0; MCP_EINVAL when the text is not base64 (a character outside the
 * alphabet, '=' other than at the end, a length no encoding has); MCP_E2BIG for more than
 * 1 GiB of text; MCP_ENOMEM. *out and *out_len are written only on success. */
int mcp_base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len);

/* --- Results. */

/* Appends a content block (taken, freed by libmcp even on error) to a tool result. */
int mcp_call_add_content(struct mcp_call *call, struct cJSON *content);

/* Appends a text block, printf-style. */
int mcp_call_text(struct mcp_call *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sets structuredContent (taken). For tools with an outputSchema libmcp checks it against
 * the schema and, if no content was added, adds its JSON text as the content as well. */
int mcp_call_structured(struct mcp_call *call, struct cJSON *value);

/* Marks the result as a tool error (isError) with a text telling the agent what went wrong
 * and what to do next. Returns MCP_EINVAL so a handler may `return mcp_call_error(...)`. */
int mcp_call_error(struct mcp_call *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Ends the request with the JSON-RPC error `code` (e.g. -32603, Internal error) and a message,
 * printf-style, instead of a result: for faults of the server itself, which the agent cannot
 * act on. A task fails with this error. Failures of the tool's work are mcp_call_error().
 * Returns MCP_EINVAL so a handler may `return mcp_call_protocol_error(...)`. */
int mcp_call_protocol_error(struct mcp_call *call, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends a prompt message with role "user" or "assistant" and a content block (taken). */
int mcp_call_message(struct mcp_call *call, const char *role, struct cJSON *content);

/* Appends resource contents for resources/read. `uri`, `mime_type` (may be NULL), `text` and
 * `data` are borrowed. */
int mcp_call_contents_text(struct mcp_call *call, const char *uri, const char *mime_type,
                           const char *text);
int mcp_call_contents_blob(struct mcp_call *call, const char *uri, const char *mime_type,
                           const void *data, size_t len);

/* Adds a completion candidate (borrowed, copied); at most 100 are sent, `hasMore` tells. */
int mcp_call_completion(struct mcp_call *call, const char *value);

/* --- While running. */

/* Sends notifications/progress when the client asked for it (a no-op otherwise). `total`
 * <= 0 means unknown; `message` may be NULL. Progress must increase; a non-increasing value
 * is dropped. */
int mcp_call_progress(struct mcp_call *call, double progress, double total, const char *message);

/* True once the client cancelled the call or went away (for a task: tasks/cancel, or the
 * task expired). Long work polls this and returns MCP_ECANCELED. Thread-safe. */
bool mcp_call_cancelled(const struct mcp_call *call);

/* Sends notifications/message when the client's level lets it through. */
int mcp_call_log(struct mcp_call *call, enum mcp_log_level level, const char *logger,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* --- Asking the client (see the era note at the top). */

/* Sends `method` ("elicitation/create", "sampling/createMessage", "roots/list") with
 * `params` (taken) and stores the client's result (borrowed) in *result. Returns MCP_EINPUT
 * (modern era, answer pending: return it), MCP_ENOTSUP (the client lacks the capability),
 * MCP_EPEER (the client answered with an error), MCP_ECANCELED, MCP_ETIMEDOUT, MCP_ECLOSED. */
int mcp_call_ask(struct mcp_call *call, const char *method, struct cJSON *params,
                 const struct cJSON **result);

/* Like mcp_call_ask(), under a key the handler chooses (unique within the request) instead
 * of the automatic q1, q2, ...: the key names the question in 2026-07-28 inputRequests. */
int mcp_call_ask_named(struct mcp_call *call, const char *key, const char *method,
                       struct cJSON *params, const struct cJSON **result);

/* Returns 0 when the client declared capability `name`; otherwise MCP_ENOTSUP, which the
 * handler returns: a 2026-07-28 client gets error -32021 (MissingRequiredClientCapability)
 * naming it, a legacy client an isError result saying what is missing. */
int mcp_call_need_capability(struct mcp_call *call, const char *name);

/* Ends the transport stream carrying this call's messages early, if the transport can
 * (Streamable HTTP, legacy sessions: the client resumes with Last-Event-ID); later messages
 * are kept for the resumed stream. A no-op on stdio and in 2026-07-28, which cannot resume. */
void mcp_call_close_stream(struct mcp_call *call);

/* Form elicitation: `message` and `schema_json` (requestedSchema as JSON text) borrowed.
 * *result is the ElicitResult: `action` is "accept", "decline" or "cancel"; `content` holds
 * the values when accepted. */
int mcp_call_elicit(struct mcp_call *call, const char *message, const char *schema_json,
                    const struct cJSON **result);

/* Sampling with one user text message; *result is the CreateMessageResult. */
int mcp_call_sample(struct mcp_call *call, const char *prompt, int max_tokens,
                    const struct cJSON **result);

/* Asks the person to approve an action described by `message`: returns 0 when approved,
 * MCP_EACCES when declined or cancelled, MCP_ENOTSUP when the client cannot ask, or what
 * mcp_call_ask() returns. */
int mcp_call_confirm(struct mcp_call *call, const char *message);

/* --- Tasks (the 2026-07-28 extension io.modelcontextprotocol/tasks). */

/* Turns the rest of this tool call into a task: the client gets a CreateTaskResult now and
 * polls tasks/get while the handler goes on (on its worker thread) to build the result as
 * usual, which becomes the task's; mcp_call_error() makes it completed with isError,
 * mcp_call_protocol_error() failed, MCP_ECANCELED after tasks/cancel cancelled. Only for tools
 * whose definition declares "execution": {"taskSupport": "optional"} or "required", when the
 * request's client declared the extension. Asks made before this are the usual
 * input_required round trips; asks after it park the task in input_required until the
 * client answers with tasks/update, and the handler then runs again from the top with the
 * answers (this call then returns 0 at once). So: ask first, start the task, then work.
 * Returns 0 (now a task), MCP_ENOTSUP (no task: the call goes on synchronously, which is
 * fine), MCP_EAGAIN (too many tasks: go on synchronously, or return it), MCP_ENOMEM. */
int mcp_call_start_task(struct mcp_call *call);

/* --- About the request. */

/* The protocol revision in use ("2025-11-25", "2026-07-28", ...). */
const char *mcp_call_protocol_version(const struct mcp_call *call);

/* True when the client declared capability `name` ("elicitation", "sampling", "roots"). */
bool mcp_call_client_can(const struct mcp_call *call, const char *name);

/* The tool, prompt or resource name being served (borrowed). */
const char *mcp_call_name(const struct mcp_call *call);

/* The authenticated principal, or NULL when the transport did not authenticate one. */
const char *mcp_call_principal(const struct mcp_call *call);

/* A data scope of the server's profile (borrowed), e.g. "roots" for drive: the JSON value
 * under connectors.<name>.data.<key>, or NULL when no profile is loaded or it sets none.
 * Connectors must confine what they touch to it. */
const struct cJSON *mcp_call_profile_data(const struct mcp_call *call, const char *key);

/* The request's _meta object (borrowed), or NULL. */
const struct cJSON *mcp_call_meta(const struct mcp_call *call);

#endif
