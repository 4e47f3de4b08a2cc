/* What a drive backend does: the handful of file operations every drive tool is built from.
 *
 * A backend serves one root. Paths handed to it are relative to that root ("docs/a.txt"; ""
 * is the root itself) and already checked by paths.c: no "..", ".", empty or hidden-control
 * segments, no NUL, newline or invalid UTF-8. The backend still must not let a path reach
 * outside its root (the local backend refuses symlinks; WebDAV resolves below its base URL).
 *
 * Every operation takes a `struct drive_op`: the call (for cancellation and progress) and a
 * buffer for a sentence saying what went wrong. Operations return 0 or a negative MCP_E*:
 * MCP_ENOENT (no such file or folder), MCP_EEXIST (target exists), MCP_EACCES (refused: a
 * symlink, or permission), MCP_ESTATE (an if_match ETag no longer matches), MCP_EINVAL (a
 * folder where a file is needed, or the reverse), MCP_E2BIG (over a size limit), MCP_EIO and
 * MCP_ETIMEDOUT (the backend failed or did not answer), MCP_ECANCELED. */
#ifndef DRIVE_BACKEND_H
#define DRIVE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

struct mcp_call;

struct drive_stat {
    bool is_dir;
    long long size;  /* bytes; 0 for folders */
    long long mtime; /* seconds since the epoch */
    char etag[96];   /* opaque version tag, "" when the backend has none */
    bool partial;    /* from a list with want_stat: only is_dir is known */
};

struct drive_dirent {
    char *name; /* owned */
    struct drive_stat st;
};

struct drive_op {
    struct drive_root *root;
    struct mcp_call *call; /* NULL outside a call (tests, start-up) */
    char why[512];         /* filled on failure when the code alone does not say enough */
    /* Optional, for list: an entry whose name this rejects may come back with st.partial set
     * (only is_dir known), sparing a stat per entry when a search looks only at names. */
    bool (*want_stat)(const char *name, const void *ctx);
    const void *want_ctx;
};

struct drive_backend_ops {
    const char *kind; /* "local", "webdav" */
    int (*stat)(struct drive_op *op, const char *path, struct drive_stat *out);
    /* Lists a folder's entries (hidden ones too; callers filter) into *out in no particular
     * order: one allocation holding the entries and their names (owned, free with
     * drive_dirents_free; build it with struct drive_listing). */
    int (*list)(struct drive_op *op, const char *path, struct drive_dirent **out, size_t *n);
    /* Reads up to `len` bytes from `offset` of a file into *data (owned, NUL-terminated,
     * free with free()), the count in *got, and the file's stat in *st. */
    int (*read)(struct drive_op *op, const char *path, long long offset, size_t len, char **data,
                size_t *got, struct drive_stat *st);
    /* Writes a whole file so that readers see the old or the new content, never a mix:
     * with `if_match` (NULL for none) only when the file's ETag still is that; with
     * `create_only` only when nothing is there. Fills *st with the new file's stat. */
    int (*write)(struct drive_op *op, const char *path, const void *data, size_t len,
                 const char *if_match, bool create_only, struct drive_stat *st);
    int (*mkdir)(struct drive_op *op, const char *path);
    /* Within this root; the target's parent must exist. */
    int (*move)(struct drive_op *op, const char *from, const char *to, bool overwrite);
    int (*copy)(struct drive_op *op, const char *from, const char *to, bool overwrite);
    /* Removes a file or a folder with everything in it, for good. */
    int (*remove)(struct drive_op *op, const char *path);
    void (*free)(struct drive_root *root);
};

struct drive_root {
    const struct drive_backend_ops *ops;
    char *name;  /* owned: the first segment of drive paths, e.g. "Documents" */
    char *where; /* owned: the folder or URL it serves, for messages */
};

/* Frees what a list operation returned; entries and names go together. */
void drive_dirents_free(struct drive_dirent *d, size_t n);

/* Entries gathered one at a time and handed out as one allocation, the way list returns them:
 * a search lists every folder, and one allocation per name was a fifth of its time. Zero it to
 * start. */
struct drive_listing {
    struct drive_dirent *v; /* names not set until taken */
    size_t n, cap;
    char *names; /* each NUL-terminated, in the order added */
    size_t used, room;
};

/* Adds an entry; the name is copied. MCP_ENOMEM, leaving l as it was, when out of memory. */
int drive_listing_add(struct drive_listing *l, const char *name, const struct drive_stat *st);
/* Hands the entries to *out (free with drive_dirents_free) and their count to *n, and
 * releases l. MCP_ENOMEM leaves l as it was. */
int drive_listing_take(struct drive_listing *l, struct drive_dirent **out, size_t *n);
void drive_listing_release(struct drive_listing *l);

/* Backends. Each returns a root (owned, free with root->ops->free) or NULL with a sentence
 * in why. */
struct drive_root *drive_local_open(const char *dir, char *why, size_t whylen);

struct drive_webdav_options {
    const char *url;      /* base URL of the collection, e.g. http://127.0.0.1:8080/dav/ */
    const char *user;     /* NULL for none */
    const char *password; /* NULL for none; never logged */
    long timeout_ms;      /* per HTTP request; default 15000 */
    const char *ca_file;  /* NULL for the system's */
};
struct drive_root *drive_webdav_open(const struct drive_webdav_options *opt, char *why,
                                     size_t whylen);

#endif
