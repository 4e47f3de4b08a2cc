#include "server_int.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc_int.h"
#include "audit_int.h"
#include "engine_int.h"
#include "json_int.h"
#include "schema_int.h"

#include "banned.h"

#define DEFAULT_PAGE_SIZE 100
#define DEFAULT_MAX_MESSAGE (4u << 20)
#define DEFAULT_ASK_TIMEOUT_MS (10u * 60 * 1000)

struct mcp_server *mcp_server_new(const char *name, const char *version)
{
    mcp__alloc_init();
    struct mcp_server *srv = mcp__calloc(1, sizeof(*srv));
    if (!srv)
        return NULL;
    srv->name = mcp__strdup(name ? name : "mcp-server");
    srv->version = mcp__strdup(version ? version : "0.0.0");
    srv->page_size = DEFAULT_PAGE_SIZE;
    srv->max_message = DEFAULT_MAX_MESSAGE;
    srv->ask_timeout_ms = DEFAULT_ASK_TIMEOUT_MS;
    atomic_init(&srv->frozen, false);
    atomic_init(&srv->stopping, false);
    atomic_init(&srv->stop_fd, -1);
    pthread_mutex_init(&srv->state_key_lock, NULL);
    pthread_mutex_init(&srv->peers_lock, NULL);
    srv->tasks = mcp__tasks_new();
    if (!srv->name || !srv->version || !srv->tasks) {
        mcp_server_free(srv);
        return NULL;
    }
    return srv;
}

static void entry_release(struct mcp__entry *e)
{
    mcp__free(e->name);
    mcp__free(e->scope);
    mcp__schema_free(e->input_compiled);
    mcp__schema_free(e->output_compiled);
    cJSON_Delete(e->def);
}

static void table_release(struct mcp__table *t)
{
    for (size_t i = 0; i < t->len; i++)
        entry_release(&t->items[i]);
    mcp__free(t->items);
}

void mcp_server_free(struct mcp_server *srv)
{
    if (!srv)
        return;
    table_release(&srv->tools);
    table_release(&srv->resources);
    table_release(&srv->templates);
    table_release(&srv->prompts);
    mcp__free(srv->name);
    mcp__free(srv->version);
    mcp__free(srv->title);
    mcp__free(srv->instructions);
    mcp__free(srv->website_url);
    mcp__policy_free(srv->policy);
    mcp__audit_free(srv->audit);
    mcp__tasks_free(srv->tasks);
    explicit_bzero(srv->state_key, sizeof(srv->state_key));
    pthread_mutex_destroy(&srv->state_key_lock);
    pthread_mutex_destroy(&srv->peers_lock);
    mcp__free(srv);
}

static int replace_str(char **dst, const char *src)
{
    char *copy = NULL;
    if (src && !(copy = mcp__strdup(src)))
        return MCP_ENOMEM;
    mcp__free(*dst);
    *dst = copy;
    return 0;
}

int mcp_server_set_info(struct mcp_server *srv, const char *title, const char *instructions,
                        const char *website_url)
{
    if (atomic_load(&srv->frozen))
        return MCP_EINVAL;
    int rc = replace_str(&srv->title, title);
    if (!rc)
        rc = replace_str(&srv->instructions, instructions);
    if (!rc)
        rc = replace_str(&srv->website_url, website_url);
    return rc;
}

int mcp_server_set_state_key(struct mcp_server *srv, const void *key, size_t len)
{
    if (len < 16 || len > sizeof(srv->state_key))
        return MCP_EINVAL;
    pthread_mutex_lock(&srv->state_key_lock);
    memset(srv->state_key, 0, sizeof(srv->state_key));
    memcpy(srv->state_key, key, len);
    srv->state_key_set = true;
    pthread_mutex_unlock(&srv->state_key_lock);
    return 0;
}

struct mcp__entry *mcp__table_find(const struct mcp__table *table, const char *name)
{
    for (size_t i = 0; i < table->len; i++)
        if (strcmp(table->items[i].name, name) == 0 && atomic_load(&table->items[i].enabled))
            return &table->items[i];
    return NULL;
}

/* Tool names: 1-128 of A-Z a-z 0-9 _ - . (the 2025-11-25 rule, safe for every revision). */
static bool valid_tool_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 128)
        return false;
    for (const char *p = name; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.", *p))
            return false;
    return true;
}

/* Checks a tool's schema and compiles it once: the tables freeze before serving, so every
 * call validates against the same compiled form. */
static int compile_schema(const cJSON *schema, const char *what, const char *name,
                          struct mcp__schema **out)
{
    char msg[256];
    if (!cJSON_IsObject(schema))
        return MCP_EINVAL;
    const char *type = mcp__json_str(schema, "type");
    if (!type || strcmp(type, "object") != 0) {
        fprintf(stderr, "libmcp: %s of '%s' must have \"type\": \"object\"\n", what, name);
        return MCP_EINVAL;
    }
    int rc = mcp__schema_compile(schema, msg, sizeof msg, out);
    if (rc == MCP_EINVAL)
        fprintf(stderr, "libmcp: %s of '%s': %s\n", what, name, msg);
    return rc;
}

