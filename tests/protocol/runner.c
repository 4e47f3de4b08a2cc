/* Replays protocol cases against a server over stdio or over Streamable HTTP.
 *
 * A case file is a conversation, one directive per line:
 *   > JSON          send this line
 *   >x TEXT         send TEXT with C escapes (\xNN, \n, \\) decoded: invalid UTF-8, junk
 *   >nest N         send N opening and N closing brackets
 *   >big N          send a ping request padded to N bytes
 *   < PATTERN       the next message from the server must match PATTERN
 *   #! stdio-only: WHY   the lines after the marker, up to the next blank line, are skipped
 *   #! http-only: WHY    over HTTP (stdio-only) or over stdio (http-only); WHY is required
 *   # ...           comment; blank lines are ignored
 * A pattern matches a message when every member of a pattern object is present and matches
 * (extra members are allowed), arrays match element by element with equal length, the
 * string "*" matches any value, and other values are equal (strings exact, numbers by value,
 * and a string id never equals a number id). A pattern string "$name" matches any value and
 * captures it; a later "$name" (with its quotes) in a sent line is replaced by the captured
 * JSON. A case with no line left for a transport is reported as skipped there. Over stdio
 * every case starts a fresh server.
 *
 * With --http one server, started with --http 127.0.0.1:PORT, serves every case and must
 * exit cleanly on SIGTERM at the end. Each sent line is a POST of its own to /mcp; what comes
 * back (a JSON body whatever the HTTP status, since errors carry a JSON-RPC error, or each
 * event of an SSE stream) joins one queue of received messages in arrival order, which the
 * < lines match as over stdio; a result must come with 200. A legacy case's session is the
 * one its initialize opened: Mcp-Session-Id and the agreed MCP-Protocol-Version go on every
 * later POST, and the session is DELETEd (200) at the end of the case. A line carrying a
 * 2026-07-28 _meta outside a session gets that revision's headers from its body
 * (MCP-Protocol-Version, Mcp-Method, Mcp-Name); Mcp-Param-* headers are not derived, as that
 * needs the tool's schema and no case calls such a tool. After each POST the runner waits
 * until the server answered or had a moment to take the request, so the server sees the
 * lines in the order the case lists them.
 *
 * Usage: protocol-runner [--http] SERVER-BINARY CASE-FILE...
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "../unit/test.h"

extern char **environ;

#define REPLY_TIMEOUT_MS 10000
#define START_TIMEOUT_MS 15000
#define STOP_TIMEOUT_MS 15000
/* How long a POST the server has not answered yet gets to reach the server's handler before
 * the next line is sent (a slow call answers only when it is done). */
#define SETTLE_MS 200
#define META_VERSION "io.modelcontextprotocol/protocolVersion"

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* --- stdio: a server per case, a line per message. */

struct server {
    pid_t pid;
    int to;   /* its stdin */
    int from; /* its stdout */
    char *buf;
    size_t len, cap;
};

