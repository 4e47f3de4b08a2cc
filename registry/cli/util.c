/* Files, paths, digests and messages for mcp-registry. */
#include "registry.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "alloc_int.h"
#include "json_int.h"

#include "banned.h"

void reg_err(const char *fmt, ...)
{
    va_list ap;
    fputs("mcp-registry: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

char *reg_read_file(const char *path, size_t *len, char *why, size_t whylen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, whylen, "cannot be read: %s", strerror(errno));
        return NULL;
    }
    char *data = mcp__malloc(REG_MAX_FILE + 1);
    size_t n = data ? fread(data, 1, REG_MAX_FILE + 1, f) : 0;
    bool failed = data && ferror(f);
    fclose(f);
    if (!data || failed || n > REG_MAX_FILE) {
        snprintf(why, whylen, "%s",
                 !data    ? "out of memory"
                 : failed ? "cannot be read"
                          : "is larger than 4 MiB");
        mcp__free(data);
        return NULL;
    }
    data[n] = '\0';
    if (len)
        *len = n;
    return data;
}

cJSON *reg_load_json(const char *path, char *why, size_t whylen)
{
    size_t len = 0;
    char *text = reg_read_file(path, &len, why, whylen);
    if (!text)
        return NULL;
    cJSON *v = mcp__json_parse(text, len);
    if (!v) {
        /* cJSON points at where it stopped; a line number is what a person needs. */
        const char *at = cJSON_GetErrorPtr();
        int line = 1;
        for (const char *p = text; at && p < at && *p; p++)
            line += *p == '\n';
        snprintf(why, whylen, "is not valid JSON (near line %d)", line);
    }
    mcp__free(text);
    return v;
}

int reg_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        reg_err("cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    bool ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    ok = (fclose(f) == 0) && ok;
    if (!ok)
        reg_err("cannot write %s: %s", path, strerror(errno));
    return ok ? 0 : -1;
}

char *reg_path_join(const char *dir, const char *rel)
{
    if (rel[0] == '/' || !dir || !dir[0])
        return mcp__strdup(rel);
    size_t n = strlen(dir) + strlen(rel) + 2;
    char *p = mcp__malloc(n);
    if (p)
        snprintf(p, n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", rel);
    return p;
}

char *reg_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return mcp__strdup(".");
    if (slash == path)
        return mcp__strdup("/");
    return mcp__strndup(path, (size_t)(slash - path));
}

char *reg_realpath(const char *path)
{
    char buf[PATH_MAX];
    return realpath(path, buf) ? mcp__strdup(buf) : NULL;
}

void reg_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    out[0] = '\0';
    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != sizeof md)
        return;
    for (size_t i = 0; i < sizeof md; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int reg_file_sha256(const char *path, char out[65])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    EVP_MD_CTX *ctx = fd >= 0 ? EVP_MD_CTX_new() : NULL;
    int rc = -1;
    if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        unsigned char buf[65536];
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0)
            if (!EVP_DigestUpdate(ctx, buf, (size_t)n))
                break;
        unsigned char md[32];
        unsigned int mdlen = 0;
        if (n == 0 && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == sizeof md) {
            for (size_t i = 0; i < sizeof md; i++)
                snprintf(out + 2 * i, 3, "%02x", md[i]);
            rc = 0;
        }
    }
    EVP_MD_CTX_free(ctx);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Scalars, and arrays of scalars short enough to read on one line, print unformatted. */
static bool one_line(const cJSON *v, size_t indent)
{
    if (!cJSON_IsArray(v) && !cJSON_IsObject(v))
        return true;
    if (cJSON_IsObject(v) || !v->child)
        return !v->child;
    size_t width = indent;
    for (const cJSON *e = v->child; e; e = e->next) {
        if (cJSON_IsArray(e) || cJSON_IsObject(e))
            return false;
        width += cJSON_IsString(e) ? strlen(e->valuestring) + 4 : 12;
    }
    return width <= 96;
}

static int pretty(struct mcp__buf *b, const cJSON *v, size_t indent)
{
    if (one_line(v, indent) && cJSON_IsArray(v)) {
        int rc = mcp__buf_adds(b, "[");
        for (const cJSON *e = v->child; e && !rc; e = e->next)
            rc = pretty(b, e, indent) || mcp__buf_adds(b, e->next ? ", " : "") ? -1 : 0;
        return rc ? rc : mcp__buf_adds(b, "]");
    }
    if (one_line(v, indent)) {
        char *text = cJSON_PrintUnformatted(v);
        int rc = text ? mcp__buf_adds(b, text) : -1;
        mcp__free(text);
        return rc;
    }
    bool obj = cJSON_IsObject(v);
    int rc = mcp__buf_adds(b, obj ? "{\n" : "[\n");
    for (const cJSON *e = v->child; e && !rc; e = e->next) {
        rc = mcp__buf_addf(b, "%*s", (int)(indent + 2), "");
        if (!rc && obj) {
            char *key =
                cJSON_PrintUnformatted(&(cJSON){.type = cJSON_String, .valuestring = e->string});
            rc = key ? mcp__buf_addf(b, "%s: ", key) : -1;
            mcp__free(key);
        }
        if (!rc)
            rc = pretty(b, e, indent + 2);
        if (!rc)
            rc = mcp__buf_adds(b, e->next ? ",\n" : "\n");
    }
    if (!rc)
        rc = mcp__buf_addf(b, "%*s%s", (int)indent, "", obj ? "}" : "]");
    return rc;
}

char *reg_json_pretty(const cJSON *v)
{
    /* Two-space indentation, one member a line: what people expect in config files. */
    struct mcp__buf b;
    mcp__buf_init(&b, REG_MAX_FILE * 2);
    if (pretty(&b, v, 0)) {
        mcp__buf_release(&b);
        return NULL;
    }
    return mcp__buf_take(&b);
}
