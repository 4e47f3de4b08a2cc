/* export: host configuration for both kinds of host, derived from the manifests and a
 * profile, so what a host is told matches what the server enforces.
 *
 *   claude-code          .mcp.json
 *   claude-code-managed  managed-mcp.json, and managed-settings.json with allowedMcpServers
 *                        (the exact serverCommand argv, or the serverUrl) and permissions
 *                        allow/ask/deny of mcp__<server>__<tool> from the profile (code.json)
 *   cowork               managedMcpServers entries with a per-tool toolPolicy (cowork.json)
 *   claude-desktop       claude_desktop_config.json
 *   mcpb, server-json    see mcpb.c */
#include "export.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc_int.h"
#include "json_int.h"

#include "banned.h"

#define MAX_FILES 32

struct format {
    const char *name;
    const char *default_profile; /* under registry/profiles, or NULL: only --profile */
    int (*build)(const struct reg_export *x, struct reg_file *files, size_t *n);
};

cJSON *reg_export_argv(const struct reg_export *x, const struct reg_connector *c)
{
    const cJSON *launch = mcp__json_obj(c->manifest, "launch");
    const cJSON *a;
    cJSON *argv = cJSON_CreateArray();
    char unknown[64], *bin = reg_path_join(x->o->bin_dir, mcp__json_str(launch, "command"));
    bool ok = argv && bin && cJSON_AddItemToArray(argv, cJSON_CreateString(bin));
    cJSON_ArrayForEach (a, mcp__json_arr(launch, "stdio")) {
        if (a == mcp__json_arr(launch, "stdio")->child || !ok)
            continue; /* argv[0] is the command, resolved above */
        char *s = reg_substitute(cJSON_GetStringValue(a), x->o, unknown, sizeof unknown);
        ok = s && cJSON_AddItemToArray(argv, cJSON_CreateString(s));
        if (s && unknown[0])
            fprintf(stderr,
                    "note: %s: %s has no value (give --set %.*s=VALUE); left for the "
                    "host to expand\n",
                    c->name, unknown, (int)strlen(unknown) - 3, unknown + 2);
        mcp__free(s);
    }
    if (ok && x->profile_path)
        ok = cJSON_AddItemToArray(argv, cJSON_CreateString("--profile")) &&
             cJSON_AddItemToArray(argv, cJSON_CreateString(x->profile_path));
    mcp__free(bin);
    if (!ok) {
        cJSON_Delete(argv);
        return NULL;
    }
    return argv;
}

const char *reg_export_url(const struct reg_export *x, const struct reg_connector *c)
{
    if (x->o->url)
        return x->o->url;
    return mcp__json_str(mcp__json_obj(mcp__json_obj(c->manifest, "launch"), "http"), "url");
}

static bool use_http(const struct reg_export *x)
{
    const char *t = x->o->transport;
    return t ? strcmp(t, "http") == 0 : x->o->url != NULL;
}

/* An entry of "mcpServers": {"type": "http", "url"} or {"type": "stdio", "command", "args"};
 * claude_desktop_config.json has no "type". */
static cJSON *server_entry(const struct reg_export *x, const struct reg_connector *c, bool typed)
{
    cJSON *e = cJSON_CreateObject();
    bool ok = e != NULL;
    if (ok && use_http(x)) {
        const char *url = reg_export_url(x, c);
        if (!url) {
            reg_err("%s has no HTTP URL: give --url", c->name);
            ok = false;
        }
        ok = ok && cJSON_AddStringToObject(e, "type", "http") &&
             cJSON_AddStringToObject(e, "url", url);
    } else if (ok) {
        cJSON *argv = reg_export_argv(x, c);
        ok = argv && (!typed || cJSON_AddStringToObject(e, "type", "stdio")) &&
             mcp__json_add_take(e, "command", cJSON_DetachItemFromArray(argv, 0));
        ok = mcp__json_add_take(e, "args", argv) && ok;
    }
    if (!ok) {
        cJSON_Delete(e);
        return NULL;
    }
    return e;
}

/* {"mcpServers": {NAME: entry, ...}} for every connector asked for. */
static cJSON *mcp_servers(const struct reg_export *x, bool typed)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *servers = doc ? cJSON_AddObjectToObject(doc, "mcpServers") : NULL;
    bool ok = servers != NULL;
    for (size_t i = 0; ok && i < x->n; i++)
        ok = mcp__json_add_take(servers, x->conns[i]->name, server_entry(x, x->conns[i], typed));
    if (!ok) {
        cJSON_Delete(doc);
        return NULL;
    }
    return doc;
}

static int one_file(struct reg_file *files, size_t *n, const char *name, cJSON *doc)
{
    if (!doc)
        return -1;
    snprintf(files[*n].name, sizeof files[*n].name, "%s", name);
    files[(*n)++].doc = doc;
    return 0;
}

static int build_claude_code(const struct reg_export *x, struct reg_file *files, size_t *n)
{
    return one_file(files, n, ".mcp.json", mcp_servers(x, true));
}

