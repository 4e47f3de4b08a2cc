#include "schema_int.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_int.h"
#include "buf_int.h"
#include "json_int.h"
#include "mcp/error.h"

#include "banned.h"

/* Instances come from agents and may nest up to cJSON's limit of 1000 levels; stop well before
 * the stack is at risk. Refs may loop ({"$ref": "#"}), so a chain of $refs that does not
 * descend into the instance is cut off too; MAX_FRAMES caps the remaining recursion (allOf
 * inside allOf...), and MAX_STEPS the time a schema whose anyOf/oneOf branches all recurse can
 * take. A 4 MiB message holds about 2M values, so legitimate input stays well below it. */
#define MAX_DEPTH 128
#define MAX_REFS 64
#define MAX_FRAMES 1024
#define MAX_STEPS 10000000L  /* subschema evaluations per validation: bounds anyOf blowups */
#define MAX_SCHEMA_DEPTH 128 /* mcp__schema_check: nesting of subschemas */
#define PATH_LEN 256         /* longest path shown in a message; longer ones end in "..." */
#define MAX_PATTERN 65536    /* longest translated pattern */

/* Internal result that ends the whole validation: a too-deep instance or a broken schema must
 * not be swallowed by anyOf or turned into success by "not". Reported as MCP_EINVAL. */
#define ABORT MCP_E2BIG

/* --- Messages: written straight into the caller's buffer, so reporting never allocates. */

struct out {
    char *buf;
    size_t cap;
    size_t len;
};

static void out_init(struct out *o, char *buf, size_t cap)
{
    o->buf = buf;
    o->cap = buf ? cap : 0;
    o->len = 0;
    if (o->cap)
        o->buf[0] = '\0';
}

static void out_reset(struct out *o)
{
    out_init(o, o->buf, o->cap);
}

__attribute__((format(printf, 2, 0))) static void out_vaddf(struct out *o, const char *fmt,
                                                            va_list ap)
{
    if (o->len + 1 >= o->cap)
        return;
    size_t room = o->cap - o->len;
    int n = vsnprintf(o->buf + o->len, room, fmt, ap);
    if (n < 0)
        return;
    if ((size_t)n < room) {
        o->len += (size_t)n;
        return;
    }
    /* Truncated: say so, rather than end mid-word as if that were the whole sentence. */
    o->len = o->cap - 1;
    if (o->cap > 3)
        memcpy(o->buf + o->cap - 4, "...", 3);
}

__attribute__((format(printf, 2, 3))) static void out_addf(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    out_vaddf(o, fmt, ap);
    va_end(ap);
}

/* Shortest decimal form that reads back as the same double: 0.1 rather than
 * 0.10000000000000001, 100 rather than 1e+02. */
static void format_number(double d, char *buf, size_t len)
{
    if (d > -1e15 && d < 1e15 && d == (double)(long long)d) {
        snprintf(buf, len, "%.0f", d);
        return;
    }
    snprintf(buf, len, "%.15g", d);
    if (strtod(buf, NULL) != d)
        snprintf(buf, len, "%.17g", d);
}

static void out_number(struct out *o, double d)
{
    char num[32];
    format_number(d, num, sizeof num);
    out_addf(o, "%s", num);
}

static void out_string(struct out *o, const char *s)
{
    out_addf(o, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p && o->len + 1 < o->cap; p++) {
        if (*p == '"' || *p == '\\')
            out_addf(o, "\\%c", *p);
        else if (*p < 0x20)
            out_addf(o, "\\u%04x", *p);
        else
            out_addf(o, "%c", *p);
    }
    out_addf(o, "\"");
}

/* Compact JSON for enum and const values; deep values are elided since the message is a
 * sentence for an agent, not a serialisation. */
static void out_json(struct out *o, const cJSON *v, int depth)
{
    if (cJSON_IsNull(v)) {
        out_addf(o, "null");
    } else if (cJSON_IsBool(v)) {
        out_addf(o, "%s", cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNumber(v)) {
        out_number(o, v->valuedouble);
    } else if (cJSON_IsString(v)) {
        out_string(o, v->valuestring ? v->valuestring : "");
    } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        bool obj = cJSON_IsObject(v);
        out_addf(o, "%c", obj ? '{' : '[');
        if (depth >= 4 && v->child) {
            out_addf(o, "...");
        } else {
            const cJSON *m;
            cJSON_ArrayForEach (m, v) {
                if (o->len + 1 >= o->cap)
                    break;
                if (m != v->child)
                    out_addf(o, ",");
                if (obj) {
                    out_string(o, m->string ? m->string : "");
                    out_addf(o, ":");
                }
                out_json(o, m, depth + 1);
            }
        }
        out_addf(o, "%c", obj ? '}' : ']');
    }
}

static const char *plural(double n)
{
    return n == 1 ? "" : "s";
}

/* --- JSON helpers. */

static bool is_integral(double d)
{
    if (!isfinite(d))
        return false;
    /* Beyond 2^53 every double is an integer, and the cast below could overflow. */
    if (d >= 9007199254740992.0 || d <= -9007199254740992.0)
        return true;
    return (double)(long long)d == d;
}

static bool is_count(const cJSON *v)
{
    return cJSON_IsNumber(v) && is_integral(v->valuedouble) && v->valuedouble >= 0;
}

/* Deep equality for enum, const and uniqueItems: numbers by value (1 equals 1.0), objects
 * regardless of member order. Returns 1 equal, 0 not, -1 when nested too deep to compare. */
static int equal(const cJSON *a, const cJSON *b, int depth)
{
    if (depth > MAX_DEPTH)
        return -1;
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
        return a->valuedouble == b->valuedouble;
    if ((a->type & 0xFF) != (b->type & 0xFF))
        return 0;
    if (cJSON_IsString(a))
        return strcmp(a->valuestring ? a->valuestring : "", b->valuestring ? b->valuestring : "") ==
               0;
    if (!cJSON_IsArray(a) && !cJSON_IsObject(a))
        return 1; /* null, true, false: the type says it all */
    if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
        return 0;
    const cJSON *x, *y = b->child;
    cJSON_ArrayForEach (x, a) {
        const cJSON *other = y;
        if (cJSON_IsObject(a) && !(other = cJSON_GetObjectItemCaseSensitive(b, x->string)))
            return 0;
        if (!other)
            return 0;
        int eq = equal(x, other, depth + 1);
        if (eq != 1)
            return eq;
        y = y ? y->next : NULL;
    }
    return 1;
}

