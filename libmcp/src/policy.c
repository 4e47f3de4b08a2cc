#include "policy_int.h"

#include <stdio.h>
#include <string.h>

#include "alloc_int.h"
#include "buf_int.h"
#include "engine_int.h"
#include "json_int.h"
#include "server_int.h"

#include "banned.h"

#define MAX_PROFILE (1u << 20)

/* Profile shape, per connector (the server's name):
 *   {"name": "cowork",
 *    "connectors": {"drive": {"default": "allow" | "ask" | "blocked",
 *                             "scopes": {"drive.read": "allow", ...},
 *                             "tools": {"delete": "blocked", ...},
 *                             "data": {"roots": ["/home/me/Documents"]},
 *                             "limits": {"calls_per_minute": 60, "max_result_bytes": 1048576}}}}
 * A tool's grant is its entry in "tools", else its scope's in "scopes", else "default", else
 * "blocked": what a profile does not name is not granted. A connector the profile does not
 * name gets nothing at all. */

static int fail(const char *path, const char *what)
{
    fprintf(stderr, "profile %s: %s; the server does not start with a broken profile\n", path,
            what);
    return MCP_EINVAL;
}

static int parse_grant(const cJSON *v, enum mcp__grant *out)
{
    const char *s = cJSON_IsString(v) ? v->valuestring : "";
    if (strcmp(s, "allow") == 0)
        *out = MCP__ALLOW;
    else if (strcmp(s, "ask") == 0)
        *out = MCP__ASK;
    else if (strcmp(s, "blocked") == 0)
        *out = MCP__BLOCKED;
    else
        return MCP_EINVAL;
    return 0;
}

static bool known_scope(const struct mcp_server *srv, const char *scope)
{
    for (size_t i = 0; i < srv->tools.len; i++)
        if (srv->tools.items[i].scope && strcmp(srv->tools.items[i].scope, scope) == 0)
            return true;
    return false;
}

/* Checks every name in a {name: grant} map against `known`. */
static int check_map(const char *path, const cJSON *map, const struct mcp_server *srv, bool scopes)
{
    char why[256];
    const cJSON *g;
    if (map && !cJSON_IsObject(map))
        return fail(path, scopes ? "\"scopes\" must be an object" : "\"tools\" must be an object");
    cJSON_ArrayForEach (g, map) {
        enum mcp__grant grant;
        bool known =
            scopes ? known_scope(srv, g->string) : !!mcp__table_find(&srv->tools, g->string);
        if (!known) {
            snprintf(why, sizeof why, "unknown %s '%s' for connector '%s'",
                     scopes ? "scope" : "tool", g->string, srv->name);
            return fail(path, why);
        }
        if (parse_grant(g, &grant)) {
            snprintf(why, sizeof why, "'%s' must be \"allow\", \"ask\" or \"blocked\"", g->string);
            return fail(path, why);
        }
    }
    return 0;
}

static int read_limit(const char *path, const cJSON *limits, const char *key, double max,
                      double *out)
{
    const cJSON *v = mcp__json_get(limits, key);
    if (!v)
        return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > max ||
        v->valuedouble != (double)(long long)v->valuedouble) {
        char why[128];
        snprintf(why, sizeof why, "limits.%s must be a whole number from 0 to %.0f", key, max);
        return fail(path, why);
    }
    *out = v->valuedouble;
    return 0;
}

