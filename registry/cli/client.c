/* The MCP client verify uses: child processes, stdio lines, Streamable HTTP via libcurl. */
#define _GNU_SOURCE /* pipe2, mkostemp */
#include "client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "alloc_int.h"
#include "json_int.h"
#include "registry.h"

#include "banned.h"

extern char **environ;

#define TIMEOUT_MS 20000
#define PROTOCOL "2025-11-25"
#define MAX_MESSAGE (16u << 20)

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The first line of the child's stderr: why a server refused to start. */
static void first_log_line(const struct reg_client *c, char *out, size_t len)
{
    out[0] = '\0';
    FILE *f = fopen(c->log, "r");
    if (f && fgets(out, (int)len, f))
        out[strcspn(out, "\n")] = '\0';
    if (f)
        fclose(f);
}

static void exited(const struct reg_client *c, int status, char *why, size_t whylen)
{
    char line[400];
    first_log_line(c, line, sizeof line);
    snprintf(why, whylen, "the server exited (status %d)%s%s",
             WIFEXITED(status) ? WEXITSTATUS(status) : -1, line[0] ? ": " : "", line);
}

/* An unused port: bind to port 0 and ask which one the kernel chose. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static bool port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((unsigned short)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* Spawns argv with stdin/stdout on pipes (stdio) or /dev/null and the log (HTTP). */
static int spawn(struct reg_client *c, char *const *argv, bool piped, char *why, size_t whylen)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    int logfd = mkostemp(c->log, O_CLOEXEC);
    posix_spawn_file_actions_t fa;
    int rc = logfd < 0 ? errno : 0;
    if (!rc && piped && (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)))
        rc = errno;
    if (!rc && !(rc = posix_spawn_file_actions_init(&fa))) {
        if (piped) {
            posix_spawn_file_actions_adddup2(&fa, in[0], 0);
            posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        } else {
            posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
            posix_spawn_file_actions_adddup2(&fa, logfd, 1);
        }
        posix_spawn_file_actions_adddup2(&fa, logfd, 2);
        rc = posix_spawn(&c->pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
    }
    if (logfd >= 0)
        close(logfd);
    if (in[0] >= 0)
        close(in[0]);
    if (out[1] >= 0)
        close(out[1]);
    c->to_server = in[1];
    c->from_server = out[0];
    if (rc) {
        c->pid = 0;
        snprintf(why, whylen, "cannot start %s: %s", argv[0], strerror(rc));
        return -1;
    }
    return 0;
}

/* Waits until the HTTP server accepts connections. 0; 1 when it exited with status 1, which
 * is how a server says it could not bind (the port may have been taken meanwhile); -1 when it
 * exited otherwise or did not listen in time. */
static int wait_listening(struct reg_client *c, int port, char *why, size_t whylen)
{
    long deadline = now_ms() + 10000;
    while (now_ms() < deadline) {
        int status;
        if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
            c->pid = 0;
            exited(c, status, why, whylen);
            return WIFEXITED(status) && WEXITSTATUS(status) == 1 ? 1 : -1;
        }
        if (port_open(port))
            return 0;
        usleep(20000);
    }
    snprintf(why, whylen, "the server did not listen on 127.0.0.1:%d within 10 s", port);
    return -1;
}

static int start_http(struct reg_client *c, char *const *argv, const char *path, char *why,
                      size_t whylen)
{
    size_t n = 0;
    while (argv[n])
        n++;
    char **args = mcp__calloc(n + 1, sizeof *args);
    char addr[32], url[96];
    int rc = args ? 1 : -1;
    /* A port found free can be taken before the server binds it: try a few. */
    for (int attempt = 0; rc == 1 && attempt < 5; attempt++) {
        int port = free_port();
        snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
        for (size_t i = 0; i < n; i++)
            args[i] = i > 0 && strcmp(argv[i - 1], "--http") == 0 ? addr : argv[i];
        unlink(c->log);
        snprintf(c->log, sizeof c->log, "/tmp/mcp-registry-log-XXXXXX");
        rc = spawn(c, args, false, why, whylen) ? -1 : wait_listening(c, port, why, whylen);
        snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    }
    mcp__free(args);
    if (!rc && !(c->url = mcp__strdup(url)))
        rc = -1;
    return rc ? -1 : 0;
}