static size_t code_points(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* --- ECMA-262 patterns as POSIX extended regular expressions.
 *
 * JSON Schema patterns are ECMA-262 and unanchored; regexec searches too, so only the syntax
 * needs translating. Constructs POSIX has no equivalent for (look-around, back-references,
 * \b, non-ASCII inside [...]) are refused with a reason rather than approximated. What remains
 * different is small and documented in schema_int.h: matching is byte-wise, and \s knows only
 * the ASCII spaces. Matching asks only "is there a match", which makes lazy quantifiers
 * equivalent to greedy ones. */

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(int c)
{
    return is_alpha(c) || is_digit(c);
}

/* A set of ASCII characters: bracket expressions are rebuilt from it so that ']', '^', '-'
 * and '[' can be placed where POSIX reads them literally. */
struct charset {
    unsigned char bits[16];
};

static void set_add(struct charset *cs, unsigned c)
{
    cs->bits[c >> 3] |= (unsigned char)(1u << (c & 7));
}

static bool set_has(const struct charset *cs, unsigned c)
{
    return cs->bits[c >> 3] & (1u << (c & 7));
}

static void set_add_range(struct charset *cs, unsigned lo, unsigned hi)
{
    for (unsigned c = lo; c <= hi; c++)
        set_add(cs, c);
}

/* ECMA's \d \w \s, restricted to ASCII (\s loses the Unicode spaces such as U+00A0). */
static void set_add_class(struct charset *cs, int cls)
{
    switch (cls) {
    case 'd':
        set_add_range(cs, '0', '9');
        break;
    case 'w':
        set_add_range(cs, '0', '9');
        set_add_range(cs, 'A', 'Z');
        set_add_range(cs, 'a', 'z');
        set_add(cs, '_');
        break;
    default: /* 's' */
        set_add(cs, ' ');
        set_add_range(cs, '\t', '\r');
        break;
    }
}

static int emit(struct mcp__buf *out, const char *s, size_t len)
{
    return mcp__buf_add(out, s, len);
}

static int emit_set(struct mcp__buf *out, const struct charset *cs, bool negate)
{
    char tmp[140];
    size_t n = 0;
    unsigned c;
    if (!negate) {
        /* "[^]" would read as a negation, so a lone '^' goes outside brackets. */
        struct charset only = {{0}};
        set_add(&only, '^');
        if (memcmp(cs, &only, sizeof only) == 0)
            return emit(out, "\\^", 2);
        set_add(&only, '-');
        if (memcmp(cs, &only, sizeof only) == 0)
            return emit(out, "[-^]", 4);
    }
    tmp[n++] = '[';
    if (negate)
        tmp[n++] = '^';
    /* POSIX: ']' is literal first, '-' last, '^' anywhere but first, and '[' only where no
     * ':', '.' or '=' follows it. */
    if (set_has(cs, ']'))
        tmp[n++] = ']';
    for (c = 1; c < 128; c++)
        if (set_has(cs, c) && !strchr("]-^[", (int)c))
            tmp[n++] = (char)c;
    if (set_has(cs, '['))
        tmp[n++] = '[';
    if (set_has(cs, '^'))
        tmp[n++] = '^';
    if (set_has(cs, '-'))
        tmp[n++] = '-';
    tmp[n++] = ']';
    return emit(out, tmp, n);
}

static int emit_literal(struct mcp__buf *out, unsigned c)
{
    char tmp[4];
    if (strchr("^.[$()|*+?{\\", (int)c)) {
        tmp[0] = '\\';
        tmp[1] = (char)c;
        return emit(out, tmp, 2);
    }
    if (c == ']' || c == '}') {
        tmp[0] = '[';
        tmp[1] = (char)c;
        tmp[2] = ']';
        return emit(out, tmp, 3);
    }
    tmp[0] = (char)c;
    return emit(out, tmp, 1);
}

/* A multi-byte character goes in parentheses so that a quantifier after it repeats the whole
 * character, not its last byte. */
static int emit_code_point(struct mcp__buf *out, unsigned long cp)
{
    char tmp[6];
    size_t n = 0;
    if (cp < 0x80)
        return emit_literal(out, (unsigned)cp);
    tmp[n++] = '(';
    if (cp < 0x800) {
        tmp[n++] = (char)(0xC0 | (cp >> 6));
    } else if (cp < 0x10000) {
        tmp[n++] = (char)(0xE0 | (cp >> 12));
        tmp[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
    } else {
        tmp[n++] = (char)(0xF0 | (cp >> 18));
        tmp[n++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        tmp[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
    }
    int rc = emit(out, tmp, n);
    n = 0;
    tmp[n++] = (char)(0x80 | (cp & 0x3F));
    tmp[n++] = ')';
    return rc ? rc : emit(out, tmp, n);
}

/* One parsed escape: either a character or one of the classes d D w W s S. */
struct escape {
    unsigned long cp;
    int cls; /* 0 for a character */
};

static int refuse(char *err, size_t errlen, const char *why)
{
    snprintf(err, errlen, "%s", why);
    return MCP_EINVAL;
}

static int parse_hex(const char **pp, int digits, unsigned long *cp)
{
    unsigned long v = 0;
    for (int i = 0; i < digits; i++) {
        int h = mcp__hex_value((unsigned char)(*pp)[i]);
        if (h < 0)
            return -1;
        v = v * 16 + (unsigned long)h;
    }
    *pp += digits;
    *cp = v;
    return 0;
}

/* Parses \u escapes: \uXXXX, a surrogate pair of them, or \u{X...}. */
static int parse_unicode(const char **pp, unsigned long *cp, char *err, size_t errlen)
{
    const char *p = *pp;
    unsigned long v = 0;
    if (*p == '{') {
        int n = 0;
        for (p++; mcp__hex_value((unsigned char)*p) >= 0 && n < 7; p++, n++)
            v = v * 16 + (unsigned long)mcp__hex_value((unsigned char)*p);
        if (*p != '}' || n == 0 || v > 0x10FFFF)
            return refuse(err, errlen, "malformed \\u{...} escape");
        p++;
    } else if (parse_hex(&p, 4, &v)) {
        return refuse(err, errlen, "\\u must be followed by four hex digits");
    }
    if (v >= 0xD800 && v <= 0xDBFF && p[0] == '\\' && p[1] == 'u') {
        const char *q = p + 2;
        unsigned long lo;
        if (!parse_hex(&q, 4, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
            v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
            p = q;
        }
    }
    if (v >= 0xD800 && v <= 0xDFFF)
        return refuse(err, errlen, "a lone surrogate \\u escape cannot be matched");
    *pp = p;
    *cp = v;
    return 0;
}

/* Parses the escape after a backslash at *pp; in a class \b is a backspace, outside it is a
 * word boundary, which POSIX lacks. */
static int parse_escape(const char **pp, bool in_class, struct escape *e, char *err, size_t errlen)
{
    const char *p = *pp;
    int c = (unsigned char)*p++;
    e->cls = 0;
    e->cp = 0;
    switch (c) {
    case 'd':
    case 'D':
    case 'w':
    case 'W':
    case 's':
    case 'S':
        e->cls = c;
        break;
    case 'n':
        e->cp = '\n';
        break;
    case 't':
        e->cp = '\t';
        break;
    case 'r':
        e->cp = '\r';
        break;
    case 'f':
        e->cp = '\f';
        break;
    case 'v':
        e->cp = '\v';
        break;
    case 'b':
        if (!in_class)
            return refuse(err, errlen, "\\b (word boundary) is not supported");
        e->cp = '\b';
        break;
    case 'B':
        return refuse(err, errlen, "\\B (non-word boundary) is not supported");
    case 'x':
        if (parse_hex(&p, 2, &e->cp))
            return refuse(err, errlen, "\\x must be followed by two hex digits");
        break;
    case 'u': {
        int rc = parse_unicode(&p, &e->cp, err, errlen);
        if (rc)
            return rc;
        break;
    }
    case '\0':
        return refuse(err, errlen, "the pattern ends with a lone backslash");
    default:
        if (is_digit(c))
            return refuse(err, errlen, "back-references and \\0 are not supported");
        if (is_alpha(c) || c >= 0x80) {
            snprintf(err, errlen, "the escape \\%c is not supported", c);
            return MCP_EINVAL;
        }
        e->cp = (unsigned long)c; /* \. \* \/ and other escaped punctuation: the character */
        break;
    }
    if (!e->cls && e->cp == 0)
        return refuse(err, errlen, "a NUL character cannot be matched");
    *pp = p;
    return 0;
}

/* One member of a class: a character (returned in *c) or a class escape added to `cs` (*c is
 * then -1). */
static int class_atom(const char **pp, struct charset *cs, long *c, char *err, size_t errlen)
{
    const char *p = *pp;
    unsigned char ch = (unsigned char)*p;
    if (ch == '\\') {
        struct escape e;
        p++;
        int rc = parse_escape(&p, true, &e, err, errlen);
        if (rc)
            return rc;
        if (e.cls >= 'A' && e.cls <= 'Z')
            return refuse(err, errlen, "\\D, \\W and \\S inside [...] are not supported");
        if (e.cls) {
            set_add_class(cs, e.cls);
            *c = -1;
        } else if (e.cp >= 0x80) {
            return refuse(err, errlen, "non-ASCII characters inside [...] are not supported");
        } else {
            *c = (long)e.cp;
        }
    } else if (ch >= 0x80) {
        return refuse(err, errlen, "non-ASCII characters inside [...] are not supported");
    } else {
        *c = ch;
        p++;
    }
    *pp = p;
    return 0;
}

static int translate_class(const char **pp, struct mcp__buf *out, char *err, size_t errlen)
{
    const char *p = *pp + 1;
    struct charset cs = {{0}}, none = {{0}};
    bool negate = *p == '^';
    if (negate)
        p++;
    /* In ECMA a ']' right after '[' closes the class: [] matches nothing, [^] anything. */
    while (*p != ']') {
        long lo, hi;
        if (!*p)
            return refuse(err, errlen, "'[' without a closing ']'");
        int rc = class_atom(&p, &cs, &lo, err, errlen);
        if (rc)
            return rc;
        if (lo < 0)
            continue;
        if (*p == '-' && p[1] && p[1] != ']') {
            p++;
            rc = class_atom(&p, &cs, &hi, err, errlen);
            if (rc)
                return rc;
            if (hi < 0)
                return refuse(err, errlen, "a range inside [...] cannot end in a class escape");
            if (hi < lo)
                return refuse(err, errlen, "a range inside [...] is out of order");
            set_add_range(&cs, (unsigned)lo, (unsigned)hi);
        } else {
            set_add(&cs, (unsigned)lo);
        }
    }
    if (memcmp(&cs, &none, sizeof cs) == 0)
        return refuse(err, errlen, "empty classes [] and [^] are not supported");
    *pp = p + 1;
    return emit_set(out, &cs, negate);
}

/* Length of a {n}, {n,} or {n,m} quantifier at p, or 0 when the brace is a literal. */
static size_t brace_quantifier(const char *p)
{
    const char *q = p + 1;
    if (!is_digit((unsigned char)*q))
        return 0;
    while (is_digit((unsigned char)*q))
        q++;
    if (*q == ',') {
        q++;
        while (is_digit((unsigned char)*q))
            q++;
    }
    return *q == '}' ? (size_t)(q - p + 1) : 0;
}

static int translate_group(const char **pp, struct mcp__buf *out, char *err, size_t errlen)
{
    const char *p = *pp + 1;
    if (*p == '?') {
        if (p[1] == ':') {
            p += 2;
        } else if (p[1] == '<' && p[2] != '=' && p[2] != '!') {
            /* A named group: the name only matters for captures, which REG_NOSUB ignores. */
            for (p += 2; is_alnum((unsigned char)*p) || *p == '_' || *p == '$'; p++)
                ;
            if (*p != '>')
                return refuse(err, errlen, "malformed group name");
            p++;
        } else {
            return refuse(err, errlen, "look-ahead and look-behind groups are not supported");
        }
    }
    *pp = p;
    return emit(out, "(", 1);
}

static int translate_escape(const char **pp, struct mcp__buf *out, char *err, size_t errlen)
{
    struct escape e;
    const char *p = *pp + 1;
    int rc = parse_escape(&p, false, &e, err, errlen);
    if (rc)
        return rc;
    *pp = p;
    if (!e.cls)
        return emit_code_point(out, e.cp);
    struct charset cs = {{0}};
    bool negate = e.cls >= 'A' && e.cls <= 'Z';
    set_add_class(&cs, negate ? e.cls - 'A' + 'a' : e.cls);
    return emit_set(out, &cs, negate);
}

/* Translates `src` into `out`. Returns 0, MCP_ENOMEM, or MCP_EINVAL with the reason in err. */
static int translate_pattern(const char *src, struct mcp__buf *out, char *err, size_t errlen)
{
    const char *p = src;
    int rc = 0;
    while (*p && !rc) {
        unsigned char c = (unsigned char)*p;
        size_t n;
        switch (c) {
        case '\\':
            rc = translate_escape(&p, out, err, errlen);
            break;
        case '[':
            rc = translate_class(&p, out, err, errlen);
            break;
        case '(':
            rc = translate_group(&p, out, err, errlen);
            break;
        case '.':
            /* ECMA's dot does not match line terminators; POSIX's matches anything. */
            rc = emit(out, "[^\n\r]", 5);
            p++;
            break;
        case '*':
        case '+':
        case '?':
            rc = emit(out, p, 1);
            p++;
            if (*p == '?') /* lazy: same answer to "is there a match" */
                p++;
            break;
        case '{':
            n = brace_quantifier(p);
            if (n) {
                rc = emit(out, p, n);
                p += n;
                if (*p == '?')
                    p++;
            } else {
                rc = emit(out, "[{]", 3);
                p++;
            }
            break;
        case '}':
        case ']':
            rc = emit_literal(out, c);
            p++;
            break;
        default:
            if (c < 0x80) {
                rc = emit(out, p, 1);
                p++;
            } else {
                /* Copy the whole UTF-8 sequence, grouped like emit_code_point's. */
                n = 1;
                while (((unsigned char)p[n] & 0xC0) == 0x80)
                    n++;
                rc = emit(out, "(", 1);
                if (!rc)
                    rc = emit(out, p, n);
                if (!rc)
                    rc = emit(out, ")", 1);
                p += n;
            }
            break;
        }
    }
    if (rc == MCP_E2BIG)
        rc = refuse(err, errlen, "the pattern is too long");
    return rc;
}

/* Compiles an ECMA-262 pattern. Returns 0 (free `re` with regfree), MCP_ENOMEM, or
 * MCP_EINVAL with the reason in err. */
static int compile_pattern(const char *pattern, regex_t *re, char *err, size_t errlen)
{
    struct mcp__buf ere;
    mcp__buf_init(&ere, MAX_PATTERN);
    int rc = translate_pattern(pattern, &ere, err, errlen);
    if (!rc) {
        /* An empty ERE is undefined in POSIX; "()" matches everywhere, as "" does in ECMA. */
        int rrc = regcomp(re, ere.len ? mcp__buf_str(&ere) : "()", REG_EXTENDED | REG_NOSUB);
        if (rrc == REG_ESPACE) {
            rc = MCP_ENOMEM;
        } else if (rrc) {
            char why[128];
            regerror(rrc, re, why, sizeof why);
            snprintf(err, errlen, "%s", why);
            rc = MCP_EINVAL;
        }
    }
    mcp__buf_release(&ere);
    return rc;
}

/* Returns 0 with *hit set, or MCP_ENOMEM. */
static int match(const regex_t *re, const char *s, bool *hit)
{
    int rc = regexec(re, s, 0, NULL, 0);
    if (rc && rc != REG_NOMATCH)
        return MCP_ENOMEM;
    *hit = rc == 0;
    return 0;
}

/* --- Formats. */

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* RFC 3339 full-date at *pp. */
static bool parse_date(const char **pp)
{
    const char *s = *pp;
    int y = digits(s, 4), m, d;
    if (y < 0 || s[4] != '-' || (m = digits(s + 5, 2)) < 1 || m > 12 || s[7] != '-')
        return false;
    d = digits(s + 8, 2);
    if (d < 1 || d > days_in_month(y, m))
        return false;
    *pp = s + 10;
    return true;
}

/* RFC 3339 full-time (the offset is required) at *pp. A leap second is only valid at
 * 23:59:60 UTC. */
static bool parse_time(const char **pp)
{
    const char *s = *pp;
    int h = digits(s, 2), m, sec, oh = 0, om = 0, sign = 0;
    if (h < 0 || h > 23 || s[2] != ':' || (m = digits(s + 3, 2)) < 0 || m > 59 || s[5] != ':')
        return false;
    sec = digits(s + 6, 2);
    if (sec < 0 || sec > 60)
        return false;
    s += 8;
    if (*s == '.') {
        if (!is_digit((unsigned char)s[1]))
            return false;
        for (s++; is_digit((unsigned char)*s); s++)
            ;
    }
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        sign = *s == '+' ? 1 : -1;
        oh = digits(s + 1, 2);
        if (oh < 0 || oh > 23 || s[3] != ':' || (om = digits(s + 4, 2)) < 0 || om > 59)
            return false;
        s += 6;
    } else {
        return false;
    }
    if (sec == 60) {
        int utc = ((h * 60 + m - sign * (oh * 60 + om)) % 1440 + 1440) % 1440;
        if (utc != 23 * 60 + 59)
            return false;
    }
    *pp = s;
    return true;
}

static bool is_date(const char *s)
{
    return parse_date(&s) && !*s;
}

static bool is_time(const char *s)
{
    return parse_time(&s) && !*s;
}

static bool is_date_time(const char *s)
{
    if (!parse_date(&s) || (*s != 'T' && *s != 't'))
        return false;
    s++;
    return parse_time(&s) && !*s;
}

static bool is_hostname(const char *s, size_t len)
{
    size_t label = 0;
    if (len == 0 || len > 253)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return false;
            label = 0;
        } else if (is_alnum((unsigned char)c) || (c == '-' && label > 0)) {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return label > 0 && s[len - 1] != '-';
}

static bool is_ipv4(const char *s, size_t len)
{
    int parts = 0;
    size_t i = 0;
    while (i < len && parts < 4) {
        int v = 0, n = 0;
        while (i < len && is_digit((unsigned char)s[i]) && n < 3)
            v = v * 10 + (s[i++] - '0'), n++;
        if (n == 0 || v > 255)
            return false;
        if (++parts < 4 && (i >= len || s[i++] != '.'))
            return false;
    }
    return parts == 4 && i == len;
}

/* RFC 5321 addresses: dot-atom or quoted local part, host name or [IP] domain. */
static bool is_email(const char *s)
{
    static const char atext[] = "!#$%&'*+-/=?^_`{|}~";
    const char *at = strrchr(s, '@');
    if (!at || at == s)
        return false;
    size_t llen = (size_t)(at - s);
    const char *domain = at + 1;
    size_t dlen = strlen(domain);
    if (llen > 64)
        return false;
    if (s[0] == '"') {
        if (llen < 2 || at[-1] != '"')
            return false;
        for (const char *p = s + 1; p < at - 1; p++) {
            if (*p == '\\' && p + 1 < at - 1)
                p++;
            else if (*p == '"' || *p == '\\')
                return false;
            if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7E)
                return false;
        }
    } else {
        for (size_t i = 0; i < llen; i++) {
            char c = s[i];
            if (c == '.') {
                if (i == 0 || i == llen - 1 || s[i + 1] == '.')
                    return false;
            } else if (!is_alnum((unsigned char)c) && !strchr(atext, c)) {
                return false;
            }
        }
    }
    if (dlen >= 2 && domain[0] == '[' && domain[dlen - 1] == ']') {
        if (dlen > 7 && strncmp(domain + 1, "IPv6:", 5) == 0) {
            for (size_t i = 6; i < dlen - 1; i++)
                if (mcp__hex_value((unsigned char)domain[i]) < 0 && !strchr(":.", domain[i]))
                    return false;
            return true;
        }
        return is_ipv4(domain + 1, dlen - 2);
    }
    return is_hostname(domain, dlen);
}

/* RFC 3986 URI (not a relative reference): a scheme, then only URI characters, with
 * well-formed percent-escapes. */
static bool is_uri(const char *s)
{
    static const char allowed[] = "-._~:/?#[]@!$&'()*+,;=";
    const char *p = s;
    if (!is_alpha((unsigned char)*p))
        return false;
    while (is_alnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
        p++;
    if (*p != ':')
        return false;
    for (p++; *p; p++) {
        if (*p == '%') {
            if (mcp__hex_value((unsigned char)p[1]) < 0 || mcp__hex_value((unsigned char)p[2]) < 0)
                return false;
            p += 2;
        } else if (!is_alnum((unsigned char)*p) && !strchr(allowed, *p)) {
            return false;
        }
    }
    return true;
}

static bool is_uuid(const char *s)
{
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : mcp__hex_value((unsigned char)s[i]) < 0)
            return false;
    }
    return s[36] == '\0';
}

static const struct format {
    const char *name;
    bool (*valid)(const char *s);
    const char *expect; /* completes "must be ..." */
} formats[] = {
    {"date-time", is_date_time, "a date-time in RFC 3339 form, e.g. 2025-01-31T09:30:00Z"},
    {"date", is_date, "a date in the form YYYY-MM-DD"},
    {"time", is_time, "a time with an offset in RFC 3339 form, e.g. 09:30:00Z"},
    {"email", is_email, "an email address"},
    {"uri", is_uri, "an absolute URI, e.g. https://example.com/"},
    {"uuid", is_uuid, "a UUID, e.g. 123e4567-e89b-12d3-a456-426614174000"},
};

/* --- $ref: JSON pointers into the schema's own document. */

/* Reads one character of a URI fragment, undoing %XX. Returns -1 on a malformed escape. */
static int fragment_char(const char **pp)
{
    const char *p = *pp;
    int c = (unsigned char)*p;
    if (c == '%') {
        int hi = mcp__hex_value((unsigned char)p[1]),
            lo = hi < 0 ? -1 : mcp__hex_value((unsigned char)p[2]);
        if (lo < 0 || (hi == 0 && lo == 0))
            return -1;
        *pp = p + 3;
        return hi * 16 + lo;
    }
    *pp = p + 1;
    return c;
}

/* Finds the subschema of `node` whose "$anchor" is `name` (a plain-name fragment). */
static const cJSON *find_anchor(const cJSON *node, const char *name, int depth)
{
    if (depth > 64 || !(cJSON_IsObject(node) || cJSON_IsArray(node)))
        return NULL;
    const cJSON *anchor = cJSON_GetObjectItemCaseSensitive(node, "$anchor");
    if (cJSON_IsObject(node) && cJSON_IsString(anchor) && strcmp(anchor->valuestring, name) == 0)
        return node;
    const cJSON *child;
    cJSON_ArrayForEach (child, node) {
        const cJSON *found = find_anchor(child, name, depth + 1);
        if (found)
            return found;
    }
    return NULL;
}

/* Resolves "#", "#/a/b" (RFC 6901, also percent-encoded), "#anchor", or the same behind the
 * root's "$id". Returns the schema (object or boolean) or NULL. */
static const cJSON *resolve_ref(const cJSON *root, const char *ref)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "$id");
    const cJSON *node = root;
    if (*ref != '#' && cJSON_IsString(id) && id->valuestring[0]) {
        size_t n = strlen(id->valuestring);
        if (strncmp(ref, id->valuestring, n) == 0)
            ref += n;
        if (!*ref)
            return root;
    }
    if (*ref != '#')
        return NULL; /* another document: nothing to fetch it from */
    if (ref[1] && ref[1] != '/')
        return find_anchor(root, ref + 1, 0);
    const char *p = ref + 1;
    while (*p) {
        char token[256];
        size_t n = 0;
        if (*p != '/')
            return NULL;
        p++;
        while (*p && *p != '/') {
            int c = fragment_char(&p);
            if (c == '~') {
                c = fragment_char(&p);
                if (c != '0' && c != '1')
                    return NULL;
                c = c == '0' ? '~' : '/';
            }
            if (c < 0 || n + 1 >= sizeof token)
                return NULL;
            token[n++] = (char)c;
        }
        token[n] = '\0';
        if (cJSON_IsObject(node)) {
            node = cJSON_GetObjectItemCaseSensitive(node, token);
        } else if (cJSON_IsArray(node)) {
            char *end;
            if (!is_digit((unsigned char)token[0]) || (token[0] == '0' && token[1]) || n > 9)
                return NULL;
            long i = strtol(token, &end, 10);
            node = *end ? NULL : cJSON_GetArrayItem(node, (int)i);
        } else {
            return NULL;
        }
        if (!node)
            return NULL;
    }
    return cJSON_IsObject(node) || cJSON_IsBool(node) ? node : NULL;
}

