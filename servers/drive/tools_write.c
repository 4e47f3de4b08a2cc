/* The tools that change things: write_file, upload_file, edit_file, create_folder, move,
 * copy. Each checks the server's and the profile's write permission first, and every file
 * write goes through the backend's atomic write. */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <mcp/mcp.h>

#include "drive.h"

static const char *str_arg(const cJSON *args, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(args, key));
}

static bool bool_arg(const cJSON *args, const char *key, bool fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : fallback;
}

/* Checks write permission and resolves args[key]; answers the tool error on failure. */
static int writable_path(struct drive *d, struct mcp_call *call, const char *path,
                         struct drive_path *dp)
{
    char why[1024];
    if (drive_check_writable(d, call, why, sizeof why) ||
        drive_path_resolve(d, call, path ? path : "", false, dp, why, sizeof why))
        return mcp_call_error(call, "%s", why);
    if (!dp->rel[0])
        return mcp_call_error(call, "'%s' is a root; name a file or folder inside it.",
                              dp->display);
    return 0;
}

/* Writes `data` and answers with the new entry and whether it was created. */
static int put(struct drive *d, struct mcp_call *call, const struct drive_path *dp,
               const void *data, size_t len, const cJSON *args)
{
    if (len > d->max_write)
        return mcp_call_error(call,
                              "The content is %zu bytes; this drive takes at most %zu "
                              "per file.",
                              len, d->max_write);
    const char *if_match = str_arg(args, "if_match");
    bool overwrite = bool_arg(args, "overwrite", false) || if_match;
    struct drive_op op = {.root = dp->root, .call = call};
    struct drive_stat before, after;
    bool existed = dp->root->ops->stat(&op, dp->rel, &before) == 0;
    op.why[0] = '\0';
    int rc = dp->root->ops->write(&op, dp->rel, data, len, if_match, !overwrite, &after);
    if (rc == MCP_EEXIST)
        return mcp_call_error(call,
                              "'%s' already exists. Pass overwrite: true to replace it "
                              "(or if_match with its ETag to replace only the version "
                              "you read).",
                              dp->display);
    if (rc)
        return drive_fail(call, rc, &op, "write", dp->display);
    cJSON *e = drive_entry_json(dp->display, strrchr(dp->display, '/') + 1, &after);
    if (!e || !cJSON_AddBoolToObject(e, "created", !existed)) {
        cJSON_Delete(e);
        return MCP_ENOMEM;
    }
    return mcp_call_structured(call, e);
}

int drive_write_file(struct mcp_call *call, const cJSON *args, void *ud)
{
    struct drive *d = ud;
    struct drive_path dp;
    if (writable_path(d, call, str_arg(args, "path"), &dp))
        return MCP_EINVAL;
    const char *content = str_arg(args, "content");
    return put(d, call, &dp, content, strlen(content), args);
}

/* Reads a whole file named by a drive:/// URI (or a drive path) for upload_file. */
static int read_source(struct drive *d, struct mcp_call *call, const char *uri, char **data,
                       size_t *len)
{
    const char *path = strncmp(uri, "drive:///", 9) == 0 ? uri + 9 : uri;
    char decoded[DRIVE_PATH_MAX], why[1024];
    if (drive_percent_decode(path, decoded, sizeof decoded))
        return mcp_call_error(call, "'%s' is not a drive:/// URI this drive can read.", uri);
    struct drive_path src;
    if (drive_path_resolve(d, call, decoded, false, &src, why, sizeof why))
        return mcp_call_error(call, "%s", why);
    struct drive_op op = {.root = src.root, .call = call};
    struct drive_stat st;
    int rc = src.root->ops->stat(&op, src.rel, &st);
    if (!rc && st.size > (long long)d->max_write)
        return mcp_call_error(call, "'%s' is larger than %zu bytes.", src.display, d->max_write);
    if (!rc)
        rc = src.root->ops->read(&op, src.rel, 0, (size_t)st.size, data, len, &st);
    return rc ? drive_fail(call, rc, &op, "read", src.display) : 0;
}

