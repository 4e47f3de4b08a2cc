/* The tools that look: list_folder, get_file_info, read_file, and drive:/// resources. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <mcp/mcp.h>

#include "drive.h"
#include "extract.h"

static const char *str_arg(const cJSON *args, const char *key, const char *fallback)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(args, key));
    return s ? s : fallback;
}

static long long int_arg(const cJSON *args, const char *key, long long fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, key);
    return cJSON_IsNumber(v) ? (long long)v->valuedouble : fallback;
}

static bool bool_arg(const cJSON *args, const char *key, bool fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : fallback;
}

/* Resolves args[key] or answers the tool error; returns 0 when resolved. */
static int resolve(struct drive *d, struct mcp_call *call, const char *path, bool want_roots,
                   struct drive_path *dp)
{
    char why[1024];
    int rc = drive_path_resolve(d, call, path, want_roots, dp, why, sizeof why);
    return rc ? mcp_call_error(call, "%s", why) : 0;
}

/* --- list_folder */

/* One comparator per key, chosen once per sort: a search sorts every folder it walks. */
static int compare_names(const void *a, const void *b)
{
    const struct drive_dirent *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static int compare_modified(const void *a, const void *b)
{
    const struct drive_dirent *x = a, *y = b;
    int c = (x->st.mtime > y->st.mtime) - (x->st.mtime < y->st.mtime);
    return c ? c : strcmp(x->name, y->name);
}

static int compare_sizes(const void *a, const void *b)
{
    const struct drive_dirent *x = a, *y = b;
    int c = (x->st.size > y->st.size) - (x->st.size < y->st.size);
    return c ? c : strcmp(x->name, y->name);
}

void drive_sort_entries(struct drive_dirent *v, size_t n, const char *key, bool descending)
{
    int (*compare)(const void *, const void *) = strcmp(key, "modified") == 0 ? compare_modified
                                                 : strcmp(key, "size") == 0   ? compare_sizes
                                                                              : compare_names;
    qsort(v, n, sizeof *v, compare);
    for (size_t i = 0; descending && i < n / 2; i++) {
        struct drive_dirent t = v[i];
        v[i] = v[n - 1 - i];
        v[n - 1 - i] = t;
    }
}

/* Cursors are the offset of the next entry, as decimal text; anything else is refused. */
int drive_parse_cursor(struct mcp_call *call, const cJSON *args, size_t *offset)
{
    const char *c = str_arg(args, "cursor", NULL);
    *offset = 0;
    if (!c)
        return 0;
    char *end;
    unsigned long long v = strtoull(c, &end, 10);
    if (!*c || *end || v > 100000000ull)
        return mcp_call_error(call,
                              "The cursor '%s' is not one this drive gave out; start "
                              "again without a cursor.",
                              c);
    *offset = (size_t)v;
    return 0;
}

static int list_roots(struct drive *d, struct mcp_call *call)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *entries = cJSON_AddArrayToObject(out, "entries");
    if (!out || !entries || !cJSON_AddStringToObject(out, "path", ""))
        goto oom;
    for (size_t i = 0; i < d->nroots; i++) {
        struct drive_op op = {.root = d->roots[i], .call = call};
        struct drive_stat st = {.is_dir = true};
        d->roots[i]->ops->stat(&op, "", &st);
        cJSON *e = drive_entry_json(d->roots[i]->name, d->roots[i]->name, &st);
        if (!e || !cJSON_AddItemToArray(entries, e)) {
            cJSON_Delete(e);
            goto oom;
        }
    }
    if (!cJSON_AddNumberToObject(out, "total", (double)d->nroots))
        goto oom;
    return mcp_call_structured(call, out);
oom:
    cJSON_Delete(out);
    return MCP_ENOMEM;
}

