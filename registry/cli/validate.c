/* validate: manifests, profiles and the index against their JSON Schemas (registry/schema/),
 * then the rules a schema cannot say: unique names, a scope on every tool, schemas libmcp can
 * enforce, profiles that name only what the manifests have. One clear error per bad file. */
#include "registry.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc_int.h"
#include "json_int.h"
#include "schema_int.h"

#include "banned.h"

enum kind { KIND_UNKNOWN, KIND_MANIFEST, KIND_PROFILE, KIND_INDEX };

static const char *const kind_names[] = {"file", "manifest", "profile", "index"};
static const char *const schema_files[] = {
    NULL, "schema/manifest.schema.json", "schema/profile.schema.json", "schema/index.schema.json"};

struct vctx {
    const struct reg_opts *o;
    struct reg_index ix;
    bool have_index;
};

__attribute__((format(printf, 2, 3))) static int fail(const char *path, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", path);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return -1;
}

/* The validator speaks of tool arguments; here the instance is a document. */
static void reword(const char *msg, char *out, size_t len)
{
    static const struct {
        const char *from, *to;
    } words[] = {
        {"missing required argument '", "missing required member '"},
        {"unknown argument '", "unknown member '"},
        {"argument name '", "member name '"},
        {"argument '", "'"},
        {"arguments ", "the document "},
    };
    size_t used = 0;
    out[0] = '\0';
    while (*msg && used + 1 < len) {
        size_t k = 0;
        while (k < sizeof words / sizeof *words &&
               strncmp(msg, words[k].from, strlen(words[k].from)) != 0)
            k++;
        if (k < sizeof words / sizeof *words) {
            used += (size_t)snprintf(out + used, len - used, "%s", words[k].to);
            msg += strlen(words[k].from);
        } else {
            out[used++] = *msg++;
            out[used] = '\0';
        }
        if (used >= len)
            used = len - 1;
    }
}

static int check_schema(const struct vctx *v, const char *path, enum kind k, const cJSON *doc)
{
    char why[512], msg[1024], nice[1024];
    char *spath = reg_path_join(v->o->root, schema_files[k]);
    cJSON *schema = spath ? reg_load_json(spath, why, sizeof why) : NULL;
    int rc = 0;
    if (!schema)
        rc = fail(spath ? spath : schema_files[k], "%s", spath ? why : "out of memory");
    else if (mcp__schema_validate(schema, doc, msg, sizeof msg)) {
        reword(msg, nice, sizeof nice);
        rc = fail(path, "not a valid %s: %s", kind_names[k], nice);
    }
    cJSON_Delete(schema);
    mcp__free(spath);
    return rc;
}

/* Fails when two items of `list` share the string member `key`. */
static int unique(const char *path, const cJSON *list, const char *key, const char *what)
{
    const cJSON *a, *b;
    cJSON_ArrayForEach (a, list) {
        const char *name = mcp__json_str(a, key);
        for (b = a->next; name && b; b = b->next) {
            const char *other = mcp__json_str(b, key);
            if (other && strcmp(name, other) == 0)
                return fail(path, "duplicate %s '%s'", what, name);
        }
    }
    return 0;
}

static int check_tool(const char *path, const cJSON *t)
{
    static const char *const schemas[] = {"inputSchema", "outputSchema"};
    char msg[512];
    const char *name = mcp__json_str(t, "name");
    if (!mcp__json_str(t, "scope"))
        return fail(path,
                    "tool '%s' names no \"scope\": every tool needs the scope a profile "
                    "grants it by",
                    name);
    for (size_t i = 0; i < 2; i++) {
        const cJSON *s = mcp__json_get(t, schemas[i]);
        if (s && mcp__schema_check(s, msg, sizeof msg))
            return fail(path, "tool '%s': %s cannot be enforced: %s", name, schemas[i], msg);
    }
    const char *title = mcp__json_str(t, "title");
    const char *ann_title = mcp__json_str(mcp__json_obj(t, "annotations"), "title");
    if (title && ann_title && strcmp(title, ann_title) != 0)
        return fail(path, "tool '%s': title \"%s\" and annotations.title \"%s\" disagree", name,
                    title, ann_title);
    return 0;
}