/* --- The compiled schema: what validation would otherwise find out again on every call.
 * Built by mcp__schema_compile and only read afterwards, so threads share it without a lock;
 * the one exception is each kept pattern's `busy` flag (match_pattern). */

/* A pattern of the schema: the value of "pattern", or one key of "patternProperties". */
struct pattern {
    regex_t re;          /* when compiled */
    const char *source;  /* the ECMA-262 pattern, for messages and copies (match_pattern) */
    const cJSON *schema; /* patternProperties: the key's subschema */
    bool compiled;
    atomic_bool busy; /* a call is matching with `re` (the one thing validation writes) */
    char why[128];    /* otherwise: why libmcp cannot use it (told when validation meets it) */
};

/* Strings longer than this are matched with a copy of the pattern compiled for the call. */
#define SHARED_MATCH_MAX 256

/* Matches `s` against a compiled pattern: with its kept regex_t when no other call is using
 * it and `s` is short, otherwise with a copy compiled for this match, as every match was
 * before patterns were kept. glibc's regexec locks a regex_t while it runs and keeps in it the
 * matcher states it builds, so a single shared copy would make calls to one tool wait for each
 * other, and would hold what a long string made it build for as long as the tool exists.
 * Returns 0 with *hit set, or MCP_ENOMEM. */
