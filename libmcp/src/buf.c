#include "buf_int.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc_int.h"
#include "mcp/error.h"

#include "banned.h"

void mcp__buf_init(struct mcp__buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void mcp__buf_release(struct mcp__buf *b)
{
    mcp__free(b->data);
    mcp__buf_init(b, b->max);
}

void mcp__buf_reset(struct mcp__buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int reserve(struct mcp__buf *b, size_t extra)
{
    if (extra > b->max - b->len)
        return MCP_E2BIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    char *data = mcp__reallocarray(b->data, cap, 1);
    if (!data)
        return MCP_ENOMEM;
    b->data = data;
    b->cap = cap;
    return 0;
}

int mcp__buf_add(struct mcp__buf *b, const void *data, size_t len)
{
    int rc = reserve(b, len);
    if (rc)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int mcp__buf_adds(struct mcp__buf *b, const char *s)
{
    return mcp__buf_add(b, s, strlen(s));
}

int mcp__buf_vaddf(struct mcp__buf *b, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    int rc = n < 0 ? MCP_EINVAL : reserve(b, (size_t)n);
    if (!rc) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
    return rc;
}

int mcp__buf_addf(struct mcp__buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = mcp__buf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *mcp__buf_take(struct mcp__buf *b)
{
    char *data = b->data;
    if (!data)
        data = mcp__strdup("");
    mcp__buf_init(b, b->max);
    return data;
}

const char *mcp__buf_str(const struct mcp__buf *b)
{
    return b->data ? b->data : "";
}

int mcp__buf_add_file(struct mcp__buf *b, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return MCP_EIO;
    char chunk[4096];
    size_t n;
    int rc = 0;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = mcp__buf_add(b, chunk, n);
    if (!rc && ferror(f))
        rc = MCP_EIO;
    fclose(f);
    return rc;
}
