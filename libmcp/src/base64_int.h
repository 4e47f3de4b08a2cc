/* Base64 (RFC 4648) through OpenSSL, in the standard and the URL-safe unpadded alphabets. */
#ifndef MCP_BASE64_INT_H
#define MCP_BASE64_INT_H

#include <stdbool.h>
#include <stddef.h>

/* Encodes `len` bytes; returns a new string (owned, mcp__free) or NULL on ENOMEM/E2BIG. */
char *mcp__base64_encode(const void *data, size_t len, bool url);

/* mcp_base64_decode (mcp/call.h) for callers that need no reason: new bytes (owned,
 * NUL-terminated for convenience, mcp__free) and their count in *out_len, or NULL when the
 * text is not base64 or memory ran out. */
unsigned char *mcp__base64_decode(const char *text, size_t len, size_t *out_len);

#endif
