/* The argument validator: every keyword passes and fails, the messages agents see, nesting,
 * $ref cycles, patterns, check() at registration, and allocation failures. */
#include "schema_int.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alloc_int.h"
#include "buf_int.h"
#include "mcp/error.h"

#include "test.h"

static char msg[512];

static cJSON *parse(const char *json)
{
    cJSON *v = cJSON_Parse(json);
    if (!v) {
        fprintf(stderr, "test JSON does not parse: %s\n", json);
        exit(2);
    }
    return v;
}

static int run(const char *schema, const char *instance)
{
    cJSON *s = parse(schema), *i = parse(instance);
    int rc = mcp__schema_validate(s, i, msg, sizeof msg);
    cJSON_Delete(s);
    cJSON_Delete(i);
    return rc;
}

static int check(const char *schema)
{
    cJSON *s = parse(schema);
    int rc = mcp__schema_check(s, msg, sizeof msg);
    cJSON_Delete(s);
    return rc;
}

#define CONTAINS(hay, needle)                                                                      \
    do {                                                                                           \
        const char *hay_ = (hay);                                                                  \
        if (strstr(hay_, needle)) {                                                                \
            test_passed++;                                                                         \
        } else {                                                                                   \
            test_failed++;                                                                         \
            fprintf(stderr, "%s:%d: \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, hay_, needle);     \
        }                                                                                          \
    } while (0)

#define VALID(schema, inst)                                                                        \
    do {                                                                                           \
        CHECK_INT(run(schema, inst), 0);                                                           \
        CHECK_STR(msg, "");                                                                        \
    } while (0)
#define INVALID(schema, inst) CHECK_INT(run(schema, inst), MCP_EINVAL)
#define REJECTS(schema, inst, want)                                                                \
    do {                                                                                           \
        CHECK_INT(run(schema, inst), MCP_EINVAL);                                                  \
        CHECK_STR(msg, want);                                                                      \
    } while (0)
#define CHECK_OK(schema)                                                                           \
    do {                                                                                           \
        CHECK_INT(check(schema), 0);                                                               \
        CHECK_STR(msg, "");                                                                        \
    } while (0)
#define CHECK_BAD(schema, part)                                                                    \
    do {                                                                                           \
        CHECK_INT(check(schema), MCP_EINVAL);                                                      \
        CONTAINS(msg, part);                                                                       \
    } while (0)

static void test_type(void)
{
    VALID("{\"type\":\"string\"}", "\"a\"");
    INVALID("{\"type\":\"string\"}", "1");
    VALID("{\"type\":\"integer\"}", "3");
    VALID("{\"type\":\"integer\"}", "3.0");
    VALID("{\"type\":\"integer\"}", "1e20");
    INVALID("{\"type\":\"integer\"}", "3.5");
    VALID("{\"type\":\"number\"}", "3.5");
    INVALID("{\"type\":\"number\"}", "\"3.5\"");
    VALID("{\"type\":\"boolean\"}", "false");
    INVALID("{\"type\":\"boolean\"}", "0");
    VALID("{\"type\":\"null\"}", "null");
    INVALID("{\"type\":\"null\"}", "false");
    VALID("{\"type\":\"object\"}", "{}");
    INVALID("{\"type\":\"object\"}", "[]");
    VALID("{\"type\":\"array\"}", "[]");
    INVALID("{\"type\":\"array\"}", "{}");
    VALID("{\"type\":[\"string\",\"null\"]}", "null");
    VALID("{\"type\":[\"string\",\"null\"]}", "\"x\"");
    REJECTS("{\"type\":[\"string\",\"null\"]}", "1",
            "arguments must be a string or null, not a number (type)");
    REJECTS("{\"type\":\"object\"}", "[1]", "arguments must be an object, not an array (type)");
    REJECTS("{\"properties\":{\"count\":{\"type\":\"integer\"}}}", "{\"count\":\"7\"}",
            "argument 'count' must be an integer, not a string (type)");
    REJECTS("{\"properties\":{\"count\":{\"type\":\"integer\"}}}", "{\"count\":1.5}",
            "argument 'count' must be an integer, not 1.5 (type)");
    REJECTS("{\"properties\":{\"on\":{\"type\":[\"boolean\",\"integer\",\"null\"]}}}",
            "{\"on\":\"yes\"}",
            "argument 'on' must be an integer, a boolean or null, not a string (type)");
}

static void test_enum_const(void)
{
    const char *s = "{\"properties\":{\"mode\":{\"enum\":[\"read\",\"write\"]}}}";
    VALID(s, "{\"mode\":\"read\"}");
    REJECTS(s, "{\"mode\":\"exec\"}", "argument 'mode' must be one of \"read\", \"write\" (enum)");
    VALID("{\"enum\":[1,[1,{\"a\":null}],\"x\"]}", "1.0");
    VALID("{\"enum\":[1,[1,{\"a\":null}],\"x\"]}", "[1,{\"a\":null}]");
    INVALID("{\"enum\":[1,[1,{\"a\":null}],\"x\"]}", "[1,{\"a\":0}]");
    INVALID("{\"enum\":[false]}", "0");
    REJECTS("{\"enum\":[\"only\"]}", "\"other\"", "arguments must be \"only\" (enum)");
    REJECTS("{\"enum\":[{\"k\":[1,2.5,\"q\\\"\"]},null,true]}", "false",
            "arguments must be one of {\"k\":[1,2.5,\"q\\\"\"]}, null, true (enum)");

    VALID("{\"const\":{\"a\":1,\"b\":[true,null]}}", "{\"b\":[true,null],\"a\":1.0}");
    INVALID("{\"const\":{\"a\":1,\"b\":[true,null]}}", "{\"b\":[true,null],\"a\":1,\"c\":2}");
    INVALID("{\"const\":{\"a\":1,\"b\":[true,null]}}", "{\"b\":[null,true],\"a\":1}");
    REJECTS("{\"properties\":{\"kind\":{\"const\":\"file\"}}}", "{\"kind\":\"dir\"}",
            "argument 'kind' must be \"file\" (const)");
    VALID("{\"const\":null}", "null");
    INVALID("{\"const\":null}", "0");
}

static void test_objects(void)
{
    const char *s = "{\"type\":\"object\",\"required\":[\"path\"],\"properties\":{"
                    "\"path\":{\"type\":\"string\"},\"count\":{\"type\":\"integer\","
                    "\"minimum\":1,\"maximum\":100}},\"additionalProperties\":false}";
    VALID(s, "{\"path\":\"/tmp\",\"count\":100}");
    REJECTS(s, "{\"count\":3}", "missing required argument 'path'");
    REJECTS(s, "{\"path\":\"/\",\"count\":101}", "argument 'count' must be at most 100 (maximum)");
    REJECTS(s, "{\"path\":\"/\",\"count\":0}", "argument 'count' must be at least 1 (minimum)");
    REJECTS(s, "{\"path\":\"/\",\"foo\":1}",
            "unknown argument 'foo' (additionalProperties is false)");
    /* The wrong type comes before the missing member. */
    REJECTS(s, "[]", "arguments must be an object, not an array (type)");

    VALID("{\"additionalProperties\":{\"type\":\"integer\"},\"properties\":{\"a\":{}}}",
          "{\"a\":\"s\",\"b\":2}");
    REJECTS("{\"additionalProperties\":{\"type\":\"integer\"},\"properties\":{\"a\":{}}}",
            "{\"a\":\"s\",\"b\":\"2\"}", "argument 'b' must be an integer, not a string (type)");

    const char *pp = "{\"patternProperties\":{\"^x-\":{\"type\":\"string\"},\"\\\\d$\":"
                     "{\"type\":\"integer\"}},\"additionalProperties\":false}";
    VALID(pp, "{\"x-a\":\"s\",\"n1\":1}");
    REJECTS(pp, "{\"x-a\":1}", "argument 'x-a' must be a string, not a number (type)");
    REJECTS(pp, "{\"x-2\":\"s\"}", "argument 'x-2' must be an integer, not a string (type)");
    REJECTS(pp, "{\"y\":\"s\"}", "unknown argument 'y' (additionalProperties is false)");

    const char *pn = "{\"propertyNames\":{\"pattern\":\"^[a-z_]+$\",\"maxLength\":5}}";
    VALID(pn, "{\"ab_c\":1}");
    REJECTS(pn, "{\"ok\":1,\"Foo\":2}",
            "argument name 'Foo' must match the pattern ^[a-z_]+$ (pattern)");
    REJECTS(pn, "{\"toolong\":1}",
            "argument name 'toolong' must be at most 5 characters long "
            "(maxLength)");
    REJECTS("{\"properties\":{\"m\":{\"propertyNames\":false}}}", "{\"m\":{\"k\":1}}",
            "argument name 'm.k' is not allowed (the schema is false)");
    VALID("{\"properties\":{\"m\":{\"propertyNames\":false}}}", "{\"m\":{}}");

    VALID("{\"minProperties\":1,\"maxProperties\":2}", "{\"a\":1}");
    REJECTS("{\"minProperties\":1,\"maxProperties\":2}", "{}",
            "arguments must have at least 1 property (minProperties)");
    REJECTS("{\"minProperties\":1,\"maxProperties\":2}", "{\"a\":1,\"b\":2,\"c\":3}",
            "arguments must have at most 2 properties (maxProperties)");
    /* Object keywords ignore other types. */
    VALID("{\"required\":[\"a\"],\"minProperties\":3,\"additionalProperties\":false}", "[1]");
}

static void test_nested_paths(void)
{
    const char *s = "{\"type\":\"object\",\"properties\":{"
                    "\"address\":{\"type\":\"object\",\"required\":[\"zip\"],\"properties\":{"
                    "\"zip\":{\"type\":\"string\",\"pattern\":\"^[0-9]{5}$\"}}},"
                    "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"maxLength\":3}},"
                    "\"grid\":{\"items\":{\"items\":{\"type\":\"integer\"}}}}}";
    VALID(s, "{\"address\":{\"zip\":\"12345\"},\"tags\":[\"a\",\"bc\"],\"grid\":[[1],[2,3]]}");
    REJECTS(s, "{\"address\":{\"zip\":\"1234\"}}",
            "argument 'address.zip' must match the pattern ^[0-9]{5}$ (pattern)");
    REJECTS(s, "{\"address\":{}}", "missing required argument 'address.zip'");
    REJECTS(s, "{\"tags\":[\"a\",\"b\",\"long\"]}",
            "argument 'tags[2]' must be at most 3 characters long (maxLength)");
    REJECTS(s, "{\"grid\":[[1],[2,\"x\"]]}",
            "argument 'grid[1][1]' must be an integer, not a string (type)");
    REJECTS("{\"items\":{\"additionalProperties\":false}}", "[{},{\"q\":1}]",
            "unknown argument '[1].q' (additionalProperties is false)");

    /* A path longer than its buffer ends in "...", however it got long. */
    char key[301], schema[600], inst[600], want[400];
    memset(key, 'k', 300);
    key[300] = '\0';
    snprintf(schema, sizeof schema, "{\"properties\":{\"%s\":{\"type\":\"string\"}}}", key);
    snprintf(inst, sizeof inst, "{\"%s\":1}", key);
    snprintf(want, sizeof want, "argument '%.252s...' must be a string, not a number (type)", key);
    REJECTS(schema, inst, want);
    snprintf(schema, sizeof schema,
             "{\"properties\":{\"%.251s\":{\"items\":{\"type\":\"string\"}}}}", key);
    snprintf(inst, sizeof inst, "{\"%.251s\":[\"a\",\"b\",1]}", key);
    snprintf(want, sizeof want, "argument '%.251s[2]' must be a string, not a number (type)", key);
    REJECTS(schema, inst, want); /* 255 characters: just fits */
    snprintf(schema, sizeof schema,
             "{\"properties\":{\"%.253s\":{\"items\":{\"type\":\"string\"}}}}", key);
    snprintf(inst, sizeof inst, "{\"%.253s\":[\"a\",\"b\",1]}", key);
    snprintf(want, sizeof want, "argument '%.252s...' must be a string, not a number (type)", key);
    REJECTS(schema, inst, want);
}

/* The same subschema applied to many values, and more subschemas than validation keeps
 * looked up: the messages are those of a fresh lookup. */
static void test_many_values(void)
{
    struct mcp__buf b;
    mcp__buf_init(&b, 1 << 20);
    mcp__buf_adds(&b, "[");
    for (int i = 0; i < 1000; i++)
        mcp__buf_addf(&b, "%s{\"n\":%d,\"s\":\"x\"}", i ? "," : "", i);
    mcp__buf_adds(&b, ",{\"n\":1.5,\"s\":\"x\"}]");
    const char *items = "{\"items\":{\"type\":\"object\",\"required\":[\"n\",\"s\"],"
                        "\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":0},"
                        "\"s\":{\"type\":\"string\",\"enum\":[\"x\"]}}}}";
    REJECTS(items, mcp__buf_str(&b), "argument '[1000].n' must be an integer, not 1.5 (type)");
    mcp__buf_release(&b);

    /* 100 properties, each its own subschema with its own keywords; the last one fails. */
    struct mcp__buf sb, ib;
    mcp__buf_init(&sb, 1 << 20);
    mcp__buf_init(&ib, 1 << 20);
    mcp__buf_adds(&sb, "{\"type\":\"object\",\"properties\":{");
    mcp__buf_adds(&ib, "{");
    for (int i = 0; i < 100; i++) {
        mcp__buf_addf(&sb, "%s\"p%d\":{\"type\":\"integer\",\"maximum\":%d}", i ? "," : "", i, i);
        mcp__buf_addf(&ib, "%s\"p%d\":%d", i ? "," : "", i, i < 99 ? i : 100);
    }
    mcp__buf_adds(&sb, "}}");
    mcp__buf_adds(&ib, "}");
    REJECTS(mcp__buf_str(&sb), mcp__buf_str(&ib), "argument 'p99' must be at most 99 (maximum)");
    cJSON *schema = parse(mcp__buf_str(&sb)), *inst = parse(mcp__buf_str(&ib));
    cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(inst, "p99"), 99);
    for (int round = 0; round < 3; round++)
        CHECK_INT(mcp__schema_validate(schema, inst, msg, sizeof msg), 0);
    cJSON_Delete(schema);
    cJSON_Delete(inst);
    mcp__buf_release(&sb);
    mcp__buf_release(&ib);
}

static void test_arrays(void)
{
    const char *t = "{\"properties\":{\"pair\":{\"prefixItems\":[{\"type\":\"string\"},"
                    "{\"type\":\"integer\"}],\"items\":false}}}";
    VALID(t, "{\"pair\":[\"a\",1]}");
    VALID(t, "{\"pair\":[\"a\"]}");
    REJECTS(t, "{\"pair\":[\"a\",\"b\"]}",
            "argument 'pair[1]' must be an integer, not a string (type)");
    REJECTS(t, "{\"pair\":[\"a\",1,2]}",
            "argument 'pair' must have at most 2 items (items is false)");
    VALID("{\"prefixItems\":[{\"type\":\"string\"}],\"items\":{\"type\":\"integer\"}}",
          "[\"a\",1,2]");
    REJECTS("{\"prefixItems\":[{\"type\":\"string\"}],\"items\":{\"type\":\"integer\"}}",
            "[\"a\",1,\"b\"]", "argument '[2]' must be an integer, not a string (type)");
    REJECTS("{\"items\":false}", "[1]", "arguments must have at most 0 items (items is false)");

    VALID("{\"minItems\":1,\"maxItems\":2}", "[1,2]");
    REJECTS("{\"minItems\":1,\"maxItems\":2}", "[]",
            "arguments must have at least 1 item (minItems)");
    REJECTS("{\"minItems\":1,\"maxItems\":2}", "[1,2,3]",
            "arguments must have at most 2 items (maxItems)");

    VALID("{\"uniqueItems\":true}", "[1,\"1\",[1],{\"a\":1},{\"a\":2},true,null]");
    REJECTS("{\"uniqueItems\":true}", "[1,2,1.0]",
            "arguments must not contain duplicates, but items 0 and 2 are equal (uniqueItems)");
    INVALID("{\"uniqueItems\":true}", "[{\"a\":1,\"b\":[2]},{\"b\":[2],\"a\":1}]");
    VALID("{\"uniqueItems\":false}", "[1,1]");

    VALID("{\"contains\":{\"type\":\"string\"}}", "[1,\"a\"]");
    REJECTS("{\"contains\":{\"type\":\"string\"}}", "[1,2]",
            "arguments must contain at least one item that matches the contains schema (contains)");
    VALID("{\"contains\":{\"type\":\"string\"},\"minContains\":2,\"maxContains\":3}",
          "[\"a\",1,\"b\"]");
    REJECTS("{\"contains\":{\"type\":\"string\"},\"minContains\":2}", "[\"a\",1]",
            "arguments must contain at least 2 items that match the contains schema "
            "(minContains)");
    REJECTS("{\"contains\":{\"type\":\"string\"},\"maxContains\":1}", "[\"a\",\"b\"]",
            "arguments must contain at most 1 item that matches the contains schema "
            "(maxContains)");
    VALID("{\"contains\":{\"type\":\"string\"},\"minContains\":0}", "[1]");
}

static void test_numbers(void)
{
    VALID("{\"exclusiveMinimum\":0,\"exclusiveMaximum\":10}", "0.5");
    REJECTS("{\"exclusiveMinimum\":0}", "0", "arguments must be greater than 0 (exclusiveMinimum)");
    REJECTS("{\"exclusiveMaximum\":2.5}", "2.5",
            "arguments must be less than 2.5 (exclusiveMaximum)");
    VALID("{\"minimum\":-1.5,\"maximum\":0.1}", "0.1");
    REJECTS("{\"maximum\":0.1}", "0.2", "arguments must be at most 0.1 (maximum)");
    VALID("{\"multipleOf\":5}", "-15");
    REJECTS("{\"multipleOf\":5}", "7", "arguments must be a multiple of 5 (multipleOf)");
    VALID("{\"multipleOf\":0.1}", "0.3");
    VALID("{\"multipleOf\":0.01}", "19.99");
    INVALID("{\"multipleOf\":0.1}", "0.35");
    INVALID("{\"multipleOf\":0.123456789}", "1e308");
    VALID("{\"multipleOf\":1e-8}", "12.5");
    /* Number keywords ignore strings. */
    VALID("{\"minimum\":5,\"multipleOf\":2}", "\"3\"");
}

static void test_strings(void)
{
    VALID("{\"minLength\":2,\"maxLength\":3}", "\"abc\"");
    REJECTS("{\"minLength\":2}", "\"a\"",
            "arguments must be at least 2 characters long (minLength)");
    REJECTS("{\"maxLength\":1}", "\"ab\"",
            "arguments must be at most 1 character long (maxLength)");
    /* Code points, not bytes: "héllo" is 6 bytes, "日本語" 9, the emoji 4. */
    VALID("{\"maxLength\":5}", "\"h\\u00e9llo\"");
    VALID("{\"maxLength\":5}", "\"héllo\"");
    VALID("{\"minLength\":3,\"maxLength\":3}", "\"日本語\"");
    INVALID("{\"maxLength\":2}", "\"日本語\"");
    VALID("{\"maxLength\":1}", "\"😀\"");
    VALID("{\"maxLength\":1}", "\"\\ud83d\\ude00\"");
    INVALID("{\"minLength\":2}", "\"😀\"");
    VALID("{\"pattern\":\"x\"}", "5"); /* strings only */
}

struct pattern_case {
    const char *pattern; /* as JSON string content */
    const char *text;
    int rc;
};

static void test_patterns(void)
{
    static const struct pattern_case cases[] = {
        {"^\\\\d{3}-\\\\d{4}$", "555-1234", 0},
        {"^\\\\d{3}-\\\\d{4}$", "55a-1234", MCP_EINVAL},
        {"\\\\d", "abc", MCP_EINVAL},
        {"^\\\\D+$", "abc", 0},
        {"^\\\\D+$", "ab1", MCP_EINVAL},
        {"^[\\\\w.-]+$", "a.b-c_D9", 0},
        {"^[\\\\w.-]+$", "a b", MCP_EINVAL},
        {"^\\\\w+$", "a-b", MCP_EINVAL},
        {"^\\\\W$", "-", 0},
        {"\\\\s", "a b", 0},
        {"\\\\s", "ab", MCP_EINVAL},
        {"^\\\\S+$", "a\\tb", MCP_EINVAL},
        {"^[\\\\s\\\\d]+$", " 1\\n2", 0},
        {"^(?:ab)+$", "abab", 0},
        {"^(?:ab)+$", "aba", MCP_EINVAL},
        {"^(?<word>a+)b$", "aab", 0},
        {"^a+?b*?c??$", "aab", 0},
        {"^x{2,}?$", "xxx", 0},
        {"^x{2,3}$", "xxxx", MCP_EINVAL},
        {"a.c", "abc", 0},
        {"a.c", "a\\nc", MCP_EINVAL},
        {"^\\\\$\\\\d+\\\\.\\\\d{2}$", "$12.50", 0},
        {"^\\\\$\\\\d+\\\\.\\\\d{2}$", "$12x50", MCP_EINVAL},
        {"^a{b}$", "a{b}", 0},
        {"^[^\\\\]]+$", "ab", 0},
        {"^[^\\\\]]+$", "a]", MCP_EINVAL},
        {"^[\\\\]\\\\[^-]+$", "[]^-", 0},
        {"^[\\\\^]$", "^", 0},
        {"^[\\\\^]$", "\\\\", MCP_EINVAL},
        {"^[-^]$", "-", 0},
        {"^[[:a]+$", "a:[", 0},
        {"^\\\\/\\\\(\\\\)\\\\*\\\\+\\\\?\\\\|\\\\{\\\\}\\\\\\\\$", "/()*+?|{}\\\\", 0},
        {"^é+$", "ééé", 0},
        {"^\\\\u00e9{2}$", "éé", 0},
        {"^\\\\u00e9{2}$", "é", MCP_EINVAL},
        {"^\\\\u{1F600}$", "😀", 0},
        {"^\\\\ud83d\\\\ude00$", "😀", 0},
        {"^\\\\x41\\\\t$", "A\\t", 0},
        {"^[a-c]+$", "abcab", 0},
        {"^[a-c]+$", "abd", MCP_EINVAL},
        {"cat|dog", "hotdog", 0},
        {"", "anything", 0},
        {"^$", "", 0},
    };
    char schema[256], inst[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(schema, sizeof schema, "{\"pattern\":\"%s\"}", cases[i].pattern);
        snprintf(inst, sizeof inst, "\"%s\"", cases[i].text);
        CHECK_INT(check(schema), 0);
        int rc = run(schema, inst);
        if (rc != cases[i].rc)
            fprintf(stderr, "pattern %s on %s: %s\n", cases[i].pattern, cases[i].text, msg);
        CHECK_INT(rc, cases[i].rc);
    }
}

static void test_formats(void)
{
    static const struct {
        const char *format, *text;
        bool ok;
    } cases[] = {
        {"date-time", "2025-01-31T09:30:00Z", true},
        {"date-time", "2025-01-31t09:30:00.123+01:00", true},
        {"date-time", "2024-02-29T23:59:59-05:30", true},
        {"date-time", "1998-12-31T23:59:60Z", true},
        {"date-time", "1998-12-31T15:59:60-08:00", true},
        {"date-time", "1998-12-31T23:58:60Z", false},
        {"date-time", "2025-02-30T00:00:00Z", false},
        {"date-time", "2025-01-31 09:30:00Z", false},
        {"date-time", "2025-01-31T09:30:00", false},
        {"date-time", "2025-01-31T09:30:00.Z", false},
        {"date-time", "2025-01-31T24:00:00Z", false},
        {"date", "2024-02-29", true},
        {"date", "2023-02-29", false},
        {"date", "2024-1-01", false},
        {"date", "2024-13-01", false},
        {"date", "2024-01-01T00:00:00Z", false},
        {"time", "09:30:00Z", true},
        {"time", "09:30:00.5+14:00", true},
        {"time", "25:00:00Z", false},
        {"time", "09:30Z", false},
        {"email", "a.b+c@example.com", true},
        {"email", "\\\"joe bloggs\\\"@example.com", true},
        {"email", "a@[127.0.0.1]", true},
        {"email", "a@localhost", true},
        {"email", "a..b@example.com", false},
        {"email", ".a@example.com", false},
        {"email", "@example.com", false},
        {"email", "a@-x.com", false},
        {"email", "a@x..com", false},
        {"email", "plain", false},
        {"uri", "https://example.com/a?b=c#d", true},
        {"uri", "mailto:a@b.c", true},
        {"uri", "urn:isbn:0451450523", true},
        {"uri", "http://[::1]:80/%41", true},
        {"uri", "//example.com/x", false},
        {"uri", "http://ex ample.com", false},
        {"uri", "1http:x", false},
        {"uri", "http://a/%zz", false},
        {"uri", "bar,baz:foo", false},
        {"uuid", "123e4567-e89b-12d3-a456-426614174000", true},
        {"uuid", "123E4567-E89B-12D3-A456-426614174000", true},
        {"uuid", "123e4567e89b12d3a456426614174000", false},
        {"uuid", "123e4567-e89b-12d3-a456-42661417400g", false},
        {"color", "not a color", true},
    };
    char schema[128], inst[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(schema, sizeof schema, "{\"format\":\"%s\"}", cases[i].format);
        snprintf(inst, sizeof inst, "\"%s\"", cases[i].text);
        int rc = run(schema, inst);
        if (rc != (cases[i].ok ? 0 : MCP_EINVAL))
            fprintf(stderr, "format %s on %s: rc %d\n", cases[i].format, cases[i].text, rc);
        CHECK_INT(rc, cases[i].ok ? 0 : MCP_EINVAL);
    }
    VALID("{\"format\":\"date\"}", "20240101"); /* formats apply to strings only */
    REJECTS("{\"properties\":{\"when\":{\"format\":\"date-time\"}}}", "{\"when\":\"tomorrow\"}",
            "argument 'when' must be a date-time in RFC 3339 form, e.g. 2025-01-31T09:30:00Z "
            "(format)");
    REJECTS("{\"format\":\"uuid\"}", "\"x\"",
            "arguments must be a UUID, e.g. 123e4567-e89b-12d3-a456-426614174000 (format)");
}

static void test_applicators(void)
{
    const char *opt = "{\"properties\":{\"x\":{\"anyOf\":[{\"type\":\"string\",\"maxLength\":3},"
                      "{\"type\":\"null\"}]}}}";
    VALID(opt, "{\"x\":\"abc\"}");
    VALID(opt, "{\"x\":null}");
    /* Only one branch takes a string, so its reason is the useful one. */
    REJECTS(opt, "{\"x\":\"abcd\"}", "argument 'x' must be at most 3 characters long (maxLength)");
    REJECTS(opt, "{\"x\":5}", "argument 'x' must be a string or null, not a number (anyOf)");
    REJECTS("{\"anyOf\":[{\"minimum\":10},{\"maximum\":0}]}", "5",
            "arguments must match at least one of the schemas in anyOf (anyOf)");
    VALID("{\"anyOf\":[{\"minimum\":10},{\"maximum\":0}]}", "-5");
    REJECTS("{\"anyOf\":[false,false]}", "1", "arguments can match no schema in anyOf (anyOf)");

    const char *one = "{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}";
    VALID(one, "1");
    VALID(one, "2.5");
    REJECTS(one, "3",
            "arguments must match exactly one of the schemas in oneOf, but matches schemas 0 "
            "and 1 (oneOf)");
    REJECTS(one, "1.5", "arguments must be at least 2 (minimum)");
    REJECTS("{\"oneOf\":[{\"minimum\":10},{\"maximum\":0}]}", "5",
            "arguments must match exactly one of the schemas in oneOf (oneOf)");

    VALID("{\"allOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}", "3");
    REJECTS("{\"allOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}", "1",
            "arguments must be at least 2 (minimum)");

    VALID("{\"not\":{\"type\":\"string\"}}", "1");
    REJECTS("{\"not\":{\"type\":\"string\"}}", "\"s\"",
            "arguments must not match the schema in not (not)");
    VALID("{\"not\":{\"not\":{\"type\":\"string\"}}}", "\"s\"");

    const char *cond = "{\"if\":{\"properties\":{\"kind\":{\"const\":\"file\"}}},"
                       "\"then\":{\"required\":[\"path\"]},\"else\":{\"required\":[\"url\"]}}";
    VALID(cond, "{\"kind\":\"file\",\"path\":\"/\"}");
    VALID(cond, "{\"kind\":\"link\",\"url\":\"x:y\"}");
    REJECTS(cond, "{\"kind\":\"file\"}", "missing required argument 'path'");
    REJECTS(cond, "{\"kind\":\"link\"}", "missing required argument 'url'");
    VALID("{\"if\":{\"type\":\"string\"}}", "1");
    VALID("{\"then\":false,\"else\":false}", "1"); /* without "if", ignored */

    VALID("true", "{\"anything\":[1]}");
    REJECTS("false", "{}", "arguments are not allowed (the schema is false)");
    REJECTS("{\"properties\":{\"x\":false}}", "{\"x\":1}",
            "argument 'x' is not allowed (the schema is false)");
    VALID("{\"properties\":{\"x\":false}}", "{\"y\":1}");
}

static void test_refs(void)
{
    const char *s = "{\"$defs\":{\"pos\":{\"type\":\"integer\",\"minimum\":1}},"
                    "\"definitions\":{\"name\":{\"type\":\"string\"}},"
                    "\"properties\":{\"n\":{\"$ref\":\"#/$defs/pos\"},"
                    "\"who\":{\"$ref\":\"#/definitions/name\"}}}";
    CHECK_OK(s);
    VALID(s, "{\"n\":3,\"who\":\"me\"}");
    REJECTS(s, "{\"n\":0}", "argument 'n' must be at least 1 (minimum)");
    REJECTS(s, "{\"who\":1}", "argument 'who' must be a string, not a number (type)");

    const char *esc = "{\"$defs\":{\"a/b\":{\"type\":\"string\"},\"c~d\":{\"type\":\"integer\"},"
                      "\"e f\":{\"const\":1}},\"properties\":{\"x\":{\"$ref\":\"#/$defs/a~1b\"},"
                      "\"y\":{\"$ref\":\"#/$defs/c~0d\"},\"z\":{\"$ref\":\"#/$defs/e%20f\"}}}";
    CHECK_OK(esc);
    VALID(esc, "{\"x\":\"s\",\"y\":1,\"z\":1}");
    INVALID(esc, "{\"x\":1}");
    INVALID(esc, "{\"y\":\"s\"}");
    INVALID(esc, "{\"z\":2}");

    /* A ref into an array, and one that goes through the root's $id. */
    const char *arr =
        "{\"$id\":\"https://example.com/s.json\",\"prefixItems\":[{\"type\":"
        "\"string\"}],\"items\":{\"$ref\":\"https://example.com/s.json#/prefixItems/0\"}}";
    CHECK_OK(arr);
    VALID(arr, "[\"a\",\"b\"]");
    INVALID(arr, "[\"a\",2]");

    /* A recursive tree: "#" refers to the whole schema. */
    const char *tree = "{\"type\":\"object\",\"required\":[\"v\"],\"properties\":{\"v\":"
                       "{\"type\":\"integer\"},\"kids\":{\"type\":\"array\",\"items\":"
                       "{\"$ref\":\"#\"}}},\"additionalProperties\":false}";
    CHECK_OK(tree);
    VALID(tree, "{\"v\":1,\"kids\":[{\"v\":2},{\"v\":3,\"kids\":[{\"v\":4}]}]}");
    REJECTS(tree, "{\"v\":1,\"kids\":[{\"v\":2},{\"v\":3,\"kids\":[{\"w\":4}]}]}",
            "missing required argument 'kids[1].kids[0].v'");

    /* $ref next to other keywords: both apply (2020-12). */
    VALID("{\"$defs\":{\"i\":{\"type\":\"integer\"}},\"$ref\":\"#/$defs/i\",\"maximum\":5}", "5");
    INVALID("{\"$defs\":{\"i\":{\"type\":\"integer\"}},\"$ref\":\"#/$defs/i\",\"maximum\":5}", "6");
}

/* Builds [[[...]]] `depth` levels deep without going through the parser's nesting limit. */
static cJSON *deep_array(int depth)
{
    cJSON *top = cJSON_CreateArray(), *cur = top;
    for (int i = 1; i < depth; i++) {
        cJSON *next = cJSON_CreateArray();
        cJSON_AddItemToArray(cur, next);
        cur = next;
    }
    return top;
}

static void test_limits(void)
{
    /* A $ref cycle that never descends into the instance must end. */
    CHECK_OK("{\"$ref\":\"#\"}");
    CHECK_INT(run("{\"$ref\":\"#\"}", "{}"), MCP_EINVAL);
    CONTAINS(msg, "a $ref cycle");
    const char *loop = "{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},\"b\":{\"$ref\":\"#/$defs/a\"}},"
                       "\"properties\":{\"x\":{\"$ref\":\"#/$defs/a\"}}}";
    CHECK_OK(loop);
    VALID(loop, "{\"y\":1}");
    REJECTS(loop, "{\"x\":1}",
            "argument 'x' cannot be validated: the schema's $refs recurse more than 64 times "
            "without descending into it (a $ref cycle)");
    /* A cycle is not swallowed by "not" or "anyOf". */
    INVALID("{\"not\":{\"$ref\":\"#\"}}", "1");
    INVALID("{\"anyOf\":[{\"$ref\":\"#\"},true]}", "1");

    /* Deep instances: fine where the schema does not descend, an error where it does. */
    cJSON *deep = deep_array(1000);
    cJSON *flat = parse("{\"type\":\"array\",\"minItems\":1}");
    cJSON *rec = parse("{\"type\":\"array\",\"items\":{\"$ref\":\"#\"}}");
    cJSON *uniq = parse("{\"uniqueItems\":true}");
    CHECK_INT(mcp__schema_validate(flat, deep, msg, sizeof msg), 0);
    CHECK_INT(mcp__schema_validate(rec, deep, msg, sizeof msg), MCP_EINVAL);
    CONTAINS(msg, "is nested more than 128 levels deep");
    CONTAINS(msg, "argument '[0][0][0]");
    cJSON *pair = cJSON_CreateArray();
    cJSON_AddItemToArray(pair, deep_array(300));
    cJSON_AddItemToArray(pair, deep_array(300));
    CHECK_INT(mcp__schema_validate(uniq, pair, msg, sizeof msg), MCP_EINVAL);
    CONTAINS(msg, "nested too deeply to compare (uniqueItems)");
    /* Long arrays: uniqueItems stays fast, and still finds the repeat. */
    cJSON *many = cJSON_CreateArray();
    for (int n = 0; n < 100000; n++)
        cJSON_AddItemToArray(many, cJSON_CreateNumber(n));
    CHECK_INT(mcp__schema_validate(uniq, many, msg, sizeof msg), 0);
    cJSON_AddItemToArray(many, cJSON_CreateNumber(99998.0));
    CHECK_INT(mcp__schema_validate(uniq, many, msg, sizeof msg), MCP_EINVAL);
    CHECK_STR(msg, "arguments must not contain duplicates, but items 99998 and 100000 are "
                   "equal (uniqueItems)");
    cJSON_Delete(many);
    /* oneOf must try both branches at every level: 2^40 evaluations, cut off by the budget. */
    cJSON *blowup = parse("{\"$defs\":{\"t\":{\"oneOf\":[{\"type\":\"array\",\"items\":"
                          "{\"$ref\":\"#/$defs/t\"}},{\"items\":{\"$ref\":\"#/$defs/t\"}}]}},"
                          "\"$ref\":\"#/$defs/t\"}");
    cJSON *forty = deep_array(40);
    CHECK_INT(mcp__schema_validate(blowup, forty, msg, sizeof msg), MCP_EINVAL);
    CONTAINS(msg, "cannot be validated: the schema needs more than");
    cJSON_Delete(forty);
    cJSON_Delete(blowup);
    /* Subschemas nested past any sensible schema stop validation rather than the stack. */
    cJSON *nest = cJSON_CreateObject(), *cur = nest;
    for (int n = 0; n < 2000; n++) {
        cJSON *list = cJSON_AddArrayToObject(cur, "allOf"), *next = cJSON_CreateObject();
        cJSON_AddItemToArray(list, next);
        cur = next;
    }
    cJSON *one = cJSON_CreateNumber(1);
    CHECK_INT(mcp__schema_validate(nest, one, msg, sizeof msg), MCP_EINVAL);
    CHECK_STR(msg, "arguments cannot be validated: the schema nests more than 1024 subschemas "
                   "deep");
    cJSON_Delete(one);
    cJSON_Delete(nest);
    cJSON *shallow = deep_array(100);
    CHECK_INT(mcp__schema_validate(rec, shallow, msg, sizeof msg), 0);
    cJSON_Delete(shallow);
    cJSON_Delete(pair);
    cJSON_Delete(uniq);
    cJSON_Delete(rec);
    cJSON_Delete(flat);
    cJSON_Delete(deep);

    /* A message longer than the buffer is cut with "...". */
    cJSON *s =
        parse("{\"enum\":[\"aaaaaaaaaaaaaaaaaaaa\",\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"]}");
    cJSON *i = parse("\"c\"");
    char small[24];
    CHECK_INT(mcp__schema_validate(s, i, small, sizeof small), MCP_EINVAL);
    CHECK_STR(small, "arguments must be on...");
    CHECK_INT(mcp__schema_validate(s, i, NULL, 0), MCP_EINVAL);
    CHECK_INT(mcp__schema_validate(NULL, i, msg, sizeof msg), 0);
    CHECK_INT(mcp__schema_validate(s, NULL, msg, sizeof msg), MCP_EINVAL);
    cJSON_Delete(s);
    cJSON_Delete(i);

    /* Unknown keywords are check()'s business; validation ignores them. */
    VALID("{\"unevaluatedProperties\":false,\"dependentRequired\":{\"a\":[\"b\"]}}", "{\"a\":1}");
    VALID("{\"title\":\"t\",\"description\":\"d\",\"default\":1,\"examples\":[2],"
          "\"$comment\":\"c\",\"deprecated\":true,\"readOnly\":true,\"writeOnly\":false,"
          "\"contentMediaType\":\"text/plain\",\"contentEncoding\":\"base64\",\"x-ui\":{}}",
          "\"anything\"");
}

