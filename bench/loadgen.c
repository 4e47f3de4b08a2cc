/* The load generator: drives any MCP server with an `echo` tool (libmcp, the TypeScript SDK
 * peers, the floors) the same way, and prints one machine-readable line per measure.
 *
 *   loadgen stdio      [-d S] [-W S] [-n N] [-w W,...]                    -- SERVER ARGS...
 *   loadgen http       -p PORT [-d S] [-W S] [-n N] [-c C] [-m MODE,...] [--sse] -- SERVER...
 *   loadgen cold-stdio [-r RUNS]                                          -- SERVER ARGS...
 *   loadgen cold-http  -p PORT [-r RUNS]                                  -- SERVER ARGS...
 * Every command also takes -l LABEL (copied to the output) and -a/-A (pinning, below).
 *
 * stdio: spawns the server on two pipes, initializes, then for each window W keeps W
 *   `tools/call echo` in flight for -d seconds (or -n calls) after -W seconds of warm-up, so
 *   a JIT-compiled peer is measured warm. Latency is send to answer, per call.
 * http: spawns the server, waits for its port, opens C keep-alive connections and keeps one
 *   call in flight on each, for each MODE: `sessions` (initialize, then Mcp-Session-Id, one
 *   session per connection), `stateless` (2026-07-28: no session, the version and client
 *   capabilities in _meta and the MCP-Protocol-Version, Mcp-Method, Mcp-Name headers),
 *   `stateless-legacy` (2025-11-25 requests without a session, the v1 SDK's stateless mode).
 *   --sse asks for progress in every call: the tool reports one step before its result, so
 *   the answer must be an SSE stream; without it the answer is JSON.
 * cold-*: spawn to the first initialize answer on stdio, or to the first HTTP 200 for an
 *   initialize POST; RUNS spawns, the median reported.
 * After stdio and http the server's peak RSS (VmHWM from /proc) is reported as well.
 * -a CPUS pins the server and -A CPUS the load generator (lists such as 0, 0-2, 0,3).
 *
 * Output, one line per measure, `key=value` separated by spaces:
 *   bench label=L measure=stdio_w16 calls=N seconds=S calls_per_s=X p50_us=X p99_us=X
 *         cpu_us_per_call=X errors=N      (the server's CPU time, all threads, per call)
 *   bench label=L measure=rss_stdio vmhwm_kib=N
 *   bench label=L measure=cold_stdio runs=N median_ms=X min_ms=X max_ms=X
 * Exits non-zero when the server fails: answers that are not the echo are counted as errors
 * and make the run fail, so a fast wrong server cannot win. */
#define _GNU_SOURCE /* memmem, pipe2, sched_setaffinity */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The echoed text: long enough to be a real argument, and free of `"id":` so the id search
 * below finds the message's own id whatever the member order. */
#define PAYLOAD "The quick brown fox jumps over the lazy dog, 0123456789."
#define MAX_WINDOW 1024
#define MAX_CONNS 1024
#define REPLY_TIMEOUT_MS 10000
#define BUF_SIZE (1 << 20)
#define MODERN_META                                                                                \
    "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","                                  \
    "\"io.modelcontextprotocol/clientCapabilities\":{}"
#define INITIALIZE                                                                                 \
    "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"     \
    "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"loadgen\",\"version\":"         \
    "\"1.0.0\"}}}"
#define INITIALIZED "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"

struct options {
    const char *label;
    double seconds, warmup;
    unsigned long max_calls;
    unsigned windows[8];
    size_t nwindows;
    unsigned conns;
    unsigned short port;
    const char *modes;
    bool sse;
    unsigned runs;
    char **server; /* argv of the server command */
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_us(long us)
{
    struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static void die(const char *what)
{
    fprintf(stderr, "loadgen: %s\n", what);
    exit(1);
}

/* --- Latency samples. */

struct samples {
    uint64_t *v;
    size_t n, cap;
};

static void samples_add(struct samples *s, uint64_t ns)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 65536;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v)
            die("out of memory");
    }
    s->v[s->n++] = ns;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile (nearest rank) in microseconds; sorts the samples. */
static double quantile_us(struct samples *s, double q)
{
    if (!s->n)
        return 0;
    qsort(s->v, s->n, sizeof *s->v, cmp_u64);
    size_t i = (size_t)(q * (double)(s->n - 1) + 0.5);
    return (double)s->v[i] / 1000.0;
}

