/* The server object's insides, shared by the engine and the transports. */
#ifndef MCP_SERVER_INT_H
#define MCP_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "mcp/server.h"
#include "policy_int.h"
#include "tasks_int.h"

struct mcp__schema;

/* One tool, prompt, resource or resource template. */
struct mcp__entry {
    char *name;                 /* tool/prompt name, resource URI, or URI template */
    cJSON *def;                 /* the definition as given (owned) */
    const cJSON *input_schema;  /* tools: borrowed from def */
    const cJSON *output_schema; /* tools: borrowed from def, or NULL */
    /* tools: the schemas compiled once for validation (owned; output_compiled may be NULL) */
    struct mcp__schema *input_compiled;
    struct mcp__schema *output_compiled;
    union {
        mcp_tool_fn tool;
        mcp_prompt_fn prompt;
        mcp_resource_fn resource;
    } fn;
    void *ud;
    atomic_bool enabled;
    char *scope;                         /* tools from a manifest: the scope they need, or NULL */
    enum mcp__grant grant;               /* set by a profile */
    enum mcp__task_support task_support; /* tools: execution.taskSupport */
};

struct mcp__table {
    struct mcp__entry *items;
    size_t len;
    size_t cap;
};

struct mcp__peer;
struct mcp__audit;

struct mcp_server {
    char *name;
    char *version;
    char *title;
    char *instructions;
    char *website_url;

    struct mcp__table tools;
    struct mcp__table resources;
    struct mcp__table templates;
    struct mcp__table prompts;
    mcp_complete_fn complete;
    void *complete_ud;

    size_t page_size;        /* items per list page */
    size_t max_message;      /* largest incoming message, bytes */
    unsigned ask_timeout_ms; /* how long a legacy ask waits for the client */

    unsigned char state_key[32];
    bool state_key_set;
    pthread_mutex_t state_key_lock;

    atomic_bool frozen;
    atomic_bool stopping;
    atomic_int stop_fd; /* write end of the serving loop's wake-up pipe, or -1 */

    struct mcp__tasks *tasks; /* tasks of the tasks extension */
    bool task_tools;          /* some tool may become a task */

    struct mcp__policy *policy; /* from --profile, or NULL: everything allowed */
    struct mcp__audit *audit;   /* from --audit, or NULL */

    pthread_mutex_t peers_lock; /* guards the peers list */
    struct mcp__peer *peers;    /* every live connection or session, for broadcasts */
};

/* The enabled entry named `name` in `table`, or NULL. */
struct mcp__entry *mcp__table_find(const struct mcp__table *table, const char *name);

/* Freezes the tables: called when serving starts. */
void mcp__server_freeze(struct mcp_server *srv);

/* Sends `method` (params taken, may be NULL) to every peer that opted in to `topic`
 * (see mcp__peer_wants). `uri` narrows resource-updated notifications. */
void mcp__server_broadcast(struct mcp_server *srv, const char *method, const char *uri);

#endif
