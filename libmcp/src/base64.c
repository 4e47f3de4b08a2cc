#include "base64_int.h"

#include <limits.h>
#include <string.h>

#include "alloc_int.h"
#include "crypto_int.h"

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

unsigned char *mcp__base64_decode(const char *text, size_t len, size_t *out_len)
{
    while (len > 0 && text[len - 1] == '=')
        len--;
    if (len % 4 == 1 || len > (size_t)INT_MAX / 2)
        return NULL;
    /* Normalise to the padded standard alphabet, which is what EVP_DecodeBlock takes. */
    size_t padded = (len + 3) / 4 * 4;
    unsigned char *in = mcp__malloc(padded + 1);
    unsigned char *out = mcp__malloc(padded / 4 * 3 + 1);
    if (!in || !out)
        goto fail;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        c = c == '-' ? '+' : c == '_' ? '/' : c;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/'))
            goto fail;
        in[i] = (unsigned char)c;
    }
    memset(in + len, '=', padded - len);
    int n = EVP_DecodeBlock(out, in, (int)padded);
    if (n < 0)
        goto fail;
    n -= (int)(padded - len); /* EVP counts the padding as zero bytes */
    out[n] = '\0';
    mcp__free(in);
    *out_len = (size_t)n;
    return out;
fail:
    mcp__free(in);
    mcp__free(out);
    return NULL;
}
