#include "base64_int.h"

#include <limits.h>
#include <string.h>

#include "alloc_int.h"
#include "crypto_int.h"
#include "mcp/call.h"

#include "banned.h"

char *mcp__base64_encode(const void *data, size_t len, bool url)
{
    if (len > (size_t)INT_MAX / 4 * 3 - 3)
        return NULL;
    char *out = mcp__malloc(4 * ((len + 2) / 3) + 1);
    if (!out)
        return NULL;
    int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    if (url) {
        while (n > 0 && out[n - 1] == '=')
            out[--n] = '\0';
        for (int i = 0; i < n; i++)
            out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
    }
    return out;
}

int mcp_base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len)
{
    while (len > 0 && text[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return MCP_EINVAL;
    if (len > (size_t)INT_MAX / 2)
        return MCP_E2BIG;
    /* Normalise to the padded standard alphabet, which is what EVP_DecodeBlock takes. */
    size_t padded = (len + 3) / 4 * 4;
    unsigned char *in = mcp__malloc(padded + 1);
    unsigned char *bytes = mcp__malloc(padded / 4 * 3 + 1);
    int n, rc = MCP_ENOMEM;
    if (!in || !bytes)
        goto free_both;
    rc = MCP_EINVAL;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        c = c == '-' ? '+' : c == '_' ? '/' : c;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/'))
            goto free_both;
        in[i] = (unsigned char)c;
    }
    memset(in + len, '=', padded - len);
    n = EVP_DecodeBlock(bytes, in, (int)padded);
    if (n < 0)
        goto free_both;
    n -= (int)(padded - len); /* EVP counts the padding as zero bytes */
    bytes[n] = '\0';
    *out = bytes;
    *out_len = (size_t)n;
    bytes = NULL;
    rc = 0;
free_both:
    mcp__free(bytes);
    mcp__free(in);
    return rc;
}

unsigned char *mcp__base64_decode(const char *text, size_t len, size_t *out_len)
{
    unsigned char *bytes;
    return mcp_base64_decode(text, len, &bytes, out_len) ? NULL : bytes;
}