static int match_pattern(struct pattern *p, const char *s, bool *hit)
{
    bool shared =
        strnlen(s, SHARED_MATCH_MAX + 1) <= SHARED_MATCH_MAX && !atomic_exchange(&p->busy, true);
    if (shared) {
        int rc = match(&p->re, s, hit);
        atomic_store(&p->busy, false);
        return rc;
    }
    regex_t copy;
    char why[sizeof p->why];
    if (compile_pattern(p->source, &copy, why, sizeof why))
        return MCP_ENOMEM; /* it compiled once, so only memory can be short */
    int rc = match(&copy, s, hit);
    regfree(&copy);
    return rc;
}

/* One schema object of the document. */
struct node {
    const cJSON *schema;
    uint64_t used;           /* bit k: keywords[k] is present and has a handler */
    size_t args;             /* their values: mcp__schema.args from this index on, in order */
    unsigned types;          /* "type" as bits of type_names; 0 when absent or malformed */
    const cJSON *ref;        /* what "$ref" resolves to, or NULL */
    struct pattern *pattern; /* "pattern", when it is a string (owned) */
    struct pattern *props;   /* the keys of "patternProperties", in order (owned) */
    size_t nprops;
};

struct mcp__schema {
    const cJSON *root;
    struct node *nodes; /* every schema object validation can reach, root first */
    size_t nnodes, nodes_cap;
    size_t *slots; /* nodes by address, open-addressed: index + 1, or 0 for an empty slot */
    unsigned bits; /* 2^bits slots, at most half of them used */
    const cJSON **args;
    size_t nargs, args_cap;
};

/* --- Validation state. */

struct validation {
    const struct mcp__schema *s;
    struct out msg;
    char path[PATH_LEN]; /* the argument being validated: "address.zip", "tags[2]" */
    size_t pathlen;
    int frames;
    long steps;
    bool naming; /* inside propertyNames: the instance is an argument's name */
};

/* Where a keyword applies: its schema object and the instance, with the depth counters. */
struct at {
    const cJSON *schema;
    const struct node *node; /* the schema, compiled */
    const cJSON *inst;
    int depth; /* instance levels descended */
    int refs;  /* $refs followed since the last descent */
};

typedef int (*keyword_fn)(struct validation *v, const struct at *at, const cJSON *arg);

static int validate(struct validation *v, const cJSON *schema, const cJSON *inst, int depth,
                    int refs);

/* Appends `prefix` and then n bytes of `s` to the path and returns the length to restore. A
 * path too long for the buffer ends in "...". Plain copies rather than a printf: validation
 * descends once per member and per item of the instance. */
static size_t path_push(struct validation *v, const char *prefix, const char *s, size_t n)
{
    size_t mark = v->pathlen, room = sizeof v->path - mark, np = strlen(prefix);
    size_t cp = np < room - 1 ? np : room - 1;
    memcpy(v->path + mark, prefix, cp);
    size_t cs = n < room - 1 - cp ? n : room - 1 - cp;
    memcpy(v->path + mark + cp, s, cs);
    if (np + n < room) {
        v->pathlen += np + n;
        v->path[v->pathlen] = '\0';
    } else {
        v->pathlen = sizeof v->path - 1;
        memcpy(v->path + sizeof v->path - 4, "...", 4);
    }
    return mark;
}

static size_t path_push_key(struct validation *v, const char *key)
{
    return path_push(v, v->pathlen ? "." : "", key, strlen(key));
}

static size_t path_push_index(struct validation *v, int i)
{
    char digits[24];
    digits[sizeof digits - 1] = ']';
    char *start = mcp__decimal(digits + sizeof digits - 1, i);
    return path_push(v, "[", start, (size_t)(digits + sizeof digits - start));
}

static void path_pop(struct validation *v, size_t mark)
{
    v->pathlen = mark;
    v->path[mark] = '\0';
}

/* Starts a message about the current argument: "argument 'a.b' ", or "arguments " at the top. */
static void begin(struct validation *v)
{
    out_reset(&v->msg);
    if (v->naming)
        out_addf(&v->msg, "argument name '%s' ", v->path);
    else if (v->pathlen)
        out_addf(&v->msg, "argument '%s' ", v->path);
    else
        out_addf(&v->msg, "arguments ");
}

__attribute__((format(printf, 2, 3))) static int fail(struct validation *v, const char *fmt, ...)
{
    va_list ap;
    begin(v);
    va_start(ap, fmt);
    out_vaddf(&v->msg, fmt, ap);
    va_end(ap);
    return MCP_EINVAL;
}

static int too_deep(struct validation *v, const char *keyword)
{
    fail(v, "is nested too deeply to compare (%s)", keyword);
    return ABORT;
}

static int descend_key(struct validation *v, const struct at *at, const cJSON *sub, const char *key,
                       const cJSON *child)
{
    size_t mark = path_push_key(v, key);
    int rc = validate(v, sub, child, at->depth + 1, 0);
    path_pop(v, mark);
    return rc;
}

static int descend_index(struct validation *v, const struct at *at, const cJSON *sub, int i,
                         const cJSON *child)
{
    size_t mark = path_push_index(v, i);
    int rc = validate(v, sub, child, at->depth + 1, 0);
    path_pop(v, mark);
    return rc;
}

/* --- type. Bits in the order the types read best in "must be a string or null". */

static const char *const type_names[] = {"string", "number", "integer", "boolean",
                                         "object", "array",  "null"};
static const char *const type_articles[] = {"a string",  "a number", "an integer", "a boolean",
                                            "an object", "an array", "null"};
#define NTYPES (sizeof type_names / sizeof type_names[0])

static unsigned type_bit(const char *name)
{
    for (size_t i = 0; i < NTYPES; i++)
        if (name[0] == type_names[i][0] && strcmp(name, type_names[i]) == 0)
            return 1u << i;
    return 0;
}

/* The types a "type" value allows; 0 when it is malformed (and so ignored). */
static unsigned type_mask(const cJSON *arg)
{
    unsigned mask = 0;
    const cJSON *t;
    if (cJSON_IsString(arg))
        return type_bit(arg->valuestring);
    if (!cJSON_IsArray(arg))
        return 0;
    cJSON_ArrayForEach (t, arg) {
        if (cJSON_IsString(t))
            mask |= type_bit(t->valuestring);
    }
    return mask;
}

/* The bits of type_names, in its order, for the checks made on every value. */
enum {
    T_STRING = 1u << 0,
    T_NUMBER = 1u << 1,
    T_INTEGER = 1u << 2,
    T_BOOLEAN = 1u << 3,
    T_OBJECT = 1u << 4,
    T_ARRAY = 1u << 5,
    T_NULL = 1u << 6
};

static unsigned instance_types(const cJSON *inst)
{
    if (cJSON_IsString(inst))
        return T_STRING;
    if (cJSON_IsNumber(inst))
        return T_NUMBER | (is_integral(inst->valuedouble) ? T_INTEGER : 0);
    if (cJSON_IsBool(inst))
        return T_BOOLEAN;
    if (cJSON_IsObject(inst))
        return T_OBJECT;
    if (cJSON_IsArray(inst))
        return T_ARRAY;
    return T_NULL;
}

static size_t first_bit(unsigned mask)
{
    size_t i = 0;
    while (i + 1 < NTYPES && !(mask & (1u << i)))
        i++;
    return i;
}

static bool mask_admits(unsigned mask, const cJSON *inst)
{
    return !mask || (mask & instance_types(inst));
}

/* "must be a string or null, not an array (keyword)" */
static int fail_type(struct validation *v, unsigned mask, const cJSON *inst, const char *keyword)
{
    size_t n = 0, total = 0;
    for (size_t i = 0; i < NTYPES; i++)
        total += (mask >> i) & 1;
    begin(v);
    out_addf(&v->msg, "must be ");
    for (size_t i = 0; i < NTYPES; i++) {
        if (!(mask & (1u << i)))
            continue;
        out_addf(&v->msg, "%s%s", n == 0 ? "" : n + 1 == total ? " or " : ", ", type_articles[i]);
        n++;
    }
    out_addf(&v->msg, ", not ");
    if (cJSON_IsNumber(inst) && (mask & T_INTEGER))
        out_number(&v->msg, inst->valuedouble); /* "not 1.5" says what is wrong */
    else
        out_addf(&v->msg, "%s", type_articles[first_bit(instance_types(inst))]);
    out_addf(&v->msg, " (%s)", keyword);
    return MCP_EINVAL;
}

static int v_type(struct validation *v, const struct at *at, const cJSON *arg)
{
    unsigned mask = at->node->types; /* type_mask(arg), found when compiling */
    (void)arg;
    return mask_admits(mask, at->inst) ? 0 : fail_type(v, mask, at->inst, "type");
}

/* --- enum, const. */

static int v_enum(struct validation *v, const struct at *at, const cJSON *arg)
{
    const cJSON *e;
    if (!cJSON_IsArray(arg))
        return 0;
    cJSON_ArrayForEach (e, arg) {
        int eq = equal(e, at->inst, 0);
        if (eq < 0)
            return too_deep(v, "enum");
        if (eq)
            return 0;
    }
    begin(v);
    out_addf(&v->msg, "must be %s", cJSON_GetArraySize(arg) == 1 ? "" : "one of ");
    cJSON_ArrayForEach (e, arg) {
        if (e != arg->child)
            out_addf(&v->msg, ", ");
        out_json(&v->msg, e, 0);
    }
    out_addf(&v->msg, " (enum)");
    return MCP_EINVAL;
}

static int v_const(struct validation *v, const struct at *at, const cJSON *arg)
{
    int eq = equal(arg, at->inst, 0);
    if (eq < 0)
        return too_deep(v, "const");
    if (eq)
        return 0;
    begin(v);
    out_addf(&v->msg, "must be ");
    out_json(&v->msg, arg, 0);
    out_addf(&v->msg, " (const)");
    return MCP_EINVAL;
}

/* --- Objects. */

static int v_required(struct validation *v, const struct at *at, const cJSON *arg)
{
    const cJSON *name;
    if (!cJSON_IsObject(at->inst) || !cJSON_IsArray(arg))
        return 0;
    cJSON_ArrayForEach (name, arg) {
        if (!cJSON_IsString(name) || mcp__json_get(at->inst, name->valuestring))
            continue;
        size_t mark = path_push_key(v, name->valuestring);
        out_reset(&v->msg);
        out_addf(&v->msg, "missing required argument '%s'", v->path);
        path_pop(v, mark);
        return MCP_EINVAL;
    }
    return 0;
}

static int v_min_properties(struct validation *v, const struct at *at, const cJSON *arg)
{
    double n = arg->valuedouble;
    if (!cJSON_IsObject(at->inst) || !cJSON_IsNumber(arg) || cJSON_GetArraySize(at->inst) >= n)
        return 0;
    return fail(v, "must have at least %.0f propert%s (minProperties)", n, n == 1 ? "y" : "ies");
}