static bool server_start(struct server *s, char *path)
{
    int in[2], out[2];
    if (pipe(in) || pipe(out))
        return false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    char stdio_flag[] = "--stdio";
    char *argv[] = {path, stdio_flag, NULL};
    int rc = posix_spawn(&s->pid, path, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    s->to = in[1];
    s->from = out[0];
    s->len = 0;
    return rc == 0;
}

/* Closes stdin and waits: the server must exit cleanly on end of input. */
static int server_stop(struct server *s)
{
    close(s->to);
    int status = 0;
    waitpid(s->pid, &status, 0);
    close(s->from);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static bool send_bytes(struct server *s, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(s->to, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

/* Reads the next line from the server, or NULL after the timeout. Owned by the caller. */
static char *read_line(struct server *s)
{
    for (;;) {
        char *nl = s->len ? memchr(s->buf, '\n', s->len) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - s->buf);
            char *line = malloc(n + 1);
            memcpy(line, s->buf, n);
            line[n] = '\0';
            memmove(s->buf, nl + 1, s->len - n - 1);
            s->len -= n + 1;
            return line;
        }
        struct pollfd p = {s->from, POLLIN, 0};
        if (poll(&p, 1, REPLY_TIMEOUT_MS) <= 0)
            return NULL;
        if (s->cap - s->len < 65536) {
            s->cap = s->cap ? s->cap * 2 : 131072;
            s->buf = realloc(s->buf, s->cap);
        }
        ssize_t n = read(s->from, s->buf + s->len, s->cap - s->len);
        if (n <= 0)
            return NULL;
        s->len += (size_t)n;
    }
}

/* --- HTTP: one server for every case, a POST per sent line. */

struct bytes {
    char *data;
    size_t len, cap;
};

static void bytes_add(struct bytes *b, const char *data, size_t len)
{
    if (b->cap - b->len <= len) {
        while (b->cap - b->len <= len)
            b->cap = b->cap ? b->cap * 2 : 4096;
        b->data = realloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

static void bytes_drop(struct bytes *b, size_t n)
{
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

struct message {
    char *text;  /* as received: JSON, or a note saying what came instead */
    long status; /* the HTTP status it came with */
    struct message *next;
};

struct client;

/* One POST and its response. */
struct xfer {
    struct client *c;
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    size_t len, off;
    long long sent_ms; /* when curl took the last byte of the body; 0 before */
    long status;
    bool answered; /* the final status line and its headers are in */
    bool sse;
    bool done;
    bool initialize; /* opens the session */
    struct bytes in; /* the JSON body, or SSE not yet split into events */
    struct xfer *next;
};

struct client {
    CURLM *multi;
    char url[64];
    char *session;    /* Mcp-Session-Id from the initialize response */
    char version[32]; /* the protocol version initialize agreed */
    struct xfer *xfers;
    struct message *head, **tail;
};

static void client_push(struct client *c, const char *text, size_t len, long status,
                        bool initialize)
{
    struct message *m = calloc(1, sizeof(*m));
    m->text = malloc(len + 1);
    memcpy(m->text, text, len);
    m->text[len] = '\0';
    m->status = status;
    *c->tail = m;
    c->tail = &m->next;
    if (initialize && !c->version[0]) {
        cJSON *msg = cJSON_ParseWithLength(text, len);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(msg, "result"), "protocolVersion");
        if (cJSON_IsString(v))
            snprintf(c->version, sizeof c->version, "%s", v->valuestring);
        cJSON_Delete(msg);
    }
}

static void client_note(struct client *c, long status, const char *note)
{
    client_push(c, note, strlen(note), status, false);
}

/* Takes each complete event off an SSE stream; every non-empty data field is a message
 * (the empty one is the priming event that only carries an id and a retry hint). */
static void sse_events(struct xfer *x)
{
    for (;;) {
        char *end = NULL;
        for (size_t i = 0; i + 1 < x->in.len && !end; i++)
            if (x->in.data[i] == '\n' && x->in.data[i + 1] == '\n')
                end = x->in.data + i;
        if (!end)
            return;
        struct bytes data = {0};
        for (char *line = x->in.data; line <= end;) {
            char *nl = memchr(line, '\n', (size_t)(end - line) + 1);
            size_t n = (size_t)(nl - line);
            if (n && line[n - 1] == '\r')
                n--;
            if (n >= 5 && strncmp(line, "data:", 5) == 0) {
                size_t skip = n > 5 && line[5] == ' ' ? 6 : 5;
                if (data.len)
                    bytes_add(&data, "\n", 1);
                bytes_add(&data, line + skip, n - skip);
            }
            line = nl + 1;
        }
        if (data.len)
            client_push(x->c, data.data, data.len, x->status, x->initialize);
        free(data.data);
        bytes_drop(&x->in, (size_t)(end - x->in.data) + 2);
    }
}

static size_t on_body(char *buf, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    bytes_add(&x->in, buf, size * n);
    if (x->sse)
        sse_events(x);
    return size * n;
}

static size_t on_header(char *buf, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * n;
    char line[512];
    snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), buf);
    line[strcspn(line, "\r\n")] = '\0';
    char *value = strchr(line, ':');
    if (value)
        value += 1 + strspn(value + 1, " \t");
    if (strncmp(line, "HTTP/", 5) == 0) {
        x->status = 0;
        x->sse = false;
        sscanf(line, "HTTP/%*s %ld", &x->status);
    } else if (!line[0]) {
        x->answered = x->status >= 200; /* not after a 100 Continue */
    } else if (!value) {
        /* not a field */
    } else if (strncasecmp(line, "content-type:", 13) == 0) {
        x->sse = strstr(value, "text/event-stream") != NULL;
    } else if (strncasecmp(line, "mcp-session-id:", 15) == 0 && x->initialize && !x->c->session) {
        x->c->session = strdup(value);
    }
    return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t want = size * n, left = x->len - x->off;
    if (want > left)
        want = left;
    memcpy(buf, x->body + x->off, want);
    x->off += want;
    if (x->off == x->len && !x->sent_ms)
        x->sent_ms = now_ms();
    return want;
}

static void xfer_free(struct client *c, struct xfer *x)
{
    curl_multi_remove_handle(c->multi, x->easy);
    curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->headers);
    free(x->body);
    free(x->in.data);
    free(x);
}

/* Queues what finished transfers leave: a JSON body whatever its status (an HTTP error
 * carries a JSON-RPC error), nothing for 202 Accepted, and a note for anything else. */
static void client_finish(struct client *c)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        struct xfer *x = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        x->done = true;
        char note[160];
        if (m->data.result != CURLE_OK) {
            snprintf(note, sizeof note, "(the POST failed: %s)",
                     curl_easy_strerror(m->data.result));
            client_note(c, x->status, note);
        } else if (!x->sse && x->in.len) {
            client_push(c, x->in.data, x->in.len, x->status, x->initialize);
        } else if (!x->sse && x->status != 202) {
            client_note(c, x->status, "(an empty body)");
        }
    }
}

