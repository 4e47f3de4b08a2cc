#include "json_int.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_int.h"
#include "mcp/error.h"

#include "banned.h"

/* cJSON_GetObjectItemCaseSensitive, except that a member whose name starts differently is
 * passed over without calling strcmp: every message is looked into a dozen times, schema
 * validation looks up every member of every object it checks, and most members differ from
 * the key in their first byte. */
const cJSON *mcp__json_get(const cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj) || !key)
        return NULL;
    for (const cJSON *m = obj->child; m; m = m->next)
        if (m->string && m->string[0] == key[0] && strcmp(m->string, key) == 0)
            return m;
    return NULL;
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
    if (!memchr(text, '\\', len))
        return false; /* no escapes at all: most messages */
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

/* --- Printing: the same text as cJSON_PrintUnformatted, in one pass over the tree with no
 * printf for strings and integers. Results of several hundred kilobytes (a page of search
 * results, mirrored as text) are printed on every call, and cJSON spends most of that time
 * scanning each string twice and formatting every number with printf and scanf. */

struct printer {
    char *data;
    size_t len, cap;
    bool counting; /* only len is kept: how long the text would be */
};

static bool grow_slow(struct printer *p, size_t extra)
{
    if (extra > SIZE_MAX / 4 - p->len)
        return false;
    size_t cap = p->cap ? p->cap : 256;
    while (cap - p->len <= extra)
        cap *= 2;
    char *data = mcp__reallocarray(p->data, cap, 1);
    if (!data)
        return false;
    p->data = data;
    p->cap = cap;
    return true;
}

/* Makes room for `extra` more bytes and the final NUL. Inline, as put is: an answer is a few
 * dozen short pieces, and the calls cost more than the copies. */
static inline bool grow(struct printer *p, size_t extra)
{
    return p->counting || extra < p->cap - p->len || grow_slow(p, extra);
}

static inline bool put(struct printer *p, const char *s, size_t n)
{
    if (p->counting) {
        p->len += n;
        return true;
    }
    if (!grow(p, n))
        return false;
    if (n == 1)
        p->data[p->len] = *s; /* punctuation: no call to memcpy */
    else
        memcpy(p->data + p->len, s, n);
    p->len += n;
    return true;
}

/* The bytes a JSON string escapes, and how many bytes longer each gets: the quote, the
 * backslash and the controls, \b \f \n \r \t by letter and the others as \u00XX. cJSON
 * writes every other byte as it is, DEL and UTF-8 included. */
static const unsigned char escape_extra[256] = {
    [0x00] = 5, [0x01] = 5, [0x02] = 5, [0x03] = 5, [0x04] = 5, [0x05] = 5, [0x06] = 5,
    [0x07] = 5, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 5, [0x0c] = 1, [0x0d] = 1,
    [0x0e] = 5, [0x0f] = 5, [0x10] = 5, [0x11] = 5, [0x12] = 5, [0x13] = 5, [0x14] = 5,
    [0x15] = 5, [0x16] = 5, [0x17] = 5, [0x18] = 5, [0x19] = 5, [0x1a] = 5, [0x1b] = 5,
    [0x1c] = 5, [0x1d] = 5, [0x1e] = 5, [0x1f] = 5, [0x22] = 1, [0x5c] = 1};

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Of 8 bytes read as a little-endian word, the high bit of each that a JSON string escapes (a
 * control, '"', '\\'). Exact up to and including the first such byte, which is all the
 * caller uses: a borrow can only carry upwards from it. */
static uint64_t escapes_in(uint64_t w)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), high = ones << 7;
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    return (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high;
}
#endif

/* One pass, eight bytes at a time where none needs escaping. Room is kept for every byte
 * doubled (quotes and backslashes) plus slack; a control byte, six bytes as \u00XX, makes
 * more. A page of search results mirrored as text is one string of hundreds of kilobytes,
 * one byte in eight a quote. */
/* How much longer `str` (of n bytes) gets escaped, eight bytes at a time where nothing needs it. */
static size_t escaped_extra(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str, *end = s + n;
    size_t extra = 0;
    while (s < end) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        uint64_t w;
        if (end - s >= 8 && (memcpy(&w, s, 8), !escapes_in(w))) {
            s += 8;
            continue;
        }
#endif
        extra += escape_extra[*s++];
    }
    return extra;
}