static cJSON *request(struct reg_client *c, const char *method, cJSON *params, long *id)
{
    cJSON *msg = cJSON_CreateObject();
    *id = ++c->next_id;
    if (!msg || !cJSON_AddStringToObject(msg, "jsonrpc", "2.0") ||
        (id && !cJSON_AddNumberToObject(msg, "id", (double)*id)) ||
        !cJSON_AddStringToObject(msg, "method", method) ||
        (params && !cJSON_AddItemToObject(msg, "params", params))) {
        cJSON_Delete(params);
        cJSON_Delete(msg);
        return NULL;
    }
    return msg;
}

static bool is_answer(const cJSON *m, long id)
{
    const cJSON *v = mcp__json_get(m, "id");
    return cJSON_IsNumber(v) && (long)v->valuedouble == id &&
           (mcp__json_get(m, "result") || mcp__json_get(m, "error"));
}

/* Splits an answer into the call's outcome. */
static int outcome(cJSON *m, cJSON **result, int *code, char *why, size_t whylen)
{
    const cJSON *err = mcp__json_get(m, "error");
    if (err) {
        if (code)
            *code = (int)cJSON_GetNumberValue(mcp__json_get(err, "code"));
        const char *text = mcp__json_str(err, "message");
        snprintf(why, whylen, "error %d: %s", (int)cJSON_GetNumberValue(mcp__json_get(err, "code")),
                 text ? text : "");
        cJSON_Delete(m);
        return 1;
    }
    *result = cJSON_DetachItemFromObjectCaseSensitive(m, "result");
    cJSON_Delete(m);
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int send_line(struct reg_client *c, const cJSON *msg)
{
    char *text = mcp__json_print(msg);
    int rc = text ? write_all(c->to_server, text, strlen(text)) : -1;
    if (!rc)
        rc = write_all(c->to_server, "\n", 1);
    mcp__free(text);
    return rc;
}

/* Declines a request the server sent us: verify is no person and has no model. */
static void decline(struct reg_client *c, const cJSON *req)
{
    cJSON *r = cJSON_CreateObject();
    cJSON *e = r ? cJSON_AddObjectToObject(r, "error") : NULL;
    if (e && cJSON_AddStringToObject(r, "jsonrpc", "2.0") &&
        mcp__json_add_copy(r, "id", mcp__json_get(req, "id")) &&
        cJSON_AddNumberToObject(e, "code", -32601) &&
        cJSON_AddStringToObject(e, "message", "mcp-registry verify answers no requests"))
        send_line(c, r);
    cJSON_Delete(r);
}

/* Takes the next complete line out of c->unread into a new cJSON, or NULL. */
static cJSON *next_line(struct reg_client *c, bool *had_line)
{
    char *data = c->unread.data;
    char *nl = c->unread.len ? memchr(data, '\n', c->unread.len) : NULL;
    *had_line = nl != NULL;
    if (!nl)
        return NULL;
    cJSON *m = mcp__json_parse(data, (size_t)(nl - data));
    size_t rest = c->unread.len - (size_t)(nl + 1 - data);
    memmove(data, nl + 1, rest);
    c->unread.len = rest;
    data[rest] = '\0';
    return m;
}

static int read_more(struct reg_client *c, long deadline, char *why, size_t whylen)
{
    struct pollfd p = {.fd = c->from_server, .events = POLLIN};
    long left = deadline - now_ms();
    int r = left > 0 ? poll(&p, 1, (int)left) : 0;
    char buf[65536];
    ssize_t n = r > 0 ? read(c->from_server, buf, sizeof buf) : 0;
    if (r == 0) {
        snprintf(why, whylen, "no answer within %d s", TIMEOUT_MS / 1000);
        return -1;
    }
    if (n <= 0) {
        int status = 0;
        if (c->pid && waitpid(c->pid, &status, 0) == c->pid)
            c->pid = 0;
        exited(c, status, why, whylen);
        return -1;
    }
    if (mcp__buf_add(&c->unread, buf, (size_t)n)) {
        snprintf(why, whylen, "the server sent a line over %u bytes", MAX_MESSAGE);
        return -1;
    }
    return 0;
}

static int call_stdio(struct reg_client *c, cJSON *msg, long id, cJSON **result, int *code,
                      char *why, size_t whylen)
{
    int rc = send_line(c, msg);
    cJSON_Delete(msg);
    if (rc) {
        snprintf(why, whylen, "cannot write to the server: %s", strerror(errno));
        return -1;
    }
    long deadline = now_ms() + TIMEOUT_MS;
    for (;;) {
        bool had_line;
        cJSON *m = next_line(c, &had_line);
        if (m && is_answer(m, id))
            return outcome(m, result, code, why, whylen);
        if (m && mcp__json_get(m, "method") && mcp__json_get(m, "id"))
            decline(c, m);
        cJSON_Delete(m);
        if (!had_line && read_more(c, deadline, why, whylen))
            return -1;
    }
}

struct http_reply {
    struct mcp__buf body;
    char *session;
    bool sse;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct http_reply *r = ud;
    return mcp__buf_add(&r->body, p, size * n) ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct http_reply *r = ud;
    size_t len = size * n;
    if (len > 15 && strncasecmp(p, "mcp-session-id:", 15) == 0 && !r->session) {
        const char *v = p + 15;
        while (*v == ' ')
            v++;
        r->session = mcp__strndup(v, strcspn(v, "\r\n"));
    }
    if (len > 13 && strncasecmp(p, "content-type:", 13) == 0)
        r->sse = strstr(p, "text/event-stream") != NULL;
    return len;
}

/* Finds our answer among the events of an SSE body (the data lines of each event). */
static cJSON *answer_from_sse(const char *body, long id)
{
    struct mcp__buf data;
    mcp__buf_init(&data, MAX_MESSAGE);
    cJSON *found = NULL;
    for (const char *line = body; line && *line && !found;) {
        size_t n = strcspn(line, "\n");
        bool blank = n == 0 || (n == 1 && line[0] == '\r');
        if (strncmp(line, "data:", 5) == 0) {
            const char *v = line + 5 + (line[5] == ' ');
            mcp__buf_add(&data, v, (size_t)(line + n - v) - (line[n - 1] == '\r'));
        }
        if ((blank || !line[n]) && data.len) {
            cJSON *m = mcp__json_parse(data.data, data.len);
            if (m && is_answer(m, id))
                found = m;
            else
                cJSON_Delete(m);
            mcp__buf_reset(&data);
        }
        line = line[n] ? line + n + 1 : NULL;
    }
    mcp__buf_release(&data);
    return found;
}

static struct curl_slist *http_headers(const struct reg_client *c)
{
    char h[256];
    struct curl_slist *l = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *t =
        l ? curl_slist_append(l, "Accept: application/json, text/event-stream") : NULL;
    if (t && c->session) {
        snprintf(h, sizeof h, "Mcp-Session-Id: %s", c->session);
        t = curl_slist_append(l, h);
        snprintf(h, sizeof h, "MCP-Protocol-Version: %s", PROTOCOL);
        t = t ? curl_slist_append(l, h) : NULL;
    }
    if (!t) {
        curl_slist_free_all(l);
        return NULL;
    }
    return l;
}

static int http_post(struct reg_client *c, const char *body, struct http_reply *r, long *status,
                     char *why, size_t whylen)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdrs = h ? http_headers(c) : NULL;
    CURLcode cc = CURLE_OUT_OF_MEMORY;
    if (hdrs) {
        curl_easy_setopt(h, CURLOPT_URL, c->url);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)TIMEOUT_MS);
        curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
        cc = curl_easy_perform(h);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    if (cc != CURLE_OK)
        snprintf(why, whylen, "POST %s: %s", c->url, curl_easy_strerror(cc));
    return cc == CURLE_OK ? 0 : -1;
}

