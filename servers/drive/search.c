/* search_files: a depth-first walk over the roots (or one folder), in name order so pages
 * are stable, with progress while it runs and a stop when the call is cancelled. */
#define _GNU_SOURCE /* memmem */
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <mcp/mcp.h>

#include "drive.h"

#define MAX_SCANNED 1000000          /* entries one search looks at */
#define MAX_CONTENT_BYTES (8u << 20) /* of one file, for content_contains */

struct query {
    const char *glob;
    const char *name_contains;
    const char *content;
    const char *type;        /* "file", "folder", "any" */
    long long after, before; /* modified time bounds; LLONG_MIN/MAX when absent */
    long long min_size, max_size;
    bool sized; /* a size bound was given */
    bool hidden;
};

struct walk {
    struct drive *d;
    struct mcp_call *call;
    const struct query *q;
    const char *after; /* the cursor: resume after this path, in walk order; NULL once passed */
    size_t limit;      /* results to keep on this page */
    size_t scanned, kept;
    char last[DRIVE_PATH_MAX];      /* the last entry looked at */
    char last_kept[DRIVE_PATH_MAX]; /* the last result kept */
    cJSON *results;
    bool more; /* a match exists beyond this page */
    int rc;
};

static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return n == 0;
}

/* RFC 3339 date-time (validated by the schema already) to seconds since the epoch. */
static long long parse_time(const char *s)
{
    struct tm tm = {0};
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return 0;
    long long t = (long long)timegm(&tm);
    if (*p == '.')
        while (isdigit((unsigned char)*++p))
            ;
    if (*p == '+' || *p == '-') {
        int hh = 0, mm = 0;
        sscanf(p + 1, "%2d:%2d", &hh, &mm);
        t -= (*p == '+' ? 1 : -1) * (hh * 3600LL + mm * 60LL);
    }
    return t;
}

static bool content_matches(struct walk *w, struct drive_root *root, const char *rel,
                            const struct drive_stat *st)
{
    if (st->size == 0 || st->size > (long long)MAX_CONTENT_BYTES)
        return false;
    struct drive_op op = {.root = root, .call = w->call};
    char *data;
    size_t got;
    struct drive_stat now;
    if (root->ops->read(&op, rel, 0, MAX_CONTENT_BYTES, &data, &got, &now))
        return false;
    bool hit = !memchr(data, 0, got < 8192 ? got : 8192) && /* text files only */
               memmem(data, got, w->q->content, strlen(w->q->content)) != NULL;
    free(data);
    return hit;
}

/* The filters on the name alone: an entry that fails them needs no stat. */
static bool name_matches(const char *name, const void *ctx)
{
    const struct query *q = ctx;
    return (!q->glob || fnmatch(q->glob, name, 0) == 0) &&
           (!q->name_contains || contains_nocase(name, q->name_contains));
}

static bool matches(struct walk *w, struct drive_root *root, const char *rel,
                    const struct drive_dirent *e)
{
    const struct query *q = w->q;
    if (e->st.partial || !name_matches(e->name, q))
        return false;
    if (strcmp(q->type, "file") == 0 && e->st.is_dir)
        return false;
    if (strcmp(q->type, "folder") == 0 && !e->st.is_dir)
        return false;
    if (e->st.mtime < q->after || e->st.mtime > q->before)
        return false;
    if (q->sized && (e->st.is_dir || e->st.size < q->min_size || e->st.size > q->max_size))
        return false; /* folders have no size to compare */
    if (q->content && (e->st.is_dir || !content_matches(w, root, rel, &e->st)))
        return false;
    return true;
}

static void found(struct walk *w, const char *display, const struct drive_dirent *e)
{
    if (w->kept >= w->limit) {
        w->more = true;
        return;
    }
    cJSON *item = drive_entry_json(display, e->name, &e->st);
    if (!item || !cJSON_AddItemToArray(w->results, item)) {
        cJSON_Delete(item);
        w->rc = MCP_ENOMEM;
        return;
    }
    w->kept++;
    snprintf(w->last_kept, sizeof w->last_kept, "%s", display);
}

/* Orders two drive paths as the walk meets them: segment by segment, each by strcmp, a folder
 * before what is inside it. Sets *ancestor when a is a folder that holds b. */
static int walk_order(const char *a, const char *b, bool *ancestor)
{
    *ancestor = false;
    for (;;) {
        size_t na = strcspn(a, "/"), nb = strcspn(b, "/");
        int c = memcmp(a, b, na < nb ? na : nb);
        if (c == 0 && na != nb)
            c = na < nb ? -1 : 1;
        if (c)
            return c;
        if (!a[na] && !b[nb])
            return 0;
        if (!a[na]) {
            *ancestor = true;
            return -1;
        }
        if (!b[nb])
            return 1;
        a += na + 1;
        b += nb + 1;
    }
}

/* Whether the walk, resuming after w->after, still passes over this entry: 0 to look at it,
 * 1 to pass over it and all it holds, 2 to pass over it but walk what it holds. */
static int before_cursor(struct walk *w, const char *display)
{
    if (!w->after)
        return 0;
    bool ancestor;
    int c = walk_order(display, w->after, &ancestor);
    if (c > 0) {
        w->after = NULL; /* past the cursor: everything from here is new */
        return 0;
    }
    if (c == 0)
        w->after = NULL; /* the cursor itself: what it holds comes next */
    return c == 0 || ancestor ? 2 : 1;
}

