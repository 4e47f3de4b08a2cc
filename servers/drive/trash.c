/* delete, list_trash, restore. Deleting moves the item into its root's .mcp-trash/<id>/item
 * with its original path in .mcp-trash/<id>/origin, through the same backend operations as
 * everything else, so the trash works alike on every backend and survives restarts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <mcp/mcp.h>

#include "drive.h"

static const char *str_arg(const cJSON *args, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(args, key));
}

static bool purge_allowed(const struct mcp_call *call)
{
    return cJSON_IsTrue(mcp_call_profile_data(call, "allow_purge"));
}

/* Ids are "<UTC time>-<random hex>", e.g. 20261123T114500Z-3f9a0c1d: they sort by time. */
static int new_id(char *id, size_t len)
{
    unsigned char r[4];
    if (drive_random(r, sizeof r))
        return MCP_EIO;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(id, len, "%s-%02x%02x%02x%02x", when, r[0], r[1], r[2], r[3]);
    return 0;
}

static bool valid_id(const char *id)
{
    return strlen(id) == 25 && strspn(id, "0123456789TZabcdef-") == 25;
}

static int to_trash(struct drive_op *op, const char *rel, char *id, size_t idlen)
{
    struct drive_root *r = op->root;
    char dir[128], path[160];
    int rc = r->ops->mkdir(op, DRIVE_TRASH);
    if (rc && rc != MCP_EEXIST)
        return rc;
    if ((rc = new_id(id, idlen)))
        return rc;
    snprintf(dir, sizeof dir, DRIVE_TRASH "/%s", id);
    if ((rc = r->ops->mkdir(op, dir)))
        return rc;
    snprintf(path, sizeof path, "%s/origin", dir);
    struct drive_stat st;
    if (!(rc = r->ops->write(op, path, rel, strlen(rel), NULL, true, &st))) {
        snprintf(path, sizeof path, "%s/item", dir);
        rc = r->ops->move(op, rel, path, false);
    }
    if (rc)
        r->ops->remove(op, dir); /* nothing was moved: leave no empty record behind */
    return rc;
}

int drive_delete(struct mcp_call *call, const cJSON *args, void *ud)
{
    struct drive *d = ud;
    struct drive_path dp;
    char why[1024];
    if (drive_check_writable(d, call, why, sizeof why) ||
        drive_path_resolve(d, call, str_arg(args, "path"), false, &dp, why, sizeof why))
        return mcp_call_error(call, "%s", why);
    if (!dp.rel[0])
        return mcp_call_error(call, "'%s' is a root and cannot be deleted.", dp.display);
    bool purge = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(args, "purge"));
    if (purge && !purge_allowed(call))
        return mcp_call_error(call,
                              "Purging is not allowed by this profile; delete without "
                              "purge moves '%s' to the trash instead.",
                              dp.display);
    struct drive_op op = {.root = dp.root, .call = call};
    struct drive_stat st;
    int rc = dp.root->ops->stat(&op, dp.rel, &st);
    char id[64] = "";
    if (!rc)
        rc = purge ? dp.root->ops->remove(&op, dp.rel) : to_trash(&op, dp.rel, id, sizeof id);
    if (rc)
        return drive_fail(call, rc, &op, "delete", dp.display);
    cJSON *out = cJSON_CreateObject();
    if (!out || !cJSON_AddStringToObject(out, "path", dp.display) ||
        !cJSON_AddBoolToObject(out, "purged", purge) ||
        (!purge && !cJSON_AddStringToObject(out, "trash_id", id))) {
        cJSON_Delete(out);
        return MCP_ENOMEM;
    }
    return mcp_call_structured(call, out);
}

/* Reads .mcp-trash/<id>/origin of root r into `origin`. */
static int read_origin(struct drive_op *op, const char *id, char *origin, size_t len)
{
    char path[DRIVE_PATH_MAX];
    snprintf(path, sizeof path, DRIVE_TRASH "/%s/origin", id);
    char *data;
    size_t got;
    struct drive_stat st;
    int rc = op->root->ops->read(op, path, 0, len - 1, &data, &got, &st);
    if (rc)
        return rc;
    snprintf(origin, len, "%s", data);
    free(data);
    return 0;
}