static int call_http(struct reg_client *c, cJSON *msg, long id, cJSON **result, int *code,
                     char *why, size_t whylen)
{
    struct http_reply r = {.sse = false};
    mcp__buf_init(&r.body, MAX_MESSAGE);
    char *body = mcp__json_print(msg);
    cJSON_Delete(msg);
    long status = 0;
    int rc = body ? http_post(c, body, &r, &status, why, whylen) : -1;
    mcp__free(body);
    cJSON *m = NULL;
    if (!rc && status >= 300) {
        snprintf(why, whylen, "HTTP %ld: %.200s", status, mcp__buf_str(&r.body));
        rc = -1;
    } else if (!rc) {
        m = r.sse ? answer_from_sse(mcp__buf_str(&r.body), id)
                  : mcp__json_parse(r.body.data ? r.body.data : "", r.body.len);
        if (!m || !is_answer(m, id)) {
            snprintf(why, whylen, "HTTP %ld without the answer: %.200s", status,
                     mcp__buf_str(&r.body));
            rc = -1;
        }
    }
    if (r.session && !c->session) {
        c->session = r.session;
        r.session = NULL;
    }
    mcp__free(r.session);
    mcp__buf_release(&r.body);
    if (rc) {
        cJSON_Delete(m);
        return -1;
    }
    return outcome(m, result, code, why, whylen);
}