static void test_check(void)
{
    CHECK_OK("{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"$id\":\"urn:x\","
             "\"title\":\"t\",\"description\":\"d\",\"type\":\"object\",\"properties\":{"
             "\"type\":{\"type\":[\"string\",\"null\"],\"enum\":[\"a\",null],\"default\":\"a\"},"
             "\"unevaluatedProperties\":{\"type\":\"string\",\"x-widget\":\"text\"},"
             "\"n\":{\"type\":\"integer\",\"minimum\":0,\"exclusiveMaximum\":1e3,\"multipleOf\":"
             "0.5},\"when\":{\"format\":\"date-time\"},\"any\":true,\"never\":false},"
             "\"required\":[\"type\"],\"additionalProperties\":false,\"$comment\":\"c\"}");
    CHECK_OK("true");
    CHECK_OK("{\"prefixItems\":[true],\"items\":false,\"contains\":{},\"minContains\":0,"
             "\"maxContains\":2,\"uniqueItems\":true,\"minItems\":0,\"maxItems\":9}");
    CHECK_OK("{\"if\":{},\"then\":{},\"else\":{},\"not\":{},\"allOf\":[{}],\"anyOf\":[{}],"
             "\"oneOf\":[{}],\"propertyNames\":{\"maxLength\":3},\"patternProperties\":"
             "{\"^a\":{}},\"minProperties\":1,\"maxProperties\":2,\"const\":1,\"format\":\"hue\"}");

    CHECK_INT(check("{\"unevaluatedProperties\":false}"), MCP_EINVAL);
    CHECK_STR(msg, "unsupported keyword 'unevaluatedProperties' at #: libmcp cannot enforce it");
    CHECK_INT(check("{\"properties\":{\"a\":{\"items\":{\"dependentRequired\":{}}}}}"), MCP_EINVAL);
    CHECK_STR(msg, "unsupported keyword 'dependentRequired' at #/properties/a/items: libmcp "
                   "cannot enforce it");
    CHECK_BAD("{\"$defs\":{\"a/b~\":{\"dependentSchemas\":{}}}}", "at #/$defs/a~1b~0:");
    /* A plain-name fragment reaches the subschema that declares it as its $anchor. */
    CHECK_OK("{\"$defs\":{\"a\":{\"$anchor\":\"addr\",\"type\":\"string\"}},"
             "\"properties\":{\"x\":{\"$ref\":\"#addr\"}}}");
    VALID("{\"$defs\":{\"a\":{\"$anchor\":\"addr\",\"type\":\"string\"}},"
          "\"properties\":{\"x\":{\"$ref\":\"#addr\"}}}",
          "{\"x\":\"street\"}");
    INVALID("{\"$defs\":{\"a\":{\"$anchor\":\"addr\",\"type\":\"string\"}},"
            "\"properties\":{\"x\":{\"$ref\":\"#addr\"}}}",
            "{\"x\":1}");
    CHECK_BAD("{\"anyOf\":[{},{\"dependencies\":{}}]}", "'dependencies' at #/anyOf/1:");

    CHECK_INT(check("{\"properties\":{\"w\":{\"pattern\":\"\\\\bword\\\\b\"}}}"), MCP_EINVAL);
    CHECK_STR(msg, "keyword 'pattern' at #/properties/w has the pattern \\bword\\b, which libmcp "
                   "cannot use: \\b (word boundary) is not supported");
    CHECK_BAD("{\"pattern\":\"(?=x)\"}", "look-ahead");
    CHECK_BAD("{\"pattern\":\"(?<!x)y\"}", "look-behind");
    CHECK_BAD("{\"pattern\":\"(a)\\\\1\"}", "back-references");
    CHECK_BAD("{\"pattern\":\"[\\\\D]\"}", "inside [...]");
    CHECK_BAD("{\"pattern\":\"[é]\"}", "non-ASCII");
    CHECK_BAD("{\"pattern\":\"\\\\p{L}\"}", "\\p is not supported");
    CHECK_BAD("{\"pattern\":\"[a\"}", "without a closing");
    CHECK_BAD("{\"pattern\":\"[]\"}", "empty classes");
    CHECK_BAD("{\"pattern\":\"[z-a]\"}", "out of order");
    CHECK_BAD("{\"pattern\":\"(\"}", "keyword 'pattern' at # has the pattern (");
    CHECK_BAD("{\"pattern\":\"a\\\\\"}", "lone backslash");
    CHECK_BAD("{\"pattern\":\"\\\\x4\"}", "two hex digits");
    CHECK_BAD("{\"pattern\":\"\\\\u0000\"}", "NUL");
    CHECK_BAD("{\"patternProperties\":{\"(?!x)\":{}}}", "keyword 'patternProperties' at #");
    CHECK_BAD("{\"pattern\":1}", "keyword 'pattern' at # must be a string");

    CHECK_INT(check("{\"properties\":{\"a\":{\"$ref\":\"#/$defs/missing\"}}}"), MCP_EINVAL);
    CHECK_STR(msg, "keyword '$ref' at #/properties/a \"#/$defs/missing\" does not resolve to a "
                   "schema in the same document (only local refs such as \"#/$defs/name\" are "
                   "supported)");
    CHECK_BAD("{\"$ref\":\"other.json#/x\"}", "does not resolve");
    CHECK_BAD("{\"$ref\":\"#anchor\"}", "does not resolve");
    CHECK_BAD("{\"$ref\":\"#/~2\"}", "does not resolve");
    CHECK_BAD("{\"$ref\":\"#/enum/0\",\"enum\":[1]}", "does not resolve");

    CHECK_BAD("{\"minLength\":-1}", "keyword 'minLength' at # must be a non-negative integer");
    CHECK_BAD("{\"maxItems\":1.5}", "non-negative integer");
    CHECK_BAD("{\"minimum\":\"5\"}", "keyword 'minimum' at # must be a number");
    CHECK_BAD("{\"exclusiveMinimum\":true}", "the boolean form is from draft 4");
    CHECK_BAD("{\"multipleOf\":0}", "greater than 0");
    CHECK_BAD("{\"items\":[{}]}", "use prefixItems");
    CHECK_BAD("{\"items\":1}", "must be a schema");
    CHECK_BAD("{\"type\":\"int\"}", "keyword 'type' at # must be one of");
    CHECK_BAD("{\"type\":[]}", "keyword 'type'");
    CHECK_BAD("{\"type\":[\"string\",5]}", "keyword 'type'");
    CHECK_BAD("{\"required\":\"x\"}", "array of strings");
    CHECK_BAD("{\"required\":[1]}", "array of strings");
    CHECK_BAD("{\"enum\":[]}", "non-empty array");
    CHECK_BAD("{\"anyOf\":[]}", "non-empty array of schemas");
    CHECK_BAD("{\"allOf\":[{},3]}", "'1' is not one");
    CHECK_BAD("{\"properties\":[]}", "must be an object whose values are schemas");
    CHECK_BAD("{\"properties\":{\"a\":1}}", "'a' is not one");
    CHECK_BAD("{\"uniqueItems\":1}", "true or false");
    CHECK_BAD("{\"format\":1}", "must be a string");
    CHECK_BAD("{\"not\":{\"not\":{\"minimum\":\"x\"}}}", "at #/not/not must be a number");
    CHECK_INT(check("3"), MCP_EINVAL);
    CHECK_STR(msg, "the schema must be an object or a boolean");
    CHECK_INT(mcp__schema_check(NULL, msg, sizeof msg), MCP_EINVAL);

    /* Schemas nested beyond reason are refused rather than walked. */
    cJSON *root = cJSON_CreateObject(), *cur = root;
    for (int i = 0; i < 300; i++) {
        cJSON *next = cJSON_CreateObject();
        cJSON_AddItemToObject(cur, "not", next);
        cur = next;
    }
    CHECK_INT(mcp__schema_check(root, msg, sizeof msg), MCP_EINVAL);
    CONTAINS(msg, "nested more than 128 levels deep");
    cJSON_Delete(root);
}