static int v_max_properties(struct validation *v, const struct at *at, const cJSON *arg)
{
    double n = arg->valuedouble;
    if (!cJSON_IsObject(at->inst) || !cJSON_IsNumber(arg) || cJSON_GetArraySize(at->inst) <= n)
        return 0;
    return fail(v, "must have at most %.0f propert%s (maxProperties)", n, n == 1 ? "y" : "ies");
}

/* Walks the instance rather than the schema so that a duplicated member is checked too,
 * whichever copy a handler ends up reading. */
static int v_properties(struct validation *v, const struct at *at, const cJSON *arg)
{
    const cJSON *m;
    if (!cJSON_IsObject(at->inst) || !cJSON_IsObject(arg))
        return 0;
    cJSON_ArrayForEach (m, at->inst) {
        const cJSON *sub = m->string ? mcp__json_get(arg, m->string) : NULL;
        int rc = sub ? descend_key(v, at, sub, m->string, m) : 0;
        if (rc)
            return rc;
    }
    return 0;
}

/* Fails the validation when a key of the schema's patternProperties could not be compiled:
 * only a schema that mcp__schema_check never saw can have one. */
static int props_usable(struct validation *v, const struct node *n)
{
    for (size_t i = 0; i < n->nprops; i++) {
        if (!n->props[i].compiled) {
            out_reset(&v->msg);
            out_addf(&v->msg, "the schema's patternProperties key '%s' cannot be used: %s",
                     n->props[i].source, n->props[i].why);
            return ABORT;
        }
    }
    return 0;
}

static int v_pattern_properties(struct validation *v, const struct at *at, const cJSON *arg)
{
    const struct node *n = at->node;
    const cJSON *m;
    if (!cJSON_IsObject(at->inst) || !cJSON_IsObject(arg))
        return 0;
    int rc = props_usable(v, n);
    if (rc)
        return rc;
    cJSON_ArrayForEach (m, at->inst) {
        for (size_t i = 0; i < n->nprops && !rc; i++) {
            bool hit;
            rc = match_pattern(&n->props[i], m->string, &hit);
            if (!rc && hit)
                rc = descend_key(v, at, n->props[i].schema, m->string, m);
        }
        if (rc)
            break;
    }
    return rc;
}

static int v_additional_properties(struct validation *v, const struct at *at, const cJSON *arg)
{
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(at->schema, "properties");
    const struct node *n = at->node;
    const cJSON *m;
    if (!cJSON_IsObject(at->inst) || cJSON_IsTrue(arg))
        return 0;
    int rc = props_usable(v, n);
    if (rc)
        return rc;
    cJSON_ArrayForEach (m, at->inst) {
        bool hit = cJSON_IsObject(props) && cJSON_GetObjectItemCaseSensitive(props, m->string);
        for (size_t i = 0; i < n->nprops && !hit && !rc; i++)
            rc = match_pattern(&n->props[i], m->string, &hit);
        if (rc)
            break;
        if (hit)
            continue;
        if (cJSON_IsFalse(arg)) {
            size_t mark = path_push_key(v, m->string);
            out_reset(&v->msg);
            out_addf(&v->msg, "unknown argument '%s' (additionalProperties is false)", v->path);
            path_pop(v, mark);
            rc = MCP_EINVAL;
            break;
        }
        if ((rc = descend_key(v, at, arg, m->string, m)))
            break;
    }
    return rc;
}

static int v_property_names(struct validation *v, const struct at *at, const cJSON *arg)
{
    const cJSON *m;
    if (!cJSON_IsObject(at->inst))
        return 0;
    cJSON_ArrayForEach (m, at->inst) {
        /* The name as a string instance, on the stack: nothing to allocate or free. */
        cJSON name;
        memset(&name, 0, sizeof name);
        name.type = cJSON_String;
        name.valuestring = m->string;
        bool naming = v->naming;
        v->naming = true;
        int rc = descend_key(v, at, arg, m->string, &name);
        v->naming = naming;
        if (rc)
            return rc;
    }
    return 0;
}

/* --- Arrays. */

static int v_min_items(struct validation *v, const struct at *at, const cJSON *arg)
{
    double n = arg->valuedouble;
    if (!cJSON_IsArray(at->inst) || !cJSON_IsNumber(arg) || cJSON_GetArraySize(at->inst) >= n)
        return 0;
    return fail(v, "must have at least %.0f item%s (minItems)", n, plural(n));
}

static int v_max_items(struct validation *v, const struct at *at, const cJSON *arg)
{
    double n = arg->valuedouble;
    if (!cJSON_IsArray(at->inst) || !cJSON_IsNumber(arg) || cJSON_GetArraySize(at->inst) <= n)
        return 0;
    return fail(v, "must have at most %.0f item%s (maxItems)", n, plural(n));
}

/* A hash that agrees with `equal`: numbers by value, object members in any order. Returns -1
 * when nested too deep, like equal. */
static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

static uint64_t hash_string(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static int hash_value(const cJSON *v, int depth, uint64_t *out)
{
    const cJSON *m;
    uint64_t h, sub;
    if (depth > MAX_DEPTH)
        return -1;
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble == 0 ? 0 : v->valuedouble; /* -0 equals 0 */
        memcpy(&h, &d, sizeof h);
        h = mix(h ^ 1);
    } else if (cJSON_IsString(v)) {
        h = mix(hash_string(v->valuestring) ^ 2);
    } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        bool obj = cJSON_IsObject(v);
        h = obj ? 4 : 3;
        cJSON_ArrayForEach (m, v) {
            if (hash_value(m, depth + 1, &sub))
                return -1;
            /* Members are summed so that their order does not matter; items are chained. */
            h = obj ? h + mix(hash_string(m->string) ^ mix(sub)) : mix(h * 31 + sub);
        }
        h = mix(h);
    } else {
        h = mix((uint64_t)(v->type & 0xFF) << 8);
    }
    *out = h;
    return 0;
}

struct slot {
    uint64_t hash;
    int index;
    const cJSON *item;
};

static int by_hash(const void *a, const void *b)
{
    const struct slot *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Sorting by hash keeps this O(n log n): an agent controls the array's length. */
static int v_unique_items(struct validation *v, const struct at *at, const cJSON *arg)
{
    const cJSON *item;
    size_t n = (size_t)cJSON_GetArraySize(at->inst), i = 0, run, end;
    int first = -1, second = -1, rc = 0;
    if (!cJSON_IsArray(at->inst) || !cJSON_IsTrue(arg) || n < 2)
        return 0;
    struct slot *slots = mcp__calloc(n, sizeof(*slots));
    if (!slots)
        return MCP_ENOMEM;
    cJSON_ArrayForEach (item, at->inst) {
        if (hash_value(item, 0, &slots[i].hash)) {
            rc = too_deep(v, "uniqueItems");
            goto out_free;
        }
        slots[i].index = (int)i;
        slots[i].item = item;
        i++;
    }
    qsort(slots, n, sizeof(*slots), by_hash);
    /* Within a run of equal hashes, find the first item that repeats an earlier one; report
     * the repeat with the lowest index over all runs. */
    for (run = 0; run < n; run = end) {
        for (end = run + 1; end < n && slots[end].hash == slots[run].hash; end++)
            ;
        for (size_t b = run + 1; b < end && (second < 0 || slots[b].index < second); b++) {
            for (size_t a = run; a < b; a++) {
                int eq = equal(slots[a].item, slots[b].item, 0);
                if (eq < 0) {
                    rc = too_deep(v, "uniqueItems");
                    goto out_free;
                }
                if (eq) {
                    first = slots[a].index;
                    second = slots[b].index;
                    break;
                }
            }
        }
    }
    if (second >= 0)
        rc = fail(v, "must not contain duplicates, but items %d and %d are equal (uniqueItems)",
                  first, second);
out_free:
    mcp__free(slots);
    return rc;
}

static int v_prefix_items(struct validation *v, const struct at *at, const cJSON *arg)
{
    const cJSON *item, *sub = cJSON_IsArray(arg) ? arg->child : NULL;
    int i = 0;
    if (!cJSON_IsArray(at->inst))
        return 0;
    cJSON_ArrayForEach (item, at->inst) {
        if (!sub)
            break;
        int rc = descend_index(v, at, sub, i++, item);
        if (rc)
            return rc;
        sub = sub->next;
    }
    return 0;
}

static int v_items(struct validation *v, const struct at *at, const cJSON *arg)
{
    const cJSON *prefix = cJSON_GetObjectItemCaseSensitive(at->schema, "prefixItems");
    int start = cJSON_IsArray(prefix) ? cJSON_GetArraySize(prefix) : 0, i = 0;
    const cJSON *item;
    if (!cJSON_IsArray(at->inst))
        return 0;
    if (cJSON_IsFalse(arg) && cJSON_GetArraySize(at->inst) > start)
        return fail(v, "must have at most %d item%s (items is false)", start, plural(start));
    cJSON_ArrayForEach (item, at->inst) {
        if (i >= start) {
            int rc = descend_index(v, at, arg, i, item);
            if (rc)
                return rc;
        }
        i++;
    }
    return 0;
}

static int v_contains(struct validation *v, const struct at *at, const cJSON *arg)
{
    const cJSON *minc = cJSON_GetObjectItemCaseSensitive(at->schema, "minContains");
    const cJSON *maxc = cJSON_GetObjectItemCaseSensitive(at->schema, "maxContains");
    double min = is_count(minc) ? minc->valuedouble : 1;
    double max = is_count(maxc) ? maxc->valuedouble : -1;
    double found = 0;
    const cJSON *item;
    int i = 0;
    if (!cJSON_IsArray(at->inst))
        return 0;
    cJSON_ArrayForEach (item, at->inst) {
        if (max < 0 && found >= min)
            break; /* nothing left to learn */
        int rc = descend_index(v, at, arg, i++, item);
        if (rc == 0)
            found++;
        else if (rc != MCP_EINVAL)
            return rc;
        if (max >= 0 && found > max)
            break;
    }
    if (found < min) {
        if (min == 1)
            return fail(v, "must contain at least one item that matches the contains schema "
                           "(contains)");
        return fail(v,
                    "must contain at least %.0f items that match the contains schema "
                    "(minContains)",
                    min);
    }
    if (max >= 0 && found > max)
        return fail(v,
                    "must contain at most %.0f item%s that match%s the contains schema "
                    "(maxContains)",
                    max, plural(max), max == 1 ? "es" : "");
    return 0;
}

/* --- Numbers. */

static int v_minimum(struct validation *v, const struct at *at, const cJSON *arg)
{
    char num[32];
    if (!cJSON_IsNumber(at->inst) || !cJSON_IsNumber(arg) ||
        at->inst->valuedouble >= arg->valuedouble)
        return 0;
    format_number(arg->valuedouble, num, sizeof num);
    return fail(v, "must be at least %s (minimum)", num);
}

static int v_maximum(struct validation *v, const struct at *at, const cJSON *arg)
{
    char num[32];
    if (!cJSON_IsNumber(at->inst) || !cJSON_IsNumber(arg) ||
        at->inst->valuedouble <= arg->valuedouble)
        return 0;
    format_number(arg->valuedouble, num, sizeof num);
    return fail(v, "must be at most %s (maximum)", num);
}

static int v_exclusive_minimum(struct validation *v, const struct at *at, const cJSON *arg)
{
    char num[32];
    if (!cJSON_IsNumber(at->inst) || !cJSON_IsNumber(arg) ||
        at->inst->valuedouble > arg->valuedouble)
        return 0;
    format_number(arg->valuedouble, num, sizeof num);
    return fail(v, "must be greater than %s (exclusiveMinimum)", num);
}

static int v_exclusive_maximum(struct validation *v, const struct at *at, const cJSON *arg)
{
    char num[32];
    if (!cJSON_IsNumber(at->inst) || !cJSON_IsNumber(arg) ||
        at->inst->valuedouble < arg->valuedouble)
        return 0;
    format_number(arg->valuedouble, num, sizeof num);
    return fail(v, "must be less than %s (exclusiveMaximum)", num);
}

/* x / m must be an integer; decimal divisors such as 0.1 have no exact binary form, so the
 * quotient is allowed the rounding error of one division (0.3 / 0.1 = 2.9999999999999996). */
static bool is_multiple(double x, double m)
{
    if (is_integral(x) && is_integral(m) && x > -9007199254740992.0 && x < 9007199254740992.0 &&
        m < 9007199254740992.0)
        return (long long)x % (long long)m == 0;
    double q = x / m;
    if (!isfinite(q))
        return false;
    if (is_integral(q))
        return true;
    double r = (double)(long long)(q < 0 ? q - 0.5 : q + 0.5);
    double diff = q > r ? q - r : r - q, mag = q < 0 ? -q : q;
    return diff <= 8 * DBL_EPSILON * (mag > 1 ? mag : 1);
}

static int v_multiple_of(struct validation *v, const struct at *at, const cJSON *arg)
{
    char num[32];
    if (!cJSON_IsNumber(at->inst) || !cJSON_IsNumber(arg) || !(arg->valuedouble > 0) ||
        is_multiple(at->inst->valuedouble, arg->valuedouble))
        return 0;
    format_number(arg->valuedouble, num, sizeof num);
    return fail(v, "must be a multiple of %s (multipleOf)", num);
}

/* --- Strings. */

static int v_min_length(struct validation *v, const struct at *at, const cJSON *arg)
{
    double n = arg->valuedouble;
    if (!cJSON_IsString(at->inst) || !cJSON_IsNumber(arg) ||
        (double)code_points(at->inst->valuestring) >= n)
        return 0;
    return fail(v, "must be at least %.0f character%s long (minLength)", n, plural(n));
}

static int v_max_length(struct validation *v, const struct at *at, const cJSON *arg)
{
    double n = arg->valuedouble;
    if (!cJSON_IsString(at->inst) || !cJSON_IsNumber(arg) ||
        (double)code_points(at->inst->valuestring) <= n)
        return 0;
    return fail(v, "must be at most %.0f character%s long (maxLength)", n, plural(n));
}

static int v_pattern(struct validation *v, const struct at *at, const cJSON *arg)
{
    struct pattern *p = at->node->pattern; /* compiled when arg is a string */
    bool hit;
    if (!cJSON_IsString(at->inst) || !cJSON_IsString(arg))
        return 0;
    if (!p->compiled) {
        out_reset(&v->msg);
        out_addf(&v->msg, "the schema's pattern %s cannot be used: %s", arg->valuestring, p->why);
        return ABORT;
    }
    int rc = match_pattern(p, at->inst->valuestring, &hit);
    if (rc || hit)
        return rc;
    return fail(v, "must match the pattern %s (pattern)", arg->valuestring);
}

static int v_format(struct validation *v, const struct at *at, const cJSON *arg)
{
    if (!cJSON_IsString(at->inst) || !cJSON_IsString(arg))
        return 0;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        if (strcmp(arg->valuestring, formats[i].name) == 0) {
            if (formats[i].valid(at->inst->valuestring))
                return 0;
            return fail(v, "must be %s (format)", formats[i].expect);
        }
    }
    return 0; /* an unknown format is an annotation */
}

