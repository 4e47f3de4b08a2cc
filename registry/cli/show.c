/* list and show: what the registry holds, for people (or as JSON with --json). */
#include "registry.h"

#include <stdio.h>
#include <string.h>

#include "alloc_int.h"
#include "json_int.h"

#include "banned.h"

static int print_json(const cJSON *v)
{
    char *text = reg_json_pretty(v);
    if (!text)
        return 1;
    puts(text);
    mcp__free(text);
    return 0;
}

static cJSON *list_entry(const struct reg_connector *c)
{
    const cJSON *m = c->manifest;
    cJSON *e = cJSON_CreateObject();
    bool ok = e && cJSON_AddStringToObject(e, "name", c->name) &&
              cJSON_AddStringToObject(e, "version", mcp__json_str(m, "version")) &&
              cJSON_AddStringToObject(e, "title", mcp__json_str(m, "title")) &&
              cJSON_AddStringToObject(e, "binary", c->binary ? c->binary : "") &&
              cJSON_AddStringToObject(e, "manifest", c->manifest_path) &&
              cJSON_AddNumberToObject(e, "tools", cJSON_GetArraySize(mcp__json_arr(m, "tools")));
    if (!ok) {
        cJSON_Delete(e);
        return NULL;
    }
    return e;
}

int reg_cmd_list(const struct reg_opts *o)
{
    struct reg_index ix;
    if (reg_index_load(&ix, o->root))
        return 1;
    cJSON *all = cJSON_CreateArray();
    int status = all ? 0 : 1;
    for (size_t i = 0; !status && i < ix.n; i++) {
        struct reg_connector *c = &ix.items[i];
        cJSON *e = reg_connector_load(c, NULL) ? NULL : list_entry(c);
        if (!e || !cJSON_AddItemToArray(all, e)) {
            cJSON_Delete(e);
            status = 1;
        }
    }
    if (!status && o->json)
        status = print_json(all);
    const cJSON *e;
    const cJSON *rows = status || o->json ? NULL : all;
    cJSON_ArrayForEach (e, rows)
        printf("%-26s %-8s %-26s %3d tools  %s\n", mcp__json_str(e, "name"),
               mcp__json_str(e, "version"), mcp__json_str(e, "binary"),
               (int)cJSON_GetNumberValue(mcp__json_get(e, "tools")), mcp__json_str(e, "title"));
    cJSON_Delete(all);
    reg_index_release(&ix);
    return status;
}

static void print_argv(const char *label, const cJSON *argv)
{
    const cJSON *a;
    if (!argv)
        return;
    printf("%s", label);
    cJSON_ArrayForEach (a, argv)
        printf(" %s", cJSON_GetStringValue(a) ? a->valuestring : "?");
    putchar('\n');
}

static void print_backends(const cJSON *m)
{
    const cJSON *b, *s;
    cJSON_ArrayForEach (b, mcp__json_arr(m, "backends")) {
        printf("  %s:", mcp__json_str(b, "name"));
        cJSON_ArrayForEach (s, mcp__json_arr(b, "settings")) {
            const char *how = mcp__json_str(s, "flag");
            printf(" %s%s (%s%s%s)", mcp__json_str(s, "name"),
                   mcp__json_bool(s, "required", false) ? "*" : "", how ? how : "env ",
                   how ? "" : mcp__json_str(s, "env"),
                   mcp__json_bool(s, "secret", false) ? ", secret" : "");
        }
        putchar('\n');
    }
}

static const char *hints(const cJSON *tool, char *buf, size_t len)
{
    static const struct {
        const char *key, *word;
    } all[] = {{"readOnlyHint", "read-only"},
               {"destructiveHint", "destructive"},
               {"idempotentHint", "idempotent"},
               {"openWorldHint", "open-world"}};
    const cJSON *ann = mcp__json_obj(tool, "annotations");
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof all / sizeof *all && used < len; i++)
        if (cJSON_IsTrue(mcp__json_get(ann, all[i].key)))
            used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "", all[i].word);
    return buf;
}

