/* export mcpb and server-json: a connector as an MCP Bundle (manifest.json, MCPB manifest
 * 0.3, packed by registry/mcpb.sh) and as an entry of the official MCP registry (server.json,
 * schema 2025-12-11) that points at that bundle and carries our capability manifest, condensed,
 * under _meta["io.modelcontextprotocol.registry/publisher-provided"]. */
#include "export.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc_int.h"
#include "json_int.h"

#include "banned.h"

#define MCPB_VERSION "0.3"
#define SERVER_SCHEMA "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
#define PUBLISHER_KEY "io.modelcontextprotocol.registry/publisher-provided"
#define PUBLISHER_MAX 4096 /* the official registry refuses more */
#define DEFAULT_NAMESPACE "io.github.mcp-connectors"
#define DEFAULT_AUTHOR "mcp-connectors"

/* The backend setting passed with `flag` (e.g. "--root"), or NULL. */
static const cJSON *setting_for_flag(const cJSON *m, const char *flag)
{
    const cJSON *b, *s;
    cJSON_ArrayForEach (b, mcp__json_arr(m, "backends"))
        cJSON_ArrayForEach (s, mcp__json_arr(b, "settings")) {
            const char *f = mcp__json_str(s, "flag");
            if (f && flag && strcmp(f, flag) == 0)
                return s;
        }
    return NULL;
}

static bool in_filesystem(const cJSON *m, const char *placeholder)
{
    const cJSON *list, *p;
    cJSON_ArrayForEach (list, mcp__json_obj(m, "filesystem"))
        cJSON_ArrayForEach (p, list)
            if (cJSON_IsString(p) && strcmp(p->valuestring, placeholder) == 0)
                return true;
    return false;
}

/* A user_config option for launch placeholder ${NAME}: described by the backend setting whose
 * flag precedes it, a directory picker when the manifest's filesystem access names it. */