/* Every allocation in turn fails; the result is always 0, EINVAL or ENOMEM, ASan sees no leak,
 * and once no allocation fails the answer is the ordinary one. */
static void alloc_torture(const char *schema_json, const char *inst_json, int want)
{
    cJSON *schema = parse(schema_json), *inst = parse(inst_json);
    int enomem = 0;
    long n;
    for (n = 1; n < 200; n++) {
        mcp__alloc_fail_at(n);
        int rc = mcp__schema_validate(schema, inst, msg, sizeof msg);
        int crc = mcp__schema_check(schema, msg, sizeof msg);
        mcp__alloc_fail_at(0);
        CHECK(rc == 0 || rc == MCP_EINVAL || rc == MCP_ENOMEM);
        CHECK(crc == 0 || crc == MCP_ENOMEM);
        if (rc == MCP_ENOMEM || crc == MCP_ENOMEM) {
            enomem++;
            continue;
        }
        CHECK_INT(rc, want);
        break;
    }
    CHECK(n < 200);
    CHECK(enomem > 0);
    cJSON_Delete(schema);
    cJSON_Delete(inst);
}

static void test_alloc_failures(void)
{
    const char *s = "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\","
                    "\"pattern\":\"^[a-z]\\\\d+$\"},\"tags\":{\"items\":{\"pattern\":\"\\\\w\"}}},"
                    "\"patternProperties\":{\"^x-\":{\"type\":\"string\"},\"^y\":{}},"
                    "\"additionalProperties\":false,\"propertyNames\":{\"pattern\":\"^[a-z-]+$\"}}";
    alloc_torture(s, "{\"id\":\"a12\",\"tags\":[\"t\",\"u\"],\"x-a\":\"b\",\"yy\":1}", 0);
    alloc_torture(s, "{\"id\":\"a12\",\"tags\":[\"t\",\"-\"]}", MCP_EINVAL);
    alloc_torture(s, "{\"id\":\"a12\",\"zz\":1}", MCP_EINVAL);
    alloc_torture("{\"uniqueItems\":true,\"items\":{\"pattern\":\"^\\\\w\"}}",
                  "[\"a\",\"b\",\"a\"]", MCP_EINVAL);
}

