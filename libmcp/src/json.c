#include "json_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_int.h"
#include "mcp/error.h"

#include "banned.h"

const cJSON *mcp__json_get(const cJSON *obj, const char *key)
{
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

const char *mcp__json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = mcp__json_get(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

const cJSON *mcp__json_obj(const cJSON *obj, const char *key)
{
    const cJSON *v = mcp__json_get(obj, key);
    return cJSON_IsObject(v) ? v : NULL;
}

const cJSON *mcp__json_arr(const cJSON *obj, const char *key)
{
    const cJSON *v = mcp__json_get(obj, key);
    return cJSON_IsArray(v) ? v : NULL;
}

bool mcp__json_bool(const cJSON *obj, const char *key, bool fallback)
{
    const cJSON *v = mcp__json_get(obj, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : fallback;
}

/* The \u escapes cJSON cannot keep: \u0000 (its strings are NUL-terminated, so a file name
 * "secret\u0000.txt" would reach a handler as "secret") and unpaired UTF-16 surrogates (no
 * character at all). With `fixed` (a copy of text), each is overwritten there by an escape
 * of the same length that parses (\u0020, \ufffd), so the rest can still be read. */
static bool bad_escapes(const char *text, size_t len, char *fixed)
{
    bool in_string = false, found = false;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '"') {
            in_string = !in_string;
            continue;
        }
        if (!in_string || text[i] != '\\')
            continue;
        i++; /* the escaped character, which may be a quote */
        if (i >= len || text[i] != 'u' || len - i < 5)
            continue;
        unsigned long cp = 0;
        bool hex = true;
        for (size_t k = 1; k <= 4 && hex; k++) {
            int h = mcp__hex_value((unsigned char)text[i + k]);
            hex = h >= 0;
            cp = cp * 16 + (unsigned long)(hex ? h : 0);
        }
        if (!hex)
            continue; /* malformed: cJSON says so */
        bool high = cp >= 0xd800 && cp <= 0xdbff, low = cp >= 0xdc00 && cp <= 0xdfff;
        bool paired = false;
        if (high && len - i >= 11 && text[i + 5] == '\\' && text[i + 6] == 'u') {
            /* A low surrogate is \uDC00-\uDFFF: 'd', then one of c-f (either case). */
            char d = (char)(text[i + 7] | 0x20), c = (char)(text[i + 8] | 0x20);
            paired = d == 'd' && c >= 'c' && c <= 'f';
        }
        const char *repl = cp == 0 ? "0020" : (high && !paired) || low ? "fffd" : NULL;
        if (repl) {
            found = true;
            if (fixed)
                memcpy(fixed + i + 1, repl, 4);
        }
        i += paired ? 10 : 4;
    }
    return found;
}

cJSON *mcp__json_recover_id(const char *text, size_t len)
{
    char *copy = mcp__malloc(len + 1); /* not strndup: the text may hold raw NUL bytes */
    if (!copy)
        return NULL;
    memcpy(copy, text, len);
    copy[len] = '\0';
    cJSON *id = NULL;
    if (bad_escapes(text, len, copy)) {
        cJSON *v = cJSON_ParseWithLength(copy, len);
        const cJSON *got = mcp__json_get(v, "id");
        if (cJSON_IsString(got) || cJSON_IsNumber(got))
            id = cJSON_Duplicate(got, false);
        cJSON_Delete(v);
    }
    mcp__free(copy);
    return id;
}

bool mcp__json_bad_escapes(const char *text, size_t len)
{
    return bad_escapes(text, len, NULL);
}

cJSON *mcp__json_parse(const char *text, size_t len)
{
    if (mcp__json_bad_escapes(text, len))
        return NULL;
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!v)
        return NULL;
    /* cJSON stops at the end of the first value: anything after it but whitespace is junk. */
    while (end < text + len && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
        end++;
    if (end != text + len) {
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

cJSON *mcp__json_parse_str(const char *text)
{
    return mcp__json_parse(text, strlen(text));
}

char *mcp__json_print(const cJSON *value)
{
    return cJSON_PrintUnformatted(value);
}

static int compare_keys(const void *a, const void *b)
{
    const cJSON *const *x = a, *const *y = b;
    return strcmp((*x)->string, (*y)->string);
}

static int print_canonical(const cJSON *v, struct mcp__buf *out, int depth)
{
    if (depth > 200)
        return MCP_E2BIG;
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        bool is_obj = cJSON_IsObject(v);
        size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
        const cJSON **items = mcp__calloc(n ? n : 1, sizeof(*items));
        if (!items)
            return MCP_ENOMEM;
        for (const cJSON *c = v->child; c; c = c->next)
            items[i++] = c;
        if (is_obj)
            qsort(items, n, sizeof(*items), compare_keys);
        int rc = mcp__buf_add(out, is_obj ? "{" : "[", 1);
        for (i = 0; !rc && i < n; i++) {
            if (i)
                rc = mcp__buf_add(out, ",", 1);
            if (!rc && is_obj) {
                cJSON key = {.type = cJSON_String, .valuestring = items[i]->string};
                char *k = cJSON_PrintUnformatted(&key);
                rc = k ? mcp__buf_adds(out, k) : MCP_ENOMEM;
                mcp__free(k);
                if (!rc)
                    rc = mcp__buf_add(out, ":", 1);
            }
            if (!rc)
                rc = print_canonical(items[i], out, depth + 1);
        }
        mcp__free(items);
        return rc ? rc : mcp__buf_add(out, is_obj ? "}" : "]", 1);
    }
    char *s = cJSON_PrintUnformatted(v);
    if (!s)
        return MCP_ENOMEM;
    int rc = mcp__buf_adds(out, s);
    mcp__free(s);
    return rc;
}

int mcp__json_print_canonical(const cJSON *value, struct mcp__buf *out)
{
    return print_canonical(value, out, 0);
}

bool mcp__json_equal(const cJSON *a, const cJSON *b)
{
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
        return a->valuedouble == b->valuedouble;
    return cJSON_Compare(a, b, true);
}

bool mcp__json_add_copy(cJSON *obj, const char *key, const cJSON *value)
{
    cJSON *copy = cJSON_Duplicate(value, true);
    return copy && mcp__json_add_take(obj, key, copy);
}

cJSON *mcp__json_add_obj(cJSON *obj, const char *key)
{
    cJSON *o = cJSON_CreateObject();
    return o && mcp__json_add_take(obj, key, o) ? o : NULL;
}

bool mcp__json_add_take(cJSON *obj, const char *key, cJSON *item)
{
    if (!item)
        return false;
    if (key ? cJSON_AddItemToObject(obj, key, item) : cJSON_AddItemToArray(obj, item))
        return true;
    cJSON_Delete(item);
    return false;
}

bool mcp__utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p++;
        if (c < 0x80)
            continue;
        size_t n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if ((size_t)(end - p) < n)
            return false;
        for (size_t i = 0; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        p += n;
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
    }
    return true;
}

int mcp__hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