static int build_claude_desktop(const struct reg_export *x, struct reg_file *files, size_t *n)
{
    if (use_http(x)) {
        reg_err("claude-desktop: claude_desktop_config.json starts local servers over stdio; "
                "add an HTTP server in the app's connector settings instead");
        return -1;
    }
    return one_file(files, n, "claude_desktop_config.json", mcp_servers(x, false));
}

/* Adds each tool's mcp__<server>__<tool> to the allow, ask or deny list its grant names. */
static bool add_permissions(const struct reg_export *x, const struct reg_connector *c, cJSON *perms)
{
    const cJSON *t;
    char rule[320];
    cJSON_ArrayForEach (t, mcp__json_arr(c->manifest, "tools")) {
        const char *grant = reg_grant(x->profile, c->name, t);
        const char *list = strcmp(grant, "blocked") == 0 ? "deny" : grant;
        snprintf(rule, sizeof rule, "mcp__%s__%s", c->name, mcp__json_str(t, "name"));
        if (!cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(perms, list),
                                  cJSON_CreateString(rule)))
            return false;
    }
    return true;
}

/* Exactly the command (or URL) exported, so a server started any other way is not allowed. */
static cJSON *allowed_entry(const struct reg_export *x, const struct reg_connector *c)
{
    cJSON *e = cJSON_CreateObject();
    bool ok = e != NULL;
    if (ok && use_http(x))
        ok = reg_export_url(x, c) && cJSON_AddStringToObject(e, "serverUrl", reg_export_url(x, c));
    else if (ok)
        ok = mcp__json_add_take(e, "serverCommand", reg_export_argv(x, c));
    if (!ok) {
        cJSON_Delete(e);
        return NULL;
    }
    return e;
}

static cJSON *managed_settings(const struct reg_export *x)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *allowed = doc ? cJSON_AddArrayToObject(doc, "allowedMcpServers") : NULL;
    cJSON *perms = allowed ? cJSON_AddObjectToObject(doc, "permissions") : NULL;
    bool ok = perms && cJSON_AddBoolToObject(doc, "allowManagedMcpServersOnly", 1) &&
              cJSON_AddArrayToObject(perms, "allow") && cJSON_AddArrayToObject(perms, "ask") &&
              cJSON_AddArrayToObject(perms, "deny");
    for (size_t i = 0; ok && i < x->n; i++)
        ok = mcp__json_add_take(allowed, NULL, allowed_entry(x, x->conns[i])) &&
             add_permissions(x, x->conns[i], perms);
    if (!ok) {
        cJSON_Delete(doc);
        return NULL;
    }
    return doc;
}

static int build_claude_code_managed(const struct reg_export *x, struct reg_file *files, size_t *n)
{
    if (one_file(files, n, "managed-mcp.json", mcp_servers(x, true)))
        return -1;
    return one_file(files, n, "managed-settings.json", managed_settings(x));
}

static cJSON *tool_policy(const struct reg_export *x, const struct reg_connector *c)
{
    cJSON *policy = cJSON_CreateObject();
    const cJSON *t;
    bool ok = policy != NULL;
    cJSON_ArrayForEach (t, mcp__json_arr(c->manifest, "tools"))
        ok = ok && cJSON_AddStringToObject(policy, mcp__json_str(t, "name"),
                                           reg_grant(x->profile, c->name, t));
    if (!ok) {
        cJSON_Delete(policy);
        return NULL;
    }
    return policy;
}

static cJSON *cowork_entry(const struct reg_export *x, const struct reg_connector *c)
{
    const char *url = reg_export_url(x, c);
    if (!url) {
        reg_err("%s has no HTTP URL: give --url (Cowork reaches servers over HTTPS)", c->name);
        return NULL;
    }
    if (strncmp(url, "https://", 8) != 0)
        fprintf(stderr, "note: %s: Cowork accepts only https:// URLs; put %s behind TLS\n", c->name,
                url);
    cJSON *e = cJSON_CreateObject();
    bool ok = e && cJSON_AddStringToObject(e, "name", c->name) &&
              cJSON_AddStringToObject(e, "url", url) &&
              cJSON_AddStringToObject(e, "transport", "http") &&
              mcp__json_add_take(e, "toolPolicy", tool_policy(x, c));
    if (!ok) {
        cJSON_Delete(e);
        return NULL;
    }
    return e;
}

static int build_cowork(const struct reg_export *x, struct reg_file *files, size_t *n)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *list = doc ? cJSON_AddArrayToObject(doc, "managedMcpServers") : NULL;
    bool ok = list != NULL;
    for (size_t i = 0; ok && i < x->n; i++)
        ok = mcp__json_add_take(list, NULL, cowork_entry(x, x->conns[i]));
    if (!ok) {
        cJSON_Delete(doc);
        return -1;
    }
    return one_file(files, n, "cowork-managed-mcp-servers.json", doc);
}

