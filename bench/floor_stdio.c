/* The stdio floor: the least a program can do to answer the load generator's lines over a
 * pipe, with no MCP or JSON-RPC logic at all. It finds the request id and the echo text by
 * searching the line (it knows its only client's message layout), copies both verbatim into
 * a fixed reply, and writes one reply per request, as an MCP server must. Whatever libmcp
 * costs above this is the price of the protocol work, the threads and the allocations.
 *
 * Built once more as floor_cjson (-DFLOOR_CJSON), it parses each request with cJSON and frees
 * the tree before answering the same way: the parser every libmcp server uses, with nothing
 * else of the protocol. What separates libmcp from floor_cjson is its own work; what
 * separates floor_cjson from the floor is the price of the parser, which no server built on
 * cJSON can avoid (bench/run.sh prints both).
 *
 * Usage: floor_stdio   (reads stdin, writes stdout, exits at end of input) */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#ifdef FLOOR_CJSON
#include <cjson/cJSON.h>
#include <stdbool.h>
#endif

#define LINE_MAX_BYTES (1 << 20)

static const char init_result[] =
    "\"result\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"tools\":{}},"
    "\"serverInfo\":{\"name\":\"floor\",\"version\":\"1.0.0\"}}}\n";

/* The JSON value after `"key":` up to the next ',' or '}' (numbers), or the whole string
 * token with its escapes (strings). Returns its length, 0 when absent. */
static size_t token(const char *line, size_t len, const char *key, const char **at)
{
    size_t klen = strlen(key);
    const char *p = memmem(line, len, key, klen);
    if (!p)
        return 0;
    const char *v = p + klen, *end = line + len, *q = v;
    if (q < end && *q == '"') {
        for (q++; q < end && *q != '"'; q++)
            if (*q == '\\')
                q++;
        q++;
    } else {
        while (q < end && *q != ',' && *q != '}')
            q++;
    }
    if (q > end)
        return 0;
    *at = v;
    return (size_t)(q - v);
}

static int write_all(const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(STDOUT_FILENO, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int answer(const char *line, size_t len)
{
    static char out[LINE_MAX_BYTES + 256];
    const char *id, *text;
#ifdef FLOOR_CJSON
    /* Parsed and looked into as a server must, then answered from the line as the floor is. */
    cJSON *msg = cJSON_ParseWithLength(line, len);
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(params, "arguments");
    bool valid = msg && cJSON_GetObjectItemCaseSensitive(msg, "method") &&
                 (!params || cJSON_IsString(cJSON_GetObjectItemCaseSensitive(args, "text")) ||
                  cJSON_GetObjectItemCaseSensitive(params, "protocolVersion"));
    cJSON_Delete(msg);
    if (!valid)
        return 0;
#endif
    size_t idlen = token(line, len, "\"id\":", &id);
    if (!idlen)
        return 0; /* a notification: nothing to answer */
    int head = snprintf(out, sizeof out, "{\"jsonrpc\":\"2.0\",\"id\":%.*s,", (int)idlen, id);
    size_t n = (size_t)head;
    if (memmem(line, len, "\"initialize\"", 12)) {
        memcpy(out + n, init_result, sizeof init_result - 1);
        n += sizeof init_result - 1;
    } else {
        size_t tlen = token(line, len, "\"text\":", &text);
        n += (size_t)snprintf(out + n, sizeof out - n,
                              "\"result\":{\"content\":[{\"type\":\"text\",\"text\":%.*s}]}}\n",
                              (int)tlen, tlen ? text : "");
    }
    return write_all(out, n);
}

int main(void)
{
    static char buf[LINE_MAX_BYTES];
    size_t have = 0;
    for (;;) {
        ssize_t r = read(STDIN_FILENO, buf + have, sizeof buf - have);
        if (r <= 0)
            return 0;
        have += (size_t)r;
        char *start = buf, *nl;
        while ((nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
            if (answer(start, (size_t)(nl - start)))
                return 1;
            start = nl + 1;
        }
        have -= (size_t)(start - buf);
        memmove(buf, start, have);
        if (have == sizeof buf)
            return 1; /* a line longer than the floor's buffer: not our client */
    }
}