/* A schema that uses everything compiling prepares: patterns, patternProperties, $refs into
 * $defs, to an $anchor and to a place no keyword leads to, if/then/else and oneOf. */
static const char compiled_schema[] =
    "{\"type\":\"object\",\"$defs\":{\"id\":{\"type\":\"string\",\"pattern\":\"^[a-z]\\\\d+$\"},"
    "\"tag\":{\"$anchor\":\"tag\",\"type\":\"string\",\"maxLength\":5}},"
    "\"x-extra\":{\"n\":{\"type\":\"integer\",\"maximum\":9}},"
    "\"properties\":{\"id\":{\"$ref\":\"#/$defs/id\"},\"tags\":{\"type\":\"array\","
    "\"items\":{\"$ref\":\"#tag\"},\"uniqueItems\":true},\"n\":{\"$ref\":\"#/x-extra/n\"},"
    "\"mode\":{\"oneOf\":[{\"const\":\"a\"},{\"pattern\":\"^b+$\"}]},"
    "\"when\":{\"if\":{\"type\":\"string\"},\"then\":{\"format\":\"date\"},"
    "\"else\":{\"type\":\"integer\"}}},"
    "\"patternProperties\":{\"^x-\":{\"type\":\"string\"},\"^y\\\\d$\":{\"type\":\"number\"}},"
    "\"propertyNames\":{\"pattern\":\"^[a-z][a-z0-9-]*$\"},"
    "\"additionalProperties\":false,\"required\":[\"id\"]}";