int drive_upload_file(struct mcp_call *call, const cJSON *args, void *ud)
{
    struct drive *d = ud;
    struct drive_path dp;
    if (writable_path(d, call, str_arg(args, "path"), &dp))
        return MCP_EINVAL;
    const char *b64 = str_arg(args, "data_base64");
    char *data = NULL;
    size_t len = 0;
    if (b64) {
        size_t n = strlen(b64);
        if (n % 4)
            return mcp_call_error(call, "data_base64 is not padded base64 (its length is not "
                                        "a multiple of 4).");
        unsigned char *bytes;
        int rc = mcp_base64_decode(b64, n, &bytes, &len);
        if (rc == MCP_EINVAL)
            return mcp_call_error(call, "data_base64 is not valid base64.");
        if (rc)
            return rc;
        data = (char *)bytes;
    } else if (read_source(d, call, str_arg(args, "from_uri"), &data, &len)) {
        return MCP_EINVAL;
    }
    int rc = put(d, call, &dp, data, len, args);
    free(data);
    return rc;
}

/* Counts the occurrences of `needle` in `hay` (at most 2 matter). */
static int occurrences(const char *hay, const char *needle, const char **first)
{
    int n = 0;
    *first = strstr(hay, needle);
    for (const char *p = *first; p && n < 2; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Appends the whole lines around [at, at+len) of `text`, each prefixed by `mark`. */
static int diff_lines(cJSON *unused, char **diff, size_t *dlen, char mark, const char *text,
                      size_t at, size_t len)
{
    (void)unused;
    size_t start = at, end = at + len;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    while (text[end] && text[end] != '\n')
        end++;
    for (size_t i = start; i <= end;) {
        size_t j = i;
        while (j < end && text[j] != '\n')
            j++;
        size_t need = *dlen + (j - i) + 3;
        char *nd = realloc(*diff, need + 1);
        if (!nd)
            return MCP_ENOMEM;
        *diff = nd;
        (*diff)[(*dlen)++] = mark;
        memcpy(*diff + *dlen, text + i, j - i);
        *dlen += j - i;
        (*diff)[(*dlen)++] = '\n';
        (*diff)[*dlen] = '\0';
        i = j + 1;
        if (j >= end)
            break;
    }
    return 0;
}

/* Applies every edit to `text` in turn (taken, replaced by the result), collecting a diff of
 * the changed lines. Answers the tool error and returns MCP_EINVAL when an edit does not
 * apply. */
static int apply_edits(struct mcp_call *call, const cJSON *edits, char **text, char **diff)
{
    size_t dlen = 0;
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach (e, edits) {
        i++;
        const char *old = str_arg(e, "old_text"), *new = str_arg(e, "new_text");
        const char *at;
        int n = occurrences(*text, old, &at);
        if (n != 1)
            return mcp_call_error(call,
                                  "Edit %d: old_text occurs %s in the file; it must occur "
                                  "exactly once. %s",
                                  i, n ? "more than once" : "nowhere",
                                  n ? "Include more surrounding text to make it unique."
                                    : "Read the file again and copy the text exactly.");
        size_t off = (size_t)(at - *text), olen = strlen(old), nlen = strlen(new);
        size_t tlen = strlen(*text);
        char *next = malloc(tlen - olen + nlen + 1);
        if (!next)
            return MCP_ENOMEM;
        memcpy(next, *text, off);
        memcpy(next + off, new, nlen);
        memcpy(next + off + nlen, *text + off + olen, tlen - off - olen + 1);
        char head[64];
        snprintf(head, sizeof head, "@@ edit %d @@\n", i);
        size_t hl = strlen(head);
        char *nd = realloc(*diff, dlen + hl + 1);
        if (!nd) {
            free(next);
            return MCP_ENOMEM;
        }
        *diff = nd;
        memcpy(*diff + dlen, head, hl + 1);
        dlen += hl;
        if (diff_lines(NULL, diff, &dlen, '-', *text, off, olen) ||
            diff_lines(NULL, diff, &dlen, '+', next, off, nlen)) {
            free(next);
            return MCP_ENOMEM;
        }
        free(*text);
        *text = next;
    }
    return 0;
}

int drive_edit_file(struct mcp_call *call, const cJSON *args, void *ud)
{
    struct drive *d = ud;
    struct drive_path dp;
    bool dry = bool_arg(args, "dry_run", false);
    char why[1024];
    if (dry ? drive_path_resolve(d, call, str_arg(args, "path"), false, &dp, why, sizeof why) &&
                  mcp_call_error(call, "%s", why)
            : writable_path(d, call, str_arg(args, "path"), &dp))
        return MCP_EINVAL;
    struct drive_op op = {.root = dp.root, .call = call};
    struct drive_stat st;
    int rc = dp.root->ops->stat(&op, dp.rel, &st);
    if (!rc && (st.is_dir || st.size > (long long)d->max_write))
        return mcp_call_error(call, "'%s' is %s; edit_file works on text files up to %zu bytes.",
                              dp.display, st.is_dir ? "a folder" : "too large", d->max_write);
    char *text = NULL, *diff = NULL;
    size_t len;
    if (!rc)
        rc = dp.root->ops->read(&op, dp.rel, 0, (size_t)st.size, &text, &len, &st);
    if (rc)
        return drive_fail(call, rc, &op, "read", dp.display);
    const char *if_match = str_arg(args, "if_match");
    if (memchr(text, 0, len)) {
        rc = mcp_call_error(call, "'%s' is not a text file.", dp.display);
    } else if (if_match && strcmp(if_match, st.etag) != 0) {
        rc = mcp_call_error(call, "'%s' changed since ETag %s; read it again.", dp.display,
                            if_match);
    } else if (!(rc = apply_edits(call, cJSON_GetObjectItemCaseSensitive(args, "edits"), &text,
                                  &diff))) {
        struct drive_stat after = st;
        /* Replace only the version the edits were made against. */
        if (!dry &&
            (rc = dp.root->ops->write(&op, dp.rel, text, strlen(text), st.etag, false, &after)))
            rc = drive_fail(call, rc, &op, "write", dp.display);
        cJSON *out = rc ? NULL : cJSON_CreateObject();
        if (!rc && (!out || !cJSON_AddStringToObject(out, "path", dp.display) ||
                    !cJSON_AddStringToObject(out, "diff", diff ? diff : "") ||
                    !cJSON_AddBoolToObject(out, "applied", !dry) ||
                    (after.etag[0] && !cJSON_AddStringToObject(out, "etag", after.etag)))) {
            cJSON_Delete(out);
            rc = MCP_ENOMEM;
        } else if (!rc) {
            rc = mcp_call_structured(call, out);
        }
    }
    free(text);
    free(diff);
    return rc;
}

int drive_create_folder(struct mcp_call *call, const cJSON *args, void *ud)
{
    struct drive *d = ud;
    struct drive_path dp;
    if (writable_path(d, call, str_arg(args, "path"), &dp))
        return MCP_EINVAL;
    bool parents = bool_arg(args, "parents", true);
    struct drive_op op = {.root = dp.root, .call = call};
    bool created = false;
    int rc = 0;
    /* Walk the segments, making each missing one (only the last without `parents`). */
    for (char *slash = dp.rel;; slash++) {
        slash = strchr(slash, '/');
        if (slash)
            *slash = '\0';
        struct drive_stat st;
        int exists = dp.root->ops->stat(&op, dp.rel, &st);
        if (exists == 0 && !st.is_dir) {
            op.why[0] = '\0';
            rc = mcp_call_error(call, "'%s/%s' is a file, so no folder can be made there.",
                                dp.root->name, dp.rel);
            break;
        }
        if (exists == MCP_ENOENT && (parents || !slash)) {
            op.why[0] = '\0';
            if ((rc = dp.root->ops->mkdir(&op, dp.rel))) {
                rc = drive_fail(call, rc, &op, "create the folder", dp.display);
                break;
            }
            created = true;
        } else if (exists) {
            rc = drive_fail(call, exists, &op, "create the folder", dp.display);
            break;
        }
        if (!slash)
            break;
        *slash = '/';
    }
    if (rc)
        return rc;
    cJSON *out = cJSON_CreateObject();
    if (!out || !cJSON_AddStringToObject(out, "path", dp.display) ||
        !cJSON_AddBoolToObject(out, "created", created)) {
        cJSON_Delete(out);
        return MCP_ENOMEM;
    }
    return mcp_call_structured(call, out);
}

/* Copies between roots (different backends): files by reading and writing, folders entry by
 * entry. */
static int copy_across(struct mcp_call *call, struct drive *d, struct drive_root *fr,
                       const char *from, struct drive_root *tr, const char *to, bool overwrite,
                       struct drive_op *op, int depth)
{
    struct drive_stat st;
    op->root = fr;
    int rc = fr->ops->stat(op, from, &st);
    if (rc || depth > 64)
        return rc ? rc : MCP_E2BIG;
    if (mcp_call_cancelled(call))
        return MCP_ECANCELED;
    if (!st.is_dir) {
        if (st.size > (long long)d->max_write)
            return MCP_E2BIG;
        char *data;
        size_t len;
        if ((rc = fr->ops->read(op, from, 0, (size_t)st.size, &data, &len, &st)))
            return rc;
        op->root = tr;
        rc = tr->ops->write(op, to, data, len, NULL, !overwrite, &st);
        free(data);
        return rc;
    }
    op->root = tr;
    rc = tr->ops->mkdir(op, to);
    if (rc && !(rc == MCP_EEXIST && overwrite))
        return rc;
    struct drive_dirent *v;
    size_t n;
    op->root = fr;
    if ((rc = fr->ops->list(op, from, &v, &n)))
        return rc;
    for (size_t i = 0; i < n && !rc; i++) {
        if (drive_name_internal(v[i].name))
            continue;
        char f[DRIVE_PATH_MAX], t[DRIVE_PATH_MAX];
        if (drive_join(f, sizeof f, from, v[i].name) || drive_join(t, sizeof t, to, v[i].name))
            rc = MCP_E2BIG;
        else
            rc = copy_across(call, d, fr, f, tr, t, overwrite, op, depth + 1);
        mcp_call_progress(call, (double)(i + 1), (double)n, v[i].name);
    }
    drive_dirents_free(v, n);
    return rc;
}

static int transfer(struct mcp_call *call, const cJSON *args, struct drive *d, bool move)
{
    struct drive_path from, to;
    if (writable_path(d, call, str_arg(args, "from"), &from) ||
        writable_path(d, call, str_arg(args, "to"), &to))
        return MCP_EINVAL;
    bool overwrite = bool_arg(args, "overwrite", false);
    const char *verb = move ? "move" : "copy";
    if (from.root == to.root &&
        (strcmp(from.rel, to.rel) == 0 ||
         (strncmp(to.rel, from.rel, strlen(from.rel)) == 0 && to.rel[strlen(from.rel)] == '/')))
        return mcp_call_error(call, "Cannot %s '%s' onto or into itself.", verb, from.display);
    struct drive_op op = {.root = from.root, .call = call};
    struct drive_stat st;
    int rc = from.root->ops->stat(&op, from.rel, &st);
    if (rc)
        return drive_fail(call, rc, &op, verb, from.display);
    if (from.root == to.root)
        rc = move ? from.root->ops->move(&op, from.rel, to.rel, overwrite)
                  : from.root->ops->copy(&op, from.rel, to.rel, overwrite);
    else if (!(rc =
                   copy_across(call, d, from.root, from.rel, to.root, to.rel, overwrite, &op, 0)) &&
             move) {
        op.root = from.root;
        rc = from.root->ops->remove(&op, from.rel);
    }
    if (rc == MCP_EEXIST)
        return mcp_call_error(call,
                              "'%s' already exists. Pass overwrite: true to replace it, "
                              "or choose another name.",
                              to.display);
    if (rc)
        return drive_fail(call, rc, &op, verb, to.display);
    cJSON *out = cJSON_CreateObject();
    if (!out || !cJSON_AddStringToObject(out, "from", from.display) ||
        !cJSON_AddStringToObject(out, "to", to.display)) {
        cJSON_Delete(out);
        return MCP_ENOMEM;
    }
    return mcp_call_structured(call, out);
}

int drive_move(struct mcp_call *call, const cJSON *args, void *ud)
{
    return transfer(call, args, ud, true);
}

int drive_copy(struct mcp_call *call, const cJSON *args, void *ud)
{
    return transfer(call, args, ud, false);
}
