/* The registry's index, the connectors' manifests and the profiles' grants. */
#include "registry.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_int.h"
#include "json_int.h"

#include "banned.h"

int reg_index_load(struct reg_index *ix, const char *root)
{
    char why[256];
    memset(ix, 0, sizeof *ix);
    ix->path = reg_path_join(root, "index.json");
    if (!ix->path)
        return -1;
    ix->json = reg_load_json(ix->path, why, sizeof why);
    if (!ix->json) {
        reg_err("%s %s", ix->path, why);
        reg_index_release(ix);
        return -1;
    }
    const cJSON *list = mcp__json_arr(ix->json, "connectors");
    int n = cJSON_GetArraySize(list);
    ix->items = n > 0 ? mcp__calloc((size_t)n, sizeof *ix->items) : NULL;
    if (n > 0 && !ix->items) {
        reg_index_release(ix);
        return -1;
    }
    char *dir = reg_dirname(ix->path);
    bool ok = dir != NULL;
    for (const cJSON *c = list ? list->child : NULL; ok && c && ix->items; c = c->next) {
        struct reg_connector *rc = &ix->items[ix->n];
        rc->name = mcp__json_str(c, "name");
        rc->binary = mcp__json_str(c, "binary");
        const char *manifest = mcp__json_str(c, "manifest");
        if (!rc->name || !manifest)
            continue; /* validate names the broken entry; the others still work */
        rc->manifest_path = reg_path_join(dir, manifest);
        ok = rc->manifest_path != NULL;
        ix->n += ok;
    }
    mcp__free(dir);
    if (!ok)
        reg_index_release(ix);
    return ok ? 0 : -1;
}

void reg_index_release(struct reg_index *ix)
{
    for (size_t i = 0; i < ix->n; i++) {
        mcp__free(ix->items[i].manifest_path);
        cJSON_Delete(ix->items[i].manifest);
    }
    mcp__free(ix->items);
    cJSON_Delete(ix->json);
    mcp__free(ix->path);
    memset(ix, 0, sizeof *ix);
}

struct reg_connector *reg_index_find(struct reg_index *ix, const char *name)
{
    for (size_t i = 0; i < ix->n; i++)
        if (strcmp(ix->items[i].name, name) == 0)
            return &ix->items[i];
    return NULL;
}

int reg_connector_load(struct reg_connector *c, const char *override)
{
    char why[256];
    const char *path = override ? override : c->manifest_path;
    cJSON *m = reg_load_json(path, why, sizeof why);
    if (!m) {
        reg_err("%s %s", path, why);
        return -1;
    }
    if (!cJSON_IsArray(mcp__json_get(m, "tools"))) {
        reg_err("%s has no \"tools\" array (run mcp-registry validate %s)", path, path);
        cJSON_Delete(m);
        return -1;
    }
    cJSON_Delete(c->manifest);
    c->manifest = m;
    return 0;
}

const char *reg_grant(const cJSON *profile, const char *connector, const cJSON *tool)
{
    const cJSON *mine = mcp__json_get(mcp__json_obj(profile, "connectors"), connector);
    const char *name = mcp__json_str(tool, "name");
    const char *scope = mcp__json_str(tool, "scope");
    const char *g = name ? mcp__json_str(mcp__json_obj(mine, "tools"), name) : NULL;
    if (!g && scope)
        g = mcp__json_str(mcp__json_obj(mine, "scopes"), scope);
    if (!g)
        g = mcp__json_str(mine, "default");
    if (g && strcmp(g, "allow") == 0)
        return "allow";
    if (g && strcmp(g, "ask") == 0)
        return "ask";
    return "blocked";
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **reg_list_json(const char *root, const char *sub, size_t *n)
{
    *n = 0;
    char *dir = reg_path_join(root, sub);
    DIR *d = dir ? opendir(dir) : NULL;
    char **list = NULL;
    size_t len = 0;
    const struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t nl = strlen(e->d_name);
        if (nl < 6 || strcmp(e->d_name + nl - 5, ".json") != 0 || e->d_name[0] == '.')
            continue;
        char **grown = mcp__reallocarray(list, len + 1, sizeof *list);
        char *path = grown ? reg_path_join(dir, e->d_name) : NULL;
        if (grown)
            list = grown;
        if (!path)
            break;
        list[len++] = path;
    }
    if (d)
        closedir(d);
    mcp__free(dir);
    if (len)
        qsort(list, len, sizeof *list, by_name);
    *n = len;
    return list;
}

void reg_free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mcp__free(list[i]);
    mcp__free(list);
}

/* The --set value of NAME (n bytes long), or NULL. */
static const char *var_value(const struct reg_opts *o, const char *name, size_t n)
{
    for (size_t i = 0; i < o->nvars; i++)
        if (strncmp(o->vars[i], name, n) == 0 && o->vars[i][n] == '=')
            return o->vars[i] + n + 1;
    return NULL;
}

char *reg_substitute(const char *s, const struct reg_opts *o, char *unknown, size_t len)
{
    struct mcp__buf b;
    mcp__buf_init(&b, 1u << 16);
    if (unknown && len)
        unknown[0] = '\0';
    int rc = mcp__buf_adds(&b, "");
    while (!rc && *s) {
        const char *end = strncmp(s, "${", 2) == 0 ? strchr(s + 2, '}') : NULL;
        const char *value = end ? var_value(o, s + 2, (size_t)(end - s - 2)) : NULL;
        if (value) {
            rc = mcp__buf_adds(&b, value);
            s = end + 1;
            continue;
        }
        if (end && unknown && len && !unknown[0])
            snprintf(unknown, len, "%.*s", (int)(end - s + 1), s);
        rc = mcp__buf_add(&b, s, 1);
        s++;
    }
    if (rc) {
        mcp__buf_release(&b);
        return NULL;
    }
    return mcp__buf_take(&b);
}

bool reg_var_set(const struct reg_opts *o, const char *name)
{
    return var_value(o, name, strlen(name)) != NULL;
}