static int check_launch(const char *path, const cJSON *launch)
{
    const char *command = mcp__json_str(launch, "command");
    const cJSON *stdio_argv = mcp__json_arr(launch, "stdio");
    const cJSON *http_argv = mcp__json_arr(mcp__json_obj(launch, "http"), "args");
    const char *first = cJSON_GetStringValue(cJSON_GetArrayItem(stdio_argv, 0));
    if (first && strcmp(first, command) != 0)
        return fail(path, "launch.stdio[0] is '%s' but launch.command is '%s'", first, command);
    first = cJSON_GetStringValue(cJSON_GetArrayItem(http_argv, 0));
    if (first && strcmp(first, command) != 0)
        return fail(path, "launch.http.args[0] is '%s' but launch.command is '%s'", first, command);
    const cJSON *a;
    bool has_http = false;
    cJSON_ArrayForEach (a, http_argv)
        has_http |= cJSON_IsString(a) && strcmp(a->valuestring, "--http") == 0;
    if (http_argv && !has_http)
        return fail(path, "launch.http.args has no --http HOST:PORT");
    return 0;
}

static int check_manifest(const char *path, const cJSON *m)
{
    const cJSON *tools = mcp__json_arr(m, "tools");
    const cJSON *t;
    int rc = unique(path, tools, "name", "tool");
    cJSON_ArrayForEach (t, tools)
        if (!rc)
            rc = check_tool(path, t);
    if (!rc)
        rc = unique(path, mcp__json_arr(m, "resources"), "uri", "resource URI");
    if (!rc)
        rc =
            unique(path, mcp__json_arr(m, "resourceTemplates"), "uriTemplate", "resource template");
    if (!rc)
        rc = unique(path, mcp__json_arr(m, "prompts"), "name", "prompt");
    if (!rc)
        rc = check_launch(path, mcp__json_obj(m, "launch"));
    return rc;
}

static bool has_scope(const cJSON *manifest, const char *scope)
{
    const cJSON *t;
    cJSON_ArrayForEach (t, mcp__json_arr(manifest, "tools")) {
        const char *s = mcp__json_str(t, "scope");
        if (s && strcmp(s, scope) == 0)
            return true;
    }
    return false;
}

static bool has_tool(const cJSON *manifest, const char *name)
{
    const cJSON *t;
    cJSON_ArrayForEach (t, mcp__json_arr(manifest, "tools")) {
        const char *s = mcp__json_str(t, "name");
        if (s && strcmp(s, name) == 0)
            return true;
    }
    return false;
}

/* Every name in a profile's connector entry must exist in that connector's manifest. */
static int check_grants(const char *path, const char *conn, const cJSON *entry, const cJSON *m)
{
    const cJSON *g;
    cJSON_ArrayForEach (g, mcp__json_obj(entry, "scopes"))
        if (!has_scope(m, g->string))
            return fail(path,
                        "unknown scope '%s' for connector '%s' (its manifest's tools need "
                        "no such scope)",
                        g->string, conn);
    cJSON_ArrayForEach (g, mcp__json_obj(entry, "tools"))
        if (!has_tool(m, g->string))
            return fail(path, "unknown tool '%s' for connector '%s'", g->string, conn);
    const cJSON *known = mcp__json_obj(m, "dataScopes");
    cJSON_ArrayForEach (g, mcp__json_obj(entry, "data"))
        if (known && !mcp__json_get(known, g->string))
            return fail(path, "unknown data scope '%s' for connector '%s'", g->string, conn);
    return 0;
}

static int check_profile(struct vctx *v, const char *path, const cJSON *p)
{
    if (!v->have_index)
        return fail(path, "cannot check the profile's names without the index");
    const cJSON *entry;
    cJSON_ArrayForEach (entry, mcp__json_obj(p, "connectors")) {
        struct reg_connector *c = reg_index_find(&v->ix, entry->string);
        if (!c)
            return fail(path, "unknown connector '%s' (not in %s)", entry->string, v->ix.path);
        if (!c->manifest && reg_connector_load(c, NULL))
            return fail(path, "cannot check connector '%s' without its manifest", c->name);
        if (check_grants(path, c->name, entry, c->manifest))
            return -1;
    }
    return 0;
}