int drive_list_folder(struct mcp_call *call, const cJSON *args, void *ud)
{
    struct drive *d = ud;
    struct drive_path dp;
    size_t skip;
    if (resolve(d, call, str_arg(args, "path", ""), true, &dp) ||
        drive_parse_cursor(call, args, &skip))
        return MCP_EINVAL;
    if (!dp.root)
        return list_roots(d, call);
    bool hidden = bool_arg(args, "include_hidden", false);
    size_t limit = (size_t)int_arg(args, "limit", 200);
    struct drive_op op = {.root = dp.root, .call = call};
    struct drive_dirent *v;
    size_t n;
    int rc = dp.root->ops->list(&op, dp.rel, &v, &n);
    if (rc)
        return drive_fail(call, rc, &op, "list", dp.display);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) /* the names stay in v's allocation */
        if (!drive_name_internal(v[i].name) && (hidden || !drive_name_hidden(v[i].name)))
            v[kept++] = v[i];
    drive_sort_entries(v, kept, str_arg(args, "sort", "name"), bool_arg(args, "descending", false));
    cJSON *out = cJSON_CreateObject();
    cJSON *entries = cJSON_AddArrayToObject(out, "entries");
    rc = out && entries && cJSON_AddStringToObject(out, "path", dp.display) &&
                 cJSON_AddNumberToObject(out, "total", (double)kept)
             ? 0
             : MCP_ENOMEM;
    for (size_t i = skip; !rc && i < kept && i < skip + limit; i++) {
        char child[DRIVE_PATH_MAX];
        if (drive_join(child, sizeof child, dp.display, v[i].name))
            continue; /* too long to name: cannot be used anyway */
        cJSON *e = drive_entry_json(child, v[i].name, &v[i].st);
        if (!e || !cJSON_AddItemToArray(entries, e)) {
            cJSON_Delete(e);
            rc = MCP_ENOMEM;
        }
    }
    if (!rc && skip + limit < kept) {
        char next[32];
        snprintf(next, sizeof next, "%zu", skip + limit);
        rc = cJSON_AddStringToObject(out, "nextCursor", next) ? 0 : MCP_ENOMEM;
    }
    drive_dirents_free(v, kept);
    if (rc) {
        cJSON_Delete(out);
        return rc;
    }
    return mcp_call_structured(call, out);
}

/* --- get_file_info */

/* drive:/// URIs percent-encode everything but unreserved characters and '/'. */
int drive_uri(const char *display, char *out, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t used = (size_t)snprintf(out, len, "drive:///");
    for (const unsigned char *p = (const unsigned char *)display; *p; p++) {
        bool keep = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                    (*p >= '0' && *p <= '9') || strchr("-._~/", *p);
        if (used + 4 >= len)
            return MCP_E2BIG;
        if (keep) {
            out[used++] = (char)*p;
        } else {
            out[used++] = '%';
            out[used++] = hex[*p >> 4];
            out[used++] = hex[*p & 15];
        }
    }
    out[used] = '\0';
    return 0;
}

int drive_get_file_info(struct mcp_call *call, const cJSON *args, void *ud)
{
    struct drive *d = ud;
    struct drive_path dp;
    if (resolve(d, call, str_arg(args, "path", ""), false, &dp))
        return MCP_EINVAL;
    struct drive_op op = {.root = dp.root, .call = call};
    struct drive_stat st;
    int rc = dp.root->ops->stat(&op, dp.rel, &st);
    if (rc)
        return drive_fail(call, rc, &op, "look up", dp.display);
    const char *name = strrchr(dp.display, '/');
    name = name ? name + 1 : dp.display;
    char uri[3 * DRIVE_PATH_MAX];
    cJSON *e = drive_entry_json(dp.display, name, &st);
    if (!e || drive_uri(dp.display, uri, sizeof uri) ||
        (!st.is_dir && !cJSON_AddStringToObject(e, "mime_type", drive_mime_type(name))) ||
        !cJSON_AddStringToObject(e, "uri", uri)) {
        cJSON_Delete(e);
        return MCP_ENOMEM;
    }
    return mcp_call_structured(call, e);
}

/* --- read_file */

static bool utf8_continuation(unsigned char c)
{
    return (c & 0xc0) == 0x80;
}

/* True when `data` reads as text: no NUL, and valid UTF-8 except perhaps a character cut
 * at either end of the range. */