/* The CPU time the process has used so far, all its threads, in seconds (0 if gone). */
static double cpu_seconds(pid_t pid)
{
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = '\0';
    /* Fields 14 and 15, utime and stime, counted after the ")" ending the command name. */
    const char *p = strrchr(text, ')');
    unsigned long utime = 0, stime = 0;
    if (!p ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return 0;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* One throughput figure. The server's CPU time per call is reported too: on a small or busy
 * machine it is steadier than calls/s, which also depends on where threads get scheduled. */
static void report_calls(const struct options *o, const char *measure, struct samples *s,
                         uint64_t elapsed_ns, double cpu_s, unsigned long errors)
{
    double secs = (double)elapsed_ns / 1e9;
    double p50 = quantile_us(s, 0.50), p99 = quantile_us(s, 0.99);
    printf("bench label=%s measure=%s calls=%zu seconds=%.3f calls_per_s=%.0f p50_us=%.1f "
           "p99_us=%.1f cpu_us_per_call=%.2f errors=%lu\n",
           o->label, measure, s->n, secs, secs > 0 ? (double)s->n / secs : 0, p50, p99,
           s->n ? cpu_s * 1e6 / (double)s->n : 0, errors);
    fflush(stdout);
}

/* --- The server process. */

struct child {
    pid_t pid;
    int to;   /* its stdin, or -1 */
    int from; /* its stdout, or -1 */
};

/* CPUs to pin the server to (-a) and the load generator itself (-A): on a small machine
 * the two otherwise fight over the same cores and the figures swing from run to run. */
static cpu_set_t server_cpus;
static bool pin_server;

/* Parses a CPU list such as "0", "0-2" or "0,3". */
static int parse_cpus(const char *s, cpu_set_t *set)
{
    CPU_ZERO(set);
    for (char *end; *s; s = end) {
        unsigned long lo = strtoul(s, &end, 10), hi = lo;
        if (end == s)
            return -1;
        if (*end == '-')
            hi = strtoul(end + 1, &end, 10);
        if (hi < lo || hi >= CPU_SETSIZE)
            return -1;
        for (unsigned long c = lo; c <= hi; c++)
            CPU_SET(c, set);
        if (*end == ',')
            end++;
        else if (*end)
            return -1;
    }
    return 0;
}

/* Starts the server. With `pipes` its stdin and stdout are ours; otherwise stdin is
 * /dev/null and stdout goes to our stderr. Its stderr is discarded (BENCH_SERVER_STDERR=1
 * keeps it), since servers announce themselves there. fork rather than posix_spawn so the
 * CPU affinity is set before the server runs a single instruction or starts a thread. */
static void spawn_server(char **argv, bool pipes, struct child *c)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    if (pipes && (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)))
        die("pipe failed");
    const char *keep = getenv("BENCH_SERVER_STDERR");
    bool quiet = !keep || strcmp(keep, "1") != 0;
    fflush(stdout);
    c->pid = fork();
    if (c->pid < 0)
        die("fork failed");
    if (c->pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null < 0 || dup2(pipes ? in[0] : null, STDIN_FILENO) < 0 ||
            dup2(pipes ? out[1] : STDERR_FILENO, STDOUT_FILENO) < 0 ||
            (quiet && dup2(null, STDERR_FILENO) < 0))
            _exit(127);
        if (pin_server && sched_setaffinity(0, sizeof server_cpus, &server_cpus))
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    c->to = pipes ? in[1] : -1;
    c->from = pipes ? out[0] : -1;
    if (pipes) {
        close(in[0]);
        close(out[1]);
    }
}

/* The server's peak resident set (VmHWM) in KiB, or -1. */
static long vmhwm_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

/* Ends the server: end of input first (stdio), SIGTERM, and SIGKILL after a grace period,
 * so a slow shutdown never stalls the run. */
static void stop_server(struct child *c)
{
    if (c->to >= 0)
        close(c->to);
    else
        kill(c->pid, SIGTERM);
    for (int i = 0; i < 400; i++) {
        if (waitpid(c->pid, NULL, WNOHANG) == c->pid)
            goto closed;
        if (i == 100)
            kill(c->pid, SIGTERM);
        sleep_us(5000);
    }
    kill(c->pid, SIGKILL);
    waitpid(c->pid, NULL, 0);
closed:
    if (c->from >= 0)
        close(c->from);
    c->to = c->from = -1;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pfd = {fd, POLLOUT, 0};
            poll(&pfd, 1, REPLY_TIMEOUT_MS);
            continue;
        }
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The id of a JSON-RPC message (our ids are numbers), or -1 for a notification. */
static long message_id(const char *msg, size_t len)
{
    const char *p = memmem(msg, len, "\"id\":", 5);
    return p ? strtol(p + 5, NULL, 10) : -1;
}