/* mcpb and server-json make one file per connector: NAME/FILE when there are several. */
static int per_connector(const struct reg_export *x, struct reg_file *files, size_t *n,
                         const char *file,
                         cJSON *(*make)(const struct reg_export *, const struct reg_connector *))
{
    char name[128];
    for (size_t i = 0; i < x->n && *n < MAX_FILES; i++) {
        if (x->n == 1)
            snprintf(name, sizeof name, "%s", file);
        else
            snprintf(name, sizeof name, "%s/%s", x->conns[i]->name, file);
        if (one_file(files, n, name, make(x, x->conns[i])))
            return -1;
    }
    return 0;
}

static int build_mcpb(const struct reg_export *x, struct reg_file *files, size_t *n)
{
    return per_connector(x, files, n, "manifest.json", reg_export_mcpb);
}

static int build_server_json(const struct reg_export *x, struct reg_file *files, size_t *n)
{
    return per_connector(x, files, n, "server.json", reg_export_server_json);
}

static const struct format formats[] = {
    {"claude-code", NULL, build_claude_code},
    {"claude-code-managed", "code.json", build_claude_code_managed},
    {"cowork", "cowork.json", build_cowork},
    {"claude-desktop", NULL, build_claude_desktop},
    {"mcpb", NULL, build_mcpb},
    {"server-json", NULL, build_server_json},
};

static int mkdirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0755) && errno != EEXIST ? -1 : 0;
}

static int write_out(const char *dir, const struct reg_file *f, const char *text)
{
    char *path = reg_path_join(dir, f->name);
    char *parent = path ? reg_dirname(path) : NULL;
    int rc = parent && mkdirs(parent) == 0 ? reg_write_file(path, text) : -1;
    if (parent && rc && errno)
        reg_err("cannot create %s: %s", parent, strerror(errno));
    if (!rc)
        fprintf(stderr, "wrote %s\n", path);
    mcp__free(parent);
    mcp__free(path);
    return rc;
}

static int emit(const struct reg_opts *o, const struct reg_file *files, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        char *text = reg_json_pretty(files[i].doc);
        if (!text)
            rc = -1;
        else if (o->out)
            rc = write_out(o->out, &files[i], text);
        else if (n > 1)
            printf("%s==> %s <==\n%s\n", i ? "\n" : "", files[i].name, text);
        else
            puts(text);
        mcp__free(text);
    }
    return rc;
}

static int load_profile(struct reg_export *x, const struct format *f)
{
    char why[256];
    char *path = x->o->profile        ? mcp__strdup(x->o->profile)
                 : f->default_profile ? reg_path_join(x->o->root, "profiles")
                                      : NULL;
    if (path && !x->o->profile) {
        char *full = reg_path_join(path, f->default_profile);
        mcp__free(path);
        path = full;
    }
    if (!path)
        return f->default_profile || x->o->profile ? -1 : 0;
    x->profile = reg_load_json(path, why, sizeof why);
    x->profile_path = x->profile ? reg_realpath(path) : NULL;
    if (!x->profile)
        reg_err("%s %s", path, why);
    mcp__free(path);
    return x->profile_path ? 0 : -1;
}

static int load_connectors(struct reg_export *x)
{
    const struct reg_opts *o = x->o;
    if (reg_index_load(&x->ix, o->root))
        return -1;
    x->conns = mcp__calloc(o->nargs, sizeof *x->conns);
    for (size_t i = 1; x->conns && i < o->nargs; i++) {
        struct reg_connector *c = reg_index_find(&x->ix, o->args[i]);
        if (!c) {
            reg_err("no connector '%s' in %s (see mcp-registry list)", o->args[i], x->ix.path);
            return -1;
        }
        if (reg_connector_load(c, o->manifest))
            return -1;
        x->conns[x->n++] = c;
    }
    return x->conns ? 0 : -1;
}

int reg_cmd_export(const struct reg_opts *o)
{
    const struct format *f = NULL;
    for (size_t i = 0; o->nargs && i < sizeof formats / sizeof *formats; i++)
        if (strcmp(o->args[0], formats[i].name) == 0)
            f = &formats[i];
    if (!f || o->nargs < 2 || (o->manifest && o->nargs != 2)) {
        reg_err("usage: mcp-registry export FORMAT NAME... (FORMAT: claude-code, "
                "claude-code-managed, cowork, claude-desktop, mcpb, server-json; --manifest "
                "takes one NAME)");
        return 2;
    }
    if (o->transport && strcmp(o->transport, "stdio") != 0 && strcmp(o->transport, "http") != 0) {
        reg_err("--transport is stdio or http");
        return 2;
    }
    struct reg_export x = {.o = o};
    struct reg_file files[MAX_FILES] = {{{0}, NULL}};
    size_t n = 0;
    int rc = load_connectors(&x);
    if (!rc)
        rc = load_profile(&x, f);
    if (!rc)
        rc = f->build(&x, files, &n);
    if (!rc)
        rc = emit(o, files, n);
    for (size_t i = 0; i < n; i++)
        cJSON_Delete(files[i].doc);
    cJSON_Delete(x.profile);
    mcp__free(x.profile_path);
    mcp__free(x.conns);
    reg_index_release(&x.ix);
    return rc ? 1 : 0;
}
