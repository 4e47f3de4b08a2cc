/* verify: does each server serve what its manifest claims? Starts it over stdio and over
 * Streamable HTTP, lists tools, resources, resource templates and prompts (following every
 * cursor), and compares them with the manifest field by field; then, under each profile,
 * checks that exactly the allowed and ask tools are listed, that ask tools carry the
 * requiresUserInteraction marker, and that every blocked tool is refused when called. */
#define _GNU_SOURCE /* mkdtemp, nftw */
#include "registry.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_int.h"
#include "client.h"
#include "json_int.h"

#include "banned.h"

#define ASK_MARKER "anthropic/requiresUserInteraction"

struct run {
    const struct reg_opts *o;
    const struct reg_connector *c;
    char label[192]; /* "drive [stdio]", "drive [http, profile cowork]" */
    int mismatches;
};

/* What to compare in each list: the key that identifies an item, then the fields. verify
 * speaks 2025-11-25, in which libmcp does not list a tool's "execution" (taskSupport belongs to
 * the 2026-07-28 tasks extension), so that field is not compared. */
struct table {
    const char *method;
    const char *key; /* in the result and in the manifest */
    const char *what;
    const char *id;
    const char *fields[8];
};

static const struct table tables[] = {
    {"tools/list",
     "tools",
     "tool",
     "name",
     {"title", "description", "inputSchema", "outputSchema", "annotations", "icons", NULL}},
    {"resources/list",
     "resources",
     "resource",
     "uri",
     {"name", "title", "description", "mimeType", "size", "annotations", "icons", NULL}},
    {"resources/templates/list",
     "resourceTemplates",
     "resource template",
     "uriTemplate",
     {"name", "title", "description", "mimeType", "annotations", "icons", NULL}},
    {"prompts/list",
     "prompts",
     "prompt",
     "name",
     {"title", "description", "arguments", "icons", NULL}},
};

__attribute__((format(printf, 2, 3))) static void mismatch(struct run *r, const char *fmt, ...)
{
    va_list ap;
    printf("%s: ", r->label);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    r->mismatches++;
}

/* A short rendering of a value for a diff line. */
static void render(const cJSON *v, char *out, size_t len)
{
    char *text = v ? mcp__json_print(v) : NULL;
    if (!v)
        snprintf(out, len, "(absent)");
    else if (text && strlen(text) > 72)
        snprintf(out, len, "%.69s...", text);
    else
        snprintf(out, len, "%s", text ? text : "?");
    mcp__free(text);
}

static void push_key(struct mcp__buf *ptr, const char *key)
{
    mcp__buf_adds(ptr, "/");
    for (; *key; key++)
        mcp__buf_adds(ptr, *key == '~' ? "~0" : *key == '/' ? "~1" : (char[]){*key, '\0'});
}

/* Finds the first place where `a` (manifest) and `b` (server) differ: its JSON pointer goes
 * into `ptr`, the two values there into *da and *db. False when they are equal. */
static bool first_difference(const cJSON *a, const cJSON *b, struct mcp__buf *ptr, const cJSON **da,
                             const cJSON **db)
{
    size_t mark = ptr->len;
    *da = a;
    *db = b;
    if (!a || !b || (a->type & 0xFF) != (b->type & 0xFF))
        return a || b;
    if (cJSON_IsObject(a)) {
        const cJSON *x;
        cJSON_ArrayForEach (x, a) {
            push_key(ptr, x->string);
            if (first_difference(x, mcp__json_get(b, x->string), ptr, da, db))
                return true;
            ptr->len = mark;
        }
        cJSON_ArrayForEach (x, b) {
            if (!mcp__json_get(a, x->string)) {
                push_key(ptr, x->string);
                *da = NULL;
                *db = x;
                return true;
            }
        }
        return false;
    }
    if (cJSON_IsArray(a)) {
        int na = cJSON_GetArraySize(a), nb = cJSON_GetArraySize(b);
        for (int i = 0; i < na || i < nb; i++) {
            mcp__buf_addf(ptr, "/%d", i);
            if (first_difference(cJSON_GetArrayItem(a, i), cJSON_GetArrayItem(b, i), ptr, da, db))
                return true;
            ptr->len = mark;
        }
        return false;
    }
    return !mcp__json_equal(a, b);
}

static void compare_field(struct run *r, const struct table *t, const char *name, const char *field,
                          const cJSON *want, const cJSON *got)
{
    struct mcp__buf ptr;
    const cJSON *da, *db;
    char sa[96], sb[96];
    mcp__buf_init(&ptr, 4096);
    mcp__buf_adds(&ptr, "");
    if (first_difference(want, got, &ptr, &da, &db)) {
        render(da, sa, sizeof sa);
        render(db, sb, sizeof sb);
        if (ptr.len)
            mismatch(r, "%s '%s': %s differs at %s: manifest %s, server %s", t->what, name, field,
                     ptr.data, sa, sb);
        else
            mismatch(r, "%s '%s': %s: manifest %s, server %s", t->what, name, field, sa, sb);
    }
    mcp__buf_release(&ptr);
}