/* Whether a message is the echo tool's successful answer. */
static bool is_echo(const char *msg, size_t len)
{
    return memmem(msg, len, "\"result\"", 8) && memmem(msg, len, PAYLOAD, sizeof PAYLOAD - 1) &&
           !memmem(msg, len, "\"isError\":true", 14);
}

/* --- stdio. */

struct lines {
    int fd;
    char *buf;
    size_t start, end;
};

/* The next line from the server (without its newline), waiting up to REPLY_TIMEOUT_MS. */
static int next_line(struct lines *l, const char **line, size_t *len)
{
    for (;;) {
        char *nl = memchr(l->buf + l->start, '\n', l->end - l->start);
        if (nl) {
            *line = l->buf + l->start;
            *len = (size_t)(nl - *line);
            l->start += *len + 1;
            return 0;
        }
        if (l->start) {
            memmove(l->buf, l->buf + l->start, l->end - l->start);
            l->end -= l->start;
            l->start = 0;
        }
        if (l->end == BUF_SIZE)
            return -1;
        struct pollfd pfd = {l->fd, POLLIN, 0};
        if (poll(&pfd, 1, REPLY_TIMEOUT_MS) <= 0)
            return -1;
        ssize_t r = read(l->fd, l->buf + l->end, BUF_SIZE - l->end);
        if (r <= 0)
            return -1;
        l->end += (size_t)r;
    }
}

/* Waits for the answer to request `id`, skipping notifications. */
static int await_answer(struct lines *l, long id)
{
    const char *line;
    size_t len;
    while (next_line(l, &line, &len) == 0)
        if (message_id(line, len) == id)
            return memmem(line, len, "\"result\"", 8) ? 0 : -1;
    return -1;
}

/* Keeps `window` calls in flight until `ns` elapsed or `max` calls were answered. Answers
 * may come in any order (the servers run calls concurrently). */
static unsigned long stdio_run(struct child *c, struct lines *l, unsigned window, uint64_t ns,
                               unsigned long max, long *next_id, struct samples *lat)
{
    static struct {
        long id; /* 0: free */
        uint64_t sent_at;
    } slot[MAX_WINDOW];
    char req[512];
    unsigned long errors = 0, sent = 0;
    unsigned in_flight = 0;
    uint64_t deadline = now_ns() + ns;
    for (;;) {
        while (in_flight < window && sent < max && now_ns() < deadline) {
            long id = (*next_id)++;
            if (slot[id % MAX_WINDOW].id)
                die("a call has waited for its answer longer than 1024 later calls");
            int n = snprintf(req, sizeof req,
                             "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"tools/call\","
                             "\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"" PAYLOAD
                             "\"}}}\n",
                             id);
            slot[id % MAX_WINDOW].id = id;
            slot[id % MAX_WINDOW].sent_at = now_ns();
            if (write_all(c->to, req, (size_t)n))
                die("the server closed its input");
            in_flight++;
            sent++;
        }
        if (!in_flight)
            break;
        const char *line;
        size_t len;
        if (next_line(l, &line, &len))
            die("the server stopped answering on stdout");
        long id = message_id(line, len);
        if (id < 0)
            continue; /* a notification */
        uint64_t t = now_ns();
        if (id == 0 || slot[id % MAX_WINDOW].id != id) {
            errors++; /* an answer to nothing we have in flight */
            continue;
        }
        if (lat)
            samples_add(lat, t - slot[id % MAX_WINDOW].sent_at);
        slot[id % MAX_WINDOW].id = 0;
        in_flight--;
        if (!is_echo(line, len))
            errors++;
    }
    return errors;
}

