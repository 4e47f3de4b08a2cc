/* Replays protocol cases against a server over stdio.
 *
 * A case file is a conversation, one directive per line:
 *   > JSON          send this line
 *   >x TEXT         send TEXT with C escapes (\xNN, \n, \\) decoded: invalid UTF-8, junk
 *   >nest N         send N opening and N closing brackets
 *   >big N          send a ping request padded to N bytes
 *   < PATTERN       the next message from the server must match PATTERN
 *   # ...           comment; blank lines are ignored
 * A pattern matches a message when every member of a pattern object is present and matches
 * (extra members are allowed), arrays match element by element with equal length, the
 * string "*" matches any value, and other values are equal (strings exact, numbers by value,
 * and a string id never equals a number id). A pattern string "$name" matches any value and
 * captures it; a later "$name" (with its quotes) in a sent line is replaced by the captured
 * JSON. Every case starts a fresh server.
 *
 * Usage: protocol-runner SERVER-BINARY CASE-FILE...
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../unit/test.h"

extern char **environ;

#define REPLY_TIMEOUT_MS 10000

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

/* Reads the next line from the server, or NULL after the timeout. Owned by s. */
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

static bool send_directive(struct server *s, const char *line)
{
    if (strncmp(line, "> ", 2) == 0) {
        char *text = substitute(line + 2);
        bool ok = send_bytes(s, text, strlen(text)) && send_bytes(s, "\n", 1);
        free(text);
        return ok;
    }
    if (strncmp(line, ">x ", 3) == 0) {
        char *out = malloc(strlen(line));
        size_t n = unescape(line + 3, out);
        bool ok = send_bytes(s, out, n) && send_bytes(s, "\n", 1);
        free(out);
        return ok;
    }
    long n = 0;
    if (sscanf(line, ">nest %ld", &n) == 1 && n > 0) {
        char *out = malloc((size_t)n * 2 + 1);
        memset(out, '[', (size_t)n);
        memset(out + n, ']', (size_t)n);
        out[2 * n] = '\n';
        bool ok = send_bytes(s, out, (size_t)n * 2 + 1);
        free(out);
        return ok;
    }
    if (sscanf(line, ">big %ld", &n) == 1 && n > 64) {
        const char *head =
            "{\"jsonrpc\":\"2.0\",\"id\":\"big\",\"method\":\"ping\",\"params\":{\"pad\":\"";
        char *out = malloc((size_t)n + 8);
        size_t h = strlen(head), pad = (size_t)n - h - 3;
        memcpy(out, head, h);
        memset(out + h, 'a', pad);
        memcpy(out + h + pad, "\"}}\n", 4);
        bool ok = send_bytes(s, out, h + pad + 4);
        free(out);
        return ok;
    }
    fprintf(stderr, "bad directive: %s\n", line);
    return false;
}

/* Runs one case file; returns false on the first mismatch. */
static bool run_case(char *server_path, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", path);
        return false;
    }
    struct server s = {0};
    bool ok = server_start(&s, server_path);
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0;
    while (ok && getline(&line, &cap, f) > 0) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        if (line[0] == '>') {
            ok = send_directive(&s, line);
            continue;
        }
        if (strncmp(line, "< ", 2) != 0) {
            fprintf(stderr, "%s:%d: bad directive\n", path, lineno);
            ok = false;
            break;
        }
        cJSON *pattern = cJSON_Parse(line + 2);
        char *got = read_line(&s);
        cJSON *msg = got ? cJSON_Parse(got) : NULL;
        if (!pattern || !matches(pattern, msg)) {
            fprintf(stderr, "%s:%d: expected %s\n  got %s\n", path, lineno, line + 2,
                    got ? got : "(nothing)");
            ok = false;
        }
        cJSON_Delete(pattern);
        cJSON_Delete(msg);
        free(got);
    }
    free(line);
    fclose(f);
    int status = server_stop(&s);
    if (ok && status != 0) {
        fprintf(stderr, "%s: server exited with status %d\n", path, status);
        ok = false;
    }
    free(s.buf);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s SERVER CASE...\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    for (int i = 2; i < argc; i++) {
        bool ok = run_case(argv[1], argv[i]);
        printf("%s - %s\n", ok ? "ok" : "not ok", argv[i]);
        CHECK(ok);
    }
    return test_report();
}
