/* The HTTP floor: the least a program can do to answer the load generator's POSTs, with no
 * MCP logic. It runs libmicrohttpd in the same threading mode as libmcp (an internal polling
 * thread, a thread per connection), finds the request id and the echo text by searching the
 * body, and answers with a fixed reply around them: JSON, or when the client asked for
 * progress an SSE stream of a progress notification and the result, as the servers under
 * test do. An initialize gets a session id header; a notification gets 202.
 *
 * Usage: floor_http --http 127.0.0.1:PORT   (serves until SIGTERM or SIGINT) */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#define BODY_MAX (64 * 1024)

static const char init_result[] =
    "\"result\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"tools\":{}},"
    "\"serverInfo\":{\"name\":\"floor\",\"version\":\"1.0.0\"}}}";

struct body {
    size_t len;
    char data[BODY_MAX];
};

/* The JSON value after `"key":` up to the next ',' or '}' (numbers), or the whole string
 * token with its escapes (strings). Returns its length, 0 when absent. */
static size_t token(const char *s, size_t len, const char *key, const char **at)
{
    size_t klen = strlen(key);
    const char *p = memmem(s, len, key, klen);
    if (!p)
        return 0;
    const char *v = p + klen, *end = s + len, *q = v;
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

static enum MHD_Result send_reply(struct MHD_Connection *c, unsigned status, const char *type,
                                  char *text, size_t len, bool session)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    if (type)
        MHD_add_response_header(r, "Content-Type", type);
    if (session)
        MHD_add_response_header(r, "Mcp-Session-Id", "floor");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result answer(struct MHD_Connection *c, const struct body *b)
{
    char out[BODY_MAX + 512];
    const char *id, *text, *progress;
    size_t idlen = token(b->data, b->len, "\"id\":", &id);
    if (!idlen)
        return send_reply(c, MHD_HTTP_ACCEPTED, NULL, out, 0, false);
    if (memmem(b->data, b->len, "\"initialize\"", 12)) {
        int n = snprintf(out, sizeof out, "{\"jsonrpc\":\"2.0\",\"id\":%.*s,%s", (int)idlen, id,
                         init_result);
        return send_reply(c, MHD_HTTP_OK, "application/json", out, (size_t)n, true);
    }
    size_t tlen = token(b->data, b->len, "\"text\":", &text);
    size_t plen = token(b->data, b->len, "\"progressToken\":", &progress);
    int n;
    if (plen)
        n = snprintf(out, sizeof out,
                     "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":"
                     "\"notifications/progress\",\"params\":{\"progressToken\":%.*s,"
                     "\"progress\":1,\"total\":1}}\n\n"
                     "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":%.*s,\"result\":"
                     "{\"content\":[{\"type\":\"text\",\"text\":%.*s}]}}\n\n",
                     (int)plen, progress, (int)idlen, id, (int)tlen, tlen ? text : "");
    else
        n = snprintf(out, sizeof out,
                     "{\"jsonrpc\":\"2.0\",\"id\":%.*s,\"result\":{\"content\":"
                     "[{\"type\":\"text\",\"text\":%.*s}]}}",
                     (int)idlen, id, (int)tlen, tlen ? text : "");
    return send_reply(c, MHD_HTTP_OK, plen ? "text/event-stream" : "application/json", out,
                      (size_t)n < sizeof out ? (size_t)n : sizeof out - 1, false);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    struct body *b = *con_cls;
    if (!b) {
        if (!(b = malloc(sizeof *b)))
            return MHD_NO;
        b->len = 0;
        *con_cls = b;
        return MHD_YES;
    }
    if (*upload_size) {
        if (*upload_size > BODY_MAX - b->len)
            return MHD_NO; /* not our client */
        memcpy(b->data + b->len, upload, *upload_size);
        b->len += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    return answer(c, b);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode why)
{
    (void)cls;
    (void)c;
    (void)why;
    free(*con_cls);
    *con_cls = NULL;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    const char *colon = argc == 3 && strcmp(argv[1], "--http") == 0 ? strrchr(argv[2], ':') : NULL;
    if (!colon) {
        fprintf(stderr, "usage: floor_http --http 127.0.0.1:PORT\n");
        return 2;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)strtoul(colon + 1, NULL, 10))};
    char host[64];
    snprintf(host, sizeof host, "%.*s", (int)(colon - argv[2]), argv[2]);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        fprintf(stderr, "floor_http: a numeric IPv4 address, please\n");
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
                         NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&addr,
                         MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "floor_http: cannot listen on %s\n", argv[2]);
        return 1;
    }
    while (!stop)
        pause();
    MHD_stop_daemon(d);
    return 0;
}