int mcp__policy_load(struct mcp_server *srv, const char *path)
{
    struct mcp__buf text;
    mcp__buf_init(&text, MAX_PROFILE);
    int read = mcp__buf_add_file(&text, path);
    cJSON *profile = read ? NULL : mcp__json_parse(mcp__buf_str(&text), text.len);
    mcp__buf_release(&text);
    if (read)
        return fail(path, "cannot be read (missing, unreadable or over 1 MiB)");
    if (!cJSON_IsObject(profile)) {
        cJSON_Delete(profile);
        return fail(path, "is not a JSON object");
    }
    int rc = 0;
    const char *name = mcp__json_str(profile, "name");
    const cJSON *connectors = mcp__json_get(profile, "connectors");
    const cJSON *mine = mcp__json_get(connectors, srv->name);
    const cJSON *limits = mcp__json_get(mine, "limits");
    const cJSON *data = mcp__json_get(mine, "data");
    enum mcp__grant fallback = MCP__BLOCKED;
    double per_minute = 0, max_result = 0;
    if (!name)
        rc = fail(path, "needs a string \"name\"");
    else if (!cJSON_IsObject(connectors))
        rc = fail(path, "needs a \"connectors\" object");
    else if (mine && !cJSON_IsObject(mine))
        rc = fail(path, "each connector entry must be an object");
    else if (mcp__json_get(mine, "default") &&
             parse_grant(mcp__json_get(mine, "default"), &fallback))
        rc = fail(path, "\"default\" must be \"allow\", \"ask\" or \"blocked\"");
    else if (data && !cJSON_IsObject(data))
        rc = fail(path, "\"data\" must be an object");
    else if (limits && !cJSON_IsObject(limits))
        rc = fail(path, "\"limits\" must be an object");
    if (!rc)
        rc = check_map(path, mcp__json_get(mine, "scopes"), srv, true);
    if (!rc)
        rc = check_map(path, mcp__json_get(mine, "tools"), srv, false);
    if (!rc)
        rc = read_limit(path, limits, "calls_per_minute", 1e6, &per_minute);
    if (!rc)
        rc = read_limit(path, limits, "max_result_bytes", 1e9, &max_result);

    struct mcp__policy *p = rc ? NULL : mcp__calloc(1, sizeof(*p));
    if (!rc && (!p || !(p->name = mcp__strdup(name)) ||
                (data && !(p->data = cJSON_Duplicate(data, true))))) {
        rc = MCP_ENOMEM;
    }
    if (rc) {
        if (p) {
            mcp__free(p->name);
            mcp__free(p);
        }
        cJSON_Delete(profile);
        return rc;
    }
    p->calls_per_minute = (unsigned)per_minute;
    p->max_result_bytes = (size_t)max_result;
    pthread_mutex_init(&p->lock, NULL);

    /* Decide every tool now: the grants are frozen with the tables. */
    for (size_t i = 0; i < srv->tools.len; i++) {
        struct mcp__entry *e = &srv->tools.items[i];
        enum mcp__grant g = fallback;
        const cJSON *by_scope =
            e->scope ? mcp__json_get(mcp__json_get(mine, "scopes"), e->scope) : NULL;
        const cJSON *by_tool = mcp__json_get(mcp__json_get(mine, "tools"), e->name);
        if (by_scope)
            parse_grant(by_scope, &g);
        if (by_tool)
            parse_grant(by_tool, &g);
        e->grant = g;
    }
    mcp__policy_free(srv->policy);
    srv->policy = p;
    cJSON_Delete(profile);
    return 0;
}

void mcp__policy_free(struct mcp__policy *policy)
{
    if (!policy)
        return;
    mcp__free(policy->name);
    cJSON_Delete(policy->data);
    pthread_mutex_destroy(&policy->lock);
    mcp__free(policy);
}

bool mcp__tool_visible(const struct mcp__entry *e, const struct mcp__origin *origin)
{
    if (!atomic_load(&e->enabled) || e->grant == MCP__BLOCKED)
        return false;
    if (!origin || !origin->scopes || !e->scope)
        return true;
    for (size_t i = 0; i < origin->nscopes; i++)
        if (strcmp(origin->scopes[i], e->scope) == 0)
            return true;
    return false;
}

unsigned mcp__policy_admit(struct mcp__policy *policy)
{
    if (!policy || !policy->calls_per_minute)
        return 0;
    unsigned wait = 0;
    time_t now = time(NULL);
    pthread_mutex_lock(&policy->lock);
    if (now - policy->window_start >= 60) {
        policy->window_start = now;
        policy->window_calls = 0;
    }
    if (policy->window_calls >= policy->calls_per_minute)
        wait = (unsigned)(60 - (now - policy->window_start));
    else
        policy->window_calls++;
    pthread_mutex_unlock(&policy->lock);
    return wait;
}
