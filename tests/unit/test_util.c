/* Unit tests of libmcp's small modules: buf, base64, json helpers, revisions, requestState. */
#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc_int.h"
#include "base64_int.h"
#include "buf_int.h"
#include "json_int.h"
#include "mcp/mcp.h"
#include "rev_int.h"
#include "server_int.h"
#include "state_int.h"
#include "test.h"

/* A thread's cache of small blocks (alloc.c) goes with the thread: valgrind's leak check in
 * `make valgrind` finds the blocks otherwise. */
static void *churn(void *arg)
{
    (void)arg;
    void *blocks[64];
    for (int i = 0; i < 64; i++)
        blocks[i] = mcp__malloc((size_t)(24 + (i % 4) * 16));
    for (int i = 0; i < 64; i++)
        mcp__free(blocks[i]);
    return NULL;
}

static void test_alloc(void)
{
    char *a = mcp__malloc(24);
    CHECK(a != NULL && malloc_usable_size(a) >= 24);
    mcp__free(a);
    char *b = mcp__malloc(17);
#ifdef MCP__SMALL_CACHE
    CHECK(b == a); /* the freed block, which fits */
#endif
    mcp__free(b);
    char *c = mcp__malloc(72);
    size_t usable = malloc_usable_size(c);
    mcp__free(c);
    char *d = mcp__malloc(usable + 1);
    CHECK(d != NULL && malloc_usable_size(d) > usable); /* never a block too small */
#ifdef MCP__SMALL_CACHE
    CHECK(d != c); /* c waits in the cache, too small for d */
#endif
    memset(d, 'x', usable + 1);
    mcp__free(d);
    /* mcp__calloc takes from the cache too, and zeroes what it takes. */
    unsigned char *e = mcp__malloc(40);
    memset(e, 0xff, 40);
    mcp__free(e);
    unsigned char *z = mcp__calloc(5, 8);
#ifdef MCP__SMALL_CACHE
    CHECK(z == e);
#endif
    bool zeroed = z != NULL;
    for (int i = 0; zeroed && i < 40; i++)
        zeroed = z[i] == 0;
    CHECK(zeroed);
    mcp__free(z);
    CHECK(mcp__calloc(SIZE_MAX / 2, 4) == NULL); /* nmemb * size overflows */
    mcp__alloc_fail_at(1);
    CHECK(mcp__malloc(24) == NULL); /* a cached block does not dodge an injected failure */
    mcp__alloc_fail_at(0);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, churn, NULL) == 0 && pthread_join(t, NULL) == 0);
}

static void test_buf(void)
{
    struct mcp__buf b;
    mcp__buf_init(&b, 8);
    CHECK_STR(mcp__buf_str(&b), "");
    CHECK_INT(mcp__buf_adds(&b, "abc"), 0);
    CHECK_INT(mcp__buf_addf(&b, "%d", 12345), 0);
    CHECK_STR(mcp__buf_str(&b), "abc12345");
    /* Over the cap: refused, and the buffer is as it was. */
    CHECK_INT(mcp__buf_adds(&b, "x"), MCP_E2BIG);
    CHECK_INT(mcp__buf_addf(&b, "%s", "yz"), MCP_E2BIG);
    CHECK_STR(mcp__buf_str(&b), "abc12345");
    mcp__buf_reset(&b);
    CHECK_INT(b.len, 0);
    char *taken = mcp__buf_take(&b);
    CHECK_STR(taken, "");
    mcp__free(taken);
    mcp__buf_release(&b);
}

