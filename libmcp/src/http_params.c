/* 2026-07-28 custom headers (x-mcp-header): a tool's inputSchema may mirror primitive
 * arguments into Mcp-Param-{Name} headers; the server must check each against the body so
 * an intermediary routing on the header and the server acting on the body agree. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mhd_int.h"

#include "alloc_int.h"
#include "base64_int.h"
#include "http_int.h"
#include "json_int.h"

#include "banned.h"

char *mcp__http_header_decode(const char *v)
{
    /* HTTP ignores optional whitespace around a field value (RFC 9110 §5.5). */
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (n >= 11 && strncmp(v, "=?base64?", 9) == 0 && strncmp(v + n - 2, "?=", 2) == 0) {
        /* Strict: the standard alphabet with its padding, nothing the lenient decoder forgives. */
        size_t blen = n - 11;
        if (blen % 4 != 0 || strcspn(v + 9, "-_") < blen)
            return NULL;
        size_t len = 0;
        unsigned char *raw = mcp__base64_decode(v + 9, blen, &len);
        if (raw && (memchr(raw, 0, len) || !mcp__utf8_valid((char *)raw, len))) {
            mcp__free(raw);
            return NULL;
        }
        return (char *)raw;
    }
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || (unsigned char)v[i] >= 0x7f)
            return NULL;
    return mcp__strndup(v, n);
}

/* Whether the decoded header matches the body value, compared as its type says. */
static bool same(const char *header, const cJSON *value)
{
    if (cJSON_IsString(value))
        return strcmp(header, value->valuestring) == 0;
    if (cJSON_IsBool(value))
        return strcmp(header, cJSON_IsTrue(value) ? "true" : "false") == 0;
    if (cJSON_IsNumber(value)) {
        char *end = NULL;
        double d = strtod(header, &end);
        return end && end != header && !*end && d == value->valuedouble;
    }
    return false;
}

struct walk {
    struct MHD_Connection *c;
    char *why;
    size_t whylen;
    bool failed;
};

/* Walks the `properties` chain of `schema` beside the arguments object `args`. */
static void walk(struct walk *w, const cJSON *schema, const cJSON *args, int depth)
{
    const cJSON *prop;
    if (depth > 16)
        return;
    cJSON_ArrayForEach (prop, mcp__json_obj(schema, "properties")) {
        if (w->failed)
            return;
        const cJSON *value = mcp__json_get(args, prop->string);
        const char *name = mcp__json_str(prop, "x-mcp-header");
        if (!name) {
            walk(w, prop, value, depth + 1);
            continue;
        }
        char header[160];
        snprintf(header, sizeof header, "Mcp-Param-%s", name);
        const char *raw = MHD_lookup_connection_value(w->c, MHD_HEADER_KIND, header);
        bool present = value && !cJSON_IsNull(value);
        char *decoded = raw ? mcp__http_header_decode(raw) : NULL;
        if (raw && !decoded) {
            snprintf(w->why, w->whylen, "Header mismatch: %s has invalid characters", header);
            w->failed = true;
        } else if (present != (raw != NULL) || (present && !same(decoded, value))) {
            snprintf(w->why, w->whylen, "Header mismatch: %s %s the argument '%s'", header,
                     raw ? "does not match" : "is missing for", prop->string);
            w->failed = true;
        }
        mcp__free(decoded);
    }
}

const char *mcp__http_check_params(struct mcp_server *srv, struct MHD_Connection *c,
                                   const cJSON *params, char *why, size_t whylen)
{
    const char *name = mcp__json_str(params, "name");
    const struct mcp__entry *e = name ? mcp__table_find(&srv->tools, name) : NULL;
    if (!e)
        return NULL; /* the engine answers for unknown tools */
    struct walk w = {.c = c, .why = why, .whylen = whylen};
    walk(&w, e->input_schema, mcp__json_obj(params, "arguments"), 0);
    return w.failed ? why : NULL;
}
