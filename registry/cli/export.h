/* What the export formats share: the connectors asked for, the profile that decides the
 * grants, and the files a format produces. */
#ifndef REGISTRY_EXPORT_H
#define REGISTRY_EXPORT_H

#include <cjson/cJSON.h>

#include "registry.h"

struct reg_export {
    const struct reg_opts *o;
    struct reg_index ix;
    struct reg_connector **conns; /* the NAMEs, loaded (owned array, borrowed items) */
    size_t n;
    cJSON *profile;     /* owned, or NULL when the format needs none and none was given */
    char *profile_path; /* owned absolute path of the profile, or NULL */
};

/* One output file: its name (relative to --out) and its document (owned). */
struct reg_file {
    char name[128];
    cJSON *doc;
};

/* The connector's stdio command: the binary in --bin (absolute) and its arguments with
 * --set values filled in and, when a profile is given, --profile PATH appended (owned array
 * of strings). Placeholders without a value stay as ${NAME}, and a note says so. */
cJSON *reg_export_argv(const struct reg_export *x, const struct reg_connector *c);

/* The connector's Streamable HTTP URL: --url, else the manifest's. */
const char *reg_export_url(const struct reg_export *x, const struct reg_connector *c);

/* The MCPB manifest.json and the official registry's server.json of one connector (owned
 * documents), or NULL after printing why. In mcpb.c. */
cJSON *reg_export_mcpb(const struct reg_export *x, const struct reg_connector *c);
cJSON *reg_export_server_json(const struct reg_export *x, const struct reg_connector *c);

#endif
