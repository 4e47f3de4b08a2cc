/* The list methods: paging with opaque cursors, and each definition shaped for the revision
 * in use (fields a revision does not know are left out, so older clients see what their
 * schema says). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_int.h"
#include "base64_int.h"
#include "json_int.h"
#include "request_int.h"

#include "banned.h"

/* How long a client may keep a list before asking again (2026-07-28 caching hints). The
 * lists only change through list_changed notifications, which clients also receive. */
#define LIST_TTL_MS 60000L

/* Which revision introduced each field of a definition; fields not named here are newest. */
static const struct field_rev {
    const char *field;
    unsigned feature; /* 0: every revision */
} field_revs[] = {
    {"name", 0},
    {"description", 0},
    {"inputSchema", 0},
    {"uri", 0},
    {"uriTemplate", 0},
    {"mimeType", 0},
    {"arguments", 0},
    {"annotations", MCP__F_TOOL_ANNOTATIONS},
    {"size", MCP__F_TOOL_ANNOTATIONS},
    {"title", MCP__F_STRUCTURED},
    {"outputSchema", MCP__F_STRUCTURED},
    {"_meta", MCP__F_STRUCTURED},
    {"icons", MCP__F_ICONS},
    {"execution", MCP__F_MODERN}, /* taskSupport: the tasks extension, not 2025-11-25's tasks */
};

static bool field_known(const char *field, const struct mcp__rev *rev)
{
    for (size_t i = 0; i < sizeof field_revs / sizeof *field_revs; i++)
        if (strcmp(field_revs[i].field, field) == 0)
            return !field_revs[i].feature || mcp__rev_has(rev, field_revs[i].feature);
    return mcp__rev_has(rev, MCP__F_ICONS);
}

/* A copy of `def` with only the fields `rev` knows; resources' annotations predate tools'. */
static cJSON *shape(const cJSON *def, const struct mcp__rev *rev)
{
    cJSON *out = cJSON_CreateObject();
    const cJSON *f;
    cJSON_ArrayForEach (f, def) {
        if (!out)
            break;
        if (field_known(f->string, rev) && !mcp__json_add_copy(out, f->string, f)) {
            cJSON_Delete(out);
            out = NULL;
        }
    }
    return out;
}

static char *make_cursor(size_t offset)
{
    char raw[32];
    int n = snprintf(raw, sizeof raw, "offset:%zu", offset);
    return mcp__base64_encode(raw, (size_t)n, true);
}

/* Reads a cursor back; false when it is not one of ours. */
static bool read_cursor(const char *cursor, size_t *offset)
{
    size_t len = 0;
    unsigned char *raw = mcp__base64_decode(cursor, strlen(cursor), &len);
    bool ok = false;
    if (raw && len > 7 && memcmp(raw, "offset:", 7) == 0) {
        char *end = NULL;
        unsigned long long v = strtoull((const char *)raw + 7, &end, 10);
        ok = end == (const char *)raw + len && raw[7] >= '0' && raw[7] <= '9';
        *offset = (size_t)v;
    }
    mcp__free(raw);
    return ok;
}

/* Whether a request may see an entry: tools answer to the profile and the token's scopes,
 * and a 2026-07-28 client sees a tool that runs only as a task when it can have tasks. */
static bool may_list(struct mcp__request *req, const struct mcp__table *table,
                     const struct mcp__entry *e)
{
    if (table != &req->srv->tools)
        return atomic_load(&e->enabled);
    if (e->task_support == MCP__TASK_REQUIRED && req->modern) {
        req->per_client = true; /* listed or not by the client's capabilities */
        if (!mcp__call_has_tasks(&req->call))
            return false;
    }
    return mcp__tool_visible(e, req->call.origin);
}

/* A tool that needs consent says so, so hosts can prompt (or know the server will). */
static cJSON *shape_entry(const struct mcp__request *req, const struct mcp__entry *e)
{
    cJSON *out = shape(e->def, req->rev);
    if (!out || e->grant != MCP__ASK || !mcp__rev_has(req->rev, MCP__F_STRUCTURED))
        return out;
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(out, "_meta");
    if (!cJSON_IsObject(meta))
        meta = mcp__json_add_obj(out, "_meta");
    if (!meta || !cJSON_AddTrueToObject(meta, "anthropic/requiresUserInteraction")) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

static int list(struct mcp__request *req, const struct mcp__table *table, const char *key)
{
    size_t offset = 0;
    const cJSON *cursor = mcp__json_get(req->params, "cursor");
    if (cursor && (!cJSON_IsString(cursor) || !read_cursor(cursor->valuestring, &offset)))
        return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS,
                                 "Invalid params: unknown cursor; start again without one");
    cJSON *r = cJSON_CreateObject();
    cJSON *items = r ? cJSON_AddArrayToObject(r, key) : NULL;
    if (!items)
        goto nomem;
    size_t page = req->srv->page_size, seen = 0, listed = 0, i;
    for (i = 0; i < table->len && listed < page; i++) {
        const struct mcp__entry *e = &table->items[i];
        if (!may_list(req, table, e) || seen++ < offset)
            continue;
        if (!mcp__json_add_take(items, NULL, shape_entry(req, e)))
            goto nomem;
        listed++;
    }
    bool more = false;
    for (; i < table->len && !more; i++)
        more = may_list(req, table, &table->items[i]);
    if (more) {
        char *next = make_cursor(offset + listed);
        bool ok = next && cJSON_AddStringToObject(r, "nextCursor", next);
        mcp__free(next);
        if (!ok)
            goto nomem;
    }
    if (mcp__request_cacheable(req, r, LIST_TTL_MS))
        goto nomem;
    req->result = r;
    return 0;
nomem:
    cJSON_Delete(r);
    return MCP_ENOMEM;
}

int mcp__method_tools_list(struct mcp__request *req)
{
    return list(req, &req->srv->tools, "tools");
}

int mcp__method_resources_list(struct mcp__request *req)
{
    return list(req, &req->srv->resources, "resources");
}

int mcp__method_templates_list(struct mcp__request *req)
{
    return list(req, &req->srv->templates, "resourceTemplates");
}

int mcp__method_prompts_list(struct mcp__request *req)
{
    return list(req, &req->srv->prompts, "prompts");
}