/* Parses a definition, checks it, and appends it to `table`. */
static int add_entry(struct mcp_server *srv, struct mcp__table *table, const char *json,
                     const char *key, void *fn, void *ud, struct mcp__entry **out)
{
    if (atomic_load(&srv->frozen) || !json || !fn)
        return MCP_EINVAL;
    cJSON *def = mcp__json_parse_str(json);
    if (!def)
        return MCP_EINVAL;
    const char *name = mcp__json_str(def, key);
    int rc = MCP_EINVAL;
    if (!name || !*name)
        goto fail;
    for (size_t i = 0; i < table->len; i++) {
        if (strcmp(table->items[i].name, name) == 0) {
            rc = MCP_EEXIST;
            goto fail;
        }
    }
    if (table->len == table->cap) {
        size_t cap = table->cap ? table->cap * 2 : 8;
        struct mcp__entry *items = mcp__reallocarray(table->items, cap, sizeof(*items));
        if (!items) {
            rc = MCP_ENOMEM;
            goto fail;
        }
        table->items = items;
        table->cap = cap;
    }
    struct mcp__entry *e = &table->items[table->len];
    memset(e, 0, sizeof(*e));
    if (!(e->name = mcp__strdup(name))) {
        rc = MCP_ENOMEM;
        goto fail;
    }
    e->def = def;
    e->ud = ud;
    /* All handler types share one representation; the table says which one it is. */
    memcpy(&e->fn, &fn, sizeof(fn));
    atomic_init(&e->enabled, true);
    table->len++;
    *out = e;
    return 0;
fail:
    cJSON_Delete(def);
    return rc;
}

/* execution.taskSupport: absent, or "forbidden", "optional", "required". */
static bool task_support_of(const cJSON *def, const char *name, enum mcp__task_support *out)
{
    static const char *const names[] = {"forbidden", "optional", "required"};
    const cJSON *exec = mcp__json_get(def, "execution");
    const cJSON *ts = mcp__json_get(exec, "taskSupport");
    *out = MCP__TASK_FORBIDDEN;
    if (!exec || (cJSON_IsObject(exec) && !ts))
        return true;
    for (size_t i = 0; cJSON_IsObject(exec) && cJSON_IsString(ts) && i < 3; i++) {
        if (strcmp(ts->valuestring, names[i]) == 0) {
            *out = (enum mcp__task_support)i;
            return true;
        }
    }
    fprintf(stderr,
            "libmcp: execution of '%s' must be an object whose taskSupport is \"forbidden\", "
            "\"optional\" or \"required\"\n",
            name);
    return false;
}

int mcp_server_add_tool(struct mcp_server *srv, const char *tool_json, mcp_tool_fn fn, void *ud)
{
    struct mcp__entry *e;
    void *f;
    memcpy(&f, &fn, sizeof(f));
    int rc = add_entry(srv, &srv->tools, tool_json, "name", f, ud, &e);
    if (rc)
        return rc;
    const cJSON *in = mcp__json_get(e->def, "inputSchema");
    const cJSON *out = mcp__json_get(e->def, "outputSchema");
    rc = MCP_EINVAL;
    if (valid_tool_name(e->name) && mcp__json_str(e->def, "description"))
        rc = compile_schema(in, "inputSchema", e->name, &e->input_compiled);
    if (!rc && out)
        rc = compile_schema(out, "outputSchema", e->name, &e->output_compiled);
    if (!rc && !task_support_of(e->def, e->name, &e->task_support))
        rc = MCP_EINVAL;
    if (rc) {
        srv->tools.len--;
        entry_release(e);
        return rc;
    }
    e->input_schema = in;
    e->output_schema = out;
    srv->task_tools = srv->task_tools || e->task_support != MCP__TASK_FORBIDDEN;
    return 0;
}