static const char *const compiled_instances[] = {
    "{\"id\":\"a12\"}",
    "{\"id\":\"a12\",\"tags\":[\"t\",\"u\"],\"n\":9,\"mode\":\"bbb\",\"when\":\"2025-01-31\","
    "\"x-a\":\"b\",\"y1\":1.5}",
    "{\"id\":\"12\"}",
    "{}",
    "{\"id\":\"a1\",\"tags\":[\"t\",\"toolong\"]}",
    "{\"id\":\"a1\",\"tags\":[\"t\",\"t\"]}",
    "{\"id\":\"a1\",\"n\":10}",
    "{\"id\":\"a1\",\"mode\":\"c\"}",
    "{\"id\":\"a1\",\"when\":\"tomorrow\"}",
    "{\"id\":\"a1\",\"when\":1.5}",
    "{\"id\":\"a1\",\"x-a\":1}",
    "{\"id\":\"a1\",\"y1\":\"s\"}",
    "{\"id\":\"a1\",\"y12\":1}",
    "{\"id\":\"a1\",\"Bad\":1}",
    "[1]",
};

/* One compiled schema validates as the schema does one-off, call after call: nothing of one
 * validation stays behind for the next. */
/* {"id": "a" + 300 digits + tail}: longer than the strings the kept pattern serves. */
static cJSON *long_id(const char *tail)
{
    char id[512] = "a";
    memset(id + 1, '7', 300);
    snprintf(id + 301, sizeof id - 301, "%s", tail);
    cJSON *inst = cJSON_CreateObject();
    cJSON_AddStringToObject(inst, "id", id);
    return inst;
}