static bool looks_like_text(const char *data, size_t len)
{
    if (memchr(data, 0, len))
        return false;
    const unsigned char *p = (const unsigned char *)data, *end = p + len;
    while (p < end && utf8_continuation(*p))
        p++;
    while (p < end) {
        int n = *p < 0x80             ? 0
                : (*p & 0xe0) == 0xc0 ? 1
                : (*p & 0xf0) == 0xe0 ? 2
                : (*p & 0xf8) == 0xf0 ? 3
                                      : -1;
        if (n < 0)
            return false;
        if (p + n >= end)
            return true; /* cut at the end of the range */
        for (int i = 1; i <= n; i++)
            if (!utf8_continuation(p[i]))
                return false;
        p += n + 1;
    }
    return true;
}

/* read_file's structuredContent: which bytes came back and how many remain. */
static int read_result(struct mcp_call *call, const struct drive_path *dp, const char *mime,
                       const char *encoding, long long offset, long long length,
                       long long remaining, const struct drive_stat *st)
{
    cJSON *out = cJSON_CreateObject();
    if (!out || !cJSON_AddStringToObject(out, "path", dp->display) ||
        !cJSON_AddStringToObject(out, "mime_type", mime) ||
        !cJSON_AddStringToObject(out, "encoding", encoding) ||
        !cJSON_AddNumberToObject(out, "offset", (double)offset) ||
        !cJSON_AddNumberToObject(out, "length", (double)length) ||
        !cJSON_AddNumberToObject(out, "remaining", (double)remaining) ||
        !cJSON_AddNumberToObject(out, "size", (double)st->size) ||
        (st->etag[0] && !cJSON_AddStringToObject(out, "etag", st->etag))) {
        cJSON_Delete(out);
        return MCP_ENOMEM;
    }
    return mcp_call_structured(call, out);
}

static int read_text(struct mcp_call *call, const struct drive_path *dp, const char *mime,
                     long long offset, char *data, size_t got, const struct drive_stat *st)
{
    /* Give back whole characters only: drop a partial one at the start and the end. */
    size_t start = 0;
    while (start < got && utf8_continuation((unsigned char)data[start]))
        start++;
    size_t end = got;
    if (offset + (long long)got < st->size) {
        size_t k = end;
        while (k > start && utf8_continuation((unsigned char)data[k - 1]))
            k--;
        if (k > start) {
            unsigned char lead = (unsigned char)data[k - 1];
            size_t need = lead < 0x80             ? 1
                          : (lead & 0xe0) == 0xc0 ? 2
                          : (lead & 0xf0) == 0xe0 ? 3
                                                  : 4;
            if (end - (k - 1) < need)
                end = k - 1;
        }
    }
    long long from = offset + (long long)start;
    long long upto = offset + (long long)end;
    long long remaining = st->size > upto ? st->size - upto : 0;
    data[end] = '\0';
    int rc = mcp_call_text(call, "%s", data + start);
    if (!rc && remaining > 0)
        rc = mcp_call_text(call, "[%lld more bytes; read_file again with offset %lld to continue]",
                           remaining, upto);
    return rc ? rc : read_result(call, dp, mime, "text", from, upto - from, remaining, st);
}

static int read_binary(struct mcp_call *call, const struct drive_path *dp, const char *mime,
                       long long offset, const char *data, size_t got, const struct drive_stat *st)
{
    char uri[3 * DRIVE_PATH_MAX];
    if (drive_uri(dp->display, uri, sizeof uri))
        return MCP_E2BIG;
    long long remaining = st->size - offset - (long long)got;
    if (remaining < 0)
        remaining = 0;
    int rc = mcp_call_add_content(call, mcp_content_resource_blob(uri, mime, data, got));
    if (!rc && remaining > 0)
        rc = mcp_call_text(call, "[bytes %lld-%lld of %lld; %lld more bytes from offset %lld]",
                           offset, offset + (long long)got, st->size, remaining,
                           offset + (long long)got);
    return rc ? rc : read_result(call, dp, mime, "base64", offset, (long long)got, remaining, st);
}

