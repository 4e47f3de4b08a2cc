/* The server object: identity, and the tables of tools, resources, resource templates and
 * prompts a connector exposes. Tables are filled before serving and frozen by the first
 * mcp_server_serve_*() call; after that, only mcp_server_set_enabled() and the notify
 * functions may be used, from any thread. */
#ifndef MCP_SERVER_H
#define MCP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "mcp/error.h"

struct cJSON;
struct mcp_call;
struct mcp_server;

/* A tool handler. `args` (borrowed) has already been validated against the tool's
 * inputSchema. Build the result through `call` (see mcp/call.h) and return 0, or return a
 * negative MCP_E* code: MCP_EINPUT as returned by an mcp_call_ask*() function, anything else
 * becomes an isError result carrying mcp_call_error()'s text or mcp_strerror(code). */
typedef int (*mcp_tool_fn)(struct mcp_call *call, const struct cJSON *args, void *ud);

/* A prompt handler: `args` (borrowed) is the object of string arguments, required ones
 * checked. Add messages with mcp_call_message(). */
typedef int (*mcp_prompt_fn)(struct mcp_call *call, const struct cJSON *args, void *ud);

/* A resource handler for a fixed resource or a template: `uri` (borrowed) is the requested
 * URI, `vars` (borrowed) the template variables ({} for a fixed resource). Add contents
 * with mcp_call_contents_text() / mcp_call_contents_blob(); return MCP_ENOENT when the URI
 * names nothing. */
typedef int (*mcp_resource_fn)(struct mcp_call *call, const char *uri, const struct cJSON *vars,
                               void *ud);

/* A completion handler for completion/complete: `ref` and `context` borrowed from the
 * request; add candidate values with mcp_call_completion(). */
typedef int (*mcp_complete_fn)(struct mcp_call *call, const struct cJSON *ref, const char *argument,
                               const char *value, const struct cJSON *context, void *ud);

/* Creates a server. `name` and `version` (borrowed, copied) identify it in serverInfo.
 * Returns NULL when out of memory. */
struct mcp_server *mcp_server_new(const char *name, const char *version);

/* Frees the server and everything it owns; NULL is a no-op. Must not be serving. */
void mcp_server_free(struct mcp_server *srv);

/* Sets optional identity fields (borrowed, copied): a human title, instructions for the
 * model, a website URL. Any may be NULL. */
int mcp_server_set_info(struct mcp_server *srv, const char *title, const char *instructions,
                        const char *website_url);

/* Adds a tool from its MCP Tool definition as JSON text (borrowed): `name`, `description`,
 * `inputSchema` are required; `title`, `outputSchema`, `annotations`, `icons`, `_meta` are
 * kept verbatim and shaped per protocol revision when listed. Returns MCP_EINVAL for a
 * malformed definition or an inputSchema using keywords the validator does not know,
 * MCP_EEXIST for a duplicate name, MCP_ENOMEM. The schemas are compiled here, once, for the
 * validation of every call. Tools are listed in the order added. */
int mcp_server_add_tool(struct mcp_server *srv, const char *tool_json, mcp_tool_fn fn, void *ud);

/* Binds a tool named in a capability manifest to its handler. */
struct mcp_tool_binding {
    const char *name;
    mcp_tool_fn fn;
    void *ud;
};

/* Adds every tool of a capability manifest (JSON text, borrowed: an object whose "tools"
 * array holds MCP Tool definitions, each possibly with manifest-only members such as
 * "scope"), binding each by name to a handler in `bindings` (borrowed, `n` entries). The
 * manifest is the single source of the tools' metadata. Returns MCP_EINVAL, with the reason
 * on stderr, when a tool has no handler, a handler has no tool, or a definition is invalid;
 * then nothing was added. Manifest-only members are not listed to clients. */
int mcp_server_add_manifest_tools(struct mcp_server *srv, const char *manifest_json,
                                  const struct mcp_tool_binding *bindings, size_t n);

/* Adds a resource (MCP Resource JSON: `uri`, `name` required) or a resource template (MCP
 * ResourceTemplate JSON: `uriTemplate` with {var} segments, `name` required). */
int mcp_server_add_resource(struct mcp_server *srv, const char *resource_json, mcp_resource_fn fn,
                            void *ud);
int mcp_server_add_resource_template(struct mcp_server *srv, const char *template_json,
                                     mcp_resource_fn fn, void *ud);

/* Adds a prompt (MCP Prompt JSON: `name` required, `arguments` optional). */
int mcp_server_add_prompt(struct mcp_server *srv, const char *prompt_json, mcp_prompt_fn fn,
                          void *ud);

/* Applies a surface profile (see docs/profiles.md) from the JSON file at `path`: tools it
 * blocks are neither listed nor callable, tools it marks "ask" get the person's consent
 * through the client before they run, and its data scopes and limits apply. Call after the
 * tools are added. Returns MCP_EINVAL, with one clear sentence on stderr, for a missing or
 * malformed profile: never start a server with a wider grant than written. */
int mcp_server_load_profile(struct mcp_server *srv, const char *path);

/* Sets the completion handler; advertises the `completions` capability. */
int mcp_server_set_completion(struct mcp_server *srv, mcp_complete_fn fn, void *ud);

/* Shows or hides a tool at run time (hidden tools are neither listed nor callable) and
 * tells subscribed clients that the tool list changed. Thread-safe. */
int mcp_server_set_tool_enabled(struct mcp_server *srv, const char *name, bool enabled);

/* Tells clients that a list changed: `kind` is "tools", "prompts" or "resources".
 * Thread-safe. */
void mcp_server_notify_list_changed(struct mcp_server *srv, const char *kind);

/* Tells clients subscribed to `uri` (borrowed) that the resource changed. Thread-safe. */
void mcp_server_notify_resource_updated(struct mcp_server *srv, const char *uri);

/* Serves newline-delimited JSON-RPC on the two descriptors until end of input or until
 * mcp_server_stop(); in-flight calls are finished or cancelled first. Returns 0 or MCP_E*. */
int mcp_server_serve_stdio(struct mcp_server *srv, int in_fd, int out_fd);

/* Asks a serving loop to finish (async-signal-safe). */
void mcp_server_stop(struct mcp_server *srv);

/* Sets the secret that protects requestState (HMAC-SHA256). Without it a random key is made
 * at first use, which is right for one process; set one to share state across replicas.
 * `key` borrowed, copied. */
int mcp_server_set_state_key(struct mcp_server *srv, const void *key, size_t len);

#endif