/* --- Applicators. */

static int v_all_of(struct validation *v, const struct at *at, const cJSON *arg)
{
    const cJSON *sub;
    if (!cJSON_IsArray(arg))
        return 0;
    cJSON_ArrayForEach (sub, arg) {
        int rc = validate(v, sub, at->inst, at->depth, at->refs);
        if (rc)
            return rc;
    }
    return 0;
}

/* Whether `sub`'s own "type" lets the instance through. A branch that fails on type is not
 * what the agent meant, so messages come from the branches that pass it. */
static bool plausible(const cJSON *sub, const cJSON *inst)
{
    if (cJSON_IsBool(sub))
        return cJSON_IsTrue(sub);
    return mask_admits(type_mask(cJSON_GetObjectItemCaseSensitive(sub, "type")), inst);
}

/* Shared by anyOf and oneOf: counts the branches that match, stopping at `enough`. When no
 * branch matches, the message is the lone plausible branch's own (its failure was evaluated
 * last, so it is in msg), or a summary. */
static int choose(struct validation *v, const struct at *at, const cJSON *arg, const char *keyword,
                  int enough, int *matched, int *second)
{
    const cJSON *sub;
    int candidates = 0, i = 0;
    unsigned types = 0;
    *matched = *second = -1;
    int count = 0;
    if (!cJSON_IsArray(arg))
        return 0;
    cJSON_ArrayForEach (sub, arg) {
        if (plausible(sub, at->inst))
            candidates++;
        else if (cJSON_IsObject(sub))
            types |= type_mask(cJSON_GetObjectItemCaseSensitive(sub, "type"));
    }
    if (candidates == 0 && !types)
        return fail(v, "can match no schema in %s (%s)", keyword, keyword);
    if (candidates == 0)
        return fail_type(v, types, at->inst, keyword);
    cJSON_ArrayForEach (sub, arg) {
        int idx = i++;
        if (!plausible(sub, at->inst))
            continue; /* it fails on type; no need to run it */
        int rc = validate(v, sub, at->inst, at->depth, at->refs);
        if (rc == MCP_EINVAL)
            continue;
        if (rc)
            return rc;
        if (count++ == 0)
            *matched = idx;
        else
            *second = idx;
        if (count >= enough)
            break;
    }
    if (count > 0 || candidates == 1)
        return count > 0 ? 0 : MCP_EINVAL;
    return fail(v, "must match %s of the schemas in %s (%s)",
                strcmp(keyword, "anyOf") == 0 ? "at least one" : "exactly one", keyword, keyword);
}

static int v_any_of(struct validation *v, const struct at *at, const cJSON *arg)
{
    int first, second;
    return choose(v, at, arg, "anyOf", 1, &first, &second);
}

static int v_one_of(struct validation *v, const struct at *at, const cJSON *arg)
{
    int first, second;
    int rc = choose(v, at, arg, "oneOf", 2, &first, &second);
    if (rc || second < 0)
        return rc;
    return fail(v,
                "must match exactly one of the schemas in oneOf, but matches schemas %d and %d "
                "(oneOf)",
                first, second);
}

static int v_not(struct validation *v, const struct at *at, const cJSON *arg)
{
    int rc = validate(v, arg, at->inst, at->depth, at->refs);
    if (rc == MCP_EINVAL)
        return 0;
    if (rc)
        return rc;
    return fail(v, "must not match the schema in not (not)");
}

static int v_if(struct validation *v, const struct at *at, const cJSON *arg)
{
    int rc = validate(v, arg, at->inst, at->depth, at->refs);
    if (rc != 0 && rc != MCP_EINVAL)
        return rc;
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(at->schema, rc ? "else" : "then");
    return next ? validate(v, next, at->inst, at->depth, at->refs) : 0;
}

static int v_ref(struct validation *v, const struct at *at, const cJSON *arg)
{
    const cJSON *target = at->node->ref;
    if (!target) {
        out_reset(&v->msg);
        out_addf(&v->msg, "the schema's $ref ");
        if (cJSON_IsString(arg))
            out_string(&v->msg, arg->valuestring);
        out_addf(&v->msg, " does not resolve to a schema in the same document");
        return ABORT;
    }
    if (at->refs >= MAX_REFS) {
        fail(v,
             "cannot be validated: the schema's $refs recurse more than %d times without "
             "descending into it (a $ref cycle)",
             MAX_REFS);
        return ABORT;
    }
    return validate(v, target, at->inst, at->depth, at->refs + 1);
}

/* --- The keyword table. */

/* What a keyword's value must be, for mcp__schema_check. */
enum shape {
    ANNOTATION, /* anything: not enforced */
    SCHEMA,
    SCHEMA_LIST,
    SCHEMA_MAP,
    PATTERN_MAP,
    COUNT, /* non-negative integer */
    NUMBER,
    POSITIVE,
    BOOLEAN,
    STRING,
    STRING_LIST,
    ENUM_LIST, /* non-empty array of anything */
    ANY,
    TYPE,
    PATTERN,
    REF,
};

/* In the order keywords are applied, so the first message is the most useful one: the wrong
 * type before a missing member, a missing member before a bad value inside one. A NULL handler
 * marks a keyword read by a sibling's handler (then, else, minContains, maxContains) or one
 * that asserts nothing. */
static const struct keyword {
    const char *name;
    enum shape shape;
    keyword_fn validate;
} keywords[] = {
    {"type", TYPE, v_type},
    {"enum", ENUM_LIST, v_enum},
    {"const", ANY, v_const},
    {"required", STRING_LIST, v_required},
    {"minProperties", COUNT, v_min_properties},
    {"maxProperties", COUNT, v_max_properties},
    {"additionalProperties", SCHEMA, v_additional_properties},
    {"propertyNames", SCHEMA, v_property_names},
    {"properties", SCHEMA_MAP, v_properties},
    {"patternProperties", PATTERN_MAP, v_pattern_properties},
    {"minItems", COUNT, v_min_items},
    {"maxItems", COUNT, v_max_items},
    {"uniqueItems", BOOLEAN, v_unique_items},
    {"prefixItems", SCHEMA_LIST, v_prefix_items},
    {"items", SCHEMA, v_items},
    {"contains", SCHEMA, v_contains},
    {"minContains", COUNT, NULL},
    {"maxContains", COUNT, NULL},
    {"minimum", NUMBER, v_minimum},
    {"maximum", NUMBER, v_maximum},
    {"exclusiveMinimum", NUMBER, v_exclusive_minimum},
    {"exclusiveMaximum", NUMBER, v_exclusive_maximum},
    {"multipleOf", POSITIVE, v_multiple_of},
    {"minLength", COUNT, v_min_length},
    {"maxLength", COUNT, v_max_length},
    {"pattern", PATTERN, v_pattern},
    {"format", STRING, v_format},
    {"$ref", REF, v_ref},
    {"allOf", SCHEMA_LIST, v_all_of},
    {"anyOf", SCHEMA_LIST, v_any_of},
    {"oneOf", SCHEMA_LIST, v_one_of},
    {"not", SCHEMA, v_not},
    {"if", SCHEMA, v_if},
    {"then", SCHEMA, NULL},
    {"else", SCHEMA, NULL},
    {"$defs", SCHEMA_MAP, NULL},
    {"definitions", SCHEMA_MAP, NULL},
    {"title", ANNOTATION, NULL},
    {"description", ANNOTATION, NULL},
    {"default", ANNOTATION, NULL},
    {"examples", ANNOTATION, NULL},
    {"$schema", ANNOTATION, NULL},
    {"$id", ANNOTATION, NULL},
    {"$comment", ANNOTATION, NULL},
    {"$anchor", ANNOTATION, NULL},
    {"deprecated", ANNOTATION, NULL},
    {"readOnly", ANNOTATION, NULL},
    {"writeOnly", ANNOTATION, NULL},
    {"contentMediaType", ANNOTATION, NULL},
    {"contentEncoding", ANNOTATION, NULL},
};

