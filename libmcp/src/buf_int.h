/* A growable byte buffer with a hard size cap (after curl's dynbuf): every append either
 * fits under the cap or fails with MCP_E2BIG and leaves the buffer as it was. */
#ifndef MCP_BUF_INT_H
#define MCP_BUF_INT_H

#include <stdarg.h>
#include <stddef.h>

struct mcp__buf {
    char *data; /* NUL-terminated when len > 0 or after any append */
    size_t len;
    size_t cap;
    size_t max; /* largest len allowed */
};

void mcp__buf_init(struct mcp__buf *b, size_t max);
void mcp__buf_release(struct mcp__buf *b);
/* Empties the buffer, keeping its memory. */
void mcp__buf_reset(struct mcp__buf *b);
int mcp__buf_add(struct mcp__buf *b, const void *data, size_t len);
int mcp__buf_adds(struct mcp__buf *b, const char *s);
int mcp__buf_addf(struct mcp__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int mcp__buf_vaddf(struct mcp__buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Appends the whole file at `path`: MCP_EIO (errno says why) when it cannot be read,
 * MCP_E2BIG when it is larger than the buffer may grow. */
int mcp__buf_add_file(struct mcp__buf *b, const char *path);
/* Hands the contents (owned, free with mcp__free) to the caller and empties the buffer. */
char *mcp__buf_take(struct mcp__buf *b);
/* The contents as a string: "" when empty. */
const char *mcp__buf_str(const struct mcp__buf *b);

#endif