static bool client_busy(const struct client *c)
{
    for (const struct xfer *x = c->xfers; x; x = x->next)
        if (!x->done)
            return true;
    return false;
}

static void client_drive(struct client *c, int ms)
{
    int running = 0;
    curl_multi_perform(c->multi, &running);
    client_finish(c);
    if (running)
        curl_multi_poll(c->multi, NULL, 0, ms, NULL);
    curl_multi_perform(c->multi, &running);
    client_finish(c);
}

/* The next message the server sent, or NULL after the timeout or when nothing is open that
 * could still bring one. Owned by the caller. */
static char *client_next(struct client *c, long *status)
{
    long long deadline = now_ms() + REPLY_TIMEOUT_MS;
    while (!c->head && client_busy(c) && now_ms() < deadline)
        client_drive(c, 100);
    struct message *m = c->head;
    if (!m)
        return NULL;
    c->head = m->next;
    if (!c->head)
        c->tail = &c->head;
    char *text = m->text;
    *status = m->status;
    free(m);
    return text;
}

static const char *str_of(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static struct curl_slist *add_header(struct curl_slist *list, const char *name, const char *value)
{
    char line[1024];
    snprintf(line, sizeof line, "%s: %s", name, value);
    return curl_slist_append(list, line);
}

/* A header value as Mcp-Name carries it: plain when it is printable ASCII without edge
 * whitespace, else the =?base64?...?= form. */
static struct curl_slist *add_name_header(struct curl_slist *list, const char *name)
{
    size_t n = strlen(name);
    bool plain = n && name[0] != ' ' && name[n - 1] != ' ';
    for (size_t i = 0; plain && i < n; i++)
        plain = (unsigned char)name[i] >= 0x20 && (unsigned char)name[i] < 0x7f;
    if (plain)
        return add_header(list, "Mcp-Name", name);
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc(n / 3 * 4 + 16), *o = out;
    memcpy(o, "=?base64?", 9);
    o += 9;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)name[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)name[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)name[i + 2];
        *o++ = b64[v >> 18 & 63];
        *o++ = b64[v >> 12 & 63];
        *o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? b64[v & 63] : '=';
    }
    memcpy(o, "?=", 3);
    list = add_header(list, "Mcp-Name", out);
    free(out);
    return list;
}