#define NKEYWORDS (sizeof keywords / sizeof keywords[0])
_Static_assert(NKEYWORDS <= 64, "validate() keeps the keywords a schema uses in a 64-bit set");

/* The keywords by name: an open-addressed table of indexes + 1 (0: empty) at FNV-1a hashes of
 * the names, at most half full, built once. One hash and usually one strcmp per member name,
 * where a binary search took six. */
#define NAME_SLOTS 128
_Static_assert(NKEYWORDS <= NAME_SLOTS / 2, "the table of keyword names stays half empty");
static unsigned char by_name[NAME_SLOTS];
static pthread_once_t by_name_once = PTHREAD_ONCE_INIT;

static size_t name_slot(const char *name)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h & (NAME_SLOTS - 1);
}

static void index_names(void)
{
    for (size_t k = 0; k < NKEYWORDS; k++) {
        size_t slot = name_slot(keywords[k].name);
        while (by_name[slot])
            slot = (slot + 1) & (NAME_SLOTS - 1);
        by_name[slot] = (unsigned char)(k + 1);
    }
}

/* The index of keyword `name` in the table, or -1 (an annotation or an unknown member). */
static int keyword_index(const char *name)
{
    pthread_once(&by_name_once, index_names);
    for (size_t slot = name_slot(name); by_name[slot]; slot = (slot + 1) & (NAME_SLOTS - 1))
        if (strcmp(name, keywords[by_name[slot] - 1].name) == 0)
            return by_name[slot] - 1;
    return -1;
}

/* --- Compiling: once per schema, when its tool is added (or for one mcp__schema_validate). */

static uint64_t bit(size_t k)
{
    return UINT64_C(1) << k;
}

/* Fibonacci hashing: the top bits of the address times 2^64 / phi. */
static size_t home_slot(const cJSON *schema, unsigned bits)
{
    return (size_t)(((uint64_t)(uintptr_t)schema * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - bits));
}

static const struct node *node_of(const struct mcp__schema *s, const cJSON *schema)
{
    size_t mask = ((size_t)1 << s->bits) - 1;
    for (size_t slot = home_slot(schema, s->bits); s->slots[slot]; slot = (slot + 1) & mask)
        if (s->nodes[s->slots[slot] - 1].schema == schema)
            return &s->nodes[s->slots[slot] - 1];
    return NULL;
}

static void put_slot(struct mcp__schema *s, size_t index)
{
    size_t mask = ((size_t)1 << s->bits) - 1;
    size_t slot = home_slot(s->nodes[index].schema, s->bits);
    while (s->slots[slot])
        slot = (slot + 1) & mask;
    s->slots[slot] = index + 1;
}

/* Doubles the slots when the next node would fill more than half of them. */
static int make_room(struct mcp__schema *s)
{
    if (2 * (s->nnodes + 1) > ((size_t)1 << s->bits)) {
        size_t *slots = mcp__calloc((size_t)2 << s->bits, sizeof(*slots));
        if (!slots)
            return MCP_ENOMEM;
        mcp__free(s->slots);
        s->slots = slots;
        s->bits++;
        for (size_t i = 0; i < s->nnodes; i++)
            put_slot(s, i);
    }
    if (s->nnodes == s->nodes_cap) {
        size_t cap = s->nodes_cap * 2;
        struct node *nodes = mcp__reallocarray(s->nodes, cap, sizeof(*nodes));
        if (!nodes)
            return MCP_ENOMEM;
        s->nodes = nodes;
        s->nodes_cap = cap;
    }
    return 0;
}

/* Queues `schema` to be compiled, unless it is not an object (booleans need nothing) or is
 * queued already (a $ref target is also reached through $defs). */
static int add_node(struct mcp__schema *s, const cJSON *schema)
{
    if (!cJSON_IsObject(schema) || node_of(s, schema))
        return 0;
    int rc = make_room(s);
    if (rc)
        return rc;
    memset(&s->nodes[s->nnodes], 0, sizeof(s->nodes[0]));
    s->nodes[s->nnodes].schema = schema;
    put_slot(s, s->nnodes++);
    return 0;
}

static int add_arg(struct mcp__schema *s, const cJSON *arg)
{
    if (s->nargs == s->args_cap) {
        size_t cap = s->args_cap * 2;
        const cJSON **args = mcp__reallocarray(s->args, cap, sizeof(*args));
        if (!args)
            return MCP_ENOMEM;
        s->args = args;
        s->args_cap = cap;
    }
    s->args[s->nargs++] = arg;
    return 0;
}

/* Compiles a pattern once, for validation to match with (match_pattern). */
static int add_pattern(struct pattern *p, const char *source, const cJSON *schema)
{
    p->source = source;
    p->schema = schema;
    atomic_init(&p->busy, false);
    int rc = compile_pattern(source, &p->re, p->why, sizeof p->why);
    p->compiled = rc == 0;
    return rc == MCP_EINVAL ? 0 : rc; /* told only if validation meets it */
}

static void free_patterns(struct pattern *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i].compiled)
            regfree(&p[i].re);
    mcp__free(p);
}

/* Queues the subschemas in member `m` of node `n`, and compiles its patterns, $ref and type.
 * These are exactly the places validation descends into: every node it meets is compiled. */
static int add_subschemas(struct mcp__schema *s, struct node *n, enum shape shape, const cJSON *m)
{
    const cJSON *sub;
    int rc = 0;
    switch (shape) {
    case SCHEMA:
        return add_node(s, m);
    case SCHEMA_LIST:
        if (cJSON_IsArray(m))
            for (sub = m->child; sub && !rc; sub = sub->next)
                rc = add_node(s, sub);
        return rc;
    case SCHEMA_MAP:
        if (cJSON_IsObject(m))
            for (sub = m->child; sub && !rc; sub = sub->next)
                rc = add_node(s, sub);
        return rc;
    case PATTERN_MAP:
        if (!cJSON_IsObject(m) || !m->child)
            return 0;
        if (!(n->props = mcp__calloc((size_t)cJSON_GetArraySize(m), sizeof(*n->props))))
            return MCP_ENOMEM;
        for (sub = m->child; sub && !rc; sub = sub->next) {
            rc = add_pattern(&n->props[n->nprops++], sub->string, sub);
            if (!rc)
                rc = add_node(s, sub);
        }
        return rc;
    case PATTERN:
        if (!cJSON_IsString(m))
            return 0;
        if (!(n->pattern = mcp__calloc(1, sizeof(*n->pattern))))
            return MCP_ENOMEM;
        return add_pattern(n->pattern, m->valuestring, NULL);
    case REF:
        if (!cJSON_IsString(m))
            return 0;
        n->ref = resolve_ref(s->root, m->valuestring);
        return add_node(s, n->ref);
    case TYPE:
        n->types = type_mask(m);
        return 0;
    default:
        return 0;
    }
}

/* Compiles node i: the keywords with a handler it uses and their values, in table order (the
 * order decides the message when several fail), and queues the schemas below it. Of a member
 * repeated in the schema only the first counts, as cJSON_GetObjectItemCaseSensitive finds it. */
static int compile_node(struct mcp__schema *s, size_t i)
{
    struct node n = s->nodes[i]; /* a copy: add_node may move the array */
    const cJSON *by_index[NKEYWORDS] = {NULL};
    uint64_t seen = 0;
    int rc = 0;
    n.args = s->nargs;
    for (const cJSON *m = n.schema->child; m && !rc; m = m->next) {
        int k = keyword_index(m->string);
        if (k < 0 || (seen & bit((size_t)k)))
            continue;
        seen |= bit((size_t)k);
        if (keywords[k].validate) {
            n.used |= bit((size_t)k);
            by_index[k] = m;
        }
        rc = add_subschemas(s, &n, keywords[k].shape, m);
    }
    for (size_t k = 0; k < NKEYWORDS && !rc; k++)
        if (n.used & bit(k))
            rc = add_arg(s, by_index[k]);
    s->nodes[i] = n;
    return rc;
}

/* Compiles `schema` without checking it first: what cannot be used is told when validation
 * meets it, as mcp__schema_validate has always done for schemas nobody checked. */
