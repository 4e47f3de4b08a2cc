/* The drive connector: roots, drive paths, and the tool handlers shared by every backend.
 *
 * A drive path names a file as "<root name>/<path inside the root>", e.g.
 * "Documents/2026/plan.txt"; "" (or "/") is the list of roots. An absolute path inside a
 * local root's folder ("/home/me/Documents/2026/plan.txt") means the same file. */
#ifndef DRIVE_H
#define DRIVE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "backend.h"

struct cJSON;
struct mcp_call;
struct mcp_server;

#define DRIVE_PATH_MAX 4096
#define DRIVE_TRASH ".mcp-trash" /* per root; never listed, never reachable by path */
#define DRIVE_TEMP_PREFIX ".mcp-tmp-"

struct drive {
    struct drive_root **roots; /* owned */
    size_t nroots;
    bool read_only;
    size_t max_read;  /* largest byte range one read returns */
    size_t max_write; /* largest file a write may create */
};

/* A drive path checked and split into its root and the path inside it. */
struct drive_path {
    struct drive_root *root;      /* NULL for "" (the list of roots) */
    char rel[DRIVE_PATH_MAX];     /* "" for the root itself */
    char display[DRIVE_PATH_MAX]; /* "<root>/<rel>", as shown to the agent */
};

/* Checks `path` and resolves it. Refuses, with a sentence in `why` that says what is allowed:
 * segments "." and "..", control characters, invalid UTF-8, the trash and temp names, paths
 * outside every root, and paths outside the profile's "roots" data scope when the call has a
 * profile. With `want_roots` the empty path is accepted (out->root == NULL). */
int drive_path_resolve(const struct drive *d, struct mcp_call *call, const char *path,
                       bool want_roots, struct drive_path *out, char *why, size_t whylen);

/* The profile's and the server's write permission: 0, or MCP_EACCES with why. */
int drive_check_writable(const struct drive *d, struct mcp_call *call, char *why, size_t whylen);

/* True for names the listing skips by default: dot files, and our own trash and temp files
 * always. */
bool drive_name_hidden(const char *name);
bool drive_name_internal(const char *name);

/* Writes "a/b" (just b when a is "") into out; MCP_E2BIG when it does not fit. */
int drive_join(char *out, size_t len, const char *a, const char *b);

/* Undoes %XX escapes of `in` into out; MCP_EINVAL for a malformed escape or %00, MCP_E2BIG
 * when it does not fit. */
int drive_percent_decode(const char *in, char *out, size_t len);

/* Fills buf with `len` random bytes from the kernel (getrandom), which needs no library: a
 * local drive names its temporary files and trash records with them. 0, or MCP_EIO. */
int drive_random(void *buf, size_t len);

/* A symbol a library loaded on first use must have: its name, and the pointer of the
 * symbol's type (`size` bytes at `slot`) that receives its address. */
struct drive_symbol {
    const char *name;
    void *slot;
    size_t size;
};

/* A library loaded on first use (curl_lib.c, xml_lib.c): what to open, the symbols to fill,
 * and a set-up to run once after; the rest is the outcome, kept for every later caller. */
struct drive_library {
    const char *soname;
    const char *package; /* the Debian package, named in the error */
    const struct drive_symbol *symbols;
    size_t nsymbols;
    int (*set_up)(char *why, size_t whylen); /* NULL, or 0 / MCP_ENOTSUP with a sentence */
    pthread_mutex_t lock;
    bool tried;
    int rc;
    char failure[512];
};

/* Opens the library and fills its symbols, then runs its set-up: once, whatever the thread.
 * 0, or MCP_ENOTSUP with a sentence in why (every call gives the same) when the library, a
 * symbol or the set-up is missing. The library stays loaded for the life of the process,
 * like a linked one. */
int drive_library_load(struct drive_library *lib, char *why, size_t whylen);

/* RFC 3339 UTC time for `t`, into buf (at least 21 bytes). */
void drive_format_time(long long t, char *buf, size_t len);

/* Turns a backend error into a tool error result that says what to do next. */
int drive_fail(struct mcp_call *call, int rc, const struct drive_op *op, const char *what,
               const char *path);

/* Registers the tools (from the embedded manifest) and the drive:/// resource template. */
int drive_register(struct mcp_server *srv, struct drive *d);

/* Tool handlers, in tools_read.c, tools_write.c and trash.c; `ud` is the struct drive. */
int drive_search_files(struct mcp_call *call, const struct cJSON *args, void *ud);
int drive_list_folder(struct mcp_call *call, const struct cJSON *args, void *ud);
int drive_get_file_info(struct mcp_call *call, const struct cJSON *args, void *ud);
int drive_read_file(struct mcp_call *call, const struct cJSON *args, void *ud);
int drive_read_resource(struct mcp_call *call, const char *uri, const struct cJSON *vars, void *ud);
int drive_write_file(struct mcp_call *call, const struct cJSON *args, void *ud);
int drive_upload_file(struct mcp_call *call, const struct cJSON *args, void *ud);
int drive_edit_file(struct mcp_call *call, const struct cJSON *args, void *ud);
int drive_create_folder(struct mcp_call *call, const struct cJSON *args, void *ud);
int drive_move(struct mcp_call *call, const struct cJSON *args, void *ud);
int drive_copy(struct mcp_call *call, const struct cJSON *args, void *ud);
int drive_delete(struct mcp_call *call, const struct cJSON *args, void *ud);
int drive_list_trash(struct mcp_call *call, const struct cJSON *args, void *ud);
int drive_restore(struct mcp_call *call, const struct cJSON *args, void *ud);

/* An entry as tools show it: {path, name, type, size, modified, etag?}. NULL on ENOMEM. */
struct cJSON *drive_entry_json(const char *display_path, const char *name,
                               const struct drive_stat *st);

/* Sorts entries by "name", "modified" or "size" (then name). */
void drive_sort_entries(struct drive_dirent *v, size_t n, const char *key, bool descending);

/* Reads args.cursor (the decimal offset this drive gave out) into *offset; answers the tool
 * error and returns MCP_EINVAL for anything else. */
int drive_parse_cursor(struct mcp_call *call, const struct cJSON *args, size_t *offset);

/* The drive:/// URI of a drive path, percent-encoded. MCP_E2BIG when it does not fit. */
int drive_uri(const char *display, char *out, size_t len);

/* MIME type guessed from the name, and whether such files are text. */
const char *drive_mime_type(const char *name);
bool drive_mime_is_text(const char *mime);

#endif