static void test_compiled(void)
{
    cJSON *schema = parse(compiled_schema);
    struct mcp__schema *s = NULL;
    char one_off[512];
    size_t n = sizeof compiled_instances / sizeof compiled_instances[0];
    CHECK_INT(mcp__schema_compile(schema, msg, sizeof msg, &s), 0);
    CHECK_STR(msg, "");
    CHECK(s != NULL);
    for (int round = 0; round < 3; round++) {
        for (size_t k = 0; k < n; k++) {
            size_t i = round == 1 ? n - 1 - k : k; /* the second round backwards */
            cJSON *inst = parse(compiled_instances[i]);
            int want = mcp__schema_validate(schema, inst, one_off, sizeof one_off);
            CHECK_INT(want, i < 2 ? 0 : MCP_EINVAL);
            CHECK_INT(mcp__schema_validate_compiled(s, inst, msg, sizeof msg), want);
            CHECK_STR(msg, one_off);
            cJSON_Delete(inst);
        }
    }
    cJSON *inst = parse("{\"id\":\"a1\",\"n\":10}");
    CHECK_INT(mcp__schema_validate_compiled(s, inst, msg, sizeof msg), MCP_EINVAL);
    CHECK_STR(msg, "argument 'n' must be at most 9 (maximum)");
    CHECK_INT(mcp__schema_validate_compiled(s, NULL, msg, sizeof msg), MCP_EINVAL);
    CHECK_STR(msg, "arguments are missing");
    CHECK_INT(mcp__schema_validate_compiled(NULL, inst, msg, sizeof msg), 0);
    cJSON_Delete(inst);
    /* Long strings are matched with a copy of the pattern: the same answers. */
    inst = long_id("");
    CHECK_INT(mcp__schema_validate_compiled(s, inst, msg, sizeof msg), 0);
    cJSON_Delete(inst);
    inst = long_id("x");
    CHECK_INT(mcp__schema_validate_compiled(s, inst, msg, sizeof msg), MCP_EINVAL);
    CHECK_STR(msg, "argument 'id' must match the pattern ^[a-z]\\d+$ (pattern)");
    cJSON_Delete(inst);
    mcp__schema_free(s);
    mcp__schema_free(NULL);
    cJSON_Delete(schema);

    /* Compiling checks first: what mcp__schema_check refuses is not compiled. */
    const char *bad[] = {"{\"unevaluatedProperties\":false}", "{\"pattern\":\"(?=x)\"}",
                         "{\"$ref\":\"#/$defs/missing\"}", "3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        schema = parse(bad[i]);
        s = NULL;
        CHECK_INT(mcp__schema_check(schema, one_off, sizeof one_off), MCP_EINVAL);
        CHECK_INT(mcp__schema_compile(schema, msg, sizeof msg, &s), MCP_EINVAL);
        CHECK_STR(msg, one_off);
        CHECK(s == NULL);
        cJSON_Delete(schema);
    }
    /* Booleans compile too. */
    schema = parse("false");
    inst = parse("1");
    CHECK_INT(mcp__schema_compile(schema, msg, sizeof msg, &s), 0);
    CHECK_INT(mcp__schema_validate_compiled(s, inst, msg, sizeof msg), MCP_EINVAL);
    CHECK_STR(msg, "arguments are not allowed (the schema is false)");
    mcp__schema_free(s);
    cJSON_Delete(inst);
    cJSON_Delete(schema);
}