/* One line per tool with its grant under each shipped profile. */
static void print_tools(const struct reg_opts *o, const struct reg_connector *c)
{
    size_t np = 0;
    char **paths = reg_list_json(o->root, "profiles", &np);
    cJSON *profiles[16] = {0};
    char why[256], h[128];
    np = np > 16 ? 16 : np;
    printf("tools:\n  %-44s %-20s", "name", "scope");
    for (size_t i = 0; i < np; i++) {
        profiles[i] = reg_load_json(paths[i], why, sizeof why);
        const char *pname = mcp__json_str(profiles[i], "name");
        printf(" %-8s", pname ? pname : "?");
    }
    printf(" hints\n");
    const cJSON *t;
    cJSON_ArrayForEach (t, mcp__json_arr(c->manifest, "tools")) {
        printf("  %-44s %-20s", mcp__json_str(t, "name"), mcp__json_str(t, "scope"));
        for (size_t i = 0; i < np; i++)
            printf(" %-8s", profiles[i] ? reg_grant(profiles[i], c->name, t) : "?");
        printf(" %s\n", hints(t, h, sizeof h));
    }
    for (size_t i = 0; i < np; i++)
        cJSON_Delete(profiles[i]);
    reg_free_list(paths, np);
}

static void print_named(const char *label, const cJSON *list, const char *key)
{
    const cJSON *e;
    printf("%s:%s\n", label, cJSON_GetArraySize(list) ? "" : " none");
    cJSON_ArrayForEach (e, list) {
        const char *title = mcp__json_str(e, "title");
        printf("  %s%s%s%s\n", mcp__json_str(e, key), title ? " (" : "", title ? title : "",
               title ? ")" : "");
    }
}

static void print_strings(const char *label, const cJSON *obj)
{
    const cJSON *g, *s;
    printf("%s:", label);
    cJSON_ArrayForEach (g, obj) {
        printf(" %s[", g->string);
        cJSON_ArrayForEach (s, g)
            printf("%s%s", s == g->child ? "" : " ", cJSON_GetStringValue(s));
        printf("]");
    }
    putchar('\n');
}

static void print_summary(const struct reg_opts *o, const struct reg_connector *c)
{
    const cJSON *m = c->manifest, *launch = mcp__json_obj(m, "launch");
    const cJSON *http = mcp__json_obj(launch, "http");
    printf("%s %s: %s\n  %s\n", c->name, mcp__json_str(m, "version"), mcp__json_str(m, "title"),
           mcp__json_str(m, "description"));
    printf("manifest: %s\n", c->manifest_path);
    print_argv("stdio:", mcp__json_arr(launch, "stdio"));
    print_argv("http: ", mcp__json_arr(http, "args"));
    if (http)
        printf("url:   %s\n", mcp__json_str(http, "url"));
    printf("backends (* required):\n");
    print_backends(m);
    print_tools(o, c);
    print_named("resources", mcp__json_arr(m, "resources"), "uri");
    print_named("resource templates", mcp__json_arr(m, "resourceTemplates"), "uriTemplate");
    print_named("prompts", mcp__json_arr(m, "prompts"), "name");
    print_strings("egress", mcp__json_obj(m, "egress"));
    print_strings("filesystem", mcp__json_obj(m, "filesystem"));
    printf("privacy: %s\n", mcp__json_str(m, "privacy"));
}

int reg_cmd_show(const struct reg_opts *o)
{
    if (o->nargs != 1) {
        reg_err("usage: mcp-registry show NAME");
        return 2;
    }
    struct reg_index ix;
    if (reg_index_load(&ix, o->root))
        return 1;
    struct reg_connector *c = reg_index_find(&ix, o->args[0]);
    int status = 0;
    if (!c) {
        reg_err("no connector '%s' in %s (see mcp-registry list)", o->args[0], ix.path);
        status = 1;
    } else if (reg_connector_load(c, o->manifest)) {
        status = 1;
    } else if (o->json) {
        status = print_json(c->manifest);
    } else {
        print_summary(o, c);
    }
    reg_index_release(&ix);
    return status;
}