static int read_extracted(struct mcp_call *call, struct drive *d, const struct drive_path *dp,
                          const char *mime, long long offset, size_t length,
                          const struct drive_stat *st)
{
    if (st->size > (long long)d->max_read * 4)
        return mcp_call_error(call,
                              "'%s' is %lld bytes, too large to extract text from here (limit "
                              "%zu); pass extract_text: false to read its bytes",
                              dp->display, st->size, d->max_read * 4);
    struct drive_op op = {.root = dp->root, .call = call};
    char *raw;
    size_t got;
    struct drive_stat now;
    int rc = dp->root->ops->read(&op, dp->rel, 0, (size_t)st->size, &raw, &got, &now);
    if (rc)
        return drive_fail(call, rc, &op, "read", dp->display);
    char *text = NULL;
    size_t tlen = 0;
    char why[512] = "";
    rc = drive_extract_text(mime, raw, got, &text, &tlen, why, sizeof why);
    free(raw);
    if (rc == MCP_ECANCELED)
        return rc;
    if (rc)
        return mcp_call_error(call,
                              "Could not extract text from '%s': %s. Pass extract_text: "
                              "false to read its bytes.",
                              dp->display, why[0] ? why : mcp_strerror(rc));
    size_t from = offset < (long long)tlen ? (size_t)offset : tlen;
    size_t n = tlen - from < length ? tlen - from : length;
    struct drive_stat pseudo = now;
    pseudo.size = (long long)tlen; /* offsets count in the extracted text */
    rc = read_text(call, dp, mime, (long long)from, text + from, n, &pseudo);
    free(text);
    if (!rc)
        rc = mcp_call_text(call, "(text extracted from %s, %lld bytes)", mime, now.size);
    return rc;
}

int drive_read_file(struct mcp_call *call, const cJSON *args, void *ud)
{
    struct drive *d = ud;
    struct drive_path dp;
    if (resolve(d, call, str_arg(args, "path", ""), false, &dp))
        return MCP_EINVAL;
    long long offset = int_arg(args, "offset", 0);
    size_t length = (size_t)int_arg(args, "length", 65536);
    if (length > d->max_read)
        length = d->max_read;
    struct drive_op op = {.root = dp.root, .call = call};
    struct drive_stat st;
    int rc = dp.root->ops->stat(&op, dp.rel, &st);
    if (rc)
        return drive_fail(call, rc, &op, "read", dp.display);
    if (st.is_dir)
        return mcp_call_error(call, "'%s' is a folder; use list_folder to see what is in it.",
                              dp.display);
    const char *name = strrchr(dp.display, '/') + 1;
    const char *mime = drive_mime_type(name);
    if (bool_arg(args, "extract_text", true) && drive_extract_supported(mime))
        return read_extracted(call, d, &dp, mime, offset, length, &st);
    char *data;
    size_t got;
    rc = dp.root->ops->read(&op, dp.rel, offset, length, &data, &got, &st);
    if (rc)
        return drive_fail(call, rc, &op, "read", dp.display);
    bool unknown = strcmp(mime, "application/octet-stream") == 0;
    /* A .txt in Latin-1 is not UTF-8 text: its bytes are the honest answer. */
    bool text = (unknown || drive_mime_is_text(mime)) && looks_like_text(data, got);
    rc = text ? read_text(call, &dp, unknown ? "text/plain" : mime, offset, data, got, &st)
              : read_binary(call, &dp, mime, offset, data, got, &st);
    free(data);
    return rc;
}

/* --- resources/read of drive:///<path> */

int drive_read_resource(struct mcp_call *call, const char *uri, const cJSON *vars, void *ud)
{
    struct drive *d = ud;
    char path[DRIVE_PATH_MAX], why[1024];
    struct drive_path dp;
    if (drive_percent_decode(str_arg(vars, "path", ""), path, sizeof path) ||
        drive_path_resolve(d, call, path, false, &dp, why, sizeof why))
        return MCP_ENOENT;
    struct drive_op op = {.root = dp.root, .call = call};
    struct drive_stat st;
    int rc = dp.root->ops->stat(&op, dp.rel, &st);
    if (rc || st.is_dir)
        return MCP_ENOENT;
    if (st.size > (long long)d->max_read)
        return MCP_E2BIG; /* read it in ranges with read_file */
    char *data;
    size_t got;
    if ((rc = dp.root->ops->read(&op, dp.rel, 0, d->max_read, &data, &got, &st)))
        return rc;
    const char *mime = drive_mime_type(strrchr(dp.display, '/') + 1);
    if (drive_mime_is_text(mime) && looks_like_text(data, got))
        rc = mcp_call_contents_text(call, uri, mime, data);
    else
        rc = mcp_call_contents_blob(call, uri, mime, data, got);
    free(data);
    return rc;
}