static void test_base64(void)
{
    const char *cases[][3] = {
        {"", "", ""},
        {"f", "Zg==", "Zg"},
        {"fo", "Zm8=", "Zm8"},
        {"foo", "Zm9v", "Zm9v"},
        {"\xfb\xff", "+/8=", "-_8"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len = strlen(cases[i][0]);
        char *std = mcp__base64_encode(cases[i][0], len, false);
        char *url = mcp__base64_encode(cases[i][0], len, true);
        CHECK_STR(std, cases[i][1]);
        CHECK_STR(url, cases[i][2]);
        size_t n = 99;
        unsigned char *back = mcp__base64_decode(url, strlen(url), &n);
        CHECK(back && n == len && memcmp(back, cases[i][0], len) == 0);
        mcp__free(back);
        back = mcp__base64_decode(std, strlen(std), &n);
        CHECK(back && n == len && memcmp(back, cases[i][0], len) == 0);
        mcp__free(back);
        mcp__free(std);
        mcp__free(url);
    }
    size_t n;
    CHECK(mcp__base64_decode("a*b=", 4, &n) == NULL);
    CHECK(mcp__base64_decode("abcde", 5, &n) == NULL);

    /* The public form says why, writes its outputs only on success, and its bytes go with
     * free(). */
    unsigned char *bytes = NULL;
    n = 99;
    CHECK_INT(mcp_base64_decode("Zm9vYg==", 8, &bytes, &n), 0);
    CHECK(bytes && n == 4 && memcmp(bytes, "foob", 5) == 0);
    free(bytes);
    CHECK_INT(mcp_base64_decode("Zm9vYg==trailing", 6, &bytes, &n), 0); /* len, not the NUL */
    CHECK(bytes && n == 4 && memcmp(bytes, "foob", 4) == 0);
    free(bytes);
    bytes = NULL;
    n = 99;
    CHECK_INT(mcp_base64_decode("Zm9v Yg==", 9, &bytes, &n), MCP_EINVAL);
    CHECK_INT(mcp_base64_decode("Zm=vYg==", 8, &bytes, &n), MCP_EINVAL);
    CHECK_INT(mcp_base64_decode("Zm9vY", 5, &bytes, &n), MCP_EINVAL);
    CHECK(bytes == NULL && n == 99);
    mcp__alloc_fail_at(1);
    CHECK_INT(mcp_base64_decode("Zm9v", 4, &bytes, &n), MCP_ENOMEM);
    mcp__alloc_fail_at(2);
    CHECK_INT(mcp_base64_decode("Zm9v", 4, &bytes, &n), MCP_ENOMEM);
    mcp__alloc_fail_at(0);
    CHECK(bytes == NULL && n == 99);
}

static void test_json(void)
{
    CHECK(mcp__utf8_valid("plain", 5));
    CHECK(mcp__utf8_valid("\xc3\xa9\xe4\xb8\x96\xf0\x9f\x98\x80", 9));
    CHECK(!mcp__utf8_valid("\xc0\xaf", 2));         /* overlong */
    CHECK(!mcp__utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!mcp__utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
    CHECK(!mcp__utf8_valid("\xe4\xb8", 2));         /* truncated */
    /* The same at every offset in ASCII text, which is read eight bytes at a time. */
    for (size_t at = 0; at < 20; at++) {
        char text[32];
        memset(text, 'a', sizeof text);
        memcpy(text + at, "\xe4\xb8\x96", 3);
        CHECK(mcp__utf8_valid(text, sizeof text));
        memcpy(text + at, "\xc0\xaf", 2);
        CHECK(!mcp__utf8_valid(text, sizeof text));
        memset(text, 'a', sizeof text);
        text[at] = (char)0x80; /* a continuation byte alone */
        CHECK(!mcp__utf8_valid(text, sizeof text));
        CHECK(!mcp__utf8_valid(text, at + 1)); /* ... and as the last byte */
        memcpy(text + at, "\xe4\xb8", 2);
        CHECK(!mcp__utf8_valid(text, at + 2)); /* cut short at the end */
    }

    cJSON *v = mcp__json_parse("{\"a\":1} ", 8);
    CHECK(v != NULL);
    cJSON_Delete(v);
    v = mcp__json_parse_str("[\"a\\u0000b\"]"); /* would be cut to "a" */
    CHECK(v == NULL);
    v = mcp__json_parse_str("[\"a\\\\u0000b\",\"\\\"\\u0000\"]");
    CHECK(v == NULL);
    CHECK(mcp__json_parse_str("[\"\\ud800\"]") == NULL);        /* a lone high surrogate */
    CHECK(mcp__json_parse_str("[\"\\udc00x\"]") == NULL);       /* a lone low surrogate */
    CHECK(mcp__json_parse_str("[\"\\ud800\\u0041\"]") == NULL); /* high, then no low */
    v = mcp__json_parse_str("[\"\\ud83d\\ude00\"]");            /* a pair is fine */
    CHECK(v != NULL && strcmp(cJSON_GetArrayItem(v, 0)->valuestring, "\xf0\x9f\x98\x80") == 0);
    cJSON_Delete(v);
    /* The id of such a message can still be read, so the answer names the request. */
    const char *bad = "{\"id\":\"q\\u0000\",\"x\":\"\\ud800\",\"id2\":1}";
    v = mcp__json_recover_id(bad, strlen(bad));
    CHECK(v != NULL && cJSON_IsString(v) && strcmp(v->valuestring, "q ") == 0);
    cJSON_Delete(v);
    bad = "{\"id\":7,\"x\":\"\\u0000\"}";
    v = mcp__json_recover_id(bad, strlen(bad));
    CHECK(v != NULL && cJSON_IsNumber(v) && v->valueint == 7);
    cJSON_Delete(v);
    CHECK(mcp__json_recover_id("{\"id\":1}", 8) == NULL); /* nothing wrong with it */
    /* A raw NUL byte before the escape, and escapes cut off at the end (found by the fuzzer). */
    const char raw[] = "{\"ju\x18\0p\\\\\\u\x18\0p\\\\\\\\\\^\\\\\\u";
    cJSON_Delete(mcp__json_recover_id(raw, sizeof raw - 1));
    CHECK(mcp__json_bad_escapes("\"\\ud800\\u", 9)); /* unpaired: the next escape is cut off */
    v = mcp__json_parse_str("[\"a\\\\u0000b\"]");    /* an escaped backslash, then text */
    CHECK(v != NULL && strcmp(cJSON_GetArrayItem(v, 0)->valuestring, "a\\u0000b") == 0);
    cJSON_Delete(v);
    v = mcp__json_parse("{\"a\":1} x", 9);
    CHECK(v == NULL);
    cJSON_Delete(v);

    cJSON *a = mcp__json_parse_str("{\"b\":[1,{\"y\":2,\"x\":1}],\"a\":\"s\"}");
    cJSON *b = mcp__json_parse_str("{\"a\":\"s\",\"b\":[1,{\"x\":1,\"y\":2}]}");
    struct mcp__buf ca, cb;
    mcp__buf_init(&ca, 1024);
    mcp__buf_init(&cb, 1024);
    CHECK_INT(mcp__json_print_canonical(a, &ca), 0);
    CHECK_INT(mcp__json_print_canonical(b, &cb), 0);
    CHECK_STR(mcp__buf_str(&ca), "{\"a\":\"s\",\"b\":[1,{\"x\":1,\"y\":2}]}");
    CHECK_STR(mcp__buf_str(&ca), mcp__buf_str(&cb));
    CHECK(mcp__json_equal(a, b));
    CHECK_STR(mcp__json_str(a, "a"), "s");
    CHECK(mcp__json_str(a, "A") == NULL); /* case-sensitive */
    CHECK(mcp__json_obj(a, "b") == NULL);
    CHECK(mcp__json_arr(a, "b") != NULL);
    mcp__buf_release(&ca);
    mcp__buf_release(&cb);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

/* mcp__json_print writes what cJSON_PrintUnformatted writes, byte for byte, and
 * mcp__json_printed_length says how long that is without writing it. */
static void check_print(const cJSON *v)
{
    char *ours = mcp__json_print(v), *theirs = cJSON_PrintUnformatted(v);
    size_t len = 0;
    bool printable = mcp__json_printed_length(v, &len);
    if (!theirs) {
        CHECK(ours == NULL);
        CHECK(!printable);
    } else {
        CHECK_STR(ours, theirs);
        CHECK(printable && len == strlen(theirs));
    }
    mcp__free(ours);
    cJSON_free(theirs);
}

static void test_json_print(void)
{
    const double numbers[] = {0.0,
                              -0.0,
                              1,
                              -1,
                              42,
                              2147483647.0,
                              -2147483648.0,
                              4294967296.0,
                              123456789012345.0,
                              -999999999999999.0,
                              1e15,
                              -1e15,
                              1e16,
                              9007199254740992.0,
                              18446744073709551616.0,
                              0.1,
                              1.5,
                              -2.25,
                              1.0 / 3,
                              2.0 / 3,
                              1e-7,
                              123456.789e3,
                              1e14 + 0.5,
                              1e300,
                              -1e-300,
                              5e-324,
                              1.7976931348623157e308};
    cJSON *all = cJSON_CreateArray();
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++) {
        cJSON *n = cJSON_CreateNumber(numbers[i]);
        check_print(n);
        cJSON_AddItemToArray(all, n);
    }
    cJSON *nan = cJSON_CreateNumber(0.0);
    nan->valuedouble = NAN;
    check_print(nan);
    cJSON_AddItemToArray(all, nan);
    cJSON *inf = cJSON_CreateNumber(0.0);
    inf->valuedouble = -INFINITY;
    check_print(inf);
    cJSON_AddItemToArray(all, inf);

    /* Every byte a string can hold, each alone and all together. */
    char bytes[256];
    for (int c = 1; c < 256; c++) {
        char one[2] = {(char)c, 0};
        bytes[c - 1] = (char)c;
        cJSON *s = cJSON_CreateString(one);
        check_print(s);
        cJSON_Delete(s);
    }
    bytes[255] = 0;
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddStringToObject(obj, bytes, bytes);
    cJSON_AddStringToObject(obj, "", "");
    cJSON_AddItemToObject(obj, "numbers", all);
    cJSON_AddItemToObject(obj, "raw", cJSON_CreateRaw("{\"pre\":[1, 2]}"));
    cJSON_AddItemToObject(obj, "empty", cJSON_CreateObject());
    cJSON_AddItemToObject(obj, "none", cJSON_CreateArray());
    cJSON_AddItemToObject(obj, "t", cJSON_CreateTrue());
    cJSON_AddItemToObject(obj, "f", cJSON_CreateFalse());
    cJSON_AddItemToObject(obj, "n", cJSON_CreateNull());
    cJSON *nameless = cJSON_CreateString(NULL);
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(obj, "none"), nameless);
    check_print(obj);
    check_print(NULL);

    /* Types cJSON refuses to print are refused, wherever they are. */
    cJSON *raw = cJSON_CreateRaw("x");
    mcp__free(raw->valuestring);
    raw->valuestring = NULL;
    cJSON_AddItemToObject(obj, "broken", raw);
    check_print(obj);
    cJSON bad = {.type = cJSON_Invalid};
    check_print(&bad);
    cJSON_Delete(cJSON_DetachItemFromObject(obj, "broken"));

    /* Out of memory at any step: NULL, and nothing leaks (ASan). */
    char *want = cJSON_PrintUnformatted(obj);
    for (long n = 1;; n++) {
        mcp__alloc_fail_at(n);
        char *got = mcp__json_print(obj);
        mcp__alloc_fail_at(0);
        if (got) {
            CHECK_STR(got, want);
            mcp__free(got);
            break;
        }
    }
    cJSON_free(want);

    /* An answer printed without its envelope is the envelope printed, for any id. */
    const char *ids[] = {"7", "-12", "\"abc\\\"\"", "1.5e3"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        cJSON *id = cJSON_Parse(ids[i]), *envelope = cJSON_CreateObject();
        cJSON_AddStringToObject(envelope, "jsonrpc", "2.0");
        cJSON_AddItemReferenceToObject(envelope, "id", id);
        cJSON_AddItemReferenceToObject(envelope, "result", obj);
        char *whole = cJSON_PrintUnformatted(envelope), *got = mcp__json_print_result(id, obj);
        CHECK_STR(got, whole);
        cJSON_free(whole);
        mcp__free(got);
        cJSON_Delete(envelope);
        cJSON_Delete(id);
    }
    CHECK(mcp__json_print_result(NULL, obj) == NULL);
    cJSON_Delete(obj);
}

static void test_revisions(void)
{
    CHECK(mcp__rev_find("2025-03-26") && mcp__rev_has(mcp__rev_find("2025-03-26"), MCP__F_BATCH));
    CHECK(!mcp__rev_has(mcp__rev_find("2025-06-18"), MCP__F_BATCH));
    CHECK(mcp__rev_has(mcp__rev_find("2026-07-28"), MCP__F_MODERN));
    CHECK(!mcp__rev_has(mcp__rev_latest_legacy(), MCP__F_MODERN));
    CHECK(mcp__rev_find("2025-13-01") == NULL);
    CHECK(mcp__rev_find(NULL) == NULL);
    CHECK_STR(mcp_strerror(MCP_E2BIG), "size limit exceeded");
    CHECK_STR(mcp_strerror(12345), "unknown error");
}

static void test_state(void)
{
    struct mcp_server *srv = mcp_server_new("t", "1");
    char bind1[65], bind2[65];
    cJSON *args = mcp__json_parse_str("{\"x\":1,\"y\":\"z\"}");
    cJSON *args2 = mcp__json_parse_str("{\"y\":\"z\",\"x\":1}");
    CHECK_INT(mcp__state_binding("tools/call", "t", args, bind1), 0);
    CHECK_INT(mcp__state_binding("tools/call", "t", args2, bind2), 0);
    CHECK_STR(bind1, bind2); /* key order does not change the binding */
    CHECK_INT(mcp__state_binding("tools/call", "u", args, bind2), 0);
    CHECK(strcmp(bind1, bind2) != 0);

    cJSON *answers = mcp__json_parse_str("{\"q1\":{\"action\":\"accept\"}}");
    cJSON *pending = mcp__json_parse_str("[\"q2\"]");
    char *state = NULL;
    CHECK_INT(mcp__state_seal(srv, bind1, "alice", answers, pending, &state), 0);
    cJSON *a = NULL, *p = NULL;
    CHECK_INT(mcp__state_open(srv, state, bind1, "alice", &a, &p), 0);
    CHECK(mcp__json_equal(a, answers) && mcp__json_equal(p, pending));
    cJSON_Delete(a);
    cJSON_Delete(p);
    a = p = NULL;
    CHECK_INT(mcp__state_open(srv, state, bind2, "alice", &a, &p), MCP_ESTATE);
    CHECK_INT(mcp__state_open(srv, state, bind1, "mallory", &a, &p), MCP_ESTATE);
    /* Any flipped character breaks the seal. */
    for (size_t i = 0, n = state ? strlen(state) : 0; i < n; i += 7) {
        char saved = state[i];
        state[i] = saved == 'A' ? 'B' : 'A';
        CHECK_INT(mcp__state_open(srv, state, bind1, "alice", &a, &p), MCP_ESTATE);
        state[i] = saved;
    }
    CHECK(a == NULL && p == NULL);
    CHECK_INT(mcp__state_open(srv, "no-dot", bind1, "alice", &a, &p), MCP_ESTATE);
    /* Another server key does not accept it. */
    struct mcp_server *other = mcp_server_new("t", "1");
    CHECK_INT(mcp__state_open(other, state, bind1, "alice", &a, &p), MCP_ESTATE);
    mcp_server_free(other);

    mcp__free(state);
    cJSON_Delete(answers);
    cJSON_Delete(pending);
    cJSON_Delete(args);
    cJSON_Delete(args2);
    mcp_server_free(srv);
}

/* --config FILE: options from a JSON object, in place of the --config pair. */
static void test_config(void)
{
    char path[] = "/tmp/mcp-config-XXXXXX";
    int fd = mkstemp(path);
    const char *cfg = "{\"root\":[\"/a\",\"/b\"],\"read-only\":true,\"quiet\":false,"
                      "\"http\":\"127.0.0.1:9\",\"max-read\":4096}";
    CHECK(fd >= 0 && write(fd, cfg, strlen(cfg)) == (ssize_t)strlen(cfg));
    close(fd);
    char *in[] = {"prog", "--log-level", "info", "--config", path, "--http", "0.0.0.0:1", NULL};
    int argc = 7;
    char **argv = in;
    CHECK_INT(mcp_args_expand_config(&argc, &argv, "test"), 0);
    CHECK_INT(argc, 14);
    const char *want[] = {"prog",       "--log-level", "info",        "--root",   "/a",
                          "--root",     "/b",          "--read-only", "--http",   "127.0.0.1:9",
                          "--max-read", "4096",        "--http",      "0.0.0.0:1"};
    for (int i = 0; i < 14 && i < argc; i++)
        CHECK_STR(argv[i], want[i]);
    CHECK(argv[argc] == NULL);
    mcp_args_free(argv);

    /* A member of the wrong kind, a non-object, a missing file: exit status 2, nothing kept. */
    const char *bad[] = {"{\"root\":{\"x\":1}}", "[\"--root\"]", "{\"root\":[[1]]}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fd = open(path, O_WRONLY | O_TRUNC);
        CHECK(fd >= 0 && write(fd, bad[i], strlen(bad[i])) == (ssize_t)strlen(bad[i]));
        close(fd);
        argc = 7;
        argv = in;
        CHECK_INT(mcp_args_expand_config(&argc, &argv, "test"), 2);
        CHECK(argv == in);
    }
    unlink(path);
    argc = 7;
    CHECK_INT(mcp_args_expand_config(&argc, &argv, "test"), 2);
}

int main(void)
{
    test_alloc();
    mcp__alloc_init();
    test_buf();
    test_base64();
    test_json();
    test_json_print();
    test_revisions();
    test_state();
    test_config();
    return test_report();
}