static const cJSON *find_item(const cJSON *list, const char *key, const char *value)
{
    const cJSON *e;
    cJSON_ArrayForEach (e, list) {
        const char *v = mcp__json_str(e, key);
        if (v && strcmp(v, value) == 0)
            return e;
    }
    return NULL;
}

/* Every page of a list. A server without the capability (method not found) has an empty
 * list. NULL after reporting a failure. */
static cJSON *list_all(struct run *r, struct reg_client *cl, const struct table *t)
{
    char why[512];
    cJSON *all = cJSON_CreateArray();
    char *cursor = NULL;
    for (int page = 0; all && page < 1000; page++) {
        cJSON *params = cJSON_CreateObject(), *result = NULL;
        int code = 0;
        if (params && cursor && !cJSON_AddStringToObject(params, "cursor", cursor)) {
            cJSON_Delete(params);
            params = NULL;
        }
        mcp__free(cursor);
        cursor = NULL;
        int rc =
            params ? reg_client_call(cl, t->method, params, &result, &code, why, sizeof why) : -1;
        if (rc == 1 && code == -32601 && page == 0)
            return all;
        if (rc) {
            mismatch(r, "%s failed: %s", t->method, rc < 0 && !params ? "out of memory" : why);
            cJSON_Delete(all);
            return NULL;
        }
        const cJSON *e;
        cJSON_ArrayForEach (e, mcp__json_arr(result, t->key))
            mcp__json_add_copy(all, NULL, e);
        const char *next = mcp__json_str(result, "nextCursor");
        cursor = next && *next ? mcp__strdup(next) : NULL;
        cJSON_Delete(result);
        if (!cursor)
            return all;
    }
    mcp__free(cursor);
    if (all)
        mismatch(r, "%s: more than 1000 pages", t->method);
    cJSON_Delete(all);
    return NULL;
}

static void compare_table(struct run *r, const struct table *t, const cJSON *want, const cJSON *got)
{
    const cJSON *w, *g;
    cJSON_ArrayForEach (w, want) {
        const char *name = mcp__json_str(w, t->id);
        const cJSON *served = name ? find_item(got, t->id, name) : NULL;
        if (!served) {
            mismatch(r, "%s '%s' is in the manifest but the server does not list it", t->what,
                     name ? name : "?");
            continue;
        }
        for (size_t f = 0; t->fields[f]; f++)
            compare_field(r, t, name, t->fields[f], mcp__json_get(w, t->fields[f]),
                          mcp__json_get(served, t->fields[f]));
    }
    cJSON_ArrayForEach (g, got) {
        const char *name = mcp__json_str(g, t->id);
        if (!name || !find_item(want, t->id, name))
            mismatch(r, "the server lists %s '%s' that the manifest lacks", t->what,
                     name ? name : "?");
    }
}

static void compare_identity(struct run *r, const cJSON *info)
{
    static const char *const keys[] = {"name", "version", "title"};
    for (size_t i = 0; i < 3; i++) {
        const char *served = mcp__json_str(info, keys[i]);
        const char *claimed = mcp__json_str(r->c->manifest, keys[i]);
        if ((i < 2 || served) && (!served || !claimed || strcmp(served, claimed) != 0))
            mismatch(r, "serverInfo.%s is \"%s\" but the manifest says \"%s\"", keys[i],
                     served ? served : "", claimed ? claimed : "");
    }
}

static void check_lists(struct run *r, struct reg_client *cl)
{
    int counts[4] = {0};
    int before = r->mismatches;
    compare_identity(r, cl->server_info);
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        cJSON *got = list_all(r, cl, &tables[i]);
        const cJSON *want = mcp__json_arr(r->c->manifest, tables[i].key);
        if (got)
            compare_table(r, &tables[i], want, got);
        counts[i] = cJSON_GetArraySize(want);
        cJSON_Delete(got);
    }
    if (r->mismatches == before)
        printf("ok %s: %d tools, %d resources, %d resource templates, %d prompts match the "
               "manifest\n",
               r->label, counts[0], counts[1], counts[2], counts[3]);
}

static bool marked_ask(const cJSON *tool)
{
    return cJSON_IsTrue(mcp__json_get(mcp__json_obj(tool, "_meta"), ASK_MARKER));
}

