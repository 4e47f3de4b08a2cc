/* Drive paths: what the agent may name, and which root it lands in. Every tool goes through
 * drive_path_resolve() before a backend sees a path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <mcp/mcp.h>

#include "drive.h"

bool drive_name_internal(const char *name)
{
    /* Both start with a dot; most names do not, and a search asks about every entry. */
    return name[0] == '.' && (strcmp(name, DRIVE_TRASH) == 0 ||
                              strncmp(name, DRIVE_TEMP_PREFIX, strlen(DRIVE_TEMP_PREFIX)) == 0);
}

bool drive_name_hidden(const char *name)
{
    return name[0] == '.';
}

/* Valid UTF-8 without control characters (no NUL, newline, DEL) and not overlong. */
static bool clean_text(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x20 || *p == 0x7f)
            return false;
        if (*p < 0x80) {
            p++;
            continue;
        }
        int n = (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
        if (n < 0 || (*p == 0xc0 || *p == 0xc1) || *p > 0xf4)
            return false;
        for (int i = 1; i <= n; i++)
            if ((p[i] & 0xc0) != 0x80)
                return false;
        p += n + 1;
    }
    return true;
}

static void list_roots(const struct drive *d, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < d->nroots && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s (%s)", i ? ", " : "",
                                 d->roots[i]->name, d->roots[i]->where);
}

/* Copies `path` into out->rel segment by segment, refusing what no drive path may hold. */
static int normalise(const char *path, char *out, size_t outlen, char *why, size_t whylen)
{
    size_t used = 0;
    const char *p = path;
    out[0] = '\0';
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
            snprintf(why, whylen,
                     "'%s' uses '%.*s', which drive paths do not allow; name the folder "
                     "instead, e.g. \"Documents/reports\"",
                     path, (int)n, p);
            return MCP_EACCES;
        }
        char seg[256];
        if (n >= sizeof seg) {
            snprintf(why, whylen, "a name in '%.80s...' is longer than 255 bytes", path);
            return MCP_EINVAL;
        }
        memcpy(seg, p, n);
        seg[n] = '\0';
        if (drive_name_internal(seg)) {
            snprintf(why, whylen,
                     "'%s' is the drive's own bookkeeping; use list_trash and restore for the "
                     "trash",
                     seg);
            return MCP_EACCES;
        }
        if (used + n + 2 > outlen) {
            snprintf(why, whylen, "the path is longer than %d bytes", DRIVE_PATH_MAX - 1);
            return MCP_EINVAL;
        }
        if (used)
            out[used++] = '/';
        memcpy(out + used, seg, n + 1);
        used += n;
        p += n;
    }
    return 0;
}

/* The profile's "roots" data scope: folders (absolute, or drive paths) the call may touch. */
static bool allowed_by_profile(struct mcp_call *call, const struct drive_path *dp, char *why,
                               size_t whylen)
{
    const cJSON *roots = call ? mcp_call_profile_data(call, "roots") : NULL;
    if (!cJSON_IsArray(roots))
        return true;
    char abs[2 * DRIVE_PATH_MAX];
    snprintf(abs, sizeof abs, "%s%s%s", dp->root->where, dp->rel[0] ? "/" : "", dp->rel);
    const cJSON *r;
    cJSON_ArrayForEach (r, roots) {
        const char *allowed = cJSON_GetStringValue(r);
        if (!allowed)
            continue;
        size_t n = strlen(allowed);
        while (n > 1 && allowed[n - 1] == '/')
            n--;
        const char *mine =
            allowed[0] == '/' && strncmp(dp->root->where, "http", 4) != 0 ? abs : dp->display;
        if (strncmp(mine, allowed, n) == 0 && (mine[n] == '\0' || mine[n] == '/'))
            return true;
    }
    char list[1024] = "";
    size_t used = 0;
    cJSON_ArrayForEach (r, roots)
        if (cJSON_IsString(r) && used < sizeof list)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "",
                                     r->valuestring);
    snprintf(why, whylen, "'%s' is outside what this profile allows; allowed: %s", dp->display,
             list);
    return false;
}

int drive_path_resolve(const struct drive *d, struct mcp_call *call, const char *path,
                       bool want_roots, struct drive_path *out, char *why, size_t whylen)
{
    char roots[1024];
    if (!clean_text(path)) {
        snprintf(why, whylen,
                 "the path holds a control character (such as a newline) or invalid UTF-8");
        return MCP_EINVAL;
    }
    memset(out, 0, sizeof *out);
    /* An absolute path inside a local root's folder: strip the folder. */
    const char *inside = NULL;
    for (size_t i = 0; path[0] == '/' && i < d->nroots && !inside; i++) {
        const char *w = d->roots[i]->where;
        size_t n = strlen(w);
        if (w[0] == '/' && strncmp(path, w, n) == 0 && (path[n] == '\0' || path[n] == '/')) {
            out->root = d->roots[i];
            inside = path + n;
        }
    }
    char norm[DRIVE_PATH_MAX];
    int rc = normalise(inside ? inside : path, norm, sizeof norm, why, whylen);
    if (rc)
        return rc;
    if (!inside) {
        if (!norm[0]) {
            if (want_roots)
                return 0;
            list_roots(d, roots, sizeof roots);
            snprintf(why, whylen, "name a file or folder inside a root: %s", roots);
            return MCP_EINVAL;
        }
        size_t n = strcspn(norm, "/");
        for (size_t i = 0; i < d->nroots && !out->root; i++)
            if (strlen(d->roots[i]->name) == n && strncmp(d->roots[i]->name, norm, n) == 0)
                out->root = d->roots[i];
        if (!out->root) {
            list_roots(d, roots, sizeof roots);
            snprintf(why, whylen, "path is outside the allowed roots: %s; allowed: %s", path,
                     roots);
            return MCP_EACCES;
        }
        memmove(norm, norm + n + (norm[n] == '/'), strlen(norm + n) + 1);
    }
    snprintf(out->rel, sizeof out->rel, "%s", norm);
    if ((size_t)snprintf(out->display, sizeof out->display, "%s%s%s", out->root->name,
                         norm[0] ? "/" : "", norm) >= sizeof out->display) {
        snprintf(why, whylen, "the path is longer than %d bytes", DRIVE_PATH_MAX - 1);
        return MCP_EINVAL;
    }
    if (!allowed_by_profile(call, out, why, whylen))
        return MCP_EACCES;
    return 0;
}

int drive_check_writable(const struct drive *d, struct mcp_call *call, char *why, size_t whylen)
{
    const cJSON *ro = call ? mcp_call_profile_data(call, "read_only") : NULL;
    if (d->read_only || cJSON_IsTrue(ro)) {
        snprintf(why, whylen, "the drive is read-only here (%s); nothing was changed",
                 d->read_only ? "started with --read-only" : "the profile says read_only");
        return MCP_EACCES;
    }
    return 0;
}