static bool put_string(struct printer *p, const char *str)
{
    if (!str)
        return put(p, "\"\"", 2);
    size_t n = strlen(str);
    if (p->counting) {
        p->len += n + escaped_extra(str, n) + 2;
        return true;
    }
    if (n > SIZE_MAX / 8 || !grow(p, 2 * n + 10))
        return false;
    const unsigned char *s = (const unsigned char *)str, *end = s + n;
    size_t o = p->len; /* cap - o >= 2 * (end - s) + 10 throughout */
    p->data[o++] = '"';
    for (;;) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        while (end - s >= 8) {
            uint64_t w, m;
            memcpy(&w, s, 8);
            memcpy(p->data + o, &w, 8); /* the slack allows it; only clean bytes count */
            if ((m = escapes_in(w))) {
                size_t k = (size_t)__builtin_ctzll(m) >> 3;
                s += k;
                o += k;
                break;
            }
            s += 8;
            o += 8;
        }
#endif
        while (s < end && !escape_extra[*s])
            p->data[o++] = (char)*s++;
        if (s == end)
            break;
        unsigned char c = *s++;
        if (escape_extra[c] == 5) {
            p->len = o;
            if (!grow(p, 2 * (size_t)(end - s) + 16))
                return false;
            memcpy(p->data + o, "\\u00", 4);
            p->data[o + 4] = "0123456789abcdef"[c >> 4];
            p->data[o + 5] = "0123456789abcdef"[c & 15];
            o += 6;
            continue;
        }
        p->data[o++] = '\\';
        switch (c) {
        case '\b':
            c = 'b';
            break;
        case '\f':
            c = 'f';
            break;
        case '\n':
            c = 'n';
            break;
        case '\r':
            c = 'r';
            break;
        case '\t':
            c = 't';
            break;
        default: /* '"' and '\\' stand for themselves */
            break;
        }
        p->data[o++] = (char)c;
    }
    p->data[o++] = '"';
    p->len = o;
    return true;
}

static bool put_number(struct printer *p, double d)
{
    char buf[32];
    if (isnan(d) || isinf(d))
        return put(p, "null", 4);
    if (d > -1e15 && d < 1e15 && d == (double)(long long)d && !(d == 0 && signbit(d))) {
        /* What %1.15g prints for an integer of up to 15 digits: its digits. */
        char *start = mcp__decimal(buf + sizeof buf, (long long)d);
        return put(p, start, (size_t)(buf + sizeof buf - start));
    }
    /* cJSON's way: 15 significant digits when they read back as the same double (within an
     * epsilon), else 17, with the locale's decimal point written as '.'. */
    int len = snprintf(buf, sizeof buf, "%1.15g", d);
    char *end;
    double back = len > 0 ? strtod(buf, &end) : 0;
    double max = fabs(back) > fabs(d) ? fabs(back) : fabs(d);
    if (len <= 0 || end == buf || !(fabs(back - d) <= max * DBL_EPSILON))
        len = snprintf(buf, sizeof buf, "%1.17g", d);
    if (len <= 0 || (size_t)len >= sizeof buf)
        return false;
    char point = localeconv()->decimal_point[0];
    for (int i = 0; i < len; i++)
        if (buf[i] == point)
            buf[i] = '.';
    return put(p, buf, (size_t)len);
}

static bool put_value(struct printer *p, const cJSON *v)
{
    switch (v->type & 0xFF) {
    case cJSON_NULL:
        return put(p, "null", 4);
    case cJSON_False:
        return put(p, "false", 5);
    case cJSON_True:
        return put(p, "true", 4);
    case cJSON_Number:
        return put_number(p, v->valuedouble);
    case cJSON_Raw:
        return v->valuestring && put(p, v->valuestring, strlen(v->valuestring));
    case cJSON_String:
        return put_string(p, v->valuestring);
    case cJSON_Array:
    case cJSON_Object: {
        bool object = (v->type & 0xFF) == cJSON_Object;
        if (!put(p, object ? "{" : "[", 1))
            return false;
        for (const cJSON *c = v->child; c; c = c->next) {
            if ((c != v->child && !put(p, ",", 1)) ||
                (object && (!put_string(p, c->string) || !put(p, ":", 1))) || !put_value(p, c))
                return false;
        }
        return put(p, object ? "}" : "]", 1);
    }
    default:
        return false; /* cJSON_Invalid: cJSON refuses to print it too */
    }
}

char *mcp__json_print(const cJSON *value)
{
    struct printer p = {0};
    if (!value || !put_value(&p, value) || !grow(&p, 0)) {
        mcp__free(p.data);
        return NULL;
    }
    p.data[p.len] = '\0';
    return p.data;
}

bool mcp__json_printed_length(const cJSON *value, size_t *len)
{
    struct printer p = {.counting = true};
    if (!value || !put_value(&p, value))
        return false;
    *len = p.len;
    return true;
}

char *mcp__json_print_result(const cJSON *id, const cJSON *result)
{
    static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":", middle[] = ",\"result\":";
    struct printer p = {0};
    if (!id || !result || !put(&p, head, sizeof head - 1) || !put_value(&p, id) ||
        !put(&p, middle, sizeof middle - 1) || !put_value(&p, result) || !put(&p, "}", 1) ||
        !grow(&p, 0)) {
        mcp__free(p.data);
        return NULL;
    }
    p.data[p.len] = '\0';
    return p.data;
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
        uint64_t w;
        if (end - p >= 8 && (memcpy(&w, p, 8), !(w & UINT64_C(0x8080808080808080)))) {
            p += 8; /* eight ASCII bytes: none has its high bit set */
            continue;
        }
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

char *mcp__decimal(char *end, long long v)
{
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        *--end = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--end = '-';
    return end;
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