/* The headers for a POST of `body`: the session's, or the 2026-07-28 ones the body implies. */
static struct curl_slist *post_headers(const struct client *c, const char *body, size_t len,
                                       bool *initialize)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Accept: application/json, text/event-stream");
    h = curl_slist_append(h, "Expect:"); /* send big bodies at once: the server reads them */
    cJSON *msg = cJSON_ParseWithLength(body, len);
    const char *method = cJSON_IsObject(msg) ? str_of(msg, "method") : NULL;
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
    const char *modern =
        cJSON_IsObject(params) && !c->session
            ? str_of(cJSON_GetObjectItemCaseSensitive(params, "_meta"), META_VERSION)
            : NULL;
    *initialize = !c->session && method && strcmp(method, "initialize") == 0;
    if (modern) {
        h = add_header(h, "MCP-Protocol-Version", modern);
        if (method)
            h = add_header(h, "Mcp-Method", method);
        const char *target = NULL;
        if (method && (strcmp(method, "tools/call") == 0 || strcmp(method, "prompts/get") == 0))
            target = str_of(params, "name");
        else if (method && strcmp(method, "resources/read") == 0)
            target = str_of(params, "uri");
        if (target)
            h = add_name_header(h, target);
    } else {
        if (c->session)
            h = add_header(h, "Mcp-Session-Id", c->session);
        if (c->version[0])
            h = add_header(h, "MCP-Protocol-Version", c->version);
    }
    cJSON_Delete(msg);
    return h;
}

/* POSTs `body` and waits until the server has it: a JSON answer in full, the start of an SSE
 * stream, or the body went out a moment ago. Initialize waits for its whole answer, which
 * names the session. */
static bool client_send(struct client *c, const char *body, size_t len)
{
    struct xfer *x = calloc(1, sizeof(*x));
    x->c = c;
    x->body = malloc(len ? len : 1);
    memcpy(x->body, body, len);
    x->len = len;
    x->headers = post_headers(c, body, len, &x->initialize);
    x->easy = curl_easy_init();
    if (!x->easy) {
        curl_slist_free_all(x->headers);
        free(x->body);
        free(x);
        return false;
    }
    if (!len)
        x->sent_ms = now_ms();
    x->next = c->xfers;
    c->xfers = x;
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, c->url);
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(e, CURLOPT_READDATA, x);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)x);
    if (curl_multi_add_handle(c->multi, e) != CURLM_OK)
        return false;
    long long deadline = now_ms() + REPLY_TIMEOUT_MS;
    while (!x->done && (x->initialize || !x->answered || !x->sse) &&
           !(!x->initialize && x->sent_ms && now_ms() - x->sent_ms >= SETTLE_MS) &&
           now_ms() < deadline)
        client_drive(c, 20);
    return true;
}

/* Ends the case: DELETE its session (which must succeed), then drop what is still open. */
static bool client_end_case(struct client *c, char *why, size_t whylen)
{
    bool ok = true;
    if (c->session) {
        CURL *e = curl_easy_init();
        struct curl_slist *h = add_header(NULL, "Mcp-Session-Id", c->session);
        if (c->version[0])
            h = add_header(h, "MCP-Protocol-Version", c->version);
        curl_easy_setopt(e, CURLOPT_URL, c->url);
        curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)REPLY_TIMEOUT_MS);
        long status = 0;
        CURLcode rc = curl_easy_perform(e);
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK || status != 200) {
            snprintf(why, whylen, "DELETE of the session got %s %ld",
                     rc == CURLE_OK ? "HTTP" : curl_easy_strerror(rc), status);
            ok = false;
        }
        curl_slist_free_all(h);
        curl_easy_cleanup(e);
    }
    while (c->xfers) {
        struct xfer *x = c->xfers;
        c->xfers = x->next;
        xfer_free(c, x);
    }
    while (c->head) {
        struct message *m = c->head;
        c->head = m->next;
        free(m->text);
        free(m);
    }
    c->tail = &c->head;
    free(c->session);
    c->session = NULL;
    c->version[0] = '\0';
    return ok;
}