static int check_index_entry(const char *path, const cJSON *e, const char *dir)
{
    char why[256];
    const char *name = mcp__json_str(e, "name");
    char *mpath = reg_path_join(dir, mcp__json_str(e, "manifest"));
    cJSON *m = mpath ? reg_load_json(mpath, why, sizeof why) : NULL;
    int rc = 0;
    if (!m)
        rc = fail(path, "connector '%s': manifest %s %s", name, mpath ? mpath : "",
                  mpath ? why : "out of memory");
    const char *mname = mcp__json_str(m, "name");
    const char *command = mcp__json_str(mcp__json_obj(m, "launch"), "command");
    const char *binary = mcp__json_str(e, "binary");
    if (!rc && (!mname || strcmp(mname, name) != 0))
        rc = fail(path, "connector '%s': its manifest is named '%s'", name, mname ? mname : "");
    if (!rc && (!command || strcmp(command, binary) != 0))
        rc = fail(path, "connector '%s': binary '%s' but the manifest launches '%s'", name, binary,
                  command ? command : "");
    cJSON_Delete(m);
    mcp__free(mpath);
    return rc;
}

static int check_index(const char *path, const cJSON *doc)
{
    const cJSON *list = mcp__json_arr(doc, "connectors");
    int rc = unique(path, list, "name", "connector");
    char *dir = reg_dirname(path);
    const cJSON *e;
    cJSON_ArrayForEach (e, list)
        if (!rc)
            rc = dir ? check_index_entry(path, e, dir) : -1;
    mcp__free(dir);
    return rc;
}

/* A profile has a "connectors" object, the index a "connectors" array, a manifest tools. */
static enum kind detect(const cJSON *doc)
{
    const cJSON *c = mcp__json_get(doc, "connectors");
    if (cJSON_IsObject(c))
        return KIND_PROFILE;
    if (cJSON_IsArray(c))
        return KIND_INDEX;
    if (mcp__json_get(doc, "tools") || mcp__json_get(doc, "launch"))
        return KIND_MANIFEST;
    return KIND_UNKNOWN;
}

static int validate_file(struct vctx *v, const char *path)
{
    char why[256];
    cJSON *doc = reg_load_json(path, why, sizeof why);
    if (!doc)
        return fail(path, "%s", why);
    enum kind k = detect(doc);
    int rc = 0;
    if (k == KIND_UNKNOWN)
        rc = fail(path, "is neither a manifest (\"tools\"), a profile (\"connectors\" object) "
                        "nor the index (\"connectors\" array)");
    if (!rc)
        rc = check_schema(v, path, k, doc);
    if (!rc && k == KIND_MANIFEST)
        rc = check_manifest(path, doc);
    if (!rc && k == KIND_PROFILE)
        rc = check_profile(v, path, doc);
    if (!rc && k == KIND_INDEX)
        rc = check_index(path, doc);
    if (!rc)
        printf("%s: valid %s\n", path, kind_names[k]);
    cJSON_Delete(doc);
    return rc;
}

/* The index, then every manifest, then every profile. */
static int validate_all(struct vctx *v, int *failed)
{
    size_t nm = 0, np = 0, total = 1;
    char **manifests = reg_list_json(v->o->root, "manifests", &nm);
    char **profiles = reg_list_json(v->o->root, "profiles", &np);
    *failed += validate_file(v, v->ix.path) != 0;
    for (size_t i = 0; i < nm; i++, total++)
        *failed += validate_file(v, manifests[i]) != 0;
    for (size_t i = 0; i < np; i++, total++)
        *failed += validate_file(v, profiles[i]) != 0;
    reg_free_list(manifests, nm);
    reg_free_list(profiles, np);
    return (int)total;
}

int reg_cmd_validate(const struct reg_opts *o)
{
    struct vctx v = {.o = o};
    v.have_index = reg_index_load(&v.ix, o->root) == 0;
    int failed = 0, total = 0;
    if (o->nargs == 0 && !v.have_index) {
        failed = total = 1;
    } else if (o->nargs == 0) {
        total = validate_all(&v, &failed);
    } else {
        for (size_t i = 0; i < o->nargs; i++, total++)
            failed += validate_file(&v, o->args[i]) != 0;
    }
    printf("validate: %d file%s, %d invalid\n", total, total == 1 ? "" : "s", failed);
    reg_index_release(&v.ix);
    return failed ? 1 : 0;
}