int mcp_server_add_manifest_tools(struct mcp_server *srv, const char *manifest_json,
                                  const struct mcp_tool_binding *bindings, size_t n)
{
    cJSON *manifest = mcp__json_parse_str(manifest_json);
    cJSON *tools = cJSON_GetObjectItemCaseSensitive(manifest, "tools");
    if (!cJSON_IsArray(tools))
        tools = NULL;
    size_t first = srv->tools.len;
    int rc = tools ? 0 : MCP_EINVAL;
    if (!tools)
        fprintf(stderr, "libmcp: the manifest has no \"tools\" array\n");
    for (size_t i = 0; !rc && i < n; i++) {
        bool found = false;
        const cJSON *t;
        cJSON_ArrayForEach (t, tools) {
            const char *name = mcp__json_str(t, "name");
            found = found || (name && strcmp(name, bindings[i].name) == 0);
        }
        if (!found) {
            fprintf(stderr, "libmcp: handler '%s' has no tool in the manifest\n", bindings[i].name);
            rc = MCP_EINVAL;
        }
    }
    cJSON *t;
    cJSON_ArrayForEach (t, tools) {
        if (rc)
            break;
        const char *name = mcp__json_str(t, "name");
        const struct mcp_tool_binding *b = NULL;
        for (size_t i = 0; name && i < n && !b; i++)
            if (strcmp(bindings[i].name, name) == 0)
                b = &bindings[i];
        if (!b) {
            fprintf(stderr, "libmcp: tool '%s' in the manifest has no handler\n",
                    name ? name : "(unnamed)");
            rc = MCP_EINVAL;
            break;
        }
        cJSON *scope = cJSON_DetachItemFromObjectCaseSensitive(t, "scope");
        char *json = mcp__json_print(t);
        rc = json ? mcp_server_add_tool(srv, json, b->fn, b->ud) : MCP_ENOMEM;
        if (!rc && cJSON_IsString(scope)) {
            struct mcp__entry *e = &srv->tools.items[srv->tools.len - 1];
            if (!(e->scope = mcp__strdup(scope->valuestring)))
                rc = MCP_ENOMEM;
        }
        cJSON_Delete(scope);
        if (rc)
            fprintf(stderr, "libmcp: tool '%s': %s\n", name, mcp_strerror(rc));
        mcp__free(json);
    }
    if (rc) { /* all or nothing */
        while (srv->tools.len > first)
            entry_release(&srv->tools.items[--srv->tools.len]);
    }
    cJSON_Delete(manifest);
    return rc;
}

int mcp_server_add_resource(struct mcp_server *srv, const char *resource_json, mcp_resource_fn fn,
                            void *ud)
{
    struct mcp__entry *e;
    void *f;
    memcpy(&f, &fn, sizeof(f));
    int rc = add_entry(srv, &srv->resources, resource_json, "uri", f, ud, &e);
    if (!rc && !mcp__json_str(e->def, "name")) {
        srv->resources.len--;
        entry_release(e);
        return MCP_EINVAL;
    }
    return rc;
}

int mcp_server_add_resource_template(struct mcp_server *srv, const char *template_json,
                                     mcp_resource_fn fn, void *ud)
{
    struct mcp__entry *e;
    void *f;
    memcpy(&f, &fn, sizeof(f));
    int rc = add_entry(srv, &srv->templates, template_json, "uriTemplate", f, ud, &e);
    if (!rc && !mcp__json_str(e->def, "name")) {
        srv->templates.len--;
        entry_release(e);
        return MCP_EINVAL;
    }
    return rc;
}

int mcp_server_add_prompt(struct mcp_server *srv, const char *prompt_json, mcp_prompt_fn fn,
                          void *ud)
{
    struct mcp__entry *e;
    void *f;
    memcpy(&f, &fn, sizeof(f));
    return add_entry(srv, &srv->prompts, prompt_json, "name", f, ud, &e);
}

int mcp_server_load_profile(struct mcp_server *srv, const char *path)
{
    if (atomic_load(&srv->frozen))
        return MCP_EINVAL;
    return mcp__policy_load(srv, path);
}

int mcp_server_set_completion(struct mcp_server *srv, mcp_complete_fn fn, void *ud)
{
    if (atomic_load(&srv->frozen))
        return MCP_EINVAL;
    srv->complete = fn;
    srv->complete_ud = ud;
    return 0;
}

void mcp__server_freeze(struct mcp_server *srv)
{
    atomic_store(&srv->frozen, true);
}

int mcp_server_set_tool_enabled(struct mcp_server *srv, const char *name, bool enabled)
{
    for (size_t i = 0; i < srv->tools.len; i++) {
        struct mcp__entry *e = &srv->tools.items[i];
        if (strcmp(e->name, name) == 0) {
            if (atomic_exchange(&e->enabled, enabled) != enabled)
                mcp__server_broadcast(srv, "notifications/tools/list_changed", NULL);
            return 0;
        }
    }
    return MCP_ENOENT;
}

void mcp_server_notify_list_changed(struct mcp_server *srv, const char *kind)
{
    char method[64];
    snprintf(method, sizeof method, "notifications/%s/list_changed", kind);
    mcp__server_broadcast(srv, method, NULL);
}

void mcp_server_notify_resource_updated(struct mcp_server *srv, const char *uri)
{
    mcp__server_broadcast(srv, "notifications/resources/updated", uri);
}

void mcp_server_stop(struct mcp_server *srv)
{
    atomic_store(&srv->stopping, true);
    int fd = atomic_load(&srv->stop_fd);
    if (fd >= 0) {
        char c = 's';
        ssize_t n = write(fd, &c, 1); /* async-signal-safe wake-up of the serving loop */
        (void)n;
    }
}
