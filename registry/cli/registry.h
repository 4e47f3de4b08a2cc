/* mcp-registry: the declarations its modules share.
 *
 * The registry is a directory (registry/ in the source tree) holding index.json, the
 * connectors' capability manifests, the surface profiles and the JSON Schemas they follow.
 * Every command reads it through the functions here; nothing is cached between runs. */
#ifndef REGISTRY_H
#define REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf_int.h"

/* Largest registry file read: manifests are tens of KiB, so this only stops accidents. */
#define REG_MAX_FILE (4u << 20)

/* Command-line options shared by the commands; every pointer borrows from argv. */
struct reg_opts {
    const char *root;        /* registry directory (holds index.json) */
    const char *bin_dir;     /* where connector binaries are (default: next to us) */
    const char *manifest;    /* --manifest FILE: use instead of the index's (one NAME) */
    const char *profile;     /* --profile FILE */
    const char *out;         /* --out DIR: write files instead of printing */
    const char *url;         /* --url URL: the server's HTTP endpoint for exports */
    const char *mcpb;        /* --mcpb FILE: the bundle server.json points at */
    const char *package_url; /* --package-url URL: where that bundle is published */
    const char *transport;   /* --transport stdio|http for exports */
    const char *vars[16];    /* --set NAME=VALUE: launch placeholders ${NAME} */
    size_t nvars;
    bool json;    /* --json: machine-readable output (list, show) */
    bool no_http; /* --no-http: verify over stdio only */
    char **args;  /* positional arguments after the command */
    size_t nargs;
};

/* One connector named by the index, with its manifest once loaded. */
struct reg_connector {
    const char *name;    /* borrowed from the index */
    const char *binary;  /* borrowed from the index */
    char *manifest_path; /* owned: resolved against the registry directory */
    cJSON *manifest;     /* owned; NULL until reg_connector_load() */
};

struct reg_index {
    char *path; /* owned: .../index.json */
    cJSON *json;
    struct reg_connector *items; /* owned array */
    size_t n;
};

/* util.c: files, paths, digests, messages. */

/* Prints "mcp-registry: " and the message to stderr. */
void reg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reads a whole file (at most REG_MAX_FILE bytes) into a NUL-terminated string (owned,
 * mcp__free). NULL with the reason in `why` when missing, unreadable or too big. */
char *reg_read_file(const char *path, size_t *len, char *why, size_t whylen);

/* Reads and parses a JSON file; NULL with one sentence in `why` otherwise. */
cJSON *reg_load_json(const char *path, char *why, size_t whylen);

/* Writes `text` and a newline to `path` (created 0644, replaced whole). 0 or -1. */
int reg_write_file(const char *path, const char *text);

/* "dir/rel", or `rel` itself when it is absolute (owned, mcp__free); NULL on ENOMEM. */
char *reg_path_join(const char *dir, const char *rel);

/* The directory part of `path` (owned); "." when it has none. */
char *reg_dirname(const char *path);

/* The absolute, symlink-free form of an existing path (owned), or NULL. */
char *reg_realpath(const char *path);

/* Lower-case hex SHA-256 of bytes, or of a file's contents (0, or -1 when unreadable). */
void reg_sha256_hex(const void *data, size_t len, char out[65]);
int reg_file_sha256(const char *path, char out[65]);

/* Prints a JSON value with two-space indentation to stdout or into a new string. */
char *reg_json_pretty(const cJSON *v);

/* index.c: the index, manifests and profiles. */

/* Loads <root>/index.json. Returns 0, or -1 after printing why. */
int reg_index_load(struct reg_index *ix, const char *root);
void reg_index_release(struct reg_index *ix);
struct reg_connector *reg_index_find(struct reg_index *ix, const char *name);

/* Loads c's manifest (or `override`, a file path, when not NULL). 0, or -1 after printing. */
int reg_connector_load(struct reg_connector *c, const char *override);

/* The grant a profile gives a manifest tool: "allow", "ask" or "blocked" (static), decided
 * as libmcp decides it: the tool's entry, else its scope's, else the connector's default,
 * else blocked. A connector the profile does not name gets "blocked". */
const char *reg_grant(const cJSON *profile, const char *connector, const cJSON *tool);

/* The JSON files in <root>/<sub> sorted by name (owned array of owned paths). */
char **reg_list_json(const char *root, const char *sub, size_t *n);
void reg_free_list(char **list, size_t n);

/* Replaces ${NAME} placeholders with the --set values (owned result; NULL on ENOMEM).
 * `unknown`, when not NULL, gets the first placeholder left unreplaced (or ""). */
char *reg_substitute(const char *s, const struct reg_opts *o, char *unknown, size_t len);

/* True when --set gave NAME a value. */
bool reg_var_set(const struct reg_opts *o, const char *name);

/* The commands: each returns the process exit status. */
int reg_cmd_list(const struct reg_opts *o);
int reg_cmd_show(const struct reg_opts *o);
int reg_cmd_validate(const struct reg_opts *o);
int reg_cmd_verify(const struct reg_opts *o);
int reg_cmd_export(const struct reg_opts *o);
int reg_cmd_audit(const struct reg_opts *o);

#endif