static int cmd_stdio(const struct options *o)
{
    struct child c;
    spawn_server(o->server, true, &c);
    struct lines l = {.fd = c.from, .buf = malloc(BUF_SIZE)};
    if (!l.buf)
        die("out of memory");
    if (write_all(c.to, INITIALIZE "\n", sizeof INITIALIZE) || await_answer(&l, 0))
        die("the server did not answer initialize");
    if (write_all(c.to, INITIALIZED "\n", sizeof INITIALIZED))
        die("the server closed its input");
    long next_id = 1;
    unsigned long failed = 0;
    for (size_t i = 0; i < o->nwindows; i++) {
        unsigned w = o->windows[i];
        struct samples lat = {0};
        failed += stdio_run(&c, &l, w, (uint64_t)(o->warmup * 1e9), ULONG_MAX, &next_id, NULL);
        uint64_t t0 = now_ns();
        double cpu0 = cpu_seconds(c.pid);
        unsigned long errors =
            stdio_run(&c, &l, w, (uint64_t)(o->seconds * 1e9), o->max_calls, &next_id, &lat);
        char measure[32];
        snprintf(measure, sizeof measure, "stdio_w%u", w);
        report_calls(o, measure, &lat, now_ns() - t0, cpu_seconds(c.pid) - cpu0, errors);
        failed += errors;
        free(lat.v);
    }
    printf("bench label=%s measure=rss_stdio vmhwm_kib=%ld\n", o->label, vmhwm_kib(c.pid));
    stop_server(&c);
    free(l.buf);
    return failed ? 1 : 0;
}

/* --- HTTP. */

/* One parsed HTTP response. */
struct response {
    int status;
    bool sse, close;
    char session[128];
    char *body; /* decoded (chunked transfer undone) */
    size_t body_len;
};

/* Undoes chunked transfer coding of `p`..`end` into `out`. Returns the bytes consumed, 0
 * when incomplete, -1 when malformed. */
static long dechunk(const char *p, const char *end, char *out, size_t *out_len)
{
    const char *start = p;
    size_t n = 0;
    for (;;) {
        const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!eol)
            return 0;
        char *stop;
        unsigned long size = strtoul(p, &stop, 16);
        if (stop == p)
            return -1;
        p = eol + 2;
        if (size == 0) {
            /* No trailers from these servers: the last chunk is followed by CRLF. */
            if (end - p < 2)
                return 0;
            *out_len = n;
            return (long)(p + 2 - start);
        }
        if ((size_t)(end - p) < size + 2)
            return 0;
        if (n + size > BUF_SIZE)
            return -1;
        memcpy(out + n, p, size);
        n += size;
        p += size + 2;
    }
}

/* Parses a response at the start of `buf`. Returns the bytes it takes, 0 when incomplete
 * (or, with `eof`, complete only because the server closed), -1 when malformed. */
static long parse_response(const char *buf, size_t have, bool eof, char *scratch,
                           struct response *r)
{
    const char *end = buf + have;
    const char *hdr_end = memmem(buf, have, "\r\n\r\n", 4);
    if (!hdr_end)
        return 0;
    memset(r, 0, sizeof *r);
    if (sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1)
        return -1;
    long length = -1;
    bool chunked = false;
    for (const char *p = (const char *)memmem(buf, have, "\r\n", 2) + 2; p < hdr_end;) {
        const char *eol = memmem(p, (size_t)(hdr_end + 2 - p), "\r\n", 2);
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon) {
            size_t nlen = (size_t)(colon - p);
            const char *v = colon + 1;
            while (*v == ' ')
                v++;
            int vlen = (int)(eol - v);
            if (nlen == 14 && strncasecmp(p, "content-length", nlen) == 0)
                length = strtol(v, NULL, 10);
            else if (nlen == 17 && strncasecmp(p, "transfer-encoding", nlen) == 0)
                chunked = vlen >= 7 && strncasecmp(v, "chunked", 7) == 0;
            else if (nlen == 10 && strncasecmp(p, "connection", nlen) == 0)
                r->close = vlen >= 5 && strncasecmp(v, "close", 5) == 0;
            else if (nlen == 12 && strncasecmp(p, "content-type", nlen) == 0)
                r->sse = vlen >= 17 && strncasecmp(v, "text/event-stream", 17) == 0;
            else if (nlen == 14 && strncasecmp(p, "mcp-session-id", nlen) == 0)
                snprintf(r->session, sizeof r->session, "%.*s", vlen, v);
        }
        p = eol + 2;
    }
    const char *body = hdr_end + 4;
    r->body = scratch;
    if (chunked) {
        long used = dechunk(body, end, scratch, &r->body_len);
        return used <= 0 ? used : (long)(body - buf) + used;
    }
    if (length < 0 && !eof)
        return 0; /* the body ends when the server closes */
    size_t blen = length < 0 ? (size_t)(end - body) : (size_t)length;
    if ((size_t)(end - body) < blen)
        return 0;
    if (blen > BUF_SIZE)
        return -1;
    memcpy(scratch, body, blen);
    r->body_len = blen;
    r->close = r->close || length < 0;
    return (long)(body - buf + (long)blen);
}