/* A schema nobody checked may hold what cannot be used; one-off validation tells it only
 * where the instance meets it, as when patterns were compiled on use. */
static void test_unchecked(void)
{
    const char *pat = "{\"properties\":{\"a\":{\"pattern\":\"(?=x)\"}}}";
    VALID(pat, "{\"b\":\"x\"}");
    VALID(pat, "{\"a\":1}");
    REJECTS(pat, "{\"a\":\"x\"}",
            "the schema's pattern (?=x) cannot be used: look-ahead and look-behind groups are "
            "not supported");
    const char *props = "{\"patternProperties\":{\"^a\":{},\"[z-a]\":{}}}";
    VALID(props, "[\"a\"]");
    REJECTS(props, "{}",
            "the schema's patternProperties key '[z-a]' cannot be used: a range inside [...] "
            "is out of order");
    REJECTS("{\"patternProperties\":{\"(\":{}},\"additionalProperties\":false}", "{\"a\":1}",
            "the schema's patternProperties key '(' cannot be used: Unmatched ( or \\(");
    /* Not swallowed by anyOf or turned into success by not. */
    INVALID("{\"anyOf\":[{\"pattern\":\"\\\\bx\"},true]}", "\"x\"");
    INVALID("{\"not\":{\"pattern\":\"\\\\bx\"}}", "\"x\"");
    const char *ref = "{\"properties\":{\"a\":{\"$ref\":\"#/nowhere\"}}}";
    VALID(ref, "{\"b\":1}");
    REJECTS(ref, "{\"a\":1}",
            "the schema's $ref \"#/nowhere\" does not resolve to a schema in the same document");
}