/* A blocked tool must be refused with a protocol error, not run. */
static void call_blocked(struct run *r, struct reg_client *cl, const char *name)
{
    char why[512];
    cJSON *p = cJSON_CreateObject(), *result = NULL;
    if (!p || !cJSON_AddStringToObject(p, "name", name) ||
        !cJSON_AddObjectToObject(p, "arguments")) {
        cJSON_Delete(p);
        mismatch(r, "out of memory");
        return;
    }
    int rc = reg_client_call(cl, "tools/call", p, &result, NULL, why, sizeof why);
    if (rc == 0)
        mismatch(r, "blocked tool '%s' answered a call instead of refusing it", name);
    else if (rc < 0)
        mismatch(r, "calling blocked tool '%s' failed: %s", name, why);
    cJSON_Delete(result);
}

static void check_grant(struct run *r, const cJSON *tool, const cJSON *served, const char *grant)
{
    const char *name = mcp__json_str(tool, "name");
    bool blocked = strcmp(grant, "blocked") == 0;
    if (blocked && served)
        mismatch(r, "tool '%s' is listed, but the profile blocks it", name);
    else if (!blocked && !served)
        mismatch(r, "tool '%s' is granted \"%s\" but not listed", name, grant);
    else if (served && strcmp(grant, "ask") == 0 && !marked_ask(served))
        mismatch(r, "tool '%s' needs the person's approval (\"ask\") but lacks _meta[\"%s\"]", name,
                 ASK_MARKER);
    else if (served && strcmp(grant, "allow") == 0 && marked_ask(served))
        mismatch(r, "tool '%s' is allowed but marked as needing approval", name);
}

static void check_profile(struct run *r, struct reg_client *cl, const cJSON *profile)
{
    cJSON *got = list_all(r, cl, &tables[0]);
    if (!got)
        return;
    int before = r->mismatches, listed = 0, ask = 0, blocked = 0;
    const cJSON *t;
    cJSON_ArrayForEach (t, mcp__json_arr(r->c->manifest, "tools")) {
        const char *name = mcp__json_str(t, "name");
        const char *grant = reg_grant(profile, r->c->name, t);
        const cJSON *served = name ? find_item(got, "name", name) : NULL;
        check_grant(r, t, served, grant);
        listed += served != NULL;
        ask += strcmp(grant, "ask") == 0;
        if (strcmp(grant, "blocked") == 0 && name) {
            blocked++;
            call_blocked(r, cl, name);
        }
    }
    cJSON_ArrayForEach (t, got)
        if (!find_item(mcp__json_arr(r->c->manifest, "tools"), "name", mcp__json_str(t, "name")))
            mismatch(r, "the server lists tool '%s' that the manifest lacks",
                     mcp__json_str(t, "name"));
    if (r->mismatches == before)
        printf("ok %s: %d tools listed (%d ask), %d blocked and refused by name\n", r->label,
               listed, ask, blocked);
    cJSON_Delete(got);
}

static void free_argv(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++)
        mcp__free(argv[i]);
    mcp__free(argv);
}

/* The launch arguments with placeholders filled, the binary found in --bin, and the profile
 * appended. NULL after reporting why. */
static char **build_argv(struct run *r, const cJSON *args, const char *profile)
{
    size_t n = (size_t)cJSON_GetArraySize(args);
    char **argv = n ? mcp__calloc(n + 3, sizeof *argv) : NULL;
    char unknown[64];
    bool ok = argv != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        const char *a = cJSON_GetStringValue(cJSON_GetArrayItem(args, (int)i));
        char *s = a ? reg_substitute(a, r->o, unknown, sizeof unknown) : NULL;
        ok = s && !unknown[0];
        if (s && unknown[0])
            mismatch(r, "launch argument '%s' needs a value: give --set %.*s=VALUE", a,
                     (int)strlen(unknown) - 3, unknown + 2);
        argv[i] = i == 0 && s ? reg_path_join(r->o->bin_dir, s) : s;
        if (i == 0)
            mcp__free(s);
        ok = ok && argv[i];
    }
    if (ok && profile) {
        ok = (argv[n] = mcp__strdup("--profile")) && (argv[n + 1] = mcp__strdup(profile));
    }
    if (!ok) {
        free_argv(argv);
        return NULL;
    }
    return argv;
}

/* The path part of the manifest's HTTP URL ("/mcp"). */
static const char *url_path(const char *url)
{
    const char *p = url ? strstr(url, "://") : NULL;
    p = p ? strchr(p + 3, '/') : NULL;
    return p ? p : "/mcp";
}