enum http_mode { MODE_SESSIONS, MODE_STATELESS, MODE_STATELESS_LEGACY };

struct conn {
    int fd;
    char *in;
    size_t have;
    uint64_t sent_at;
    char session[128];
};

static int connect_to(unsigned short port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        return -1;
    struct sockaddr_in local;
    socklen_t len = sizeof local;
    /* A port in the ephemeral range with no listener can connect to itself (TCP simultaneous
     * open), which would then hold the port the server is about to bind. */
    if (connect(fd, (struct sockaddr *)&a, sizeof a) ||
        getsockname(fd, (struct sockaddr *)&local, &len) || local.sin_port == a.sin_port) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Formats a POST of `body` with the headers its mode calls for. */
static size_t format_post(char *out, size_t cap, unsigned short port, const char *session,
                          const char *extra_headers, const char *body)
{
    int n = snprintf(out, cap,
                     "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                     "Content-Type: application/json\r\n"
                     "Accept: application/json, text/event-stream\r\n"
                     "%s%s%s%sContent-Length: %zu\r\n\r\n%s",
                     port, session ? "Mcp-Session-Id: " : "", session ? session : "",
                     session ? "\r\n" : "", extra_headers, strlen(body), body);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* The tools/call request `id` for a mode, as a whole HTTP request. */
static size_t format_call(char *out, size_t cap, const struct options *o, enum http_mode mode,
                          const struct conn *c, long id)
{
    char body[1024];
    char meta[256] = "";
    const char *headers = "MCP-Protocol-Version: 2025-11-25\r\n";
    if (mode == MODE_STATELESS) {
        headers = "MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\n"
                  "Mcp-Name: echo\r\n";
        if (o->sse)
            snprintf(meta, sizeof meta, ",\"_meta\":{\"progressToken\":%ld," MODERN_META "}", id);
        else
            snprintf(meta, sizeof meta, ",\"_meta\":{" MODERN_META "}");
    } else if (o->sse) {
        /* The request id as the token: unique among a session's calls in flight. */
        snprintf(meta, sizeof meta, ",\"_meta\":{\"progressToken\":%ld}", id);
    }
    snprintf(body, sizeof body,
             "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"tools/call\",\"params\":{\"name\":"
             "\"echo\",\"arguments\":{\"text\":\"" PAYLOAD "\"}%s}}",
             id, meta);
    return format_post(out, cap, o->port, mode == MODE_SESSIONS ? c->session : NULL, headers, body);
}

/* Reads one whole response on a blocking connection (setup and cold start only). */
static int read_response(struct conn *c, char *scratch, struct response *r)
{
    for (;;) {
        long used = parse_response(c->in, c->have, false, scratch, r);
        if (used < 0)
            return -1;
        if (used > 0) {
            memmove(c->in, c->in + used, c->have - (size_t)used);
            c->have -= (size_t)used;
            return 0;
        }
        struct pollfd pfd = {c->fd, POLLIN, 0};
        if (poll(&pfd, 1, REPLY_TIMEOUT_MS) <= 0 || c->have == BUF_SIZE)
            return -1;
        ssize_t n = read(c->fd, c->in + c->have, BUF_SIZE - c->have);
        if (n <= 0)
            return parse_response(c->in, c->have, true, scratch, r) > 0 ? 0 : -1;
        c->have += (size_t)n;
    }
}

/* One request and its response on a blocking connection. */
static int roundtrip(struct conn *c, const char *req, size_t len, char *scratch, struct response *r)
{
    if (write_all(c->fd, req, len))
        return -1;
    return read_response(c, scratch, r);
}

/* Opens a connection; in sessions mode, with a session of its own. */
static int conn_open(struct conn *c, const struct options *o, enum http_mode mode, char *scratch)
{
    c->fd = connect_to(o->port);
    c->have = 0;
    if (c->fd < 0)
        return -1;
    if (mode != MODE_SESSIONS || c->session[0])
        return 0;
    char req[2048];
    struct response r;
    size_t n = format_post(req, sizeof req, o->port, NULL, "", INITIALIZE);
    if (roundtrip(c, req, n, scratch, &r) || r.status != 200 || !r.session[0])
        return -1;
    snprintf(c->session, sizeof c->session, "%s", r.session);
    n = format_post(req, sizeof req, o->port, c->session, "MCP-Protocol-Version: 2025-11-25\r\n",
                    INITIALIZED);
    if (roundtrip(c, req, n, scratch, &r) || r.status != 202)
        return -1;
    if (r.close) {
        close(c->fd);
        c->fd = connect_to(o->port);
    }
    return c->fd < 0 ? -1 : 0;
}

/* Whether a response is a correct answer to an echo call in this run's format. */
static bool good_answer(const struct options *o, const struct response *r)
{
    if (r->status != 200 || r->sse != o->sse || !is_echo(r->body, r->body_len))
        return false;
    /* SSE: the progress notification, then the result. */
    return !o->sse || memmem(r->body, r->body_len, "notifications/progress", 22);
}

struct http_run {
    const struct options *o;
    enum http_mode mode;
    struct conn *conns;
    struct pollfd *pfds;
    char *scratch;
    long next_id;
    unsigned long errors, reconnects;
};

static void send_call(struct http_run *h, unsigned i)
{
    struct conn *c = &h->conns[i];
    char req[2048];
    size_t n = format_call(req, sizeof req, h->o, h->mode, c, h->next_id++);
    c->sent_at = now_ns();
    if (write_all(c->fd, req, n))
        die("a connection failed while sending");
}

/* Keeps one call in flight per connection until `ns` elapsed or `max` calls were answered. */
static void http_phase(struct http_run *h, uint64_t ns, unsigned long max, struct samples *lat)
{
    unsigned nc = h->o->conns, busy = 0;
    unsigned long sent = 0;
    uint64_t deadline = now_ns() + ns;
    for (unsigned i = 0; i < nc && sent < max; i++, sent++, busy++)
        send_call(h, i);
    for (unsigned i = 0; i < nc; i++)
        h->pfds[i] = (struct pollfd){h->conns[i].fd, i < busy ? POLLIN : 0, 0};
    while (busy) {
        int ready = poll(h->pfds, nc, REPLY_TIMEOUT_MS);
        if (ready <= 0)
            die("the server stopped answering over HTTP");
        for (unsigned i = 0; i < nc && ready; i++) {
            if (!h->pfds[i].revents)
                continue;
            ready--;
            struct conn *c = &h->conns[i];
            ssize_t n = read(c->fd, c->in + c->have, BUF_SIZE - c->have);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            bool eof = n <= 0;
            if (!eof)
                c->have += (size_t)n;
            struct response r;
            long used = parse_response(c->in, c->have, eof, h->scratch, &r);
            if (used == 0 && !eof)
                continue;
            if (used <= 0)
                die("a connection ended in the middle of a response");
            uint64_t t = now_ns();
            c->have -= (size_t)used;
            memmove(c->in, c->in + used, c->have);
            if (lat)
                samples_add(lat, t - c->sent_at);
            if (!good_answer(h->o, &r))
                h->errors++;
            busy--;
            if (r.close || eof) {
                /* The server ended the keep-alive: a new connection, the same session. */
                close(c->fd);
                if (conn_open(c, h->o, h->mode, h->scratch))
                    die("cannot reconnect");
                h->pfds[i].fd = c->fd;
                h->reconnects++;
            }
            h->pfds[i].events = 0;
            if (now_ns() < deadline && sent < max) {
                send_call(h, i);
                sent++;
                busy++;
                h->pfds[i].events = POLLIN;
            }
        }
    }
}

/* Fails when something already listens on the port: it would answer instead of the server
 * under test (another test run, a server left over). */
static void check_port_free(unsigned short port)
{
    int fd = connect_to(port);
    if (fd >= 0) {
        fprintf(stderr, "loadgen: port %u is already in use; choose another (-p)\n", port);
        exit(1);
    }
}

/* Waits until the server accepts connections on its port. */
static int await_port(const struct options *o, pid_t pid)
{
    uint64_t deadline = now_ns() + (uint64_t)REPLY_TIMEOUT_MS * 1000000u;
    while (now_ns() < deadline) {
        int fd = connect_to(o->port);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return -1;
        sleep_us(200);
    }
    return -1;
}

static int parse_mode(const char *s, size_t n, enum http_mode *mode)
{
    if (n == 8 && strncmp(s, "sessions", n) == 0)
        *mode = MODE_SESSIONS;
    else if (n == 9 && strncmp(s, "stateless", n) == 0)
        *mode = MODE_STATELESS;
    else if (n == 16 && strncmp(s, "stateless-legacy", n) == 0)
        *mode = MODE_STATELESS_LEGACY;
    else
        return -1;
    return 0;
}

static int cmd_http(const struct options *o)
{
    struct child child;
    check_port_free(o->port);
    spawn_server(o->server, false, &child);
    if (await_port(o, child.pid))
        die("the server did not open its port");
    struct http_run h = {.o = o,
                         .conns = calloc(o->conns, sizeof(struct conn)),
                         .pfds = calloc(o->conns, sizeof(struct pollfd)),
                         .scratch = malloc(BUF_SIZE)};
    if (!h.conns || !h.pfds || !h.scratch)
        die("out of memory");
    for (unsigned i = 0; i < o->conns; i++)
        if (!(h.conns[i].in = malloc(BUF_SIZE)))
            die("out of memory");
    unsigned long failed = 0;
    for (const char *m = o->modes; *m;) {
        size_t n = strcspn(m, ",");
        if (parse_mode(m, n, &h.mode))
            die("unknown mode (sessions, stateless, stateless-legacy)");
        for (unsigned i = 0; i < o->conns; i++) {
            h.conns[i].session[0] = '\0';
            if (conn_open(&h.conns[i], o, h.mode, h.scratch))
                die("cannot open a connection (or its session)");
        }
        h.errors = h.reconnects = 0;
        http_phase(&h, (uint64_t)(o->warmup * 1e9), ULONG_MAX, NULL);
        failed += h.errors;
        h.errors = 0;
        struct samples lat = {0};
        uint64_t t0 = now_ns();
        double cpu0 = cpu_seconds(child.pid);
        http_phase(&h, (uint64_t)(o->seconds * 1e9), o->max_calls, &lat);
        char measure[64];
        snprintf(measure, sizeof measure, "http_%.*s_%s", (int)n, m, o->sse ? "sse" : "json");
        report_calls(o, measure, &lat, now_ns() - t0, cpu_seconds(child.pid) - cpu0, h.errors);
        if (h.reconnects)
            fprintf(stderr, "loadgen: %s: %s: the server closed %lu keep-alive connections\n",
                    o->label, measure, h.reconnects);
        failed += h.errors;
        free(lat.v);
        for (unsigned i = 0; i < o->conns; i++)
            close(h.conns[i].fd);
        m += n + (m[n] == ',');
    }
    printf("bench label=%s measure=rss_http_%s vmhwm_kib=%ld\n", o->label, o->sse ? "sse" : "json",
           vmhwm_kib(child.pid));
    stop_server(&child);
    for (unsigned i = 0; i < o->conns; i++)
        free(h.conns[i].in);
    free(h.conns);
    free(h.pfds);
    free(h.scratch);
    return failed ? 1 : 0;
}

/* --- Cold start. */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report_cold(const struct options *o, const char *measure, double *ms, unsigned n)
{
    qsort(ms, n, sizeof *ms, cmp_double);
    double median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
    printf("bench label=%s measure=%s runs=%u median_ms=%.2f min_ms=%.2f max_ms=%.2f\n", o->label,
           measure, n, median, ms[0], ms[n - 1]);
}

/* Spawn to the first initialize answer on stdio. */
static double cold_stdio_once(const struct options *o, struct lines *l)
{
    struct child c;
    uint64_t t0 = now_ns();
    spawn_server(o->server, true, &c);
    l->fd = c.from;
    l->start = l->end = 0;
    if (write_all(c.to, INITIALIZE "\n", sizeof INITIALIZE) || await_answer(l, 0))
        die("the server did not answer initialize");
    double ms = (double)(now_ns() - t0) / 1e6;
    stop_server(&c);
    return ms;
}

/* Spawn to the first HTTP 200: an initialize POST, retried until the port is open. */
static double cold_http_once(const struct options *o, char *scratch)
{
    struct child child;
    char req[2048];
    size_t n = format_post(req, sizeof req, o->port, NULL, "", INITIALIZE);
    struct conn c = {.in = scratch + BUF_SIZE};
    check_port_free(o->port);
    uint64_t t0 = now_ns();
    spawn_server(o->server, false, &child);
    for (;;) {
        if (now_ns() - t0 > (uint64_t)REPLY_TIMEOUT_MS * 1000000u ||
            waitpid(child.pid, NULL, WNOHANG) == child.pid)
            die("the server did not answer over HTTP");
        c.fd = connect_to(o->port);
        if (c.fd < 0) {
            sleep_us(100);
            continue;
        }
        struct response r;
        c.have = 0;
        int rc = roundtrip(&c, req, n, scratch, &r);
        close(c.fd);
        if (rc == 0 && r.status == 200)
            break;
    }
    double ms = (double)(now_ns() - t0) / 1e6;
    stop_server(&child);
    return ms;
}

static int cmd_cold(const struct options *o, bool http)
{
    double *ms = calloc(o->runs, sizeof *ms);
    char *buf = malloc(2 * (size_t)BUF_SIZE);
    struct lines l = {.buf = buf};
    if (!ms || !buf)
        die("out of memory");
    for (unsigned i = 0; i < o->runs; i++)
        ms[i] = http ? cold_http_once(o, buf) : cold_stdio_once(o, &l);
    report_cold(o, http ? "cold_http" : "cold_stdio", ms, o->runs);
    free(ms);
    free(buf);
    return 0;
}

/* --- Command line. */

static void usage(void)
{
    fprintf(stderr,
            "usage: loadgen stdio      [-l LABEL] [-d SECONDS] [-n CALLS] [-W WARMUP] [-w W,...]"
            " -- SERVER ARGS...\n"
            "       loadgen http       -p PORT [-l LABEL] [-d SECONDS] [-n CALLS] [-W WARMUP]"
            " [-c CONNS] [-m sessions,stateless,stateless-legacy] [--sse] -- SERVER ARGS...\n"
            "       loadgen cold-stdio [-l LABEL] [-r RUNS] -- SERVER ARGS...\n"
            "       loadgen cold-http  -p PORT [-l LABEL] [-r RUNS] -- SERVER ARGS...\n"
            "  -a CPUS / -A CPUS  pin the server / the load generator (e.g. -a 0 -A 1)\n");
    exit(2);
}

static void parse_windows(struct options *o, const char *s)
{
    o->nwindows = 0;
    for (char *end; *s && o->nwindows < sizeof o->windows / sizeof *o->windows; s = end) {
        unsigned long w = strtoul(s, &end, 10);
        if (end == s || w == 0 || w > MAX_WINDOW)
            usage();
        o->windows[o->nwindows++] = (unsigned)w;
        if (*end == ',')
            end++;
    }
}

int main(int argc, char **argv)
{
    struct options o = {.label = "server",
                        .seconds = 3,
                        .warmup = 1,
                        .max_calls = ULONG_MAX,
                        .windows = {1, 16},
                        .nwindows = 2,
                        .conns = 16,
                        .modes = "sessions,stateless",
                        .runs = 20};
    if (argc < 2)
        usage();
    const char *cmd = argv[1];
    cpu_set_t own;
    bool pin_self = false;
    int i = 2;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--sse") == 0) {
            o.sse = true;
            continue;
        }
        if (!v)
            usage();
        i++;
        if (strcmp(a, "-l") == 0)
            o.label = v;
        else if (strcmp(a, "-d") == 0)
            o.seconds = strtod(v, NULL);
        else if (strcmp(a, "-W") == 0)
            o.warmup = strtod(v, NULL);
        else if (strcmp(a, "-n") == 0)
            o.max_calls = strtoul(v, NULL, 10);
        else if (strcmp(a, "-w") == 0)
            parse_windows(&o, v);
        else if (strcmp(a, "-c") == 0)
            o.conns = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "-p") == 0)
            o.port = (unsigned short)strtoul(v, NULL, 10);
        else if (strcmp(a, "-m") == 0)
            o.modes = v;
        else if (strcmp(a, "-r") == 0)
            o.runs = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "-a") == 0 && parse_cpus(v, &server_cpus) == 0)
            pin_server = true;
        else if (strcmp(a, "-A") == 0 && parse_cpus(v, &own) == 0)
            pin_self = true;
        else
            usage();
    }
    if (i + 1 >= argc || o.conns == 0 || o.conns > MAX_CONNS || o.runs == 0)
        usage();
    o.server = argv + i + 1;
    if (pin_self && sched_setaffinity(0, sizeof own, &own))
        die("cannot pin the load generator (-A)");
    signal(SIGPIPE, SIG_IGN); /* a server that dies shows up as a failed write */
    bool http = strcmp(cmd, "http") == 0 || strcmp(cmd, "cold-http") == 0;
    if (http && !o.port)
        usage();
    if (strcmp(cmd, "stdio") == 0)
        return cmd_stdio(&o);
    if (strcmp(cmd, "http") == 0)
        return cmd_http(&o);
    if (strcmp(cmd, "cold-stdio") == 0)
        return cmd_cold(&o, false);
    if (strcmp(cmd, "cold-http") == 0)
        return cmd_cold(&o, true);
    usage();
}
