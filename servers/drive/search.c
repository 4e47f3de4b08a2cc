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
#define GLOB_PIECES 16               /* star-separated pieces matched without fnmatch */

struct query {
    const char *glob;
    /* A glob of literal bytes and '*' alone, split at the stars: matched without fnmatch. */
    struct {
        size_t n; /* pieces; 0 when the glob needs fnmatch */
        const char *piece[GLOB_PIECES];
        size_t len[GLOB_PIECES];
    } stars;
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

/* Splits a glob of literal bytes and '*' alone ("*report*", "*.pdf": the usual ones) into
 * the pieces between its stars. Leaves n at 0 for anything else (?, [...], \, too many
 * stars), which fnmatch then matches. */
static void split_stars(struct query *q)
{
    const char *p = q->glob;
    if (!p || strpbrk(p, "?[\\"))
        return;
    for (size_t n = 0; n < GLOB_PIECES; n++) {
        const char *star = strchr(p, '*');
        q->stars.piece[n] = p;
        q->stars.len[n] = star ? (size_t)(star - p) : strlen(p);
        if (!star) {
            q->stars.n = n + 1;
            return;
        }
        p = star + 1;
    }
}

/* Where `needle` (m > 0 bytes) first occurs in the n bytes at hay, or NULL. Names are short:
 * a plain scan beats memmem's set-up. */
static const char *find(const char *hay, size_t n, const char *needle, size_t m)
{
    for (size_t i = 0; i + m <= n; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, m) == 0)
            return hay + i;
    return NULL;
}

/* fnmatch(glob, name, 0) for a glob split by split_stars: the first and last pieces must
 * start and end the name, and the ones between occur in order (leftmost is always best).
 * The drive never calls setlocale, so fnmatch compares bytes too. */
static bool stars_match(const struct query *q, const char *name)
{
    size_t rest = strlen(name), last = q->stars.n - 1;
    if (last == 0)
        return rest == q->stars.len[0] && memcmp(name, q->stars.piece[0], rest) == 0;
    size_t n = q->stars.len[0];
    if (rest < n || memcmp(name, q->stars.piece[0], n) != 0)
        return false;
    name += n;
    rest -= n;
    for (size_t i = 1; i < last; i++) {
        n = q->stars.len[i];
        if (!n)
            continue;
        const char *hit = find(name, rest, q->stars.piece[i], n);
        if (!hit)
            return false;
        rest -= (size_t)(hit - name) + n;
        name = hit + n;
    }
    n = q->stars.len[last];
    return rest >= n && memcmp(name + rest - n, q->stars.piece[last], n) == 0;
}

/* The filters on the name alone: an entry that fails them needs no stat. */
static bool name_matches(const char *name, const void *ctx)
{
    const struct query *q = ctx;
    if (q->glob && !(q->stars.n ? stars_match(q, name) : fnmatch(q->glob, name, 0) == 0))
        return false;
    return !q->name_contains || contains_nocase(name, q->name_contains);
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

/* Copies a drive path that fits DRIVE_PATH_MAX (drive_join checked it): runs on every entry,
 * so a plain copy rather than snprintf. */
static void keep_path(char *dst, const char *src)
{
    size_t n = strnlen(src, DRIVE_PATH_MAX - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
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
    keep_path(w->last_kept, display);
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

static int by_name(const void *a, const void *b)
{
    const struct drive_dirent *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

/* Names the walk leaves out altogether, uncounted. */
static bool left_out(const struct walk *w, const char *name)
{
    return drive_name_internal(name) || (!w->q->hidden && drive_name_hidden(name));
}

/* Counts k more entries looked at, with progress every 2,000. */
static void count_scanned(struct walk *w, size_t k)
{
    size_t before = w->scanned;
    w->scanned += k;
    for (size_t at = (before / 2000 + 1) * 2000; at <= w->scanned; at += 2000)
        mcp_call_progress(w->call, (double)at, 0, "searching");
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
    const struct drive_dirent **order = malloc((n ? n : 1) * sizeof *order);
    if (!order) {
        drive_dirents_free(v, n);
        w->rc = MCP_ENOMEM;
        return;
    }
    /* Files whose names fail the filters (partial: not even stat'ed) can neither match nor
     * hold anything, so they are counted as looked at and only the rest is sorted and walked:
     * a search by name sorts a tenth of each folder. Not in a folder on the way to the
     * cursor, where every entry is passed over in order, nor when counting them would reach
     * the scan cap, whose cursor must name an entry the walk got to. */
    size_t m = 0, others = 0;
    for (size_t i = 0; i < n; i++) {
        if (!w->after && v[i].st.partial && !v[i].st.is_dir)
            others += !left_out(w, v[i].name);
        else
            order[m++] = &v[i];
    }
    if (others && w->scanned + others >= MAX_SCANNED) {
        for (size_t i = m = 0; i < n; i++)
            order[m++] = &v[i];
        others = 0;
    }
    count_scanned(w, others);
    /* In name order; sorting pointers moves 8 bytes per step where the entries are 140. */
    qsort(order, m, sizeof *order, by_name);
    for (size_t i = 0; i < m && !w->more && !w->rc; i++) {
        const struct drive_dirent *e = order[i];
        if (left_out(w, e->name))
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
            count_scanned(w, 1);
            if (matches(w, root, crel, e))
                found(w, cdisplay, e);
            if (w->more)
                break;
            keep_path(w->last, cdisplay);
        }
        if (e->st.is_dir)
            walk_folder(w, root, crel, cdisplay, depth + 1);
    }
    free(order);
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
    split_stars(&q);
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