static cJSON *user_option(const cJSON *m, const char *placeholder, const char *flag)
{
    const cJSON *s = setting_for_flag(m, flag);
    const char *desc = mcp__json_str(s, "description");
    char title[64];
    snprintf(title, sizeof title, "%s", s ? mcp__json_str(s, "name") : placeholder + 2);
    title[strcspn(title, "}")] = '\0';
    for (char *p = title; *p; p++)
        *p = p == title ? (char)toupper((unsigned char)*p) : (char)tolower((unsigned char)*p);
    cJSON *o = cJSON_CreateObject();
    bool ok = o &&
              cJSON_AddStringToObject(o, "type",
                                      in_filesystem(m, placeholder) ? "directory" : "string") &&
              cJSON_AddStringToObject(o, "title", title) &&
              cJSON_AddStringToObject(o, "description", desc ? desc : placeholder) &&
              cJSON_AddBoolToObject(o, "required", s ? mcp__json_bool(s, "required", true) : 1);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* "${ROOT}" -> "root", the user_config key. */
static void option_key(const char *placeholder, char *key, size_t len)
{
    size_t n = strlen(placeholder) - 3, i = 0;
    for (; i < n && i + 1 < len; i++)
        key[i] = (char)tolower((unsigned char)placeholder[2 + i]);
    key[i] = '\0';
}

/* mcp_config.args: the launch arguments, each ${NAME} either its --set value or a
 * ${user_config.name} the host asks the person for. */
static bool mcpb_args(const struct reg_export *x, const struct reg_connector *c, cJSON *args,
                      cJSON *user_config)
{
    const cJSON *launch = mcp__json_obj(c->manifest, "launch");
    const cJSON *a, *stdio_argv = mcp__json_arr(launch, "stdio");
    const char *prev = NULL;
    char unknown[64], key[64], ref[96];
    bool ok = true;
    cJSON_ArrayForEach (a, stdio_argv) {
        if (a == stdio_argv->child)
            continue;
        char *s = reg_substitute(cJSON_GetStringValue(a), x->o, unknown, sizeof unknown);
        ok = ok && s;
        if (ok && unknown[0] && strcmp(unknown, s) == 0) {
            option_key(unknown, key, sizeof key);
            snprintf(ref, sizeof ref, "${user_config.%s}", key);
            ok = cJSON_AddItemToArray(args, cJSON_CreateString(ref)) &&
                 (mcp__json_get(user_config, key) ||
                  mcp__json_add_take(user_config, key, user_option(c->manifest, unknown, prev)));
        } else if (ok) {
            ok = cJSON_AddItemToArray(args, cJSON_CreateString(s));
        }
        mcp__free(s);
        prev = cJSON_GetStringValue(a);
    }
    if (ok && x->profile_path)
        ok = cJSON_AddItemToArray(args, cJSON_CreateString("--profile")) &&
             cJSON_AddItemToArray(args, cJSON_CreateString("${__dirname}/profile.json"));
    return ok;
}

static cJSON *mcpb_server(const struct reg_export *x, const struct reg_connector *c,
                          cJSON *user_config)
{
    const char *command = mcp__json_str(mcp__json_obj(c->manifest, "launch"), "command");
    char entry[256], path[300];
    snprintf(entry, sizeof entry, "server/%s", command);
    snprintf(path, sizeof path, "${__dirname}/%s", entry);
    cJSON *s = cJSON_CreateObject();
    cJSON *cfg = s ? cJSON_CreateObject() : NULL;
    bool ok = cfg && cJSON_AddStringToObject(cfg, "command", path);
    cJSON *args = ok ? cJSON_AddArrayToObject(cfg, "args") : NULL;
    ok = args && cJSON_AddStringToObject(s, "type", "binary") &&
         cJSON_AddStringToObject(s, "entry_point", entry) && mcpb_args(x, c, args, user_config);
    ok = mcp__json_add_take(s, "mcp_config", cfg) && ok;
    if (!ok) {
        cJSON_Delete(s);
        return NULL;
    }
    return s;
}

static cJSON *mcpb_tools(const cJSON *m)
{
    cJSON *tools = cJSON_CreateArray();
    const cJSON *t;
    bool ok = tools != NULL;
    cJSON_ArrayForEach (t, mcp__json_arr(m, "tools")) {
        cJSON *e = cJSON_CreateObject();
        ok = ok && e && cJSON_AddStringToObject(e, "name", mcp__json_str(t, "name")) &&
             cJSON_AddStringToObject(e, "description", mcp__json_str(t, "description"));
        ok = mcp__json_add_take(tools, NULL, e) && ok;
    }
    if (!ok) {
        cJSON_Delete(tools);
        return NULL;
    }
    return tools;
}

static cJSON *mcpb_author(const cJSON *m)
{
    const char *name = mcp__json_str(m, "author");
    cJSON *a = cJSON_CreateObject();
    if (a && !cJSON_AddStringToObject(a, "name", name ? name : DEFAULT_AUTHOR)) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

static bool mcpb_identity(cJSON *doc, const cJSON *m)
{
    return cJSON_AddStringToObject(doc, "manifest_version", MCPB_VERSION) &&
           cJSON_AddStringToObject(doc, "name", mcp__json_str(m, "name")) &&
           cJSON_AddStringToObject(doc, "display_name", mcp__json_str(m, "title")) &&
           cJSON_AddStringToObject(doc, "version", mcp__json_str(m, "version")) &&
           cJSON_AddStringToObject(doc, "description", mcp__json_str(m, "description")) &&
           cJSON_AddStringToObject(doc, "long_description", mcp__json_str(m, "privacy")) &&
           mcp__json_add_take(doc, "author", mcpb_author(m));
}

cJSON *reg_export_mcpb(const struct reg_export *x, const struct reg_connector *c)
{
    const cJSON *m = c->manifest;
    cJSON *doc = cJSON_CreateObject();
    cJSON *user_config = cJSON_CreateObject();
    cJSON *compat = cJSON_CreateObject();
    cJSON *platforms = compat ? cJSON_AddArrayToObject(compat, "platforms") : NULL;
    /* The bundle carries a binary built here: it runs where it was built. */
    bool ok = doc && user_config && platforms && mcpb_identity(doc, m) &&
              cJSON_AddItemToArray(platforms, cJSON_CreateString("linux"));
    ok = ok && mcp__json_add_take(doc, "server", mcpb_server(x, c, user_config));
    ok = ok && mcp__json_add_take(doc, "tools", mcpb_tools(m)) &&
         cJSON_AddBoolToObject(doc, "tools_generated", 0) &&
         /* MCPB prompts are fixed text; ours are rendered by the server. */
         cJSON_AddBoolToObject(doc, "prompts_generated",
                               cJSON_GetArraySize(mcp__json_arr(m, "prompts")) > 0);
    ok = ok && mcp__json_add_take(doc, "compatibility", compat);
    compat = NULL;
    if (ok && cJSON_GetArraySize(user_config) > 0) {
        ok = mcp__json_add_take(doc, "user_config", user_config);
        user_config = NULL;
    }
    cJSON_Delete(user_config);
    cJSON_Delete(compat);
    if (!ok) {
        cJSON_Delete(doc);
        return NULL;
    }
    return doc;
}

/* server.json allows 100 characters: the manifest's summary, else its description cut at a
 * word boundary. */
static void short_description(const cJSON *m, char *out, size_t len)
{
    const char *summary = mcp__json_str(m, "summary");
    const char *desc = summary ? summary : mcp__json_str(m, "description");
    snprintf(out, len, "%s", desc ? desc : "");
    if (strlen(out) <= 100)
        return;
    out[97] = '\0';
    char *space = strrchr(out, ' ');
    if (space && space > out + 60)
        *space = '\0';
    size_t n = strlen(out);
    while (n && (out[n - 1] == ',' || out[n - 1] == ';' || out[n - 1] == ' '))
        out[--n] = '\0';
    snprintf(out + n, len - n, "...");
}

/* One exact version: "^1.2", "~1", ">=1", "1.x", "1.*" and "latest" name ranges. */
static bool exact_version(const char *v)
{
    if (!v || !*v || strcmp(v, "latest") == 0 || strpbrk(v, "^~<>=*| "))
        return false;
    for (const char *p = v; *p; p++)
        if ((*p == 'x' || *p == 'X') && (p == v || p[-1] == '.') && (!p[1] || p[1] == '.'))
            return false;
    return true;
}

static const char *hint_words(const cJSON *tool, char *buf, size_t len)
{
    static const char *const keys[] = {"readOnlyHint", "destructiveHint", "idempotentHint",
                                       "openWorldHint"};
    const cJSON *ann = mcp__json_obj(tool, "annotations");
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < 4 && used < len; i++)
        if (cJSON_IsTrue(mcp__json_get(ann, keys[i])))
            used += (size_t)snprintf(buf + used, len - used, "%s%.*s", used ? " " : "",
                                     (int)strlen(keys[i]) - 4, keys[i]);
    return buf;
}

static cJSON *condensed_tools(const cJSON *m)
{
    cJSON *tools = cJSON_CreateObject();
    const cJSON *t;
    char hints[96];
    bool ok = tools != NULL;
    cJSON_ArrayForEach (t, mcp__json_arr(m, "tools")) {
        cJSON *e = cJSON_CreateObject();
        ok = ok && e && cJSON_AddStringToObject(e, "scope", mcp__json_str(t, "scope")) &&
             (!*hint_words(t, hints, sizeof hints) || cJSON_AddStringToObject(e, "hints", hints));
        ok = mcp__json_add_take(tools, mcp__json_str(t, "name"), e) && ok;
    }
    if (!ok) {
        cJSON_Delete(tools);
        return NULL;
    }
    return tools;
}

/* The names (or URIs) of a manifest list, as an array of strings. */
static cJSON *names_of(const cJSON *list, const char *key)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *e;
    bool ok = out != NULL;
    cJSON_ArrayForEach (e, list)
        ok = ok && cJSON_AddItemToArray(out, cJSON_CreateString(mcp__json_str(e, key)));
    if (!ok) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

/* Our capability manifest in the few KiB the official registry keeps: what each tool needs
 * and does, where the connector reaches, and the digest of the full manifest. */
static cJSON *data_scope_names(const cJSON *m)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *d;
    bool ok = out != NULL;
    cJSON_ArrayForEach (d, mcp__json_obj(m, "dataScopes"))
        ok = ok && cJSON_AddItemToArray(out, cJSON_CreateString(d->string));
    if (!ok) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

/* Our capability manifest in the few KiB the official registry keeps: what each tool needs
 * and does, where the connector reaches, and the digest of the full manifest. */
static cJSON *capabilities(const struct reg_connector *c, const char *manifest_sha)
{
    const cJSON *m = c->manifest;
    cJSON *cap = cJSON_CreateObject();
    bool ok =
        cap && cJSON_AddStringToObject(cap, "name", c->name) &&
        cJSON_AddStringToObject(cap, "version", mcp__json_str(m, "version")) &&
        cJSON_AddStringToObject(cap, "manifestSha256", manifest_sha) &&
        mcp__json_add_take(cap, "tools", condensed_tools(m)) &&
        mcp__json_add_take(cap, "resources", names_of(mcp__json_arr(m, "resources"), "uri")) &&
        mcp__json_add_take(cap, "resourceTemplates",
                           names_of(mcp__json_arr(m, "resourceTemplates"), "uriTemplate")) &&
        mcp__json_add_take(cap, "prompts", names_of(mcp__json_arr(m, "prompts"), "name")) &&
        mcp__json_add_copy(cap, "egress", mcp__json_get(m, "egress")) &&
        mcp__json_add_copy(cap, "filesystem", mcp__json_get(m, "filesystem")) &&
        mcp__json_add_take(cap, "dataScopes", data_scope_names(m)) &&
        cJSON_AddStringToObject(cap, "privacy", mcp__json_str(m, "privacy"));
    if (!ok) {
        cJSON_Delete(cap);
        return NULL;
    }
    return cap;
}

static cJSON *publisher_meta(const struct reg_connector *c, const char *manifest_sha)
{
    cJSON *meta = cJSON_CreateObject();
    cJSON *pub = meta ? cJSON_AddObjectToObject(meta, PUBLISHER_KEY) : NULL;
    bool ok = pub && mcp__json_add_take(pub, "io.github.mcp-connectors/capabilities",
                                        capabilities(c, manifest_sha));
    char *text = ok ? mcp__json_print(pub) : NULL;
    size_t size = text ? strlen(text) : 0;
    mcp__free(text);
    if (ok && size > PUBLISHER_MAX)
        reg_err("%s: the condensed manifest is %zu bytes; the registry keeps at most %d under "
                "_meta[\"%s\"]",
                c->name, size, PUBLISHER_MAX, PUBLISHER_KEY);
    if (!ok || !size || size > PUBLISHER_MAX) {
        cJSON_Delete(meta);
        return NULL;
    }
    return meta;
}

/* --mcpb FILE, or --mcpb DIR holding NAME-VERSION.mcpb as registry/mcpb.sh makes them. */
static char *bundle_path(const struct reg_export *x, const struct reg_connector *c)
{
    struct stat st;
    char file[256];
    if (!x->o->mcpb || stat(x->o->mcpb, &st) != 0)
        return NULL;
    if (!S_ISDIR(st.st_mode))
        return mcp__strdup(x->o->mcpb);
    snprintf(file, sizeof file, "%s-%s.mcpb", c->name, mcp__json_str(c->manifest, "version"));
    return reg_path_join(x->o->mcpb, file);
}

static cJSON *mcpb_package(const struct reg_export *x, const struct reg_connector *c)
{
    const char *version = mcp__json_str(c->manifest, "version");
    char sha[65], url[512];
    char *bundle = bundle_path(x, c);
    if (!bundle || reg_file_sha256(bundle, sha)) {
        reg_err("server-json needs --mcpb FILE|DIR: the bundle of %s (make mcpb) whose SHA-256 "
                "the registry publishes%s%s",
                c->name, bundle ? "; cannot read " : "", bundle ? bundle : "");
        mcp__free(bundle);
        return NULL;
    }
    mcp__free(bundle);
    snprintf(url, sizeof url,
             "https://github.com/mcp-connectors/mcp-connectors/releases/download/v%s/%s-%s.mcpb",
             version, c->name, version);
    cJSON *p = cJSON_CreateObject();
    bool ok =
        p && cJSON_AddStringToObject(p, "registryType", "mcpb") &&
        cJSON_AddStringToObject(p, "identifier", x->o->package_url ? x->o->package_url : url) &&
        cJSON_AddStringToObject(p, "version", version) &&
        cJSON_AddStringToObject(p, "fileSha256", sha);
    cJSON *t = ok ? cJSON_AddObjectToObject(p, "transport") : NULL;
    ok = t && cJSON_AddStringToObject(t, "type", "stdio");
    if (!ok) {
        cJSON_Delete(p);
        return NULL;
    }
    return p;
}

static bool add_remotes(const struct reg_export *x, cJSON *doc)
{
    if (!x->o->url)
        return true;
    if (strncmp(x->o->url, "https://", 8) != 0) {
        fprintf(stderr, "note: %s is not https://; server.json lists no remote for it\n",
                x->o->url);
        return true;
    }
    cJSON *remotes = cJSON_AddArrayToObject(doc, "remotes");
    cJSON *r = remotes ? cJSON_CreateObject() : NULL;
    bool ok = r && cJSON_AddStringToObject(r, "type", "streamable-http") &&
              cJSON_AddStringToObject(r, "url", x->o->url);
    return mcp__json_add_take(remotes, NULL, r) && ok;
}

cJSON *reg_export_server_json(const struct reg_export *x, const struct reg_connector *c)
{
    const cJSON *m = c->manifest;
    const char *version = mcp__json_str(m, "version");
    const char *rname = mcp__json_str(m, "registryName");
    char name[256], desc[128], sha[65];
    if (!exact_version(version)) {
        reg_err("%s: version '%s' is a range; server.json needs one exact version", c->name,
                version ? version : "");
        return NULL;
    }
    if (reg_file_sha256(x->o->manifest ? x->o->manifest : c->manifest_path, sha))
        return NULL;
    snprintf(name, sizeof name, "%s", rname ? rname : DEFAULT_NAMESPACE "/");
    if (!rname)
        snprintf(name + strlen(name), sizeof name - strlen(name), "%s", c->name);
    short_description(m, desc, sizeof desc);
    cJSON *doc = cJSON_CreateObject();
    cJSON *packages = doc ? cJSON_CreateArray() : NULL;
    bool ok = packages && cJSON_AddStringToObject(doc, "$schema", SERVER_SCHEMA) &&
              cJSON_AddStringToObject(doc, "name", name) &&
              cJSON_AddStringToObject(doc, "title", mcp__json_str(m, "title")) &&
              cJSON_AddStringToObject(doc, "description", desc) &&
              cJSON_AddStringToObject(doc, "version", version) &&
              mcp__json_add_take(packages, NULL, mcpb_package(x, c));
    ok = (ok ? mcp__json_add_take(doc, "packages", packages) : (cJSON_Delete(packages), false)) &&
         add_remotes(x, doc) && mcp__json_add_take(doc, "_meta", publisher_meta(c, sha));
    if (!ok) {
        cJSON_Delete(doc);
        return NULL;
    }
    return doc;
}
