/* mcp-drive: files in local folders or on a WebDAV server, confined to the roots given.
 *
 * The drive's own options are taken out of argv here; everything else is the command line
 * every server shares (mcp_main). Tool metadata comes from the capability manifest
 * registry/manifests/drive.json, compiled in, so what the registry says is what is served. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <mcp/mcp.h>

#include "drive.h"

extern const char drive_manifest_json[]; /* generated from registry/manifests/drive.json */

#define VERSION "0.1.0"

static void usage(void)
{
    printf("mcp-drive: find, read, write and organise files, confined to the roots given.\n\n"
           "Backends (at least one root):\n"
           "  --root DIR               serve a local folder (repeatable)\n"
           "  --webdav-url URL         serve a WebDAV collection; password from the\n"
           "                           environment variable MCP_DRIVE_WEBDAV_PASSWORD\n"
           "  --webdav-user USER       WebDAV user name\n"
           "  --webdav-timeout-ms MS   per-request timeout (default 15000)\n"
           "Limits:\n"
           "  --read-only              refuse every change\n"
           "  --max-read BYTES         largest range one read returns (default 4 MiB)\n"
           "  --max-write BYTES        largest file one write creates (default 64 MiB)\n\n");
}

/* Adds an opened root; returns -1 to go on, or an exit status. */
static int add_root(struct drive *d, struct drive_root *r, const char *why)
{
    if (!r) {
        fprintf(stderr, "mcp-drive: %s\n", why);
        return 2;
    }
    struct drive_root **v = realloc(d->roots, (d->nroots + 1) * sizeof *v);
    if (!v) {
        r->ops->free(r);
        return 1;
    }
    d->roots = v;
    /* Two roots with the same folder name get "name-2", "name-3": paths must be unique. */
    for (size_t i = 0, n = 2; i < d->nroots; i++) {
        if (strcmp(d->roots[i]->name, r->name) == 0) {
            char *renamed = malloc(strlen(r->name) + 16);
            if (!renamed)
                return 1;
            snprintf(renamed, strlen(r->name) + 16, "%s-%zu", r->name, n++);
            free(r->name);
            r->name = renamed;
            i = (size_t)-1; /* check the new name against all again */
        }
    }
    d->roots[d->nroots++] = r;
    return -1;
}

/* Takes the drive's options out of argv (compacting it) and opens the roots. Returns -1 to
 * go on, or an exit status. */
static int parse(struct drive *d, int *argc, char **argv)
{
    struct drive_webdav_options dav = {.timeout_ms = 15000};
    bool informational = false;
    int out = 1, status = -1;
    for (int i = 1; i < *argc && status < 0; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < *argc ? argv[i + 1] : NULL;
        bool takes = strcmp(a, "--root") == 0 || strncmp(a, "--webdav-", 9) == 0 ||
                     strcmp(a, "--max-read") == 0 || strcmp(a, "--max-write") == 0;
        if (takes && !v) {
            fprintf(stderr, "mcp-drive: %s needs a value (see --help)\n", a);
            return 2;
        }
        char why[512] = "";
        if (strcmp(a, "--root") == 0)
            status = add_root(d, drive_local_open(v, why, sizeof why), why);
        else if (strcmp(a, "--webdav-url") == 0)
            dav.url = v;
        else if (strcmp(a, "--webdav-user") == 0)
            dav.user = v;
        else if (strcmp(a, "--webdav-timeout-ms") == 0)
            dav.timeout_ms = atol(v);
        else if (strcmp(a, "--max-read") == 0)
            d->max_read = (size_t)strtoull(v, NULL, 10);
        else if (strcmp(a, "--max-write") == 0)
            d->max_write = (size_t)strtoull(v, NULL, 10);
        else if (strcmp(a, "--read-only") == 0)
            d->read_only = true;
        else {
            if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
                usage();
            informational |= strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 ||
                             strcmp(a, "--version") == 0 || strcmp(a, "--manifest") == 0;
            argv[out++] = argv[i];
            continue;
        }
        i += takes;
    }
    argv[out] = NULL;
    *argc = out;
    if (status < 0 && dav.url) {
        char why[512] = "";
        dav.password = getenv("MCP_DRIVE_WEBDAV_PASSWORD");
        status = add_root(d, drive_webdav_open(&dav, why, sizeof why), why);
    }
    if (status < 0 && !d->nroots && !informational) {
        fprintf(stderr, "mcp-drive: give at least one --root DIR or --webdav-url URL (see "
                        "--help)\n");
        status = 2;
    }
    if (d->max_read == 0 || d->max_write == 0) {
        fprintf(stderr, "mcp-drive: --max-read and --max-write take a number of bytes\n");
        status = 2;
    }
    return status;
}

int drive_register(struct mcp_server *srv, struct drive *d)
{
    const struct mcp_tool_binding bindings[] = {
        {"search_files", drive_search_files, d},
        {"list_folder", drive_list_folder, d},
        {"get_file_info", drive_get_file_info, d},
        {"read_file", drive_read_file, d},
        {"write_file", drive_write_file, d},
        {"upload_file", drive_upload_file, d},
        {"edit_file", drive_edit_file, d},
        {"create_folder", drive_create_folder, d},
        {"move", drive_move, d},
        {"copy", drive_copy, d},
        {"delete", drive_delete, d},
        {"list_trash", drive_list_trash, d},
        {"restore", drive_restore, d},
    };
    int rc = mcp_server_add_manifest_tools(srv, drive_manifest_json, bindings,
                                           sizeof bindings / sizeof *bindings);
    if (!rc)
        rc = mcp_server_add_resource_template(
            srv,
            "{\"uriTemplate\":\"drive:///{+path}\",\"name\":\"drive-file\",\"title\":\"A file "
            "in the drive\",\"description\":\"Any file under a root, by drive path, e.g. "
            "drive:///Documents/plan.txt\"}",
            drive_read_resource, d);
    return rc;
}

int main(int argc, char **argv)
{
    struct drive d = {.max_read = 4u << 20, .max_write = 64u << 20};
    /* --config may hold the drive's own options too ({"root": [...], "read-only": true}). */
    char **args = argv;
    int status = mcp_args_expand_config(&argc, &args, "mcp-drive");
    if (status)
        return status;
    /* parse() takes the drive's options out of this copy; `args` keeps every string to free. */
    char **rest = malloc(((size_t)argc + 1) * sizeof *rest);
    if (!rest) {
        mcp_args_free(args);
        return 1;
    }
    memcpy(rest, args, ((size_t)argc + 1) * sizeof *rest);
    status = parse(&d, &argc, rest);
    if (status < 0) {
        struct mcp_server *srv = mcp_server_new("drive", VERSION);
        if (srv &&
            (mcp_server_set_info(srv, "Drive",
                                 "Files live under named roots: a path is \"<root>/<path>\". "
                                 "Call list_folder with path \"\" to see the roots. Deleting "
                                 "moves to a trash that restore empties again.",
                                 NULL) ||
             drive_register(srv, &d))) {
            mcp_server_free(srv);
            srv = NULL;
        }
        status = mcp_main(srv, argc, rest);
    }
    free(rest);
    mcp_args_free(args);
    for (size_t i = 0; i < d.nroots; i++)
        d.roots[i]->ops->free(d.roots[i]);
    free(d.roots);
    return status;
}