static int add_item(struct drive_op *op, const char *id, cJSON *items)
{
    char origin[DRIVE_PATH_MAX], item[DRIVE_PATH_MAX], shown[DRIVE_PATH_MAX];
    struct drive_stat st;
    snprintf(item, sizeof item, DRIVE_TRASH "/%s/item", id);
    if (read_origin(op, id, origin, sizeof origin) || op->root->ops->stat(op, item, &st))
        return 0; /* a half-made record (crash mid-delete) is not listed */
    if (drive_join(shown, sizeof shown, op->root->name, origin))
        return 0;
    char when[32];
    snprintf(when, sizeof when, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", id, id + 4, id + 6, id + 9,
             id + 11, id + 13);
    cJSON *e = cJSON_CreateObject();
    if (!e || !cJSON_AddStringToObject(e, "id", id) || !cJSON_AddStringToObject(e, "path", shown) ||
        !cJSON_AddStringToObject(e, "deleted", when) ||
        !cJSON_AddStringToObject(e, "type", st.is_dir ? "folder" : "file") ||
        !cJSON_AddNumberToObject(e, "size", (double)st.size) || !cJSON_AddItemToArray(items, e)) {
        cJSON_Delete(e);
        return MCP_ENOMEM;
    }
    return 0;
}

int drive_list_trash(struct mcp_call *call, const cJSON *args, void *ud)
{
    struct drive *d = ud;
    const char *only = str_arg(args, "root");
    cJSON *out = cJSON_CreateObject();
    cJSON *items = cJSON_AddArrayToObject(out, "items");
    if (!out || !items) {
        cJSON_Delete(out);
        return MCP_ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < d->nroots && !rc; i++) {
        struct drive_root *r = d->roots[i];
        struct drive_path dp;
        char why[1024];
        if ((only && strcmp(only, r->name) != 0) ||
            drive_path_resolve(d, call, r->name, false, &dp, why, sizeof why))
            continue;
        struct drive_op op = {.root = r, .call = call};
        struct drive_dirent *v;
        size_t n;
        if (r->ops->list(&op, DRIVE_TRASH, &v, &n))
            continue; /* no trash yet */
        drive_sort_entries(v, n, "name", true);
        for (size_t j = 0; j < n && !rc; j++)
            if (valid_id(v[j].name))
                rc = add_item(&op, v[j].name, items);
        drive_dirents_free(v, n);
    }
    if (rc) {
        cJSON_Delete(out);
        return rc;
    }
    return mcp_call_structured(call, out);
}

int drive_restore(struct mcp_call *call, const cJSON *args, void *ud)
{
    struct drive *d = ud;
    const char *id = str_arg(args, "id");
    char why[1024];
    if (drive_check_writable(d, call, why, sizeof why))
        return mcp_call_error(call, "%s", why);
    if (!valid_id(id))
        return mcp_call_error(call, "'%s' is not a trash id; list_trash shows them.", id);
    for (size_t i = 0; i < d->nroots; i++) {
        struct drive_op op = {.root = d->roots[i], .call = call};
        char origin[DRIVE_PATH_MAX], item[DRIVE_PATH_MAX], dir[DRIVE_PATH_MAX];
        if (read_origin(&op, id, origin, sizeof origin))
            continue;
        char full[DRIVE_PATH_MAX];
        if (drive_join(full, sizeof full, d->roots[i]->name, origin))
            continue;
        const char *target = str_arg(args, "to") ? str_arg(args, "to") : full;
        struct drive_path dp;
        if (drive_path_resolve(d, call, target, false, &dp, why, sizeof why))
            return mcp_call_error(call, "%s", why);
        if (dp.root != d->roots[i])
            return mcp_call_error(call, "Restore into the same root it was deleted from (%s).",
                                  d->roots[i]->name);
        snprintf(item, sizeof item, DRIVE_TRASH "/%s/item", id);
        int rc = d->roots[i]->ops->move(&op, item, dp.rel, false);
        if (rc == MCP_EEXIST)
            return mcp_call_error(call,
                                  "'%s' exists again; restore with `to` naming a free "
                                  "path.",
                                  dp.display);
        if (rc == MCP_ENOENT)
            return mcp_call_error(call,
                                  "The folder '%s' was restored into no longer exists; "
                                  "create it with create_folder or pass `to`.",
                                  dp.display);
        if (rc)
            return drive_fail(call, rc, &op, "restore", dp.display);
        snprintf(dir, sizeof dir, DRIVE_TRASH "/%s", id);
        d->roots[i]->ops->remove(&op, dir);
        cJSON *out = cJSON_CreateObject();
        if (!out || !cJSON_AddStringToObject(out, "id", id) ||
            !cJSON_AddStringToObject(out, "path", dp.display)) {
            cJSON_Delete(out);
            return MCP_ENOMEM;
        }
        return mcp_call_structured(call, out);
    }
    return mcp_call_error(call,
                          "Nothing in the trash has id '%s'; list_trash shows what is "
                          "there.",
                          id);
}