int reg_client_call(struct reg_client *c, const char *method, cJSON *params, cJSON **result,
                    int *code, char *why, size_t whylen)
{
    long id;
    *result = NULL;
    cJSON *msg = request(c, method, params, &id);
    if (!msg) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    return c->url ? call_http(c, msg, id, result, code, why, whylen)
                  : call_stdio(c, msg, id, result, code, why, whylen);
}

static int notify_initialized(struct reg_client *c)
{
    cJSON *msg = cJSON_CreateObject();
    int rc = -1;
    if (msg && cJSON_AddStringToObject(msg, "jsonrpc", "2.0") &&
        cJSON_AddStringToObject(msg, "method", "notifications/initialized")) {
        if (!c->url) {
            rc = send_line(c, msg);
        } else {
            struct http_reply r = {.sse = false};
            char *body = mcp__json_print(msg);
            char why[256];
            long status = 0;
            mcp__buf_init(&r.body, MAX_MESSAGE);
            rc = body ? http_post(c, body, &r, &status, why, sizeof why) : -1;
            rc = rc || status >= 300 ? -1 : 0;
            mcp__free(body);
            mcp__free(r.session);
            mcp__buf_release(&r.body);
        }
    }
    cJSON_Delete(msg);
    return rc;
}

static int initialize(struct reg_client *c, char *why, size_t whylen)
{
    cJSON *p = cJSON_CreateObject();
    cJSON *info = p ? cJSON_AddObjectToObject(p, "clientInfo") : NULL;
    if (!info || !cJSON_AddStringToObject(p, "protocolVersion", PROTOCOL) ||
        !cJSON_AddObjectToObject(p, "capabilities") ||
        !cJSON_AddStringToObject(info, "name", "mcp-registry-verify") ||
        !cJSON_AddStringToObject(info, "version", "0.1.0")) {
        cJSON_Delete(p);
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    cJSON *result = NULL;
    int rc = reg_client_call(c, "initialize", p, &result, NULL, why, whylen);
    c->server_info = cJSON_DetachItemFromObjectCaseSensitive(result, "serverInfo");
    cJSON_Delete(result);
    if (!rc && notify_initialized(c)) {
        snprintf(why, whylen, "notifications/initialized was not accepted");
        rc = -1;
    }
    return rc ? -1 : 0;
}

int reg_client_start(struct reg_client *c, char *const *argv, const char *http_path, char *why,
                     size_t whylen)
{
    memset(c, 0, sizeof *c);
    c->to_server = c->from_server = -1;
    mcp__buf_init(&c->unread, MAX_MESSAGE);
    snprintf(c->log, sizeof c->log, "/tmp/mcp-registry-log-XXXXXX");
    int rc =
        http_path ? start_http(c, argv, http_path, why, whylen) : spawn(c, argv, true, why, whylen);
    if (!rc)
        rc = initialize(c, why, whylen);
    return rc;
}

static void end_http_session(struct reg_client *c)
{
    CURL *h = c->session ? curl_easy_init() : NULL;
    struct curl_slist *hdrs = h ? http_headers(c) : NULL;
    if (hdrs) {
        curl_easy_setopt(h, CURLOPT_URL, c->url);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
        curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
        curl_easy_perform(h);
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
}

/* Waits up to ms for the child; true when it is gone. */
static bool reap(struct reg_client *c, long ms)
{
    long deadline = now_ms() + ms;
    while (c->pid) {
        int status;
        if (waitpid(c->pid, &status, WNOHANG) == c->pid)
            c->pid = 0;
        else if (now_ms() >= deadline)
            return false;
        else
            usleep(10000);
    }
    return true;
}

void reg_client_stop(struct reg_client *c)
{
    if (c->url)
        end_http_session(c);
    if (c->to_server >= 0)
        close(c->to_server); /* end of input: a stdio server finishes and exits */
    if (c->pid && !reap(c, c->url ? 0 : 2000))
        kill(c->pid, SIGTERM);
    if (c->pid && !reap(c, 3000)) {
        kill(c->pid, SIGKILL);
        reap(c, 3000);
    }
    if (c->from_server >= 0)
        close(c->from_server);
    if (c->log[0] && !strstr(c->log, "XXXXXX"))
        unlink(c->log);
    mcp__free(c->url);
    mcp__free(c->session);
    cJSON_Delete(c->server_info);
    mcp__buf_release(&c->unread);
    memset(c, 0, sizeof *c);
    c->to_server = c->from_server = -1;
}