/* One server start: the plain lists, or the grants under `profile`. */
static int one_run(const struct reg_opts *o, const struct reg_connector *c, bool http,
                   const char *profile_path, const cJSON *profile)
{
    struct run r = {.o = o, .c = c};
    const cJSON *launch = mcp__json_obj(c->manifest, "launch");
    const cJSON *h = mcp__json_obj(launch, "http");
    const char *pname = mcp__json_str(profile, "name");
    snprintf(r.label, sizeof r.label, "%s [%s%s%s]", c->name, http ? "http" : "stdio",
             profile ? ", profile " : "", profile ? (pname ? pname : profile_path) : "");
    char **argv = build_argv(&r, http ? mcp__json_arr(h, "args") : mcp__json_arr(launch, "stdio"),
                             profile_path);
    struct reg_client cl;
    char why[600];
    if (argv && reg_client_start(&cl, argv, http ? url_path(mcp__json_str(h, "url")) : NULL, why,
                                 sizeof why)) {
        mismatch(&r, "cannot talk to the server: %s", why);
    } else if (argv) {
        if (profile)
            check_profile(&r, &cl, profile);
        else
            check_lists(&r, &cl);
    }
    if (argv)
        reg_client_stop(&cl);
    free_argv(argv);
    return r.mismatches + (argv ? 0 : 1);
}

static int verify_connector(const struct reg_opts *o, const struct reg_connector *c,
                            char **profiles, cJSON **docs, size_t np)
{
    int bad = 0;
    bool has_http = mcp__json_obj(mcp__json_obj(c->manifest, "launch"), "http") != NULL;
    for (int http = 0; http < 2; http++) {
        if (http && (o->no_http || !has_http))
            continue;
        bad += one_run(o, c, http, NULL, NULL);
        for (size_t i = 0; i < np; i++)
            bad += one_run(o, c, http, profiles[i], docs[i]);
    }
    return bad;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* The profiles to check: --profile, else every file in registry/profiles. */
static int load_profiles(const struct reg_opts *o, char ***paths, cJSON ***docs, size_t *n)
{
    char why[256];
    *n = 0;
    *paths = o->profile ? mcp__calloc(1, sizeof **paths) : reg_list_json(o->root, "profiles", n);
    if (o->profile && *paths && ((*paths)[0] = reg_realpath(o->profile)) != NULL)
        *n = 1;
    if (o->profile && !*n) {
        reg_err("%s: cannot be read", o->profile);
        return -1;
    }
    *docs = *n ? mcp__calloc(*n, sizeof **docs) : NULL;
    cJSON **list = *docs;
    if (*n && !list)
        return -1;
    for (size_t i = 0; i < *n; i++) {
        list[i] = reg_load_json((*paths)[i], why, sizeof why);
        if (!list[i]) {
            reg_err("%s %s", (*paths)[i], why);
            return -1;
        }
    }
    return 0;
}

static int verify_named(struct reg_opts *lo, struct reg_index *ix, char **paths, cJSON **docs,
                        size_t np)
{
    int bad = 0;
    size_t count = lo->nargs ? lo->nargs : ix->n;
    for (size_t i = 0; i < count; i++) {
        struct reg_connector *c = lo->nargs ? reg_index_find(ix, lo->args[i]) : &ix->items[i];
        if (!c) {
            reg_err("no connector '%s' in %s (see mcp-registry list)", lo->args[i], ix->path);
            bad++;
        } else if (reg_connector_load(c, lo->manifest)) {
            bad++;
        } else {
            bad += verify_connector(lo, c, paths, docs, np);
        }
    }
    return bad;
}

int reg_cmd_verify(const struct reg_opts *o)
{
    if (o->manifest && o->nargs != 1) {
        reg_err("--manifest needs exactly one NAME to verify it as");
        return 2;
    }
    struct reg_index ix;
    if (reg_index_load(&ix, o->root))
        return 1;
    /* ${ROOT} and friends: a fresh empty folder unless the caller named one. */
    struct reg_opts lo = *o;
    char tmp[] = "/tmp/mcp-registry-root-XXXXXX", var[64];
    bool made = !reg_var_set(o, "ROOT") && mkdtemp(tmp) != NULL;
    if (made && lo.nvars < sizeof lo.vars / sizeof *lo.vars) {
        snprintf(var, sizeof var, "ROOT=%s", tmp);
        lo.vars[lo.nvars++] = var;
    }
    char **paths = NULL;
    cJSON **docs = NULL;
    size_t np = 0;
    int bad = load_profiles(o, &paths, &docs, &np) ? 1 : verify_named(&lo, &ix, paths, docs, np);
    for (size_t i = 0; docs && i < np; i++)
        cJSON_Delete(docs[i]);
    mcp__free(docs);
    reg_free_list(paths, np);
    if (made)
        nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    reg_index_release(&ix);
    printf("verify: %d mismatch%s\n", bad, bad == 1 ? "" : "es");
    return bad ? 1 : 0;
}