/* The server process behind every HTTP case; its output goes to a log shown on failure. */
struct fixture {
    pid_t pid;
    int log;
    char url[64];
};

static unsigned short free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof a;
    unsigned short port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &n) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port ? port : (unsigned short)(20000 + rand() % 20000);
}

static bool answers(const char *url)
{
    CURL *e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 1000L);
    CURLcode rc = curl_easy_perform(e);
    curl_easy_cleanup(e);
    return rc == CURLE_OK;
}

static int exit_status(int status)
{
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Starts the server on a free port, retrying another when it cannot listen, and waits
 * until it answers. */
static bool fixture_start(struct fixture *f, char *path)
{
    char log[] = "/tmp/protocol-runner-XXXXXX";
    f->log = mkstemp(log);
    if (f->log < 0)
        return false;
    unlink(log);
    for (int tries = 0; tries < 8; tries++) {
        char addr[32], http_flag[] = "--http";
        unsigned short port = free_port();
        snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
        snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u/mcp", port);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, f->log, 1);
        posix_spawn_file_actions_adddup2(&fa, f->log, 2);
        char *argv[] = {path, http_flag, addr, NULL};
        int rc = posix_spawn(&f->pid, path, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc)
            return false;
        long long deadline = now_ms() + START_TIMEOUT_MS;
        int status;
        while (now_ms() < deadline) {
            if (waitpid(f->pid, &status, WNOHANG) == f->pid) {
                f->pid = 0; /* most likely the port was taken: another one */
                break;
            }
            if (answers(f->url))
                return true;
            sleep_ms(50);
        }
        if (f->pid) {
            kill(f->pid, SIGKILL);
            waitpid(f->pid, &status, 0);
            f->pid = 0;
        }
    }
    return false;
}

/* Stops the server with SIGTERM; returns its exit status, which must be 0, or -1 when it was
 * not running any more. */
static int fixture_stop(struct fixture *f)
{
    int status = 0;
    if (f->pid <= 0)
        return -1;
    kill(f->pid, SIGTERM);
    long long deadline = now_ms() + STOP_TIMEOUT_MS;
    while (waitpid(f->pid, &status, WNOHANG) == 0) {
        if (now_ms() > deadline) {
            kill(f->pid, SIGKILL);
            waitpid(f->pid, &status, 0);
            break;
        }
        sleep_ms(20);
    }
    f->pid = 0;
    return exit_status(status);
}

/* Whether the server still runs; otherwise its status in *status. */
static bool fixture_alive(struct fixture *f, int *status)
{
    int st;
    if (f->pid > 0 && waitpid(f->pid, &st, WNOHANG) == f->pid) {
        f->pid = 0;
        *status = exit_status(st);
    }
    return f->pid > 0;
}

static void fixture_show_log(const struct fixture *f)
{
    char buf[4096];
    ssize_t n;
    fprintf(stderr, "--- server output\n");
    lseek(f->log, 0, SEEK_SET);
    while ((n = read(f->log, buf, sizeof buf)) > 0)
        fwrite(buf, 1, (size_t)n, stderr);
    fprintf(stderr, "---\n");
}

/* --- Cases. */

#define MAX_CAPTURES 16
static struct capture {
    char name[32];
    char *json;
} captures[MAX_CAPTURES];

static void capture(const char *name, const cJSON *value)
{
    for (int i = 0; i < MAX_CAPTURES; i++) {
        if (!captures[i].json || strcmp(captures[i].name, name) == 0) {
            free(captures[i].json);
            snprintf(captures[i].name, sizeof captures[i].name, "%s", name);
            captures[i].json = cJSON_PrintUnformatted(value);
            return;
        }
    }
}

/* Replaces each quoted "$name" in `line` by its captured JSON; returns a new string. */
static char *substitute(const char *line)
{
    size_t cap = strlen(line) + 1;
    for (int i = 0; i < MAX_CAPTURES && captures[i].json; i++)
        cap += strlen(captures[i].json) * 4;
    char *out = malloc(cap), *o = out;
    while (*line) {
        bool done = false;
        for (int i = 0; !done && i < MAX_CAPTURES && captures[i].json; i++) {
            size_t n = strlen(captures[i].name);
            if (line[0] == '"' && line[1] == '$' && strncmp(line + 2, captures[i].name, n) == 0 &&
                line[2 + n] == '"') {
                size_t j = strlen(captures[i].json);
                memcpy(o, captures[i].json, j);
                o += j;
                line += n + 3;
                done = true;
            }
        }
        if (!done)
            *o++ = *line++;
    }
    *o = '\0';
    return out;
}

static bool matches(const cJSON *pattern, const cJSON *value)
{
    if (cJSON_IsString(pattern) && strcmp(pattern->valuestring, "*") == 0)
        return value != NULL;
    if (cJSON_IsString(pattern) && pattern->valuestring[0] == '$' && value) {
        capture(pattern->valuestring + 1, value);
        return true;
    }
    if (!value || (pattern->type & 0xFF) != (value->type & 0xFF))
        return false;
    if (cJSON_IsNumber(pattern))
        return pattern->valuedouble == value->valuedouble;
    if (cJSON_IsString(pattern))
        return strcmp(pattern->valuestring, value->valuestring) == 0;
    if (cJSON_IsObject(pattern)) {
        const cJSON *p;
        cJSON_ArrayForEach (p, pattern) {
            if (!matches(p, cJSON_GetObjectItemCaseSensitive(value, p->string)))
                return false;
        }
        return true;
    }
    if (cJSON_IsArray(pattern)) {
        if (cJSON_GetArraySize(pattern) != cJSON_GetArraySize(value))
            return false;
        const cJSON *v = value->child, *p;
        cJSON_ArrayForEach (p, pattern) {
            if (!matches(p, v))
                return false;
            v = v->next;
        }
        return true;
    }
    return true; /* true, false, null: the type comparison decided */
}

static size_t unescape(const char *in, char *out)
{
    size_t n = 0;
    while (*in) {
        if (in[0] == '\\' && in[1] == 'x' && in[2] && in[3]) {
            char hex[3] = {in[2], in[3], 0};
            out[n++] = (char)strtol(hex, NULL, 16);
            in += 4;
        } else if (in[0] == '\\' && in[1] == 'n') {
            out[n++] = '\n';
            in += 2;
        } else if (in[0] == '\\' && in[1] == '\\') {
            out[n++] = '\\';
            in += 2;
        } else {
            out[n++] = *in++;
        }
    }
    return n;
}

/* The bytes a > directive sends, without the newline that ends them over stdio; NULL for a
 * directive it does not know. Owned by the caller. */
static char *directive_bytes(const char *line, size_t *len)
{
    long n = 0;
    if (strncmp(line, "> ", 2) == 0) {
        char *text = substitute(line + 2);
        *len = strlen(text);
        return text;
    }
    if (strncmp(line, ">x ", 3) == 0) {
        char *out = malloc(strlen(line));
        *len = unescape(line + 3, out);
        return out;
    }
    if (sscanf(line, ">nest %ld", &n) == 1 && n > 0) {
        char *out = malloc((size_t)n * 2);
        memset(out, '[', (size_t)n);
        memset(out + n, ']', (size_t)n);
        *len = (size_t)n * 2;
        return out;
    }
    if (sscanf(line, ">big %ld", &n) == 1 && n > 64) {
        const char *head =
            "{\"jsonrpc\":\"2.0\",\"id\":\"big\",\"method\":\"ping\",\"params\":{\"pad\":\"";
        char *out = malloc((size_t)n);
        size_t h = strlen(head), pad = (size_t)n - h - 3;
        memcpy(out, head, h);
        memset(out + h, 'a', pad);
        memcpy(out + h + pad, "\"}}", 3);
        *len = h + pad + 3;
        return out;
    }
    return NULL;
}

/* Where a case runs: a fresh stdio server, or the shared HTTP server through a client. */
struct target {
    char *server_path;
    struct fixture *fixture; /* NULL: stdio */
    struct client *client;
};

enum skip { SKIP_NONE, SKIP_STDIO_ONLY, SKIP_HTTP_ONLY };

/* Reads a "#! stdio-only: WHY" or "#! http-only: WHY" marker; false for a bad one. */
static bool marker(const char *line, enum skip *kind, const char **why)
{
    line += 2 + strspn(line + 2, " ");
    size_t n = strcspn(line, ":");
    if (n == 10 && strncmp(line, "stdio-only", n) == 0)
        *kind = SKIP_STDIO_ONLY;
    else if (n == 9 && strncmp(line, "http-only", n) == 0)
        *kind = SKIP_HTTP_ONLY;
    else
        return false;
    *why = line + n + (line[n] ? 1 + strspn(line + n + 1, " ") : 0);
    return **why != '\0'; /* every use says why */
}

/* Runs one case file; false on the first mismatch, with the reason in `why`. `skipped` says
 * why a case that does not apply to this transport was not run. */
static bool run_case(struct target *t, const char *path, char *why, size_t whylen, char *skipped,
                     size_t skippedlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, whylen, "cannot open");
        return false;
    }
    bool http = t->fixture != NULL;
    struct server s = {0};
    bool ok = true, started = false;
    int status = 0;
    if (http && !fixture_alive(t->fixture, &status)) {
        snprintf(why, whylen, "the server exited with status %d", status);
        ok = false;
    }
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0;
    enum skip block = SKIP_NONE;
    char first_skip[200] = ""; /* the first marker that kept lines from this transport */
    while (ok && getline(&line, &cap, f) > 0) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (!line[0]) {
            block = SKIP_NONE;
            continue;
        }
        if (strncmp(line, "#!", 2) == 0) {
            const char *reason;
            if (!marker(line, &block, &reason)) {
                snprintf(why, whylen, "line %d: bad marker (stdio-only or http-only, and why)",
                         lineno);
                ok = false;
            } else if (!first_skip[0] &&
                       ((block == SKIP_STDIO_ONLY && http) || (block == SKIP_HTTP_ONLY && !http))) {
                snprintf(first_skip, sizeof first_skip, "%s: %s",
                         block == SKIP_STDIO_ONLY ? "stdio-only" : "http-only", reason);
            }
            continue;
        }
        if (line[0] == '#')
            continue;
        if ((block == SKIP_STDIO_ONLY && http) || (block == SKIP_HTTP_ONLY && !http))
            continue;
        if (!started) {
            started = true;
            if (!http && !server_start(&s, t->server_path)) {
                snprintf(why, whylen, "cannot start %s", t->server_path);
                ok = false;
                break;
            }
        }
        if (line[0] == '>') {
            size_t len = 0;
            char *bytes = directive_bytes(line, &len);
            if (!bytes) {
                snprintf(why, whylen, "line %d: bad directive", lineno);
                ok = false;
            } else if (http ? !client_send(t->client, bytes, len)
                            : !send_bytes(&s, bytes, len) || !send_bytes(&s, "\n", 1)) {
                snprintf(why, whylen, "line %d: cannot send", lineno);
                ok = false;
            }
            free(bytes);
            continue;
        }
        if (strncmp(line, "< ", 2) != 0) {
            snprintf(why, whylen, "line %d: bad directive", lineno);
            ok = false;
            break;
        }
        cJSON *pattern = cJSON_Parse(line + 2);
        long got_status = 0;
        char *got = http ? client_next(t->client, &got_status) : read_line(&s);
        cJSON *msg = got ? cJSON_Parse(got) : NULL;
        if (!pattern || !matches(pattern, msg)) {
            char where[32] = "";
            if (got_status)
                snprintf(where, sizeof where, "HTTP %ld: ", got_status);
            fprintf(stderr, "%s:%d: expected %s\n  got %s%s\n", path, lineno, line + 2, where,
                    got ? got : "(nothing)");
            snprintf(why, whylen, "line %d: %s", lineno,
                     !pattern ? "bad pattern"
                     : got    ? "the reply does not match"
                              : "no reply");
            ok = false;
        } else if (http && cJSON_HasObjectItem(msg, "result") && got_status != 200) {
            snprintf(why, whylen, "line %d: a result came with HTTP %ld", lineno, got_status);
            ok = false;
        }
        cJSON_Delete(pattern);
        cJSON_Delete(msg);
        free(got);
    }
    free(line);
    fclose(f);
    if (ok && !started && first_skip[0])
        snprintf(skipped, skippedlen, "%s", first_skip); /* nothing of it is for this transport */
    if (http) {
        char end_why[128];
        if (!client_end_case(t->client, end_why, sizeof end_why) && ok) {
            snprintf(why, whylen, "%s", end_why);
            ok = false;
        }
        if (ok && !fixture_alive(t->fixture, &status)) {
            snprintf(why, whylen, "the server exited with status %d", status);
            ok = false;
        }
    } else if (started) {
        status = server_stop(&s);
        if (ok && status != 0) {
            snprintf(why, whylen, "server exited with status %d", status);
            ok = false;
        }
    }
    free(s.buf);
    return ok;
}