static int compile(const cJSON *schema, struct mcp__schema **out)
{
    struct mcp__schema *s = mcp__malloc(sizeof(*s));
    int rc = MCP_ENOMEM;
    if (!s)
        return rc;
    *s = (struct mcp__schema){.root = schema, .bits = 3, .nodes_cap = 4, .args_cap = 8};
    s->slots = mcp__calloc((size_t)1 << s->bits, sizeof(*s->slots));
    s->nodes = mcp__calloc(s->nodes_cap, sizeof(*s->nodes));
    s->args = mcp__calloc(s->args_cap, sizeof(*s->args));
    if (s->slots && s->nodes && s->args)
        rc = add_node(s, schema);
    /* Breadth first, with the nodes as the queue: a schema can nest deeper than the stack
     * allows recursion (validation stops at MAX_FRAMES). */
    for (size_t i = 0; !rc && i < s->nnodes; i++)
        rc = compile_node(s, i);
    if (rc) {
        mcp__schema_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int mcp__schema_compile(const cJSON *schema, char *msg, size_t msglen, struct mcp__schema **out)
{
    int rc = mcp__schema_check(schema, msg, msglen);
    return rc ? rc : compile(schema, out);
}

void mcp__schema_free(struct mcp__schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nnodes; i++) {
        free_patterns(s->nodes[i].pattern, s->nodes[i].pattern ? 1 : 0);
        free_patterns(s->nodes[i].props, s->nodes[i].nprops);
    }
    mcp__free(s->args);
    mcp__free(s->slots);
    mcp__free(s->nodes);
    mcp__free(s);
}

/* --- Validating. */

static int validate(struct validation *v, const cJSON *schema, const cJSON *inst, int depth,
                    int refs)
{
    if (cJSON_IsBool(schema)) {
        if (cJSON_IsTrue(schema))
            return 0;
        if (!v->pathlen)
            return fail(v, "are not allowed (the schema is false)");
        return fail(v, "is not allowed (the schema is false)");
    }
    if (!cJSON_IsObject(schema))
        return 0; /* not a schema; mcp__schema_check reports it */
    if (depth > MAX_DEPTH) {
        fail(v, "is nested more than %d levels deep", MAX_DEPTH);
        return ABORT;
    }
    if (++v->steps > MAX_STEPS) {
        fail(v, "cannot be validated: the schema needs more than %ld evaluations", MAX_STEPS);
        return ABORT;
    }
    if (v->frames >= MAX_FRAMES) {
        fail(v, "cannot be validated: the schema nests more than %d subschemas deep", MAX_FRAMES);
        return ABORT;
    }
    const struct node *n = node_of(v->s, schema);
    if (!n) { /* compiling queues every subschema validation descends into */
        fail(v, "cannot be validated: the schema was not compiled");
        return ABORT;
    }
    v->frames++;
    struct at at = {schema, n, inst, depth, refs};
    const cJSON *const *args = v->s->args + n->args;
    int rc = 0;
    for (uint64_t used = n->used; used && !rc; used &= used - 1)
        rc = keywords[__builtin_ctzll(used)].validate(v, &at, *args++);
    v->frames--;
    return rc;
}

int mcp__schema_validate_compiled(const struct mcp__schema *s, const cJSON *instance, char *msg,
                                  size_t msglen)
{
    struct validation v;
    memset(&v, 0, sizeof v);
    v.s = s;
    out_init(&v.msg, msg, msglen);
    if (!s)
        return 0;
    if (!instance) {
        out_addf(&v.msg, "arguments are missing");
        return MCP_EINVAL;
    }
    int rc = validate(&v, s->root, instance, 0, 0);
    if (rc == ABORT)
        rc = MCP_EINVAL;
    if (!rc)
        out_reset(&v.msg); /* branches tried on the way may have left text */
    return rc;
}

int mcp__schema_validate(const cJSON *schema, const cJSON *instance, char *msg, size_t msglen)
{
    struct mcp__schema *s = NULL;
    int rc = schema ? compile(schema, &s) : 0;
    if (rc) {
        struct out o;
        out_init(&o, msg, msglen); /* "" */
        return rc;
    }
    rc = mcp__schema_validate_compiled(s, instance, msg, msglen);
    mcp__schema_free(s);
    return rc;
}

/* --- mcp__schema_check. */

struct checking {
    const cJSON *root;
    struct out msg;
    char path[PATH_LEN]; /* JSON pointer of the schema being checked: "#/properties/a" */
    size_t pathlen;
};

static int check_schema(struct checking *c, const cJSON *schema, int depth);

/* Appends "/segment" (escaped as RFC 6901 asks) and returns the length to restore. A path
 * too long for the buffer ends in "...". */
static size_t pointer_push(struct checking *c, const char *segment)
{
    size_t mark = c->pathlen, n = mark, cap = sizeof c->path - 4; /* room for "..." */
    bool cut = false;
    if (mark >= cap)
        return mark; /* already cut short */
    c->path[n++] = '/';
    for (const char *p = segment; *p; p++) {
        const char *escaped = *p == '~' ? "~0" : *p == '/' ? "~1" : NULL;
        size_t len = escaped ? 2 : 1;
        if (n + len > cap) {
            cut = true;
            break;
        }
        if (escaped)
            memcpy(c->path + n, escaped, 2);
        else
            c->path[n] = *p;
        n += len;
    }
    if (cut) {
        memcpy(c->path + n, "...", 3);
        n += 3;
    }
    c->path[n] = '\0';
    c->pathlen = n;
    return mark;
}

static void pointer_pop(struct checking *c, size_t mark)
{
    c->pathlen = mark;
    c->path[mark] = '\0';
}

__attribute__((format(printf, 3, 4))) static int bad(struct checking *c, const char *keyword,
                                                     const char *fmt, ...)
{
    va_list ap;
    out_reset(&c->msg);
    out_addf(&c->msg, "keyword '%s' at %s ", keyword, c->path);
    va_start(ap, fmt);
    out_vaddf(&c->msg, fmt, ap);
    va_end(ap);
    return MCP_EINVAL;
}

/* Checks the subschema at keyword/segment (segment NULL for a keyword holding one schema). */
static int check_sub(struct checking *c, const char *keyword, const char *segment, const cJSON *sub,
                     int depth)
{
    if (!cJSON_IsObject(sub) && !cJSON_IsBool(sub))
        return bad(c, keyword, "must hold schemas (objects or booleans), and '%s' is not one",
                   segment);
    size_t mark = pointer_push(c, keyword);
    if (segment)
        pointer_push(c, segment);
    int rc = check_schema(c, sub, depth + 1);
    pointer_pop(c, mark);
    return rc;
}

static int check_pattern(struct checking *c, const char *keyword, const char *pattern)
{
    regex_t re;
    char why[128];
    int rc = compile_pattern(pattern, &re, why, sizeof why);
    if (rc == MCP_EINVAL)
        return bad(c, keyword, "has the pattern %s, which libmcp cannot use: %s", pattern, why);
    if (!rc)
        regfree(&re);
    return rc;
}

static int check_keyword(struct checking *c, const struct keyword *k, const cJSON *arg, int depth)
{
    const cJSON *m;
    char index[16];
    int rc = 0, i = 0;
    switch (k->shape) {
    case ANNOTATION:
    case ANY:
        return 0;
    case SCHEMA:
        if (strcmp(k->name, "items") == 0 && cJSON_IsArray(arg))
            return bad(c, k->name,
                       "must be a single schema in JSON Schema 2020-12; "
                       "use prefixItems for a tuple");
        if (!cJSON_IsObject(arg) && !cJSON_IsBool(arg))
            return bad(c, k->name, "must be a schema (an object or a boolean)");
        return check_sub(c, k->name, NULL, arg, depth);
    case SCHEMA_LIST:
        if (!cJSON_IsArray(arg) || !cJSON_GetArraySize(arg))
            return bad(c, k->name, "must be a non-empty array of schemas");
        cJSON_ArrayForEach (m, arg) {
            snprintf(index, sizeof index, "%d", i++);
            if ((rc = check_sub(c, k->name, index, m, depth)))
                return rc;
        }
        return 0;
    case SCHEMA_MAP:
    case PATTERN_MAP:
        if (!cJSON_IsObject(arg))
            return bad(c, k->name, "must be an object whose values are schemas");
        cJSON_ArrayForEach (m, arg) {
            if (k->shape == PATTERN_MAP && (rc = check_pattern(c, k->name, m->string)))
                return rc;
            if ((rc = check_sub(c, k->name, m->string, m, depth)))
                return rc;
        }
        return 0;
    case COUNT:
        return is_count(arg) ? 0 : bad(c, k->name, "must be a non-negative integer");
    case NUMBER:
        if (cJSON_IsBool(arg))
            return bad(c, k->name,
                       "must be a number (the boolean form is from draft 4; "
                       "JSON Schema 2020-12 takes the bound itself)");
        return cJSON_IsNumber(arg) && isfinite(arg->valuedouble)
                   ? 0
                   : bad(c, k->name, "must be a number");
    case POSITIVE:
        return cJSON_IsNumber(arg) && arg->valuedouble > 0 && isfinite(arg->valuedouble)
                   ? 0
                   : bad(c, k->name, "must be a number greater than 0");
    case BOOLEAN:
        return cJSON_IsBool(arg) ? 0 : bad(c, k->name, "must be true or false");
    case STRING:
        return cJSON_IsString(arg) ? 0 : bad(c, k->name, "must be a string");
    case STRING_LIST:
        if (!cJSON_IsArray(arg))
            return bad(c, k->name, "must be an array of strings");
        cJSON_ArrayForEach (m, arg) {
            if (!cJSON_IsString(m))
                return bad(c, k->name, "must be an array of strings");
        }
        return 0;
    case ENUM_LIST:
        return cJSON_IsArray(arg) && cJSON_GetArraySize(arg)
                   ? 0
                   : bad(c, k->name, "must be a non-empty array");
    case TYPE:
        if (cJSON_IsString(arg) && type_bit(arg->valuestring))
            return 0;
        m = NULL;
        if (cJSON_IsArray(arg) && cJSON_GetArraySize(arg)) {
            cJSON_ArrayForEach (m, arg) {
                if (!cJSON_IsString(m) || !type_bit(m->valuestring))
                    break;
            }
            if (!m)
                return 0;
        }
        return bad(c, k->name,
                   "must be one of \"string\", \"number\", \"integer\", "
                   "\"boolean\", \"object\", \"array\", \"null\", or a non-empty "
                   "array of them");
    case PATTERN:
        if (!cJSON_IsString(arg))
            return bad(c, k->name, "must be a string");
        return check_pattern(c, k->name, arg->valuestring);
    case REF:
        if (!cJSON_IsString(arg))
            return bad(c, k->name, "must be a string");
        if (!resolve_ref(c->root, arg->valuestring))
            return bad(c, k->name,
                       "\"%s\" does not resolve to a schema in the same document "
                       "(only local refs such as \"#/$defs/name\" are supported)",
                       arg->valuestring);
        return 0;
    }
    return 0;
}

static int check_schema(struct checking *c, const cJSON *schema, int depth)
{
    const cJSON *m;
    if (cJSON_IsBool(schema))
        return 0;
    if (depth > MAX_SCHEMA_DEPTH) {
        out_reset(&c->msg);
        out_addf(&c->msg, "the schema at %s is nested more than %d levels deep", c->path,
                 MAX_SCHEMA_DEPTH);
        return MCP_EINVAL;
    }
    cJSON_ArrayForEach (m, schema) {
        const struct keyword *k = NULL;
        for (size_t i = 0; i < NKEYWORDS && !k; i++)
            if (strcmp(m->string, keywords[i].name) == 0)
                k = &keywords[i];
        if (!k) {
            if (strncmp(m->string, "x-", 2) == 0)
                continue;
            out_reset(&c->msg);
            out_addf(&c->msg, "unsupported keyword '%s' at %s: libmcp cannot enforce it", m->string,
                     c->path);
            return MCP_EINVAL;
        }
        int rc = check_keyword(c, k, m, depth);
        if (rc)
            return rc;
    }
    return 0;
}

int mcp__schema_check(const cJSON *schema, char *msg, size_t msglen)
{
    struct checking c;
    memset(&c, 0, sizeof c);
    c.root = schema;
    out_init(&c.msg, msg, msglen);
    c.path[0] = '#';
    c.pathlen = 1;
    if (!cJSON_IsObject(schema) && !cJSON_IsBool(schema)) {
        out_addf(&c.msg, "the schema must be an object or a boolean");
        return MCP_EINVAL;
    }
    return check_schema(&c, schema, 0);
}