static void walk_folder(struct walk *w, struct drive_root *root, const char *rel,
                        const char *display, int depth)
{
    if (depth > 64 || w->more || w->rc)
        return;
    if (mcp_call_cancelled(w->call)) {
        w->rc = MCP_ECANCELED;
        return;
    }
    struct drive_op op = {
        .root = root, .call = w->call, .want_stat = name_matches, .want_ctx = w->q};
    struct drive_dirent *v;
    size_t n;
    if (root->ops->list(&op, rel, &v, &n))
        return; /* a folder we may not read is skipped, not fatal */
    drive_sort_entries(v, n, "name", false);
    for (size_t i = 0; i < n && !w->more && !w->rc; i++) {
        const struct drive_dirent *e = &v[i];
        if (drive_name_internal(e->name) || (!w->q->hidden && drive_name_hidden(e->name)))
            continue;
        char crel[DRIVE_PATH_MAX], cdisplay[DRIVE_PATH_MAX];
        if (drive_join(crel, sizeof crel, rel, e->name) ||
            drive_join(cdisplay, sizeof cdisplay, display, e->name))
            continue;
        int pass = before_cursor(w, cdisplay);
        if (pass == 1)
            continue;
        if (!pass) {
            if (w->scanned >= MAX_SCANNED) {
                w->more = true;
                break;
            }
            if (++w->scanned % 2000 == 0)
                mcp_call_progress(w->call, (double)w->scanned, 0, "searching");
            if (matches(w, root, crel, e))
                found(w, cdisplay, e);
            if (w->more)
                break;
            snprintf(w->last, sizeof w->last, "%s", cdisplay);
        }
        if (e->st.is_dir)
            walk_folder(w, root, crel, cdisplay, depth + 1);
    }
    drive_dirents_free(v, n);
}

static const char *str_arg(const cJSON *args, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(args, key));
}

static long long num_arg(const cJSON *args, const char *key, long long fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, key);
    return cJSON_IsNumber(v) ? (long long)v->valuedouble : fallback;
}

int drive_search_files(struct mcp_call *call, const cJSON *args, void *ud)
{
    struct drive *d = ud;
    const char *after = str_arg(args, "modified_after"), *before = str_arg(args, "modified_before");
    struct query q = {
        .glob = str_arg(args, "glob"),
        .name_contains = str_arg(args, "name_contains"),
        .content = str_arg(args, "content_contains"),
        .type = str_arg(args, "type") ? str_arg(args, "type") : "any",
        .after = after ? parse_time(after) : -(1LL << 62),
        .before = before ? parse_time(before) : 1LL << 62,
        .min_size = num_arg(args, "min_size", 0),
        .max_size = num_arg(args, "max_size", 1LL << 62),
        .sized = cJSON_GetObjectItemCaseSensitive(args, "min_size") ||
                 cJSON_GetObjectItemCaseSensitive(args, "max_size"),
        .hidden = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(args, "include_hidden")),
    };
    struct walk w = {.d = d, .call = call, .q = &q, .limit = (size_t)num_arg(args, "limit", 100)};
    /* The cursor names the last path the previous page got to, so a page resumes the walk
     * there instead of walking the tree again from the start. */
    const char *cursor = str_arg(args, "cursor");
    if (cursor && strncmp(cursor, "after:", 6) != 0)
        return mcp_call_error(call,
                              "The cursor '%s' is not one this drive gave out; start "
                              "again without a cursor.",
                              cursor);
    w.after = cursor ? cursor + 6 : NULL;
    struct drive_path dp;
    char why[1024];
    const char *path = str_arg(args, "path") ? str_arg(args, "path") : "";
    if (drive_path_resolve(d, call, path, true, &dp, why, sizeof why))
        return mcp_call_error(call, "%s", why);
    cJSON *out = cJSON_CreateObject();
    if (!out || !(w.results = cJSON_AddArrayToObject(out, "results"))) {
        cJSON_Delete(out);
        return MCP_ENOMEM;
    }
    for (size_t i = 0; i < d->nroots && !w.more && !w.rc; i++) {
        struct drive_path scope = {.root = d->roots[i]};
        snprintf(scope.display, sizeof scope.display, "%s", d->roots[i]->name);
        if (dp.root && dp.root != d->roots[i])
            continue;
        size_t n = strlen(d->roots[i]->name);
        if (w.after &&
            !(strncmp(w.after, d->roots[i]->name, n) == 0 && (w.after[n] == '/' || !w.after[n])))
            continue; /* roots are walked in order: the cursor's comes first */
        if (!dp.root &&
            drive_path_resolve(d, call, d->roots[i]->name, false, &scope, why, sizeof why))
            continue; /* a root the profile does not grant */
        walk_folder(&w, d->roots[i], dp.root ? dp.rel : "", dp.root ? dp.display : scope.display,
                    0);
        w.after = NULL; /* the cursor's root is done: every later root is new */
    }
    if (w.rc) {
        cJSON_Delete(out);
        return w.rc;
    }
    /* Full page: resume after the last result; scan cap reached: after the last entry seen. */
    char next[DRIVE_PATH_MAX + 8];
    snprintf(next, sizeof next, "after:%s", w.kept >= w.limit ? w.last_kept : w.last);
    if (!cJSON_AddNumberToObject(out, "scanned", (double)w.scanned) ||
        (w.more && !cJSON_AddStringToObject(out, "nextCursor", next))) {
        cJSON_Delete(out);
        return MCP_ENOMEM;
    }
    return mcp_call_structured(call, out);
}
