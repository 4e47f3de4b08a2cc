/* Unit tests of the stdio transport on pipes: answers to pipelined requests, which may wait
 * to leave together, all leave, also when the server is stopped while reading them. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mcp/mcp.h"
#include "test.h"

struct run {
    struct mcp_server *srv;
    int in, out; /* the server's ends */
    int rc;
};

static void *serve(void *arg)
{
    struct run *r = arg;
    r->rc = mcp_server_serve_stdio(r->srv, r->in, r->out);
    close(r->out); /* the client reads to the end */
    return NULL;
}

static int stop_now(struct mcp_call *call, const struct cJSON *args, void *ud)
{
    (void)args;
    mcp_server_stop(ud);
    return mcp_call_text(call, "stopping");
}

/* Writes all of `text`; returns 0 or -1. */
static int write_all(int fd, const char *text)
{
    for (size_t len = strlen(text); len;) {
        ssize_t n = write(fd, text, len);
        if (n <= 0)
            return -1;
        text += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads from fd until `want` appears (1) or the end (0); what was read stays in buf. */
static int read_until(int fd, char *buf, size_t cap, size_t *got, const char *want)
{
    while (!strstr(buf, want)) {
        ssize_t n = read(fd, buf + *got, cap - 1 - *got);
        if (n <= 0)
            return 0;
        *got += (size_t)n;
        buf[*got] = '\0';
    }
    return 1;
}

#define INIT                                                                                       \
    "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"     \
    "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"unit\",\"version\":\"1\"}}}\n"  \
    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
/* In one write: a call that stops the server, a ping, and a notification last, so the reader
 * holds the first two answers and then finds the server stopping instead of input. */
#define PIPELINED                                                                                  \
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"stop_now\","   \
    "\"arguments\":{}}}\n"                                                                         \
    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n"                                         \
    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":9}}\n"

static void test_stop_sends_held_answers(void)
{
    int to_server[2], from_server[2];
    CHECK(pipe(to_server) == 0 && pipe(from_server) == 0);
    struct mcp_server *srv = mcp_server_new("unit", "1");
    CHECK(mcp_server_add_tool(srv,
                              "{\"name\":\"stop_now\",\"description\":\"Stops the server.\","
                              "\"inputSchema\":{\"type\":\"object\"}}",
                              stop_now, srv) == 0);
    struct run r = {.srv = srv, .in = to_server[0], .out = from_server[1]};
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, serve, &r) == 0);

    static char buf[65536];
    size_t got = 0;
    buf[0] = '\0';
    CHECK(write_all(to_server[1], INIT) == 0);
    CHECK(read_until(from_server[0], buf, sizeof buf, &got, "\"id\":0,"));
    CHECK(write_all(to_server[1], PIPELINED) == 0);
    read_until(from_server[0], buf, sizeof buf, &got, "no such text: read to the end");
    CHECK(strstr(buf, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\"") != NULL);
    CHECK(strstr(buf, "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}") != NULL);

    pthread_join(thread, NULL);
    CHECK_INT(r.rc, 0);
    close(to_server[1]);
    close(to_server[0]);
    close(from_server[0]);
    mcp_server_free(srv);
}

int main(void)
{
    test_stop_sends_held_answers();
    return test_report();
}