int main(int argc, char **argv)
{
    bool http = argc > 1 && strcmp(argv[1], "--http") == 0;
    int first = http ? 2 : 1;
    if (argc < first + 2) {
        fprintf(stderr, "usage: %s [--http] SERVER CASE...\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    srand((unsigned)getpid());
    struct fixture fx = {.log = -1};
    struct client client = {0};
    struct target t = {.server_path = argv[first]};
    if (http) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        if (!fixture_start(&fx, argv[first])) {
            printf("not ok - start %s --http: it never answered\n", argv[first]);
            CHECK(false);
            if (fx.log >= 0)
                fixture_show_log(&fx);
            curl_global_cleanup();
            return test_report();
        }
        client.multi = curl_multi_init();
        client.tail = &client.head;
        snprintf(client.url, sizeof client.url, "%s", fx.url);
        t.fixture = &fx;
        t.client = &client;
    }
    bool failed = false;
    for (int i = first + 1; i < argc; i++) {
        char why[256] = "", skipped[256] = "";
        bool ok = run_case(&t, argv[i], why, sizeof why, skipped, sizeof skipped);
        if (skipped[0]) {
            printf("ok - %s # skip %s\n", argv[i], skipped);
            continue;
        }
        if (ok)
            printf("ok - %s\n", argv[i]);
        else
            printf("not ok - %s: %s\n", argv[i], why);
        fflush(stdout);
        failed |= !ok;
        CHECK(ok);
    }
    if (http) {
        int status = fixture_stop(&fx);
        if (status == 0) {
            printf("ok - the server exits cleanly on SIGTERM\n");
        } else if (status < 0) {
            printf("not ok - the server exits cleanly on SIGTERM: it had exited before\n");
            failed = true;
        } else {
            printf("not ok - the server exits cleanly on SIGTERM: status %d\n", status);
            failed = true;
        }
        CHECK(status == 0);
        fflush(stdout);
        if (failed)
            fixture_show_log(&fx);
        close(fx.log);
        curl_multi_cleanup(client.multi);
        curl_global_cleanup();
    }
    for (int i = 0; i < MAX_CAPTURES; i++)
        free(captures[i].json);
    return test_report();
}