/* Validations on many threads at once share one compiled schema and its patterns; run under
 * ThreadSanitizer by `make VARIANT=tsan test-unit`. */
#define THREADS 8
#define ROUNDS 1000

struct worker {
    const struct mcp__schema *s;
    cJSON *good, *bad, *long_good, *long_bad; /* long: matched with a copy of the pattern */
    int failures;
};

static void *validate_many(void *arg)
{
    struct worker *w = arg;
    char out[512];
    for (int i = 0; i < ROUNDS; i++) {
        if (mcp__schema_validate_compiled(w->s, w->good, out, sizeof out) != 0 || out[0])
            w->failures++;
        if (mcp__schema_validate_compiled(w->s, w->bad, out, sizeof out) != MCP_EINVAL ||
            strcmp(out, "argument 'y1' must be a number, not a string (type)") != 0)
            w->failures++;
        if (i % 16 == 0 &&
            (mcp__schema_validate_compiled(w->s, w->long_good, out, sizeof out) ||
             mcp__schema_validate_compiled(w->s, w->long_bad, out, sizeof out) != MCP_EINVAL))
            w->failures++;
    }
    return NULL;
}

static void test_threads(void)
{
    cJSON *schema = parse(compiled_schema);
    struct mcp__schema *s = NULL;
    struct worker w[THREADS];
    pthread_t t[THREADS];
    CHECK_INT(mcp__schema_compile(schema, msg, sizeof msg, &s), 0);
    for (int i = 0; i < THREADS; i++) {
        w[i].s = s;
        w[i].good = parse(compiled_instances[1]);
        w[i].bad = parse("{\"id\":\"a1\",\"tags\":[\"t\"],\"x-b\":\"c\",\"y1\":\"s\"}");
        w[i].long_good = long_id("");
        w[i].long_bad = long_id("x");
        w[i].failures = 0;
        CHECK_INT(pthread_create(&t[i], NULL, validate_many, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        CHECK_INT(w[i].failures, 0);
        cJSON_Delete(w[i].good);
        cJSON_Delete(w[i].bad);
        cJSON_Delete(w[i].long_good);
        cJSON_Delete(w[i].long_bad);
    }
    mcp__schema_free(s);
    cJSON_Delete(schema);
}

int main(void)
{
    mcp__alloc_init();
    test_type();
    test_enum_const();
    test_objects();
    test_nested_paths();
    test_many_values();
    test_arrays();
    test_numbers();
    test_strings();
    test_patterns();
    test_formats();
    test_applicators();
    test_refs();
    test_limits();
    test_check();
    test_compiled();
    test_unchecked();
    test_threads();
    test_alloc_failures();
    return test_report();
}
